/**
 * @module audit/sqlite-audit-worker
 * The worker thread of `sqlite-audit-writer.ts`: one connection to the store file, one transaction per batch
 * of rows, one reply per batch. Same pragmas as the store's own connection (open-store.ts).
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerReply, WorkerRequest } from './sqlite-audit-writer.ts';

const db = new DatabaseSync((workerData as { file: string }).file);
db.exec('PRAGMA journal_mode = WAL');
db.exec('PRAGMA synchronous = FULL');
db.exec('PRAGMA busy_timeout = 5000');
const insert = db.prepare(
  `insert into audit_events (id, at, plane, action, outcome, tenant_id, actor, target, reason, details)
   values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
);

parentPort!.on('message', ({ id, rows }: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const r of rows) {
        insert.run(
          r.id,
          r.at,
          r.plane,
          r.action,
          r.outcome,
          r.tenant_id,
          r.actor,
          r.target,
          r.reason,
          r.details,
        );
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
    reply = { id };
  } catch (err) {
    reply = { id, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
