/**
 * @module audit/audit-writer
 * Where the audit log's batches of rows go. PostgreSQL (and an in-memory SQLite store) take them through the
 * store's own Kysely connection: those writes are already asynchronous, or cost no fsync. A SQLite file takes
 * them through `sqlite-wal-audit-writer.ts`: its own connection, whose batches are made durable by an
 * asynchronous fdatasync of the WAL, because `node:sqlite` is synchronous and with `synchronous=FULL` every
 * commit's fsync stopped the whole server — about a quarter of the token endpoint's time under load.
 */
import { type StoreDb, tablesOf } from '../store/handle.ts';
import type { AuditEventRow, AuditTables } from './tables.ts';

export interface AuditRowWriter {
  /** Resolves once every row is durable (committed), rejects when none was written. */
  write(rows: readonly AuditEventRow[]): Promise<void>;
  /** Waits for writes in flight, then releases what the writer holds. */
  close(): Promise<void>;
}

export function storeAuditWriter(db: StoreDb): AuditRowWriter {
  const events = tablesOf<AuditTables>(db);
  return {
    async write(rows) {
      await events
        .insertInto('audit_events')
        .values([...rows])
        .execute();
    },
    async close() {},
  };
}
