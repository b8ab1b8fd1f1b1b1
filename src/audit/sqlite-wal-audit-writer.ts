/**
 * @module audit/sqlite-wal-audit-writer
 * Writes audit rows to a SQLite store file on the event loop, through a connection of its own with
 * `synchronous=NORMAL`, and makes each batch durable with an asynchronous `fdatasync` of the WAL file on the
 * libuv pool before any caller is told its row is stored.
 *
 * Why: in WAL mode a commit is durable once the WAL frames it appended are on disk. `synchronous=FULL` gets
 * there by fsyncing inside COMMIT — on the event loop, since `node:sqlite` is synchronous — which stopped the
 * server for every batch. NORMAL appends the frames without syncing (SQLite still syncs the WAL before each
 * checkpoint and its header when the file is reused); syncing the WAL file ourselves right after COMMIT, off
 * the event loop, gives each acknowledged batch the same durability as FULL without the stall, and without the
 * cross-thread hand-offs a worker thread costs (measured: about half of that writer's cost per row).
 *
 * The INSERT is one prepared `node:sqlite` statement, but its text is not written here: Kysely compiles it
 * once from the first row written (`compileAuditInsert`), so `audit_events`' columns are named only by the
 * table's type (audit/tables.ts) and the rows the audit log builds, and the statement reads exactly as the
 * store's own writer would send it.
 */
import fs from 'node:fs';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import {
  DummyDriver,
  InsertQueryNode,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import type { AuditRowWriter } from './audit-writer.ts';
import type { AuditEventRow, AuditTables } from './tables.ts';

/** Kysely as a SQLite query compiler only: it never connects (the dummy driver), it writes SQL text. */
const compiler = new Kysely<AuditTables>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

export interface AuditInsert {
  /** `insert into "audit_events" (…) values (?, …)`, one row. */
  readonly sql: string;
  /** The row's columns in the order of the statement's parameters. */
  readonly columns: readonly (keyof AuditEventRow)[];
}

/**
 * The one-row INSERT of `audit_events`, compiled by Kysely from `row` (any row will do: every `AuditEventRow`
 * has every column, and only their names are kept), with the order in which to bind a row's values.
 */
export function compileAuditInsert(row: AuditEventRow): AuditInsert {
  const compiled = compiler.insertInto('audit_events').values(row).compile();
  const columns = InsertQueryNode.is(compiled.query)
    ? (compiled.query.columns ?? []).map((c) => c.column.name as keyof AuditEventRow)
    : [];
  // The parameters must be the row's values, column by column: anything else would bind a value to the wrong column.
  if (
    columns.length === 0 ||
    columns.length !== compiled.parameters.length ||
    columns.some((c, i) => compiled.parameters[i] !== row[c])
  ) {
    throw new Error(`unexpected INSERT compiled for audit_events: ${compiled.sql}`);
  }
  return { sql: compiled.sql, columns };
}

export function sqliteWalAuditWriter(file: string): AuditRowWriter {
  let db: DatabaseSync | undefined;
  let insert: StatementSync | undefined;
  let columns: readonly (keyof AuditEventRow)[] = [];
  /** One row's parameters, refilled for each row (no array per row). */
  let args: SQLInputValue[] = [];
  let walFd: number | undefined;
  const inFlight = new Set<Promise<void>>();

  const open = (first: AuditEventRow) => {
    const compiled = compileAuditInsert(first);
    db = new DatabaseSync(file);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA busy_timeout = 5000');
    insert = db.prepare(compiled.sql);
    columns = compiled.columns;
    args = new Array<SQLInputValue>(columns.length).fill(null);
  };
  const syncWal = () =>
    new Promise<void>((resolve, reject) => {
      // The WAL exists once this connection has written in WAL mode; it stays in place while connections are
      // open (SQLite truncates or rewrites it, never replaces it), so one descriptor serves for the writer's life.
      walFd ??= fs.openSync(`${file}-wal`, 'r+');
      fs.fdatasync(walFd, (err) => (err ? reject(err) : resolve()));
    });

  return {
    write(rows) {
      let done: Promise<void>;
      try {
        if (rows.length === 0) return Promise.resolve();
        if (!db) open(rows[0]!);
        db!.exec('BEGIN IMMEDIATE');
        try {
          for (const r of rows) {
            for (let i = 0; i < columns.length; i++) args[i] = r[columns[i]!];
            insert!.run(...args);
          }
          db!.exec('COMMIT');
        } catch (err) {
          db!.exec('ROLLBACK');
          throw err;
        }
        done = syncWal().catch((err: Error) => {
          throw new Error(`audit write failed: the WAL could not be synced (${err.message})`);
        });
      } catch (err) {
        done = Promise.reject(new Error(`audit write failed: ${(err as Error).message}`));
      }
      inFlight.add(done);
      const forget = () => inFlight.delete(done);
      done.then(forget, forget);
      return done;
    },
    async close() {
      await Promise.allSettled([...inFlight]);
      if (walFd !== undefined) fs.closeSync(walFd);
      walFd = undefined;
      db?.close();
      db = undefined;
    },
  };
}
