/**
 * @module plane/rewrap-kit
 * Re-wrapping the sealed columns of one table after a master-key rotation, for the table's owner to call
 * (crypto/sealed-records): rows are walked in primary-key order, a batch's writes in one transaction, and a
 * value is replaced only if it is still the one read, so a value written meanwhile (sealed under the current key
 * already) is never overwritten. A crash midway leaves some rows under the old key and some under the new,
 * each whole and readable by a keyring that holds both; running it again finishes the job. The table is
 * named by its owner, which is the only caller (scripts/check-tables.ts).
 */
import { type Envelope, sealedPrefix } from '../crypto/envelope.ts';
import type { RewrapOptions, RewrapProgress, SealedRecords } from '../crypto/sealed-records.ts';
import { markChanged } from '../store/change-feed.ts';
import type { AnyStoreDb } from '../store/handle.ts';

export interface SealedColumns {
  /** The owner's table. */
  readonly table: string;
  /** Its primary key, in order: rows are walked by it. */
  readonly key: readonly string[];
  /** The columns holding sealed records (a null holds none). */
  readonly sealed: readonly string[];
  /** A change-feed topic to mark when a batch re-wrapped something. */
  readonly topic?: string | undefined;
}

/** Runs `fn` in one transaction on the store. */
export type Transact = <T>(fn: (db: AnyStoreDb) => Promise<T>) => Promise<T>;

export const transactOn =
  (db: AnyStoreDb): Transact =>
  (fn) =>
    db.transaction().execute(fn);

type Row = Record<string, unknown>;

export async function rewrapColumns(
  db: AnyStoreDb,
  transact: Transact,
  spec: SealedColumns,
  envelope: Pick<Envelope, 'rewrap'>,
  options: RewrapOptions = {},
): Promise<RewrapProgress> {
  const batchSize = options.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new TypeError('batchSize must be a whole number above 0.');
  const progress: RewrapProgress = { scanned: 0, rewrapped: 0, batches: 0 };
  let cursor: Row | undefined;
  for (;;) {
    // Read before the transaction, which then only writes: on SQLite a transaction that reads and then writes
    // fails at once ("database is locked") when another process committed in between, while one that starts
    // with its write waits for the lock. The compare-and-set below makes the gap harmless.
    let q = db
      .selectFrom(spec.table)
      .select([...spec.key, ...spec.sealed])
      .limit(batchSize);
    for (const k of spec.key) q = q.orderBy(k);
    const c = cursor;
    if (c) {
      // After the cursor in key order: (k0 > c0) or (k0 = c0 and k1 > c1) or …
      q = q.where((eb) =>
        eb.or(
          spec.key.map((k, i) =>
            eb.and([...spec.key.slice(0, i).map((p) => eb(p, '=', c[p])), eb(k, '>', c[k])]),
          ),
        ),
      );
    }
    const rows = (await q.execute()) as Row[];
    const updates: { row: Row; col: string; from: string; to: string }[] = [];
    for (const row of rows) {
      for (const col of spec.sealed) {
        const from = row[col] as string | null;
        if (from === null) continue;
        const to = envelope.rewrap(from);
        if (to !== from) updates.push({ row, col, from, to });
      }
    }
    if (updates.length > 0) {
      await transact(async (trx) => {
        for (const { row, col, from, to } of updates) {
          let u = trx.updateTable(spec.table).set({ [col]: to });
          for (const k of spec.key) u = u.where(k, '=', row[k]);
          // Only if unchanged since read: a value written meanwhile is sealed under the current key already.
          await u.where(col, '=', from).execute();
        }
        if (spec.topic !== undefined) await markChanged(trx, spec.topic);
      });
    }
    progress.scanned += rows.length;
    progress.rewrapped += new Set(updates.map((u) => u.row)).size;
    progress.batches++;
    cursor = rows[rows.length - 1] ?? cursor;
    await options.afterBatch?.({ ...progress });
    if (rows.length < batchSize) return progress;
  }
}

/** Rows with a sealed column wrapped under another master key than `keyId`. */
export async function countColumnsNotUnder(
  db: AnyStoreDb,
  spec: SealedColumns,
  keyId: string,
): Promise<number> {
  const prefix = sealedPrefix(keyId);
  const row = await db
    .selectFrom(spec.table)
    .select((eb) => eb.fn.countAll().as('n'))
    .where((eb) =>
      eb.or(
        spec.sealed.map((col) =>
          eb.and([
            eb(col, 'is not', null),
            eb(eb.fn('substr', [eb.ref(col), eb.lit(1), eb.lit(prefix.length)]), '<>', prefix),
          ]),
        ),
      ),
    )
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One table's sealed columns as crypto/sealed-records sees them. */
export function sealedColumns(db: AnyStoreDb, spec: SealedColumns): SealedRecords {
  return {
    name: spec.table,
    countOther: (keyId) => countColumnsNotUnder(db, spec, keyId),
    rewrap: (envelope, options) => rewrapColumns(db, transactOn(db), spec, envelope, options),
  };
}
