/**
 * @module vault/cli/secret-commands
 * `lanyard vault show|set` (settings.ts) and `lanyard vault secret …`: Key Vault secrets, as `az keyvault
 * secret` does them. A value is read from `--value-file` or stdin, never from the command line; it is printed
 * only by `show --reveal`; a backup is written to a file of mode 0600. Every read and write is audited as the
 * actor `cli` (service.ts), without the value.
 */
import fs from 'node:fs';
import { type Command, Option } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import { collect, print, printDone, printRecord, shellQuote } from '../../plane/cli-output.ts';
import type { VaultDeps } from '../deps.ts';
import {
  callerOf,
  iso,
  LISTED_COLUMNS,
  type ListedSecret,
  parseInstant,
  parseTags,
  readValue,
  SECRET_COLUMNS,
  SECRET_FIELDS,
  service,
  VAULT_HELP,
  type ValueOptions,
} from './common.ts';
import { registerVaultSettings } from './settings.ts';

interface VaultOption {
  vault: string;
}

interface AttributeOptions {
  contentType?: string;
  tag?: string[];
  notBefore?: string;
  expires?: string;
}

const example = (...lines: string[]) =>
  `\n${lines.length > 1 ? 'Examples' : 'Example'}:\n${lines.map((l) => `  ${l}`).join('\n')}`;

function withVault(cmd: Command): Command {
  return cmd.requiredOption('--vault <vault>', VAULT_HELP);
}

function withAttributes(cmd: Command, clearable: boolean): Command {
  const clear = clearable ? '; none clears it' : '';
  return cmd
    .option('--content-type <type>', 'what the value is, e.g. text/plain or application/x-pkcs12')
    .option('--tag <name=value>', `a tag (repeatable${clearable ? '; replaces every tag' : ''})`, collect)
    .option(
      '--not-before <instant>',
      `ISO 8601: not valid before then (informational, as in Key Vault)${clear}`,
    )
    .option('--expires <instant>', `ISO 8601: expires then (informational, as in Key Vault)${clear}`);
}

