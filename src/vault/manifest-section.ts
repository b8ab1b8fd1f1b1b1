/**
 * @module vault/manifest-section
 * The vault plane's part of `lanyard.yaml`: under each tenant, `vault:` with the settings of its vaults and
 * the secrets they must hold, by reference only.
 *
 *   vault:
 *     vaults:  [{ vault, softDelete, retentionDays, purgeProtection }]
 *     secrets: [{ vault, name, contentType?, description? }]
 *
 * `vault` names a resource of kind vault the tenant declares. Settings are applied (purge protection, once on,
 * cannot be declared off: refused as an immutable field). A secret's value never sits in a manifest, which is
 * a file that gets committed: `value:` is refused at load with the command that sets one. A referenced secret
 * that has no value yet, is deleted, or has another content type is reported as pending (a warning with the
 * exact command), never a failure: apply does not write secrets. Secrets the manifest does not name are left
 * alone, even with `--prune`. Access to a vault is Azure RBAC, declared under `management.roleAssignments`
 * with `scope: resource:<vault>`.
 */
import { z } from 'zod';
import type { Directory } from '../directory/directory.ts';
import { DIRECTORY_PHASE } from '../directory/manifest/plan.ts';
import { duplicates, type ManifestProblem } from '../manifest/problems.ts';
import type { DeclaredManifest, TenantPlan, TenantSection } from '../manifest/section.ts';
import type { KeyPath } from '../manifest/source.ts';
import type { PlanObject } from '../manifest/types.ts';
import { shellQuote } from '../plane/cli-output.ts';
import { CONTENT_TYPE_MAX, NAME_MAX, RETENTION_MAX_DAYS, RETENTION_MIN_DAYS } from './inputs.ts';
import {
  DEFAULT_RETENTION_DAYS,
  type DeletedSecretInfo,
  getVaultSettings,
  listDeleted,
  listSecrets,
  resolveVault,
  type SecretInfo,
  setVaultSettings,
  type VaultSettings,
} from './store.ts';

/** A vault's settings are written once its resource exists (the directory creates it). */
export const VAULT_PHASE = {
  settings: DIRECTORY_PHASE.resource + 3,
} as const;

const vaultRef = z
  .string()
  .min(1)
  .max(64)
  .describe('A resource of kind vault this tenant declares under `resources`.');

const vaultSettings = z.strictObject({
  vault: vaultRef,
  softDelete: z
    .boolean()
    .default(true)
    .describe('A deleted secret stays recoverable until the retention ends. Default: true.'),
  retentionDays: z
    .number()
    .int()
    .min(RETENTION_MIN_DAYS)
    .max(RETENTION_MAX_DAYS)
    .default(DEFAULT_RETENTION_DAYS)
    .describe(
      `How long a deleted secret stays recoverable, ${RETENTION_MIN_DAYS}-${RETENTION_MAX_DAYS} days. Default: 90.`,
    ),
  purgeProtection: z
    .boolean()
    .default(false)
    .describe('No purge before the retention ends. Once true it stays true, as in Azure. Default: false.'),
});

const secretRef = z.strictObject({
  vault: vaultRef,
  name: z
    .string()
    .regex(new RegExp(`^[0-9a-zA-Z-]{1,${NAME_MAX}}$`), `must be 1-${NAME_MAX} letters, digits or "-"`)
    .describe('The secret name; compared without case, as Key Vault does.'),
  contentType: z
    .string()
    .max(CONTENT_TYPE_MAX)
    .optional()
    .describe('What the value is (text/plain…); the command that sets it passes it on.'),
  description: z.string().max(1024).optional().describe('What the secret is for; shown with the reminder.'),
  value: z
    .unknown()
    .optional()
    .describe('Refused: a value never sits in the manifest; `lanyard vault secret set` sets it.'),
});

const vault = z.strictObject({
  vaults: z
    .array(vaultSettings)
    .max(1000)
    .default([])
    .describe("Settings of the tenant's vaults. Default: none (a vault not listed keeps its settings)."),
  secrets: z
    .array(secretRef)
    .max(10_000)
    .default([])
    .describe('Secrets the vaults must hold, by reference (never a value). Default: none.'),
});

type Declared = z.output<typeof vault>;
type DeclaredSecret = Declared['secrets'][number];

const of = (t: unknown): Declared | undefined => (t as { vault?: Declared }).vault;

interface DeclaredResource {
  name: string;
  kind: string;
}

function check(declared: DeclaredManifest, out: ManifestProblem[]): void {
  declared.tenants.forEach((tenant, t) => {
    const v = of(tenant);
    if (!v) return;
    const at = (...rest: (string | number)[]): KeyPath => ['tenants', t, 'vault', ...rest];
    const resources = ((tenant as { resources?: DeclaredResource[] }).resources ?? []) as DeclaredResource[];
    const isVault = (path: KeyPath, name: string) => {
      const r = resources.find((x) => x.name.toLowerCase() === name.toLowerCase());
      if (!r)
        out.push({
          kind: 'reference',
          path,
          message: `resource ${name} is not declared under tenants[${t}].resources`,
        });
      else if (r.kind !== 'vault')
        out.push({ kind: 'reference', path, message: `resource ${name} is of kind ${r.kind}, not vault` });
    };
    duplicates(
      v.vaults,
      (s) => s.vault.toLowerCase(),
      (i) => at('vaults', i, 'vault'),
      (s) => `vault ${s.vault} is declared twice`,
      out,
    );
    duplicates(
      v.secrets,
      (s) => `${s.vault.toLowerCase()}/${s.name.toLowerCase()}`,
      (i) => at('secrets', i, 'name'),
      (s) => `secret ${s.name} of vault ${s.vault} is declared twice`,
      out,
    );
    v.vaults.forEach((s, i) => {
      isVault(at('vaults', i, 'vault'), s.vault);
      if (s.purgeProtection && !s.softDelete) {
        out.push({
          kind: 'schema',
          path: at('vaults', i, 'softDelete'),
          message: 'soft delete cannot be off while purge protection is on',
        });
      }
    });
    v.secrets.forEach((s, i) => {
      isVault(at('secrets', i, 'vault'), s.vault);
      if (s.value !== undefined) {
        out.push({
          kind: 'schema',
          path: at('secrets', i, 'value'),
          message:
            `a secret's value never sits in the manifest (a file that gets committed): remove it, and set it with ` +
            `\`lanyard vault secret set --vault ${s.vault} ${s.name} --value-file <file>\` (or --stdin)`,
        });
      }
    });
  });
}

