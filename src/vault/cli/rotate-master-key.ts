/**
 * @module vault/cli/rotate-master-key
 * `lanyard vault rotate-master-key`: a new master key, and everything sealed under the old one re-wrapped under
 * it, while `lanyard up` keeps serving (vault/rotate.ts). Progress goes to stderr, a line per batch; the
 * result to stdout. Key ids only, never key material.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import { printDone } from '../../plane/cli-output.ts';
import type { VaultDeps } from '../deps.ts';
import type { RotateEvent, RotationResult } from '../rotate.ts';

interface RotateCliOptions {
  batchSize?: number;
  pause?: number;
  forgetRetired?: boolean;
}

const whole = (min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`a whole number of at least ${min}`);
  return n;
};

function describe(event: RotateEvent): string {
  switch (event.kind) {
    case 'new-key':
      return `New master key ${event.keyId}; ${event.replaces} is kept as a retired key. Re-wrapping:`;
    case 'resume':
      return `Finishing the rotation to ${event.keyId}: ${event.remaining} records are still under other keys.`;
    case 'batch': {
      const p = event.progress;
      const again = event.pass > 1 ? ` (pass ${event.pass})` : '';
      return `  ${event.name}${again}: ${p.scanned} scanned, ${p.rewrapped} re-wrapped`;
    }
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function summary(r: RotationResult): string {
  const kept = r.forgotRetired
    ? 'the retired keys were removed from master.key'
    : `${plural(r.retiredKeys, 'retired key')} kept in the keyring`;
  if (r.mode === 'nothing-to-do') return `Every record is wrapped under master key ${r.keyId}; ${kept}.`;
  return `Master key ${r.keyId}: ${plural(r.rewrapped, 'record')} re-wrapped, none left under another key; ${kept}.`;
}

export function registerRotateMasterKey(vault: Command, kit: CliKit<VaultDeps>): void {
  vault
    .command('rotate-master-key')
    .description(
      'Make a new master key and re-wrap everything sealed under the old one (vault secrets, signing keys, ' +
        'the CA key, the secret-hash key, gateway keys, workflow access keys) while Lanyard keeps running; rerun ' +
        'after a crash to finish.',
    )
    .option('--batch-size <n>', 'records per transaction (default 100)', whole(1))
    .option('--pause <ms>', 'wait between batches, to spare a busy database', whole(0))
    .option(
      '--forget-retired',
      'make no new key: finish a rotation under way, then remove the retired keys from master.key ' +
        '(vault backups made under them no longer restore)',
    )
    .addHelpText('after', '\nExample:\n  lanyard vault rotate-master-key')
    .action((o: RotateCliOptions, cmd: Command) =>
      kit.withRuntime(cmd, async (deps, opts) => {
        const { rotateMasterKey } = await import('../rotate.ts');
        const result = await rotateMasterKey(deps, {
          batchSize: o.batchSize,
          pauseMs: o.pause,
          forgetRetired: o.forgetRetired === true,
          onProgress: (event) => process.stderr.write(`${describe(event)}\n`),
        });
        printDone(summary(result), opts.output, result);
      }),
    );
}
