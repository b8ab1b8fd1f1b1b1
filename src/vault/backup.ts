/**
 * @module vault/backup
 * Backup and restore of one secret, every version, as Key Vault's BackupSecret and RestoreSecret. The blob is
 * opaque: the versions (values included) as JSON, sealed under the master key by the envelope with a fixed AAD
 * naming the kind, so it is encrypted and integrity-protected, and restorable only by a Lanyard holding that
 * master key (current or previous). Restore keeps the version ids, attributes and dates, re-seals each value
 * bound to its new place, and refuses a name the vault already holds, active or deleted.
 */

import type { Directory } from '../directory/directory.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { markChanged } from '../store/change-feed.ts';
import { checkContentType, checkInstant, checkName, checkTags, checkValue, versionKey } from './inputs.ts';
import {
  activeSecretVersion,
  deletedConflict,
  ensureVault,
  envelopeOf,
  epochOf,
  infoOf,
  type SecretInfo,
  secretRowForWrite,
  tables,
  VAULT_TOPIC,
  type VaultRef,
  valueAad,
} from './store.ts';
import type { VaultSecretVersionRow } from './tables.ts';

/** The AAD every backup is sealed with: a sealed record of another kind does not open as a backup. */
const BACKUP_AAD = 'lanyard/vault/secret-backup/v1';
const MAGIC = 'LanyardVaultSecretBackupV1.';
const KIND = 'lanyard.vault.secret-backup';

interface BackupVersion {
  version: string;
  seq: number;
  value: string;
  contentType: string | null;
  tags: Record<string, string>;
  enabled: boolean;
  nbf: number | null;
  exp: number | null;
  created: number;
  updated: number;
}

interface BackupPayload {
  kind: typeof KIND;
  v: 1;
  name: string;
  versions: BackupVersion[];
}

/** The secret's backup: an opaque base64url string (Key Vault's `{"value": …}`). */
export async function backupSecret(d: Directory, vault: VaultRef, name: string): Promise<string> {
  const envelope = envelopeOf(d);
  const { secret } = await activeSecretVersion(d.db, vault, name, undefined, epochOf(d));
  const rows = await tables(d.db)
    .selectFrom('vault_secret_versions')
    .selectAll()
    .where('resource_id', '=', vault.id)
    .where('name_key', '=', secret.name_key)
    .orderBy('seq')
    .execute();
  const payload: BackupPayload = {
    kind: KIND,
    v: 1,
    name: secret.name,
    versions: rows.map((r) => ({
      version: r.version,
      seq: r.seq,
      value: envelope.open(r.value_sealed, valueAad(vault, secret.name_key, r.version)).toString('utf8'),
      contentType: r.content_type,
      tags: JSON.parse(r.tags) as Record<string, string>,
      enabled: r.enabled === 1,
      nbf: r.nbf === null ? null : Number(r.nbf),
      exp: r.exp === null ? null : Number(r.exp),
      created: Number(r.created),
      updated: Number(r.updated),
    })),
  };
  const sealed = envelope.seal(JSON.stringify(payload), BACKUP_AAD);
  return Buffer.from(MAGIC + sealed, 'utf8').toString('base64url');
}

const instant = (n: unknown): number | null =>
  typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : null;

function invalid(reason: string, message: string): LanyardError {
  return new LanyardError('ERR_VAULT_BACKUP_INVALID', message, { details: { reason } });
}

function openBackup(d: Directory, blob: unknown): BackupPayload {
  if (typeof blob !== 'string' || !/^[A-Za-z0-9_-]+=*$/.test(blob)) {
    throw invalid('malformed', 'The backup is not a Lanyard secret backup (not base64url).');
  }
  const text = Buffer.from(blob, 'base64url').toString('utf8');
  if (!text.startsWith(MAGIC)) throw invalid('malformed', 'The backup is not a Lanyard secret backup.');
  let plain: Buffer;
  try {
    plain = envelopeOf(d).open(text.slice(MAGIC.length), BACKUP_AAD);
  } catch (err) {
    if (err instanceof LanyardError && err.code === 'ERR_DECRYPT') {
      const reason = String(err.details?.reason ?? 'tampered');
      throw invalid(
        reason,
        reason === 'unknown-key'
          ? 'The backup was made by a Lanyard with another master key; it can only be restored where that key is held.'
          : 'The backup could not be opened: it was truncated or altered.',
      );
    }
    throw err;
  }
  let payload: BackupPayload;
  try {
    payload = JSON.parse(plain.toString('utf8')) as BackupPayload;
  } catch {
    throw invalid('malformed', 'The backup holds no secret.');
  }
  if (
    payload?.kind !== KIND ||
    payload.v !== 1 ||
    !Array.isArray(payload.versions) ||
    payload.versions.length === 0
  ) {
    throw invalid('malformed', 'The backup holds no secret of a version this Lanyard reads.');
  }
  checkName(payload.name);
  return payload;
}

/** Restores a backup into `vault`; returns the latest version's metadata. */
export async function restoreSecret(d: Directory, vault: VaultRef, blob: string): Promise<SecretInfo> {
  const payload = openBackup(d, blob);
  const envelope = envelopeOf(d);
  const nameKey = payload.name.toLowerCase();
  return d.transaction(async (t) => {
    const db = t.db;
    const now = epochOf(t);
    const settings = await ensureVault(db, vault, t.clock().toISOString());
    const existing = await secretRowForWrite(db, vault, nameKey, now);
    if (existing && existing.deleted_at !== null) throw deletedConflict(existing.name);
    if (existing) {
      throw new LanyardError(
        'ERR_VAULT_SECRET_EXISTS',
        `Secret ${existing.name} already exists in this key vault; a backup is restored only under a free name.`,
        { details: { name: existing.name } },
      );
    }
    const rows: VaultSecretVersionRow[] = payload.versions.map((v, i) => {
      const version = typeof v.version === 'string' ? versionKey(v.version) : undefined;
      if (version === undefined || typeof v.enabled !== 'boolean') {
        throw invalid('malformed', 'The backup holds a version this Lanyard cannot read.');
      }
      return {
        resource_id: vault.id,
        name_key: nameKey,
        version,
        seq: i + 1,
        value_sealed: envelope.seal(checkValue(v.value), valueAad(vault, nameKey, version)),
        content_type: checkContentType(v.contentType),
        tags: JSON.stringify(checkTags(v.tags)),
        enabled: v.enabled ? 1 : 0,
        nbf: checkInstant('nbf', v.nbf),
        exp: checkInstant('exp', v.exp),
        created: instant(v.created) ?? now,
        updated: instant(v.updated) ?? now,
      };
    });
    await tables(db)
      .insertInto('vault_secrets')
      .values({
        resource_id: vault.id,
        name_key: nameKey,
        name: payload.name,
        last_seq: rows.length,
        deleted_at: null,
        scheduled_purge_at: null,
      })
      .execute();
    for (const row of rows) await tables(db).insertInto('vault_secret_versions').values(row).execute();
    await markChanged(db, VAULT_TOPIC);
    return infoOf(payload.name, rows[rows.length - 1]!, settings);
  });
}
