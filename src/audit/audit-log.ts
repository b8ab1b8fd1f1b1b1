/**
 * @module audit/audit-log
 * One audit trail for every plane: each token issued or refused, each identity-endpoint call, each proxy or
 * vault decision. An event goes to the store (queryable, shared by every node) and as one JSON log line. It
 * names who, what for, and why refused — never a token, secret or key. Events are rows of `audit_events`
 * (audit/tables.ts), the one table this folder owns; planes record and list them only through `AuditLog`.
 */
import { timeOrderedGuid } from '../crypto/random.ts';
import { type StoreDb, tablesOf } from '../store/handle.ts';
import { type AuditRowWriter, storeAuditWriter } from './audit-writer.ts';
import type { AuditEventRow, AuditTables } from './tables.ts';

export type AuditOutcome = 'success' | 'failure';

export interface AuditEvent {
  /** The plane's name as registered (src/host/planes.ts), or `admin`; the audit log knows no plane. */
  plane: string;
  /** What happened, e.g. `token.issue`, `token.refuse`, `mi.token`. */
  action: string;
  outcome: AuditOutcome;
  tenantId?: string | undefined;
  /** Who acted: a client id, principal id or workload. */
  actor?: string | undefined;
  /** What it acted on: a resource / audience, secret name … */
  target?: string | undefined;
  /** A stable reason code for refusals (e.g. `AADSTS7000215`). */
  reason?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

export interface StoredAuditEvent extends AuditEvent {
  id: string;
  at: string;
}

export interface AuditSink {
  info(obj: object, msg?: string): void;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<StoredAuditEvent>;
  /** Also write every event as a JSON log line to `sink` (the server's logger), from now on. */
  attach(sink: AuditSink): void;
  /**
   * Calls `listener` with each event this process records, once it is stored (the console's live view); returns
   * the function that stops it. Events other processes record on the same store are not seen (list them).
   */
  subscribe(listener: (event: StoredAuditEvent) => void): () => void;
  /** The newest events first (at most 1000; default 100). */
  list(filter?: {
    tenantId?: string | undefined;
    plane?: string | undefined;
    action?: string | undefined;
    outcome?: AuditOutcome | undefined;
    limit?: number | undefined;
  }): Promise<StoredAuditEvent[]>;
  /** Waits until every recorded event is written, then releases the writer. */
  close(): Promise<void>;
}

function fromRow(row: AuditEventRow): StoredAuditEvent {
  return {
    id: row.id,
    at: row.at,
    plane: row.plane as AuditEvent['plane'],
    action: row.action,
    outcome: row.outcome,
    ...(row.tenant_id === null ? {} : { tenantId: row.tenant_id }),
    ...(row.actor === null ? {} : { actor: row.actor }),
    ...(row.target === null ? {} : { target: row.target }),
    ...(row.reason === null ? {} : { reason: row.reason }),
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

export function createAuditLog(
  db: StoreDb,
  initialSink?: AuditSink,
  now: () => Date = () => new Date(),
  writer: AuditRowWriter = storeAuditWriter(db),
): AuditLog {
  let sink = initialSink;
  const listeners = new Set<(event: StoredAuditEvent) => void>();
  // Group commit: events recorded while a write is in flight are written together in the next one. Each
  // caller still waits until its own row is durable (fail-closed), but many concurrent token requests share
  // one transaction — one fsync — instead of paying one each.
  const pending: {
    stored: StoredAuditEvent;
    resolve: (e: StoredAuditEvent) => void;
    reject: (err: unknown) => void;
  }[] = [];
  // Set from the moment a flush is scheduled until it has written and nothing is pending: one write in flight.
  let flushing = false;
  const drained: (() => void)[] = [];
  const flush = async (): Promise<void> => {
    // At most 500 rows a statement: SQLite bounds the number of bound parameters.
    const batch = pending.splice(0, 500);
    try {
      await writer.write(
        batch.map(({ stored: e }) => ({
          id: e.id,
          at: e.at,
          plane: e.plane,
          action: e.action,
          outcome: e.outcome,
          tenant_id: e.tenantId ?? null,
          actor: e.actor ?? null,
          target: e.target ?? null,
          reason: e.reason ?? null,
          details: JSON.stringify(e.details ?? {}),
        })),
      );
      for (const { stored, resolve } of batch) {
        sink?.info({ audit: stored }, `${stored.plane} ${stored.action} ${stored.outcome}`);
        for (const listener of listeners) {
          try {
            listener(stored);
          } catch {
            // A listener's failure is its own: the event is stored and its caller answered regardless.
          }
        }
        resolve(stored);
      }
    } catch (err) {
      for (const { reject } of batch) reject(err);
    }
    if (pending.length > 0) setImmediate(flush);
    else {
      flushing = false;
      for (const resolve of drained.splice(0)) resolve();
    }
  };
  return {
    attach(next) {
      sink = next;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    record(event) {
      const at = now();
      // Time-ordered ids: each batch appends to the id index instead of touching a random page per row.
      const stored: StoredAuditEvent = { ...event, id: timeOrderedGuid(at.getTime()), at: at.toISOString() };
      return new Promise<StoredAuditEvent>((resolve, reject) => {
        pending.push({ stored, resolve, reject });
        if (!flushing) {
          flushing = true;
          setImmediate(flush);
        }
      });
    },
    async list(filter = {}) {
      let q = tablesOf<AuditTables>(db).selectFrom('audit_events').selectAll();
      if (filter.tenantId) q = q.where('tenant_id', '=', filter.tenantId);
      if (filter.plane) q = q.where('plane', '=', filter.plane);
      if (filter.action) q = q.where('action', '=', filter.action);
      if (filter.outcome) q = q.where('outcome', '=', filter.outcome);
      const rows = await q
        .orderBy('at', 'desc')
        .orderBy('id')
        .limit(Math.min(filter.limit ?? 100, 1000))
        .execute();
      return rows.map(fromRow);
    },
    async close() {
      if (flushing) await new Promise<void>((resolve) => drained.push(resolve));
      await writer.close();
    },
  };
}
