/**
 * @module easyauth/cli/explain
 * `lanyard explain <token> [--app NAME]`: decodes a token (without trusting it) and says, for every Easy Auth
 * front or the one named, whether it would be let in — and if not, the reason, what was expected, what the
 * token had, and what to do. The same policy and validator as the fronts, so the answer is the one a request
 * gets. `-` reads the token from stdin; a leading `Bearer ` is ignored. The exit code is 1 when no front
 * accepts the token (none configured included); with --app, when that front refuses it.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import type { EasyAuthDeps } from '../deps.ts';

export function registerExplainCommand(program: Command, kit: CliKit<EasyAuthDeps>): void {
  program
    .command('explain')
    .description(
      'Decode a token and say whether each Easy Auth front (or --app) would accept it, and why not.',
    )
    .argument('<token>', 'the access token (or - to read it from stdin)')
    .option('--app <resource>', 'only this app resource')
    .option('--resource <resource>', 'same as --app')
    .addHelpText(
      'after',
      '\nExamples:\n  lanyard explain "$TOKEN"\n  lanyard explain "$TOKEN" --app somefunction -o json',
    )
    .action((raw: string, o: { app?: string; resource?: string }, cmd: Command) =>
      kit.withRuntime(cmd, async (deps, opts) => {
        const token = raw === '-' ? fs.readFileSync(0, 'utf8') : raw;
        if (token.trim() === '') {
          throw new LanyardError('ERR_USAGE', 'No token was given.', {
            hint: 'Pass the token, or - to read stdin.',
          });
        }
        const resource = o.app ?? o.resource;
        // The validator and the fronts' policy load only for this command.
        const { explainToken, formatExplanation } = await import('../explain.ts');
        const explanation = await explainToken(deps, token, {
          resource,
          ...(opts.tenant === undefined ? {} : { tenant: opts.tenant }),
        });
        process.stdout.write(
          opts.output === 'json'
            ? `${JSON.stringify(explanation, null, 2)}\n`
            : `${formatExplanation(explanation)}\n`,
        );
        // A script's question is "would it get in?": 0 only when a front (the one named) would let it in.
        if (!explanation.verdicts.some((v) => v.accepted)) process.exitCode = 1;
      }),
    );
}
