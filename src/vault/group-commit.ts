/**
 * @module vault/group-commit
 * Runs the vault's writes with group commit: writes that arrive while a transaction is committing are run
 * together in the next one, each inside a SAVEPOINT of its own, so many concurrent writers share one COMMIT —
 * one fsync of the WAL on SQLite (`synchronous=FULL`), one WAL flush on PostgreSQL — instead of paying one each.
 *
 * - A write that throws (a refusal such as ERR_VAULT_SECRET_DELETED, or any error) is rolled back to its
 *   savepoint: none of its rows stay, only its caller is rejected, and the batch's other writes commit.
 * - Every caller, refused or not, hears back only after the shared COMMIT has returned, so a write is
 *   acknowledged only once it is durable, and a refusal is never based on a batch that then failed.
 * - If the transaction itself fails (a savepoint statement, the COMMIT), every write of the batch that had not
 *   failed on its own is rejected with that error: none of them was committed.
 * - One transaction at a time. On SQLite the store has one connection, held for the whole batch, so reads of
 *   other requests wait for the COMMIT and never see a batch's uncommitted rows; on PostgreSQL they run on other
 *   connections and see committed rows only.
 *
 * `fn` must do all its reads and writes through the Directory it is given (bound to the batch's transaction):
 * on SQLite a query through the root handle would wait for the connection the batch holds, and never get it.
 * Nor may it call `run` of the same batcher (it would wait for its own batch).
 */
import { PostgresAdapter, sql } from 'kysely';
import type { Directory } from '../directory/directory.ts';

export interface WriteBatcher {
  /** Runs `fn` in a transaction; resolves once its writes are committed and durable. */
  run<T>(fn: (d: Directory) => Promise<T>): Promise<T>;
  /** Waits for the writes in flight. */
  close(): Promise<void>;
}

export interface WriteBatcherOptions {
  /**
   * Group commit (default). `false`: each write in a transaction of its own, one after another's commit as the
   * store allows — the baseline `bench/vault/writes.ts` compares against.
   */
  group?: boolean | undefined;
  /**
   * Most writes in one transaction: bounds how long one batch holds SQLite's connection (default 256), and on
   * PostgreSQL its subtransactions (default 64, `POSTGRES_MAX_BATCH`).
   */
  maxBatch?: number | undefined;
  /** Told after each transaction that committed: how many writes it ran, and how many of them were refused. */
  onCommit?: ((batch: { writes: number; refused: number }) => void) | undefined;
}

export const DEFAULT_MAX_BATCH = 256;

interface Pending {
  fn: (d: Directory) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  /** Set inside the transaction; delivered after it ends. */
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

const SAVEPOINT = sql`savepoint vault_write`;
const RELEASE = sql`release savepoint vault_write`;
const ROLLBACK_TO = sql`rollback to savepoint vault_write`;
// PostgreSQL runs both in one round trip (a parameterless query goes as a simple query, which may hold several).
const RELEASE_THEN_SAVEPOINT = sql`release savepoint vault_write; savepoint vault_write`;

/**
 * PostgreSQL's default bound: each write's savepoint takes a subtransaction id, and past 64 in one transaction
 * (PGPROC_MAX_CACHED_SUBXIDS) every other session's snapshot must look them up in pg_subtrans while it is open.
 */
export const POSTGRES_MAX_BATCH = 64;

export function createWriteBatcher(directory: Directory, options: WriteBatcherOptions = {}): WriteBatcher {
  const onCommit = options.onCommit;
  if (options.group === false) {
    const idle: (() => void)[] = [];
    let inFlight = 0;
    return {
      run: async (fn) => {
        inFlight++;
        try {
          const value = await directory.transaction(fn);
          onCommit?.({ writes: 1, refused: 0 });
          return value;
        } finally {
          if (--inFlight === 0) for (const resolve of idle.splice(0)) resolve();
        }
      },
      close: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idle.push(r))),
    };
  }

  const postgres = directory.db.getExecutor().adapter instanceof PostgresAdapter;
  const maxBatch = Math.max(
    1,
    Math.floor(options.maxBatch ?? (postgres ? POSTGRES_MAX_BATCH : DEFAULT_MAX_BATCH)),
  );
  const pending: Pending[] = [];
  // Set from the moment a flush is scheduled until nothing is pending: one transaction in flight.
  let flushing = false;
  const drained: (() => void)[] = [];

  /** Runs a batch of two or more, each write inside its own savepoint. */
  const runBatch = (batch: Pending[]) =>
    directory.transaction(async (t) => {
      await SAVEPOINT.execute(t.db);
      for (let i = 0; i < batch.length; i++) {
        const item = batch[i]!;
        try {
          item.outcome = { ok: true, value: await item.fn(t) };
        } catch (error) {
          item.outcome = { ok: false, error };
          await ROLLBACK_TO.execute(t.db);
        }
        // The last savepoint is left to the COMMIT, which releases it.
        if (i === batch.length - 1) break;
        if (postgres) await RELEASE_THEN_SAVEPOINT.execute(t.db);
        else {
          await RELEASE.execute(t.db);
          await SAVEPOINT.execute(t.db);
        }
      }
    });

  const flush = async (): Promise<void> => {
    const batch = pending.splice(0, maxBatch);
    let committed = false;
    try {
      if (batch.length === 1) {
        // Alone, the transaction is the savepoint: a throw rolls it back, and the write costs what it did before.
        const item = batch[0]!;
        try {
          item.outcome = { ok: true, value: await directory.transaction(item.fn) };
          committed = true;
        } catch (error) {
          item.outcome = { ok: false, error };
        }
      } else {
        await runBatch(batch);
        committed = true;
      }
      for (const item of batch) {
        if (item.outcome?.ok) item.resolve(item.outcome.value);
        else item.reject(item.outcome?.error);
      }
    } catch (err) {
      // The transaction failed as a whole: nothing of this batch was committed.
      for (const item of batch) item.reject(item.outcome?.ok === false ? item.outcome.error : err);
    }
    if (committed) {
      try {
        onCommit?.({ writes: batch.length, refused: batch.filter((i) => !i.outcome?.ok).length });
      } catch {
        // An observer: its failure must not stop the next batch.
      }
    }
    // Scheduled, not called: callers just answered get to queue their next write into this next batch.
    if (pending.length > 0) setImmediate(flush);
    else {
      flushing = false;
      for (const resolve of drained.splice(0)) resolve();
    }
  };

  return {
    run<T>(fn: (d: Directory) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
        if (!flushing) {
          flushing = true;
          setImmediate(flush);
        }
      });
    },
    async close() {
      if (flushing) await new Promise<void>((resolve) => drained.push(resolve));
    },
  };
}