export function registerSecretCommands(vault: Command, kit: CliKit<VaultDeps>): void {
  registerVaultSettings(vault, kit);
  const secret = vault
    .command('secret')
    .description('Key Vault secrets: versions sealed at rest, soft delete, backup and restore.');

  withAttributes(
    withVault(
      secret
        .command('set')
        .description(
          'Store a new version of a secret (creating it). The value is read from a file or stdin, as its bytes are (UTF-8): nothing is stripped.',
        )
        .argument('<name>', 'the secret name: 1-127 letters, digits and -'),
    ),
    false,
  )
    .option('--value-file <file>', 'read the value from this file (- for stdin)')
    .option('--stdin', 'read the value from stdin')
    .addOption(new Option('--value <value>').hideHelp())
    .option('--disabled', 'store the version disabled (its value cannot be read until enabled)')
    .addHelpText(
      'after',
      example(
        'openssl rand -base64 32 | lanyard vault secret set --vault flow-credentials app-secret --stdin',
        'printf %s 3fa85f64-5717-4562-b3fc-2c963f66afa6 | lanyard vault secret set --vault flow-credentials subscription-id --value-file - --content-type text/plain',
      ),
    )
    .action((name: string, o: VaultOption & ValueOptions & AttributeOptions & { disabled?: boolean }, cmd) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const value = readValue(o, kit);
        const s = await (await service()).putSecret(callerOf(deps), tenant, o.vault, name, {
          value,
          contentType: o.contentType,
          tags: parseTags(o.tag),
          enabled: o.disabled ? false : undefined,
          nbf: parseInstant('--not-before', o.notBefore, false),
          exp: parseInstant('--expires', o.expires, false),
        });
        printRecord(s, opts.output, SECRET_FIELDS);
      }),
    );

  withVault(
    secret
      .command('show')
      .description(
        "Show a secret's version (the latest by default): its attributes; the value only with --reveal.",
      )
      .argument('<name>'),
  )
    .option('--version-id <id>', 'a version id, 32 hex characters (default: the latest)')
    .option('--reveal', 'also print the value (recorded in the audit log as a read of it)')
    .addHelpText(
      'after',
      example(
        'lanyard vault secret show --vault flow-credentials app-secret',
        'lanyard vault secret show --vault flow-credentials app-secret --reveal -o json',
      ),
    )
    .action((name: string, o: VaultOption & { versionId?: string; reveal?: boolean }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const s = await service();
        const shown = o.reveal
          ? await s.getSecretValue(callerOf(deps), tenant, o.vault, name, o.versionId)
          : await s.showSecret(callerOf(deps), tenant, o.vault, name, o.versionId);
        printRecord(shown, opts.output, SECRET_FIELDS);
      }),
    );

  withVault(secret.command('list').description("List a vault's secrets (latest versions, never values)."))
    .option('--include-deleted', 'also list deleted secrets that can still be recovered')
    .addHelpText('after', example('lanyard vault secret list --vault flow-credentials --include-deleted'))
    .action((o: VaultOption & { includeDeleted?: boolean }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const s = await service();
        const active = await s.listSecretInfos(callerOf(deps), tenant, o.vault);
        if (!o.includeDeleted) {
          print(active, opts.output, SECRET_COLUMNS);
          return;
        }
        const deleted = await s.listDeletedSecrets(callerOf(deps), tenant, o.vault);
        const rows: ListedSecret[] = [...active, ...deleted].sort((a, b) =>
          a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1,
        );
        print(rows, opts.output, LISTED_COLUMNS);
      }),
    );

  withVault(
    secret
      .command('versions')
      .description("List a secret's versions, oldest first (never values).")
      .argument('<name>'),
  )
    .addHelpText('after', example('lanyard vault secret versions --vault flow-credentials app-secret'))
    .action((name: string, o: VaultOption, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(
          await (await service()).listSecretVersions(callerOf(deps), tenant, o.vault, name),
          opts.output,
          SECRET_COLUMNS,
        );
      }),
    );

  withAttributes(
    withVault(
      secret
        .command('update')
        .description(
          "Change a version's attributes, content type or tags (the latest by default); the value never changes.",
        )
        .argument('<name>'),
    ),
    true,
  )
    .option('--version-id <id>', 'a version id, 32 hex characters (default: the latest)')
    .option('--enable', 'enable the version')
    .option('--disable', 'disable the version: its value cannot be read')
    .addHelpText(
      'after',
      example(
        'lanyard vault secret update --vault flow-credentials app-secret --expires 2030-01-01T00:00:00Z --tag owner=flows',
      ),
    )
    .action(
      (
        name: string,
        o: VaultOption & AttributeOptions & { versionId?: string; enable?: boolean; disable?: boolean },
        cmd,
      ) =>
        kit.withTenant(cmd, async (deps, tenant, opts) => {
          if (o.enable && o.disable)
            throw new LanyardError('ERR_USAGE', 'Give --enable or --disable, not both.');
          const input = {
            contentType: o.contentType,
            tags: parseTags(o.tag),
            enabled: o.enable ? true : o.disable ? false : undefined,
            nbf: parseInstant('--not-before', o.notBefore, true),
            exp: parseInstant('--expires', o.expires, true),
          };
          if (Object.values(input).every((v) => v === undefined)) {
            throw new LanyardError('ERR_USAGE', 'Nothing to change.', {
              hint: 'Give --enable, --disable, --content-type, --tag, --not-before or --expires.',
            });
          }
          printRecord(
            await (await service()).updateSecret(callerOf(deps), tenant, o.vault, name, o.versionId, input),
            opts.output,
            SECRET_FIELDS,
          );
        }),
    );

  withVault(
    secret
      .command('backup')
      .description(
        "Write a secret's backup (every version, sealed under this Lanyard's master key) to a new file of mode 0600.",
      )
      .argument('<name>'),
  )
    .requiredOption('--file <file>', 'the file to write (refused when it exists)')
    .addHelpText(
      'after',
      example('lanyard vault secret backup --vault flow-credentials app-secret --file app-secret.kvbackup'),
    )
    .action((name: string, o: VaultOption & { file: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const file = kit.userPath(o.file);
        if (fs.existsSync(file)) {
          throw new LanyardError('ERR_USAGE', `${file} exists; a backup is written to a new file.`, {
            hint: 'Name another --file, or remove that one first.',
          });
        }
        const blob = await (await service()).backup(callerOf(deps), tenant, o.vault, name);
        fs.writeFileSync(file, blob, { mode: 0o600, flag: 'wx' });
        printDone(
          `Backed up secret ${name} to ${o.file}; it restores only into a Lanyard holding this master key.`,
          opts.output,
          { name, file },
        );
      }),
    );

  withVault(
    secret
      .command('delete')
      .description(
        "Delete a secret, every version: recoverable until the vault's retention ends (with soft delete on), else gone.",
      )
      .argument('<name>'),
  )
    .addHelpText('after', example('lanyard vault secret delete --vault flow-credentials app-secret'))
    .action((name: string, o: VaultOption, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const d = await (await service()).removeSecret(callerOf(deps), tenant, o.vault, name);
        printDone(
          d.scheduledPurgeDate === null
            ? `Deleted secret ${d.name} for good (the vault's soft delete is off).`
            : `Deleted secret ${d.name}; recoverable until ${iso(d.scheduledPurgeDate)} (lanyard vault secret recover --vault ${shellQuote(o.vault)} ${shellQuote(d.name)}).`,
          opts.output,
          d,
        );
      }),
    );

  withVault(
    secret.command('recover').description('Bring a deleted secret back, every version.').argument('<name>'),
  )
    .addHelpText('after', example('lanyard vault secret recover --vault flow-credentials app-secret'))
    .action((name: string, o: VaultOption, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        printRecord(
          await (await service()).recoverSecret(callerOf(deps), tenant, o.vault, name),
          opts.output,
          SECRET_FIELDS,
        );
      }),
    );

  withVault(
    secret
      .command('purge')
      .description('Remove a deleted secret for good (refused while the vault has purge protection).')
      .argument('<name>'),
  )
    .addHelpText(
      'after',
      example(
        'lanyard vault secret delete --vault flow-credentials app-secret && lanyard vault secret purge --vault flow-credentials app-secret',
      ),
    )
    .action((name: string, o: VaultOption, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        await (await service()).purgeSecret(callerOf(deps), tenant, o.vault, name);
        printDone(`Purged secret ${name}.`, opts.output, { name, purged: true });
      }),
    );

  withVault(
    secret
      .command('restore')
      .description(
        'Restore a backup into a vault, under the name it was backed up with (which must be free).',
      ),
  )
    .requiredOption('--file <file>', 'a file written by `lanyard vault secret backup`')
    .addHelpText(
      'after',
      example('lanyard vault secret restore --vault flow-credentials --file app-secret.kvbackup'),
    )
    .action((o: VaultOption & { file: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const file = kit.userPath(o.file);
        let blob: string;
        try {
          blob = fs.readFileSync(file, 'utf8').trim();
        } catch (err) {
          throw new LanyardError(
            'ERR_USAGE',
            `Cannot read the backup file ${file} (${(err as NodeJS.ErrnoException).code}).`,
          );
        }
        printRecord(
          await (await service()).restore(callerOf(deps), tenant, o.vault, blob),
          opts.output,
          SECRET_FIELDS,
        );
      }),
    );
}
