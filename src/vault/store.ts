/**
 * @module vault/store
 * Key Vault secrets at rest: versions (each value sealed under the envelope, bound to tenant, vault, name and
 * version), their attributes, the soft-delete state of each secret and the soft-delete settings of each vault.
 * The REST API builds on these functions; they take the Directory (its store handle, clock and envelope) and a
 * vault (a directory resource of kind vault, see `resolveVault`). Every write runs in one transaction (the
 * caller's, inside `directory.transaction`) and marks the change-feed topic `vault`. Refusals are
 * LanyardErrors whose codes map one to one to Key Vault's (docs/vault.md, docs/errors.md).
 *
 * A deleted secret whose scheduled purge date has passed is gone: reads skip it, and a write to its name
 * removes it first (`purgeExpired` removes them all).
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Envelope } from '../crypto/envelope.ts';
import type { Directory } from '../directory/directory.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { markChanged } from '../store/change-feed.ts';
import { type AnyStoreDb, tablesOf } from '../store/handle.ts';
import {
  badParameter,
  checkContentType,
  checkEnabled,
  checkInstant,
  checkName,
  checkRetentionDays,
  checkTags,
  checkValue,
  versionKey,
} from './inputs.ts';
import type { VaultRow, VaultSecretRow, VaultSecretVersionRow, VaultTables } from './tables.ts';

export const VAULT_TOPIC = 'vault';
export const DEFAULT_RETENTION_DAYS = 90;
const DAY = 86_400;

export const tables = (db: AnyStoreDb) => tablesOf<VaultTables>(db);

/** A vault: what the store needs of its directory resource (a `Resource` of kind vault fits). */
export interface VaultRef {
  id: string;
  tenantId: string;
}

export type RecoveryLevel =
  | 'Purgeable'
  | 'Recoverable+Purgeable'
  | 'Recoverable'
  | 'CustomizedRecoverable+Purgeable'
  | 'CustomizedRecoverable';

export interface VaultSettings {
  softDelete: boolean;
  retentionDays: number;
  purgeProtection: boolean;
  /** Key Vault's `recoveryLevel` for these settings. */
  recoveryLevel: RecoveryLevel;
  /** Key Vault's `recoverableDays`: the retention, or 0 with soft delete off. */
  recoverableDays: number;
}

export interface SecretAttributes {
  enabled: boolean;
  /** Epoch seconds, or null. */
  nbf: number | null;
  exp: number | null;
  created: number;
  updated: number;
  recoveryLevel: RecoveryLevel;
  recoverableDays: number;
}

/** A version's metadata: what lists show (never the value). */
export interface SecretInfo {
  /** The name as first written. */
  name: string;
  version: string;
  contentType: string | null;
  tags: Record<string, string>;
  attributes: SecretAttributes;
}

/** Where `now` stands against a version's nbf/exp. Informational: Key Vault serves the value either way. */
export type SecretValidity = 'valid' | 'not-yet-valid' | 'expired';

export interface SecretValue extends SecretInfo {
  value: string;
  validity: SecretValidity;
}

export interface DeletedSecretInfo extends SecretInfo {
  /** Epoch seconds. */
  deletedDate: number;
  /** Epoch seconds; null when the vault's soft delete was off and the secret is gone already. */
  scheduledPurgeDate: number | null;
}

export interface SetSecretInput {
  value: string;
  contentType?: string | null | undefined;
  tags?: Record<string, string> | null | undefined;
  enabled?: boolean | undefined;
  nbf?: number | null | undefined;
  exp?: number | null | undefined;
}

export interface UpdateSecretInput {
  contentType?: string | null | undefined;
  tags?: Record<string, string> | null | undefined;
  enabled?: boolean | undefined;
  nbf?: number | null | undefined;
  exp?: number | null | undefined;
}

export interface VaultSettingsInput {
  softDelete?: boolean | undefined;
  retentionDays?: number | undefined;
  purgeProtection?: boolean | undefined;
}

export interface PageOptions {
  /** Most items to return (default: all). */
  limit?: number | undefined;
  /** The `next` of the previous page. */
  after?: string | undefined;
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; undefined on the last. */
  next: string | undefined;
}

// ---- shared helpers ----

