/**
 * @module vault/service
 * What `lanyard vault …` and the admin API's vault routes do, over the store (store.ts, backup.ts): a vault
 * named as a resource of the tenant, its settings, and its secrets, each call recorded in the audit log with
 * who made it (`cli` or `admin`), what it named (`<vault>/<name>[/<version>]`) and, when refused, the error
 * code — never a value. Values leave here only from `getSecretValue` (the CLI's `--reveal`) and `backup`
 * (sealed); every other answer is metadata.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import type { Directory } from '../directory/directory.ts';
import { isLanyardError } from '../errors/lanyard-error.ts';
import { readServerInfo } from '../identity/server-info.ts';
import { backupSecret, restoreSecret } from './backup.ts';
import {
  type DeletedSecretInfo,
  deleteSecret,
  getDeleted,
  getSecret,
  getSecretInfo,
  getVaultSettings,
  listDeleted,
  listSecrets,
  listVersions,
  purgeDeleted,
  recoverDeleted,
  resolveVault,
  type SecretInfo,
  type SecretValue,
  type SetSecretInput,
  setSecret,
  setVaultSettings,
  type UpdateSecretInput,
  updateAttributes,
  type VaultRef,
  type VaultSettings,
  type VaultSettingsInput,
} from './store.ts';

/**
 * The main listener's default port, when no running server says otherwise: the host's DEFAULT_PORT
 * (host/listener-defaults.ts), repeated because the vault layer may not import the host.
 */
export const DEFAULT_VAULT_PORT = 8443;

/** Who calls: the directory and audit log of the runtime, and the actor audit rows name. */
export interface VaultCaller {
  readonly directory: Directory;
  readonly audit: AuditLog;
  readonly dataDir: string;
  readonly actor: 'cli' | 'admin';
}

export interface VaultView extends VaultSettings {
  /** The vault resource's name. */
  name: string;
  /** Its Key Vault URL, `https://<name>.vault.localhost:<port>`. */
  url: string;
}

/** A vault's URL: the port of the running server on this data folder (server.json), else the default. */
export function vaultUrl(dataDir: string, name: string): string {
  const running = readServerInfo(dataDir)?.url;
  let port = DEFAULT_VAULT_PORT;
  if (running) {
    try {
      const p = new URL(running).port;
      if (p !== '') port = Number(p);
    } catch {
      // A server.json that does not parse says nothing about the port.
    }
  }
  return `https://${name.toLowerCase()}.vault.localhost:${port}`;
}

interface Opened {
  ref: VaultRef;
  name: string;
}

async function open(d: Directory, tenant: string, vault: string): Promise<Opened> {
  const ref = await resolveVault(d, tenant, vault);
  const resource = await d.getResource(tenant, ref.id);
  return { ref, name: resource.name };
}

/** What one audited call records: its action, and what it names after the vault. */
interface AuditedCall<T> {
  action: string;
  /** `<name>[/<version>]` as asked; the vault's name goes before it. */
  target?: string | undefined;
  /** On success, the target as the result names it (the version a read or write landed on). */
  done?: ((result: T) => string) | undefined;
}

/**
 * Runs `fn` on the vault and records one audit event for it: success, or failure with the error's code. The
 * event is durable before the caller sees the result.
 */
async function audited<T>(
  c: VaultCaller,
  tenant: string,
  vault: string,
  call: AuditedCall<T>,
  fn: (v: Opened) => Promise<T>,
): Promise<T> {
  let opened: Opened | undefined;
  const targetOf = (v: string) => (call.target === undefined ? v : `${v}/${call.target}`);
  try {
    opened = await open(c.directory, tenant, vault);
    const result = await fn(opened);
    await c.audit.record({
      plane: 'vault',
      action: call.action,
      outcome: 'success',
      tenantId: opened.ref.tenantId,
      actor: c.actor,
      target: call.done ? `${opened.name}/${call.done(result)}` : targetOf(opened.name),
    });
    return result;
  } catch (err) {
    let tenantId = opened?.ref.tenantId;
    if (tenantId === undefined) {
      try {
        tenantId = (await c.directory.getTenant(tenant)).id;
      } catch {
        // An unknown tenant: the event names none.
      }
    }
    await c.audit.record({
      plane: 'vault',
      action: call.action,
      outcome: 'failure',
      tenantId,
      actor: c.actor,
      target: targetOf(opened?.name ?? vault),
      reason: isLanyardError(err) ? err.code : 'ERR_INTERNAL',
    });
    throw err;
  }
}

const withVersion = (name: string, version: string | undefined) =>
  version === undefined ? name : `${name}/${version}`;

/** Metadata only: the value (and its validity, which only a read of the value gives) left out. */
function metadata(s: SecretValue): SecretInfo {
  const { value: _value, validity: _validity, ...info } = s;
  return info;
}

// ---- the vault ----

export async function showVault(c: VaultCaller, tenant: string, vault: string): Promise<VaultView> {
  const v = await open(c.directory, tenant, vault);
  return { name: v.name, url: vaultUrl(c.dataDir, v.name), ...(await getVaultSettings(c.directory, v.ref)) };
}

