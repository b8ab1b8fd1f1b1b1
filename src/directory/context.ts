/**
 * @module directory/context
 * What every directory operation shares: the transaction type, the clock, id generation, and the version
 * bump that tells other processes on the same store that the directory changed.
 */

import { randomUUID } from 'node:crypto';
import { type CompiledQuery, type Kysely, sql } from 'kysely';
import type { Envelope } from '../crypto/envelope.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { markChanged } from '../store/change-feed.ts';
import { type AnyStoreDb, tablesOf } from '../store/handle.ts';
import type { DirectoryTables } from './tables.ts';

/** The store handle (or an open transaction) viewed as the directory's tables. */
export type Tx = Kysely<DirectoryTables>;

export interface SecretHasher {
  hash(secret: string): string;
  verify(secret: string, stored: string): boolean;
}

export interface DirectoryDeps {
  hasher: SecretHasher;
  generateSecret: () => string;
  now?: () => Date;
  /**
   * The envelope, for planes whose manifest steps run through this handle and seal values at rest (the
   * gateway's subscription keys and secret named values). The directory itself seals nothing.
   */
  envelope?: Pick<Envelope, 'seal' | 'open'> | undefined;
}

export interface OpContext {
  trx: Tx;
  deps: DirectoryDeps;
  now: Date;
  nowIso: string;
}

export const newId = (): string => randomUUID();

/**
 * Moves the directory version, inside the caller's transaction. Other planes call it too, with their own
 * handle, when a change of theirs must reach every cache keyed on the version (identity: a revoked workload).
 */
export async function bumpVersion(db: AnyStoreDb): Promise<void> {
  const trx = tablesOf<DirectoryTables>(db);
  await trx.updateTable('directory_version').set({ version: sql`version + 1` }).where('id', '=', 1).execute();
  // Running hosts (this process and others) hear of it once the transaction commits.
  await markChanged(trx, 'directory');
}

// The version is read once per event-loop turn by every cache: the query is compiled once per connection.
const versionQueries = new WeakMap<Tx, CompiledQuery<{ version: number | string }>>();

export async function directoryVersion(db: Tx): Promise<number> {
  let compiled = versionQueries.get(db);
  if (!compiled) {
    compiled = db.selectFrom('directory_version').select('version').where('id', '=', 1).compile();
    versionQueries.set(db, compiled);
  }
  const { rows } = await db.executeQuery(compiled);
  return Number(rows[0]?.version ?? 0);
}

export function notFound(what: string, ref: string, hint?: string): LanyardError {
  return new LanyardError('ERR_NOT_FOUND', `${what} "${ref}" was not found.`, {
    hint: hint ?? `List what exists with \`lanyard ${what.toLowerCase().split(' ').at(-1)} list\`.`,
    details: { kind: what, ref },
  });
}

export const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const isGuid = (s: string): boolean => GUID_RE.test(s);

/** Maps a unique-constraint failure that slipped past our checks (a race) to ERR_CONFLICT. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; errcode?: unknown; message?: unknown };
  return (
    e?.code === '23505' ||
    e?.errcode === 2067 ||
    e?.errcode === 1555 ||
    (typeof e?.message === 'string' && /UNIQUE constraint failed/.test(e.message))
  );
}