/** The AAD a version's value is sealed with: moved to any other row, it no longer opens. */
export const valueAad = (vault: VaultRef, nameKey: string, version: string): string =>
  `vault-secret|${vault.tenantId}|${vault.id}|${nameKey}|${version}`;

export function envelopeOf(d: Directory): Pick<Envelope, 'seal' | 'open'> {
  const envelope = d.deps.envelope;
  if (!envelope) {
    throw new LanyardError(
      'ERR_INTERNAL',
      'The vault store needs the envelope to seal secret values; this directory has none.',
      { hint: 'Open the directory through the runtime (host/runtime.ts), which gives it the envelope.' },
    );
  }
  return envelope;
}

export const epochOf = (d: Directory): number => Math.floor(d.clock().getTime() / 1000);
const num = (v: number | string): number => Number(v);
const numOrNull = (v: number | string | null): number | null => (v === null ? null : Number(v));

export function recoveryLevelOf(s: { softDelete: boolean; retentionDays: number; purgeProtection: boolean }) {
  if (!s.softDelete) return { recoveryLevel: 'Purgeable' as const, recoverableDays: 0 };
  const base = s.retentionDays === DEFAULT_RETENTION_DAYS ? 'Recoverable' : 'CustomizedRecoverable';
  const recoveryLevel = (s.purgeProtection ? base : `${base}+Purgeable`) as RecoveryLevel;
  return { recoveryLevel, recoverableDays: s.retentionDays };
}

function settingsOf(row: VaultRow | undefined): VaultSettings {
  const base = {
    softDelete: row ? row.soft_delete === 1 : true,
    retentionDays: row ? row.retention_days : DEFAULT_RETENTION_DAYS,
    purgeProtection: row ? row.purge_protection === 1 : false,
  };
  return { ...base, ...recoveryLevelOf(base) };
}

async function vaultRow(db: AnyStoreDb, vault: VaultRef): Promise<VaultRow | undefined> {
  return tables(db).selectFrom('vaults').selectAll().where('resource_id', '=', vault.id).executeTakeFirst();
}

/** The vault's settings row, created with the defaults on its first write. */
export async function ensureVault(db: AnyStoreDb, vault: VaultRef, nowIso: string): Promise<VaultSettings> {
  await tables(db)
    .insertInto('vaults')
    .values({
      resource_id: vault.id,
      tenant_id: vault.tenantId,
      soft_delete: 1,
      retention_days: DEFAULT_RETENTION_DAYS,
      purge_protection: 0,
      created_at: nowIso,
      updated_at: nowIso,
    })
    .onConflict((oc) => oc.column('resource_id').doNothing())
    .execute();
  return settingsOf(await vaultRow(db, vault));
}

export function infoOf(name: string, row: VaultSecretVersionRow, settings: VaultSettings): SecretInfo {
  return {
    name,
    version: row.version,
    contentType: row.content_type,
    tags: JSON.parse(row.tags) as Record<string, string>,
    attributes: {
      enabled: row.enabled === 1,
      nbf: numOrNull(row.nbf),
      exp: numOrNull(row.exp),
      created: num(row.created),
      updated: num(row.updated),
      recoveryLevel: settings.recoveryLevel,
      recoverableDays: settings.recoverableDays,
    },
  };
}

function deletedInfoOf(secret: VaultSecretRow, latest: VaultSecretVersionRow, settings: VaultSettings) {
  return {
    ...infoOf(secret.name, latest, settings),
    deletedDate: num(secret.deleted_at!),
    scheduledPurgeDate: numOrNull(secret.scheduled_purge_at),
  };
}

const isExpired = (row: VaultSecretRow, now: number) =>
  row.deleted_at !== null && row.scheduled_purge_at !== null && num(row.scheduled_purge_at) <= now;

/** The secret's row, or undefined when there is none or its scheduled purge has passed. */
async function secretRow(db: AnyStoreDb, vault: VaultRef, nameKey: string, now: number) {
  const row = await tables(db)
    .selectFrom('vault_secrets')
    .selectAll()
    .where('resource_id', '=', vault.id)
    .where('name_key', '=', nameKey)
    .executeTakeFirst();
  return row && !isExpired(row, now) ? row : undefined;
}

