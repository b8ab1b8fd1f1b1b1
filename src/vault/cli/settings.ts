/**
 * @module vault/cli/settings
 * `lanyard vault show|set <vault>`: a vault's URL and its soft-delete settings (soft delete, the retention of
 * deleted secrets, purge protection), as Key Vault's `az keyvault show|update`.
 */
import { type Command, Option } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import { printRecord } from '../../plane/cli-output.ts';
import type { VaultDeps } from '../deps.ts';
import { callerOf, service, VAULT_FIELDS, VAULT_HELP } from './common.ts';

interface SetOptions {
  softDelete?: 'on' | 'off';
  retentionDays?: string;
  purgeProtection?: boolean;
}

export function registerVaultSettings(vault: Command, kit: CliKit<VaultDeps>): void {
  vault
    .command('show')
    .description("Show a vault's URL and soft-delete settings.")
    .argument('<vault>', VAULT_HELP)
    .addHelpText('after', '\nExample:\n  lanyard vault show flow-credentials')
    .action((name: string, _o: unknown, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        printRecord(
          await (await service()).showVault(callerOf(deps), tenant, name),
          opts.output,
          VAULT_FIELDS,
        );
      }),
    );
  vault
    .command('set')
    .description(
      "Change a vault's soft-delete settings (what is not given stays). Purge protection, once on, stays on.",
    )
    .argument('<vault>', VAULT_HELP)
    .addOption(
      new Option(
        '--soft-delete <on|off>',
        'keep deleted secrets recoverable (on) or remove them at once (off)',
      ).choices(['on', 'off']),
    )
    .option('--retention-days <days>', 'how long a deleted secret stays recoverable: 7-90 (default 90)')
    .option(
      '--purge-protection',
      'refuse purging a deleted secret before its retention ends (cannot be undone)',
    )
    .addHelpText(
      'after',
      '\nExample:\n  lanyard vault set flow-credentials --retention-days 30 --purge-protection',
    )
    .action((name: string, o: SetOptions, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        let retentionDays: number | undefined;
        if (o.retentionDays !== undefined) {
          retentionDays = Number(o.retentionDays);
          if (!Number.isInteger(retentionDays)) {
            throw new LanyardError(
              'ERR_USAGE',
              `--retention-days takes a whole number of days, not "${o.retentionDays}".`,
            );
          }
        }
        if (o.softDelete === undefined && retentionDays === undefined && !o.purgeProtection) {
          throw new LanyardError('ERR_USAGE', 'Nothing to change.', {
            hint: 'Give --soft-delete on|off, --retention-days N or --purge-protection.',
          });
        }
        const v = await (await service()).updateVault(callerOf(deps), tenant, name, {
          softDelete: o.softDelete === undefined ? undefined : o.softDelete === 'on',
          retentionDays,
          purgeProtection: o.purgeProtection ? true : undefined,
        });
        printRecord(v, opts.output, VAULT_FIELDS);
      }),
    );
}
