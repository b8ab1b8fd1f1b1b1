/**
 * @module issuer/cli/keys
 * `lanyard keys list|rotate|revoke`: the issuer's signing keys. Rotation publishes the new key at once and
 * signs with it after the lead time (so validators caching JWKS learn it first); the old key stays published
 * until every token it signed has expired. Revocation is for a compromised key: gone from JWKS at once.
 */
import type { Command } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, print, printDone, printRecord } from '../../plane/cli-output.ts';
import type { IssuerDeps } from '../deps.ts';
import type { KeyInfo } from '../signing-keys.ts';

const COLUMNS: Column<KeyInfo>[] = [
  { header: 'KID', value: (k) => k.kid },
  { header: 'STATE', value: (k) => k.state },
  { header: 'PUBLISHED', value: (k) => k.publishAt },
  { header: 'SIGNS FROM', value: (k) => k.activateAt },
  { header: 'SIGNS UNTIL', value: (k) => k.retireAt ?? '' },
  { header: 'UNPUBLISHED AT', value: (k) => k.revokedAt ?? k.unpublishAt ?? '' },
];

export function registerKeysCommands(program: Command, kit: CliKit<IssuerDeps>): void {
  const keys = program
    .command('keys')
    .description("The issuer's token-signing keys (RS256) and their rotation.");

  keys
    .command('list')
    .description(
      'List signing keys and what each is doing now (pending, active, retired, unpublished, revoked).',
    )
    .action((_o: object, cmd: Command) =>
      kit.withRuntime(cmd, async (deps, opts) => {
        await deps.keys.ensureReady();
        print(await deps.keys.list(), opts.output, COLUMNS);
      }),
    );

  keys
    .command('rotate')
    .description(
      'Publish a new signing key now; it signs after the lead time (default 24 h), or at once with --now.',
    )
    .option(
      '--now',
      'sign with the new key immediately (validators that cached JWKS must refetch on the new kid)',
    )
    .addHelpText('after', '\nExample:\n  lanyard keys rotate')
    .action((o: { now?: boolean }, cmd: Command) =>
      kit.withRuntime(cmd, async (deps, opts) => {
        await deps.keys.ensureReady();
        const info = await deps.keys.rotate({ immediate: o.now ?? false });
        printRecord(
          info,
          opts.output,
          COLUMNS.map((c) => ({ ...c, header: c.header.toLowerCase() })),
        );
      }),
    );

  keys
    .command('revoke')
    .description(
      'Remove a compromised key from JWKS and from signing at once; tokens it signed stop validating.',
    )
    .argument('<kid>', 'the key id (see `lanyard keys list`)')
    .requiredOption('--yes', 'confirm: every token signed by this key becomes invalid')
    .action((kid: string, _o: object, cmd: Command) =>
      kit.withRuntime(cmd, async (deps, opts) => {
        const known = (await deps.keys.list()).some((k) => k.kid === kid);
        if (!known)
          throw new LanyardError('ERR_NOT_FOUND', `No signing key has the kid "${kid}".`, {
            hint: 'See `lanyard keys list`.',
          });
        await deps.keys.revoke(kid);
        printDone(`Revoked ${kid}; a replacement key signs from now on.`, opts.output, { revoked: kid });
      }),
    );
}