async function removeSecret(db: AnyStoreDb, vaultId: string, nameKey: string): Promise<void> {
  const t = tables(db);
  await t
    .deleteFrom('vault_secret_versions')
    .where('resource_id', '=', vaultId)
    .where('name_key', '=', nameKey)
    .execute();
  await t
    .deleteFrom('vault_secrets')
    .where('resource_id', '=', vaultId)
    .where('name_key', '=', nameKey)
    .execute();
}

/** In a write: the secret's row, after removing it if its scheduled purge has passed. */
async function secretRowForWrite(db: AnyStoreDb, vault: VaultRef, nameKey: string, now: number) {
  const row = await tables(db)
    .selectFrom('vault_secrets')
    .selectAll()
    .where('resource_id', '=', vault.id)
    .where('name_key', '=', nameKey)
    .executeTakeFirst();
  if (row && isExpired(row, now)) {
    await removeSecret(db, vault.id, nameKey);
    return undefined;
  }
  return row;
}

async function versionRow(db: AnyStoreDb, vault: VaultRef, secret: VaultSecretRow, version?: string) {
  let q = tables(db)
    .selectFrom('vault_secret_versions')
    .selectAll()
    .where('resource_id', '=', vault.id)
    .where('name_key', '=', secret.name_key);
  if (version === undefined) q = q.where('seq', '=', secret.last_seq);
  else {
    const key = versionKey(version);
    if (key === undefined) return undefined;
    q = q.where('version', '=', key);
  }
  return q.executeTakeFirst();
}

export function notFound(name: string, version?: string): LanyardError {
  const what = version === undefined ? name : `${name}/${version}`;
  return new LanyardError(
    'ERR_VAULT_SECRET_NOT_FOUND',
    `A secret with (name/id) ${what} was not found in this key vault. If you recently deleted this secret you ` +
      'may be able to recover it using the correct recovery command.',
    { details: version === undefined ? { name } : { name, version } },
  );
}

function deletedNotFound(name: string): LanyardError {
  return new LanyardError('ERR_VAULT_DELETED_SECRET_NOT_FOUND', `Deleted Secret not found: ${name}`, {
    details: { name },
  });
}

export function deletedConflict(name: string): LanyardError {
  return new LanyardError(
    'ERR_VAULT_SECRET_DELETED',
    `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this ` +
      'state, the secret can only be recovered or purged.',
    { details: { name } },
  );
}

/** An active secret and the version asked for (latest when none), or ERR_VAULT_SECRET_NOT_FOUND. */
async function activeVersion(
  db: AnyStoreDb,
  vault: VaultRef,
  name: string,
  version: string | undefined,
  now: number,
) {
  checkName(name);
  const secret = await secretRow(db, vault, name.toLowerCase(), now);
  if (!secret || secret.deleted_at !== null) throw notFound(name, version);
  const row = await versionRow(db, vault, secret, version);
  if (!row) throw notFound(name, version);
  return { secret, row };
}

function validityOf(row: VaultSecretVersionRow, now: number): SecretValidity {
  const nbf = numOrNull(row.nbf);
  const exp = numOrNull(row.exp);
  if (nbf !== null && now < nbf) return 'not-yet-valid';
  if (exp !== null && now >= exp) return 'expired';
  return 'valid';
}

// ---- vaults ----

/** The directory resource `ref` names in `tenant`, refused unless of kind vault. */
export async function resolveVault(d: Directory, tenant: string, ref: string): Promise<VaultRef> {
  const resource = await d.getResource(tenant, ref);
  if (resource.kind !== 'vault') {
    throw new LanyardError(
      'ERR_VALIDATION',
      `Resource "${resource.name}" is of kind ${resource.kind}; a key vault is a resource of kind vault.`,
      { hint: 'Name a resource of kind vault (`lanyard resource create --kind vault …`).' },
    );
  }
  return { id: resource.id, tenantId: resource.tenantId };
}

export async function getVaultSettings(d: Directory, vault: VaultRef): Promise<VaultSettings> {
  return settingsOf(await vaultRow(d.db, vault));
}

/**
 * Changes a vault's soft-delete settings. Purge protection, once on, stays on; soft delete cannot be turned
 * off while it is on. Deleted secrets keep the purge date they were given.
 */