export async function updateVault(
  c: VaultCaller,
  tenant: string,
  vault: string,
  input: VaultSettingsInput,
): Promise<VaultView> {
  return audited(c, tenant, vault, { action: 'vault.update' }, async (v) => ({
    name: v.name,
    url: vaultUrl(c.dataDir, v.name),
    ...(await setVaultSettings(c.directory, v.ref, input)),
  }));
}

// ---- secrets ----

const named = (s: SecretInfo) => `${s.name}/${s.version}`;

/** Stores a new version; returns its metadata (never the value). */
export async function putSecret(
  c: VaultCaller,
  tenant: string,
  vault: string,
  name: string,
  input: SetSecretInput,
): Promise<SecretInfo> {
  return audited(c, tenant, vault, { action: 'secret.set', target: name, done: named }, async (v) =>
    metadata(await setSecret(c.directory, v.ref, name, input)),
  );
}

/** A version's metadata, without its value. */
export async function showSecret(
  c: VaultCaller,
  tenant: string,
  vault: string,
  name: string,
  version?: string,
): Promise<SecretInfo> {
  const call = { action: 'secret.show', target: withVersion(name, version), done: named };
  return audited(c, tenant, vault, call, (v) => getSecretInfo(c.directory, v.ref, name, version));
}

/** A version's value: what `--reveal` prints. Audited as `secret.get`, as Key Vault's SecretGet. */
export async function getSecretValue(
  c: VaultCaller,
  tenant: string,
  vault: string,
  name: string,
  version?: string,
): Promise<SecretValue> {
  const call = { action: 'secret.get', target: withVersion(name, version), done: named };
  return audited(c, tenant, vault, call, (v) => getSecret(c.directory, v.ref, name, version));
}

/** Every active secret's latest version (no values). */
export async function listSecretInfos(c: VaultCaller, tenant: string, vault: string): Promise<SecretInfo[]> {
  return audited(
    c,
    tenant,
    vault,
    { action: 'secret.list' },
    async (v) => (await listSecrets(c.directory, v.ref)).items,
  );
}

/** Every deleted, still recoverable secret (no values). */
export async function listDeletedSecrets(
  c: VaultCaller,
  tenant: string,
  vault: string,
): Promise<DeletedSecretInfo[]> {
  return audited(
    c,
    tenant,
    vault,
    { action: 'secret.list-deleted' },
    async (v) => (await listDeleted(c.directory, v.ref)).items,
  );
}

/** Every version of a secret, oldest first (no values). */
export async function listSecretVersions(
  c: VaultCaller,
  tenant: string,
  vault: string,
  name: string,
): Promise<SecretInfo[]> {
  return audited(
    c,
    tenant,
    vault,
    { action: 'secret.versions', target: name },
    async (v) => (await listVersions(c.directory, v.ref, name)).items,
  );
}

/** Changes a version's attributes, content type or tags (the latest when no version is given). */
export async function updateSecret(
  c: VaultCaller,
  tenant: string,
  vault: string,
  name: string,
  version: string | undefined,
  input: UpdateSecretInput,
): Promise<SecretInfo> {
  const call = { action: 'secret.update', target: withVersion(name, version), done: named };
  return audited(c, tenant, vault, call, (v) => updateAttributes(c.directory, v.ref, name, version, input));
}

export async function removeSecret(
  c: VaultCaller,
  tenant: string,
  vault: string,
  name: string,
): Promise<DeletedSecretInfo> {
  return audited(c, tenant, vault, { action: 'secret.delete', target: name }, (v) =>
    deleteSecret(c.directory, v.ref, name),
  );
}

export async function showDeletedSecret(
  c: VaultCaller,
  tenant: string,
  vault: string,
  name: string,
): Promise<DeletedSecretInfo> {
  return audited(c, tenant, vault, { action: 'secret.get-deleted', target: name }, (v) =>
    getDeleted(c.directory, v.ref, name),
  );
}

export async function recoverSecret(
  c: VaultCaller,
  tenant: string,
  vault: string,
  name: string,
): Promise<SecretInfo> {
  return audited(c, tenant, vault, { action: 'secret.recover', target: name }, (v) =>
    recoverDeleted(c.directory, v.ref, name),
  );
}

export async function purgeSecret(
  c: VaultCaller,
  tenant: string,
  vault: string,
  name: string,
): Promise<void> {
  await audited(c, tenant, vault, { action: 'secret.purge', target: name }, (v) =>
    purgeDeleted(c.directory, v.ref, name),
  );
}

/** The secret's backup blob (every version, sealed under the master key). */
export async function backup(c: VaultCaller, tenant: string, vault: string, name: string): Promise<string> {
  return audited(c, tenant, vault, { action: 'secret.backup', target: name }, (v) =>
    backupSecret(c.directory, v.ref, name),
  );
}

/** Restores a backup blob into the vault; returns the restored secret's latest version. */
export async function restore(
  c: VaultCaller,
  tenant: string,
  vault: string,
  blob: string,
): Promise<SecretInfo> {
  return audited(c, tenant, vault, { action: 'secret.restore', done: (s: SecretInfo) => s.name }, (v) =>
    restoreSecret(c.directory, v.ref, blob),
  );
}
