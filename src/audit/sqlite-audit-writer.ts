/**
 * @module audit/sqlite-audit-writer
 * Writes audit rows to a SQLite store file from a worker thread (`sqlite-audit-worker.ts`) with its own
 * connection, so the fsync of each commit (`synchronous=FULL`) waits there and not on the event loop. The
 * two connections share the file through WAL; SQLite serialises their writes (busy_timeout on both).
 *
 * The worker keeps the process alive only while a write is in flight: a caller awaiting its row is never
 * cut off, and an idle server or CLI exits as if there were no worker.
 */
import { Worker } from 'node:worker_threads';
import type { AuditEventRow } from '../store/schema.ts';
import type { AuditRowWriter } from './audit-writer.ts';

/** Messages between this module and the worker. */
export type WorkerRequest = { id: number; rows: readonly AuditEventRow[] };
export type WorkerReply = { id: number; error?: string };

const WORKER_FILE = new URL('./sqlite-audit-worker.ts', import.meta.url);

export function sqliteAuditWriter(file: string): AuditRowWriter {
  let worker: Worker | undefined;
  let failure: Error | undefined;
  let nextId = 1;
  const waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

  const failAll = (err: Error) => {
    failure = err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const start = (): Worker => {
    const w = new Worker(WORKER_FILE, { workerData: { file } });
    w.unref();
    w.on('message', (reply: WorkerReply) => {
      const entry = waiting.get(reply.id);
      if (!entry) return;
      waiting.delete(reply.id);
      if (waiting.size === 0) w.unref();
      if (reply.error === undefined) entry.resolve();
      else entry.reject(new Error(`audit write failed: ${reply.error}`));
    });
    w.on('error', (err) => failAll(err));
    w.on('exit', (code) => {
      worker = undefined;
      if (waiting.size > 0) failAll(new Error(`the audit writer stopped (exit code ${code})`));
    });
    return w;
  };

  const inFlight = new Set<Promise<void>>();
  return {
    write(rows) {
      if (failure) return Promise.reject(failure);
      worker ??= start();
      const id = nextId++;
      const w = worker;
      const done = new Promise<void>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        w.ref();
        w.postMessage({ id, rows } satisfies WorkerRequest);
      });
      inFlight.add(done);
      const forget = () => inFlight.delete(done);
      done.then(forget, forget);
      return done;
    },
    async close() {
      const w = worker;
      if (!w) return;
      // Writes in flight finish first; each settles its own caller.
      await Promise.allSettled([...inFlight]);
      worker = undefined;
      await w.terminate();
    },
  };
}