export async function setVaultSettings(
  d: Directory,
  vault: VaultRef,
  input: VaultSettingsInput,
): Promise<VaultSettings> {
  return d.transaction(async (t) => {
    const db = t.db;
    const current = await ensureVault(db, vault, t.clock().toISOString());
    const next = {
      softDelete: input.softDelete === undefined ? current.softDelete : checkEnabled(input.softDelete),
      retentionDays:
        input.retentionDays === undefined ? current.retentionDays : checkRetentionDays(input.retentionDays),
      purgeProtection:
        input.purgeProtection === undefined ? current.purgeProtection : checkEnabled(input.purgeProtection),
    };
    if (current.purgeProtection && !next.purgeProtection) {
      throw badParameter('purgeProtection', 'Purge protection cannot be turned off once it is on.');
    }
    if (next.purgeProtection && !next.softDelete) {
      throw badParameter('softDelete', 'Soft delete cannot be off while purge protection is on.');
    }
    await tables(db)
      .updateTable('vaults')
      .set({
        soft_delete: next.softDelete ? 1 : 0,
        retention_days: next.retentionDays,
        purge_protection: next.purgeProtection ? 1 : 0,
        updated_at: t.clock().toISOString(),
      })
      .where('resource_id', '=', vault.id)
      .execute();
    await markChanged(db, VAULT_TOPIC);
    return { ...next, ...recoveryLevelOf(next) };
  });
}

// ---- active secrets ----

/** Stores a new version of the secret (creating the secret on its first) and returns it, value included. */
export async function setSecret(
  d: Directory,
  vault: VaultRef,
  name: string,
  input: SetSecretInput,
): Promise<SecretValue> {
  checkName(name);
  const value = checkValue(input.value);
  const contentType = checkContentType(input.contentType);
  const tags = checkTags(input.tags);
  const enabled = input.enabled === undefined ? true : checkEnabled(input.enabled);
  const nbf = checkInstant('nbf', input.nbf);
  const exp = checkInstant('exp', input.exp);
  const envelope = envelopeOf(d);
  const nameKey = name.toLowerCase();
  return d.transaction(async (t) => {
    const db = t.db;
    const now = epochOf(t);
    const settings = await ensureVault(db, vault, t.clock().toISOString());
    let existing = await secretRowForWrite(db, vault, nameKey, now);
    let seq = 1;
    if (!existing) {
      // A first version. Another node may be creating the same name right now: the insert then waits for it
      // and inserts nothing, and this write becomes that secret's next version instead of a key violation.
      const inserted = await tables(db)
        .insertInto('vault_secrets')
        .values({
          resource_id: vault.id,
          name_key: nameKey,
          name,
          last_seq: 1,
          deleted_at: null,
          scheduled_purge_at: null,
        })
        .onConflict((oc) => oc.columns(['resource_id', 'name_key']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
        existing = await secretRow(db, vault, nameKey, now);
        if (!existing) throw notFound(name);
      }
    }
    if (existing) {
      if (existing.deleted_at !== null) throw deletedConflict(existing.name);
      // Incremented in place: a concurrent writer waits on the row lock and takes the next number.
      await tables(db)
        .updateTable('vault_secrets')
        .set({ last_seq: sql<number>`last_seq + 1` })
        .where('resource_id', '=', vault.id)
        .where('name_key', '=', nameKey)
        .execute();
      seq = (await secretRow(db, vault, nameKey, now))!.last_seq;
    }
    const version = randomBytes(16).toString('hex');
    const row: VaultSecretVersionRow = {
      resource_id: vault.id,
      name_key: nameKey,
      version,
      seq,
      value_sealed: envelope.seal(value, valueAad(vault, nameKey, version)),
      content_type: contentType,
      tags: JSON.stringify(tags),
      enabled: enabled ? 1 : 0,
      nbf,
      exp,
      created: now,
      updated: now,
    };
    await tables(db).insertInto('vault_secret_versions').values(row).execute();
    await markChanged(db, VAULT_TOPIC);
    return { ...infoOf(existing?.name ?? name, row, settings), value, validity: validityOf(row, now) };
  });
}

/** What a get reads: an active secret, the version asked for, and the vault's settings. */
export interface SecretRows {
  readonly secret: VaultSecretRow;
  readonly row: VaultSecretVersionRow;
  readonly settings: VaultSettings;
}

/**
 * The rows of an active secret's version (the latest when `version` is undefined), or ERR_VAULT_SECRET_NOT_FOUND.
 * Found rows do not depend on `now` (only a deleted secret's purge date does): vault/read-cache.ts keeps them
 * until the next vault write.
 */
export async function readSecretRows(
  db: AnyStoreDb,
  vault: VaultRef,
  name: string,
  version: string | undefined,
  now: number,
): Promise<SecretRows> {
  const { secret, row } = await activeVersion(db, vault, name, version, now);
  return { secret, row, settings: settingsOf(await vaultRow(db, vault)) };
}

/**
 * A version's value (the latest when `version` is undefined). Refused with ERR_VAULT_SECRET_DISABLED when the
 * version is disabled; outside its nbf/exp window it is served, with `validity` saying so (as Key Vault).
 * `rows` reads the rows (the API passes a cache's, vault/read-cache.ts).
 */
export async function getSecret(
  d: Directory,
  vault: VaultRef,
  name: string,
  version?: string,
  rows: typeof readSecretRows = readSecretRows,
): Promise<SecretValue> {
  const now = epochOf(d);
  const { secret, row, settings } = await rows(d.db, vault, name, version, now);
  if (row.enabled !== 1) {
    throw new LanyardError(
      'ERR_VAULT_SECRET_DISABLED',
      'Operation get is not allowed on a disabled secret.',
      {
        details: { name: secret.name, version: row.version },
      },
    );
  }
  const value = envelopeOf(d)
    .open(row.value_sealed, valueAad(vault, secret.name_key, row.version))
    .toString('utf8');
  return { ...infoOf(secret.name, row, settings), value, validity: validityOf(row, now) };
}

/** A version's metadata without its value (disabled versions included). */
export async function getSecretInfo(
  d: Directory,
  vault: VaultRef,
  name: string,
  version?: string,
): Promise<SecretInfo> {
  const { secret, row } = await activeVersion(d.db, vault, name, version, epochOf(d));
  return infoOf(secret.name, row, settingsOf(await vaultRow(d.db, vault)));
}

const pageOf = <T>(items: T[], limit: number | undefined, key: (t: T) => string): Page<T> => {
  if (limit === undefined || items.length <= limit) return { items, next: undefined };
  const page = items.slice(0, limit);
  return { items: page, next: key(page[page.length - 1]!) };
};

function checkLimit(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isInteger(limit) || limit < 1)
    throw badParameter('maxresults', 'The page size must be a whole number above 0.');
  return limit;
}

