/**
 * @module console/cli/commands
 * The console plane's noun of the `lanyard` CLI (`PlaneEntry.commands`):
 *   lanyard console token [--read-only] [--ttl 8h] [--label text]   a read-only token, printed once
 *   lanyard console tokens                                             the tokens, metadata only
 *   lanyard console revoke <id>                                        revoke one at once
 * The console itself is served by `lanyard up` and `npm start` at `<url>/console`. Light: each action imports
 * the token store it calls.
 */
import type { Command } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, print, printDone } from '../../plane/cli-output.ts';
import type { ConsoleDeps } from '../deps.ts';
import type { ConsoleToken } from '../tokens.ts';

const tokens = () => import('../tokens.ts');

const COLUMNS: readonly Column<ConsoleToken>[] = [
  { header: 'ID', value: (t) => t.id },
  { header: 'ROLE', value: (t) => t.role },
  { header: 'STATE', value: (t) => t.state },
  { header: 'LABEL', value: (t) => t.label },
  { header: 'CREATED', value: (t) => t.createdAt },
  { header: 'EXPIRES', value: (t) => t.expiresAt },
  { header: 'LAST USED', value: (t) => t.lastUsedAt ?? '' },
];

export function consoleCommands(program: Command, kit: CliKit<ConsoleDeps>): void {
  const noun = program
    .command('console')
    .description(
      'The web console (served by `lanyard up` at <url>/console): read-only tokens to sign in with.',
    );

  noun
    .command('token')
    .description(
      'Issue a read-only console token (printed once): it signs in to look, never to change. The admin signs in with the admin token.',
    )
    .option('--read-only', 'a read-only token (the only kind; the flag says so in scripts)')
    .option('--ttl <duration>', 'lifetime, e.g. 30m, 8h or 7d (at most 90 days)', '8h')
    .option('--label <text>', 'a note shown by `console tokens`')
    .addHelpText(
      'after',
      '\nExample:\n  lanyard console token --read-only --ttl 1h --label "pairing with Sam"',
    )
    .action((o: { ttl: string; label?: string }, cmd: Command) =>
      kit.withRuntime(cmd, async (deps, opts) => {
        const { issueReadOnlyToken } = await tokens();
        const { parseTtl } = await import('../ttl.ts');
        const issued = await issueReadOnlyToken(deps, {
          ttlMs: parseTtl(o.ttl),
          label: o.label,
          actor: 'cli',
        });
        if (opts.output === 'json') process.stdout.write(`${JSON.stringify(issued, null, 2)}\n`);
        else process.stdout.write(`${issued.token}\n`);
        process.stderr.write(
          `read-only console token ${issued.id}, expires ${issued.expiresAt}; the token is shown only now. Sign in with it at <url>/console (\`lanyard status\` shows the url).\n`,
        );
      }),
    );

  noun
    .command('tokens')
    .description('List read-only console tokens: id, state, label and dates (never the tokens).')
    .addHelpText('after', '\nExample:\n  lanyard console tokens')
    .action((_o: object, cmd: Command) =>
      kit.withRuntime(cmd, async (deps, opts) => {
        print(await (await tokens()).listReadOnlyTokens(deps), opts.output, COLUMNS);
      }),
    );

  noun
    .command('revoke')
    .description('Revoke a read-only console token at once; sessions signed in with it end.')
    .argument('<id>', 'the token id (see `lanyard console tokens`)')
    .action((id: string, _o: object, cmd: Command) =>
      kit.withRuntime(cmd, async (deps, opts) => {
        const t = await (await tokens()).revokeReadOnlyToken(deps, id, 'cli');
        printDone(`Revoked read-only console token ${t.id}.`, opts.output, t);
      }),
    );
}