interface StoredVault {
  name: string;
  settings: VaultSettings;
  /** By name, lower-cased. */
  secrets: Map<string, SecretInfo>;
  deleted: Map<string, DeletedSecretInfo>;
}

interface State {
  /** The tenant's vault resources, by name lower-cased. */
  readonly vaults: Map<string, StoredVault>;
}

async function read(d: Directory, tenant: { id: string } | undefined): Promise<State> {
  const vaults = new Map<string, StoredVault>();
  if (!tenant) return { vaults };
  for (const r of await d.listResources(tenant.id)) {
    if (r.kind !== 'vault') continue;
    const ref = { id: r.id, tenantId: r.tenantId };
    const byName = <T extends { name: string }>(items: T[]) =>
      new Map(items.map((s) => [s.name.toLowerCase(), s] as const));
    vaults.set(r.name.toLowerCase(), {
      name: r.name,
      settings: await getVaultSettings(d, ref),
      secrets: byName((await listSecrets(d, ref)).items),
      deleted: byName((await listDeleted(d, ref)).items),
    });
  }
  return { vaults };
}

const DEFAULTS = { softDelete: true, retentionDays: DEFAULT_RETENTION_DAYS, purgeProtection: false };

function plan({ planner: p, declared, index }: TenantPlan<Directory>, state: State): void {
  const t = declared.name;
  const v: Declared = of(declared) ?? { vaults: [], secrets: [] };
  const obj = (kind: string, name: string): PlanObject => ({ kind, tenant: t, name });

  v.vaults.forEach((s, i) => {
    const stored = state.vaults.get(s.vault.toLowerCase());
    const current = stored?.settings ?? DEFAULTS;
    if (current.purgeProtection && !s.purgeProtection) {
      p.immutable(
        ['tenants', index, 'vault', 'vaults', i, 'purgeProtection'],
        `vault ${s.vault}`,
        'purgeProtection',
        'true',
        'false',
        'Purge protection cannot be turned off once on, as in Azure: declare purgeProtection: true.',
      );
    }
    const changes: string[] = [];
    for (const key of ['softDelete', 'retentionDays', 'purgeProtection'] as const) {
      if (current[key] !== s[key]) changes.push(`${key}: ${current[key]} → ${s[key]}`);
    }
    if (changes.length === 0) return;
    const input = {
      softDelete: s.softDelete,
      retentionDays: s.retentionDays,
      purgeProtection: s.purgeProtection,
    };
    const run = async (d: Directory) => setVaultSettings(d, await resolveVault(d, t, s.vault), input);
    // A vault the same apply creates gets its settings with it; a stored one has them changed.
    if (!stored) p.add(VAULT_PHASE.settings, 'create', obj('vault', s.vault), run);
    else p.add(VAULT_PHASE.settings, 'update', obj('vault', s.vault), run, changes);
  });

  // The printed commands name the tenant when the manifest has several: the CLI then needs --tenant.
  const several = (p.manifest as DeclaredManifest).tenants.length > 1;
  const command = (verb: string, s: DeclaredSecret, ...rest: string[]) =>
    [
      'lanyard vault secret',
      verb,
      ...(several ? ['--tenant', shellQuote(t)] : []),
      '--vault',
      shellQuote(s.vault),
      shellQuote(s.name),
      ...rest,
    ].join(' ');
  for (const s of v.secrets) {
    const stored = state.vaults.get(s.vault.toLowerCase());
    const key = s.name.toLowerCase();
    const what = obj('secret', `${s.vault}/${s.name}`);
    const active = stored?.secrets.get(key);
    const deleted = stored?.deleted.get(key);
    if (active) {
      if (s.contentType !== undefined && active.contentType !== s.contentType) {
        p.pending(
          what,
          `has content type ${active.contentType ?? '(none)'}, the manifest says ${s.contentType}. Change it with:`,
          command('update', s, '--content-type', shellQuote(s.contentType)),
        );
      }
    } else if (deleted) {
      const until =
        deleted.scheduledPurgeDate === null
          ? ''
          : ` (recoverable until ${new Date(deleted.scheduledPurgeDate * 1000).toISOString()})`;
      p.pending(
        what,
        `is deleted${until}; apply does not recover secrets. Recover it with:`,
        command('recover', s),
      );
    } else {
      p.pending(
        what,
        `has no value yet${s.description ? ` (${s.description})` : ''}; apply never writes a value. Set it with:`,
        command(
          'set',
          s,
          '--value-file',
          '<file>',
          ...(s.contentType === undefined ? [] : ['--content-type', shellQuote(s.contentType)]),
        ),
      );
    }
  }
}

export const vaultManifest: TenantSection<Directory, State> = {
  place: 'tenant',
  key: 'vault',
  schema: vault
    .default({ vaults: [], secrets: [] })
    .describe(
      "The settings of the tenant's vaults and the secrets they must hold (references only); see docs/vault.md.",
    ),
  check,
  read,
  plan,
};