/** Each secret of the vault joined with its latest version (the lists of active and of deleted secrets). */
function latestVersions(db: AnyStoreDb, vault: VaultRef) {
  return tables(db)
    .selectFrom('vault_secrets as s')
    .innerJoin('vault_secret_versions as v', (j) =>
      j
        .onRef('v.resource_id', '=', 's.resource_id')
        .onRef('v.name_key', '=', 's.name_key')
        .onRef('v.seq', '=', 's.last_seq'),
    )
    .selectAll('v')
    .where('s.resource_id', '=', vault.id);
}

/** The latest version of every active secret, by name (no values). `next` is a name key. */
export async function listSecrets(
  d: Directory,
  vault: VaultRef,
  options: PageOptions = {},
): Promise<Page<SecretInfo>> {
  const limit = checkLimit(options.limit);
  let q = latestVersions(d.db, vault)
    .select('s.name as secret_name')
    .where('s.deleted_at', 'is', null)
    .orderBy('s.name_key');
  if (options.after !== undefined) q = q.where('s.name_key', '>', options.after);
  if (limit !== undefined) q = q.limit(limit + 1);
  const rows = await q.execute();
  const settings = settingsOf(await vaultRow(d.db, vault));
  return pageOf(
    rows.map((r) => infoOf(r.secret_name, r, settings)),
    limit,
    (i) => i.name.toLowerCase(),
  );
}

