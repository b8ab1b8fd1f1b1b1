/**
 * @module vault/rewrap
 * Moves every sealed secret value to the current master key after a rotation: each value's data key is
 * re-wrapped (crypto/envelope `rewrap`; the value's ciphertext and its AAD binding stay as they are). Rows are
 * walked in key order, a batch at a time, each batch in its own transaction: a crash midway leaves some rows
 * under the old key and some under the new, all readable by a keyring holding both, and running it again
 * finishes the job.
 */
import type { Envelope } from '../crypto/envelope.ts';
import type { Directory } from '../directory/directory.ts';
import { markChanged } from '../store/change-feed.ts';
import { tables, VAULT_TOPIC } from './store.ts';

export interface RewrapOptions {
  /** Rows per transaction (default 100). */
  batchSize?: number | undefined;
  /** Called after each committed batch (progress; tests use it to stop midway). */
  afterBatch?: ((progress: RewrapProgress) => void) | undefined;
}

export interface RewrapProgress {
  /** Rows looked at so far. */
  scanned: number;
  /** Rows whose value was re-wrapped so far. */
  rewrapped: number;
  batches: number;
}

export async function rewrapAll(
  d: Directory,
  envelope: Pick<Envelope, 'rewrap'>,
  options: RewrapOptions = {},
): Promise<RewrapProgress> {
  const batchSize = options.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new TypeError('batchSize must be a whole number above 0.');
  const progress: RewrapProgress = { scanned: 0, rewrapped: 0, batches: 0 };
  let cursor: { resource_id: string; name_key: string; version: string } | undefined;
  for (;;) {
    const done = await d.transaction(async (t) => {
      const db = tables(t.db);
      let q = db
        .selectFrom('vault_secret_versions')
        .select(['resource_id', 'name_key', 'version', 'value_sealed'])
        .orderBy('resource_id')
        .orderBy('name_key')
        .orderBy('version')
        .limit(batchSize);
      if (cursor) {
        const c = cursor;
        q = q.where((eb) =>
          eb.or([
            eb('resource_id', '>', c.resource_id),
            eb.and([eb('resource_id', '=', c.resource_id), eb('name_key', '>', c.name_key)]),
            eb.and([
              eb('resource_id', '=', c.resource_id),
              eb('name_key', '=', c.name_key),
              eb('version', '>', c.version),
            ]),
          ]),
        );
      }
      const rows = await q.execute();
      let changed = 0;
      for (const r of rows) {
        const next = envelope.rewrap(r.value_sealed);
        if (next === r.value_sealed) continue;
        // Only if unchanged since read: a value written meanwhile is sealed under the current key already.
        await db
          .updateTable('vault_secret_versions')
          .set({ value_sealed: next })
          .where('resource_id', '=', r.resource_id)
          .where('name_key', '=', r.name_key)
          .where('version', '=', r.version)
          .where('value_sealed', '=', r.value_sealed)
          .execute();
        changed++;
      }
      if (changed > 0) await markChanged(t.db, VAULT_TOPIC);
      progress.scanned += rows.length;
      progress.rewrapped += changed;
      const last = rows[rows.length - 1];
      if (last) cursor = { resource_id: last.resource_id, name_key: last.name_key, version: last.version };
      return rows.length < batchSize;
    });
    progress.batches++;
    options.afterBatch?.({ ...progress });
    if (done) return progress;
  }
}