/** Every version of an active secret, oldest first (no values). `next` is a sequence number. */
export async function listVersions(
  d: Directory,
  vault: VaultRef,
  name: string,
  options: PageOptions = {},
): Promise<Page<SecretInfo>> {
  checkName(name);
  const limit = checkLimit(options.limit);
  const secret = await secretRow(d.db, vault, name.toLowerCase(), epochOf(d));
  if (!secret || secret.deleted_at !== null) throw notFound(name);
  let q = tables(d.db)
    .selectFrom('vault_secret_versions')
    .selectAll()
    .where('resource_id', '=', vault.id)
    .where('name_key', '=', secret.name_key)
    .orderBy('seq');
  if (options.after !== undefined) {
    const after = Number(options.after);
    if (!Number.isInteger(after)) throw badParameter('after', 'The page cursor is not one this vault gave.');
    q = q.where('seq', '>', after);
  }
  if (limit !== undefined) q = q.limit(limit + 1);
  const rows = await q.execute();
  const settings = settingsOf(await vaultRow(d.db, vault));
  const page = pageOf(rows, limit, (r) => String(r.seq));
  return { items: page.items.map((r) => infoOf(secret.name, r, settings)), next: page.next };
}

/** Changes a version's attributes, content type or tags (the latest when `version` is undefined); the value stays. */
export async function updateAttributes(
  d: Directory,
  vault: VaultRef,
  name: string,
  version: string | undefined,
  input: UpdateSecretInput,
): Promise<SecretInfo> {
  const patch: Partial<VaultSecretVersionRow> = {};
  if (input.contentType !== undefined) patch.content_type = checkContentType(input.contentType);
  if (input.tags !== undefined) patch.tags = JSON.stringify(checkTags(input.tags));
  if (input.enabled !== undefined) patch.enabled = checkEnabled(input.enabled) ? 1 : 0;
  if (input.nbf !== undefined) patch.nbf = checkInstant('nbf', input.nbf);
  if (input.exp !== undefined) patch.exp = checkInstant('exp', input.exp);
  return d.transaction(async (t) => {
    const db = t.db;
    const now = epochOf(t);
    const { secret, row } = await activeVersion(db, vault, name, version, now);
    const next = { ...row, ...patch, updated: now };
    await tables(db)
      .updateTable('vault_secret_versions')
      .set({ ...patch, updated: now })
      .where('resource_id', '=', vault.id)
      .where('name_key', '=', secret.name_key)
      .where('version', '=', row.version)
      .execute();
    await markChanged(db, VAULT_TOPIC);
    return infoOf(secret.name, next, settingsOf(await vaultRow(db, vault)));
  });
}

// ---- soft delete ----

/**
 * Deletes a secret, every version. With the vault's soft delete on it becomes deleted and recoverable until
 * now + the retention; with it off it is removed at once (`scheduledPurgeDate` null).
 */
export async function deleteSecret(d: Directory, vault: VaultRef, name: string): Promise<DeletedSecretInfo> {
  checkName(name);
  return d.transaction(async (t) => {
    const db = t.db;
    const now = epochOf(t);
    const { secret, row } = await activeVersion(db, vault, name, undefined, now);
    const settings = settingsOf(await vaultRow(db, vault));
    if (!settings.softDelete) {
      await removeSecret(db, vault.id, secret.name_key);
      await markChanged(db, VAULT_TOPIC);
      return { ...infoOf(secret.name, row, settings), deletedDate: now, scheduledPurgeDate: null };
    }
    const scheduled = now + settings.retentionDays * DAY;
    await tables(db)
      .updateTable('vault_secrets')
      .set({ deleted_at: now, scheduled_purge_at: scheduled })
      .where('resource_id', '=', vault.id)
      .where('name_key', '=', secret.name_key)
      .execute();
    await markChanged(db, VAULT_TOPIC);
    return { ...infoOf(secret.name, row, settings), deletedDate: now, scheduledPurgeDate: scheduled };
  });
}

async function deletedSecret(db: AnyStoreDb, vault: VaultRef, name: string, now: number) {
  checkName(name);
  const secret = await secretRow(db, vault, name.toLowerCase(), now);
  if (!secret || secret.deleted_at === null) throw deletedNotFound(name);
  const latest = (await versionRow(db, vault, secret))!;
  return { secret, latest };
}

export async function getDeleted(d: Directory, vault: VaultRef, name: string): Promise<DeletedSecretInfo> {
  const { secret, latest } = await deletedSecret(d.db, vault, name, epochOf(d));
  return deletedInfoOf(secret, latest, settingsOf(await vaultRow(d.db, vault)));
}

/** Every deleted, still recoverable secret, by name (latest version's metadata). `next` is a name key. */
export async function listDeleted(
  d: Directory,
  vault: VaultRef,
  options: PageOptions = {},
): Promise<Page<DeletedSecretInfo>> {
  const limit = checkLimit(options.limit);
  let q = latestVersions(d.db, vault)
    .select(['s.name as secret_name', 's.last_seq', 's.deleted_at', 's.scheduled_purge_at'])
    .where('s.deleted_at', 'is not', null)
    .where((eb) =>
      eb.or([eb('s.scheduled_purge_at', 'is', null), eb('s.scheduled_purge_at', '>', epochOf(d))]),
    )
    .orderBy('s.name_key');
  if (options.after !== undefined) q = q.where('s.name_key', '>', options.after);
  if (limit !== undefined) q = q.limit(limit + 1);
  const rows = await q.execute();
  const settings = settingsOf(await vaultRow(d.db, vault));
  const items = rows.map((r) =>
    deletedInfoOf(
      {
        resource_id: r.resource_id,
        name_key: r.name_key,
        name: r.secret_name,
        last_seq: r.last_seq,
        deleted_at: r.deleted_at,
        scheduled_purge_at: r.scheduled_purge_at,
      },
      r,
      settings,
    ),
  );
  return pageOf(items, limit, (i) => i.name.toLowerCase());
}

/** Brings a deleted secret back, every version; returns its latest version's metadata. */
export async function recoverDeleted(d: Directory, vault: VaultRef, name: string): Promise<SecretInfo> {
  return d.transaction(async (t) => {
    const db = t.db;
    const now = epochOf(t);
    await secretRowForWrite(db, vault, checkName(name).toLowerCase(), now);
    const { secret, latest } = await deletedSecret(db, vault, name, now);
    await tables(db)
      .updateTable('vault_secrets')
      .set({ deleted_at: null, scheduled_purge_at: null })
      .where('resource_id', '=', vault.id)
      .where('name_key', '=', secret.name_key)
      .execute();
    await markChanged(db, VAULT_TOPIC);
    return infoOf(secret.name, latest, settingsOf(await vaultRow(db, vault)));
  });
}

/**
 * Removes a deleted secret for good. Refused with ERR_VAULT_PURGE_PROTECTED while the vault has purge
 * protection and the secret's scheduled purge date has not come.
 */
export async function purgeDeleted(d: Directory, vault: VaultRef, name: string): Promise<void> {
  await d.transaction(async (t) => {
    const db = t.db;
    const now = epochOf(t);
    const { secret } = await deletedSecret(db, vault, name, now);
    const settings = settingsOf(await vaultRow(db, vault));
    if (
      settings.purgeProtection &&
      secret.scheduled_purge_at !== null &&
      num(secret.scheduled_purge_at) > now
    ) {
      throw new LanyardError(
        'ERR_VAULT_PURGE_PROTECTED',
        `Secret ${secret.name} cannot be purged: the vault has purge protection, and the secret is kept until ` +
          `its scheduled purge date (${new Date(num(secret.scheduled_purge_at) * 1000).toISOString()}).`,
        { details: { name: secret.name, scheduledPurgeDate: num(secret.scheduled_purge_at) } },
      );
    }
    await removeSecret(db, vault.id, secret.name_key);
    await markChanged(db, VAULT_TOPIC);
  });
}

/** Removes every deleted secret (of one vault, or all) whose scheduled purge date has passed; returns how many. */
export async function purgeExpired(d: Directory, vault?: VaultRef): Promise<number> {
  return d.transaction(async (t) => {
    const db = t.db;
    let q = tables(db)
      .selectFrom('vault_secrets')
      .select(['resource_id', 'name_key'])
      .where('deleted_at', 'is not', null)
      .where('scheduled_purge_at', '<=', epochOf(t));
    if (vault) q = q.where('resource_id', '=', vault.id);
    const rows = await q.execute();
    for (const r of rows) await removeSecret(db, r.resource_id, r.name_key);
    if (rows.length > 0) await markChanged(db, VAULT_TOPIC);
    return rows.length;
  });
}

// For backup.ts: the rows of one active secret, and the check a restore makes before writing.
export { activeVersion as activeSecretVersion, secretRowForWrite, settingsOf, vaultRow };
