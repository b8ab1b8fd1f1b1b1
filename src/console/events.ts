/**
 * @module console/events
 * `GET /console/api/events`: the audit trail as server-sent events, for the console's Activity view. A stream
 * first sends the most recent matching events (`limit`, default 100, from the store), oldest first, then each
 * event this server records as it is stored (AuditLog.subscribe): `event: audit`, `id: <event id>`,
 * `data: <StoredAuditEvent JSON>`. Event ids are time-ordered (UUIDv7), so a reconnecting browser's
 * `Last-Event-ID` is honoured by sending only the stored events after it. Filters: `plane`, `outcome`,
 * `action`, `tenant`. A comment (`: ping`) every 15 s keeps proxies and the browser from giving up; a stream
 * ends (`event: end`, data `{ "reason" }`) when its session ends or the server stops. At most 32 streams are
 * open at once (503 ERR_OVERLOADED beyond). Audit events never hold a token or secret (audit/audit-log.ts).
 */
import type { ServerResponse } from 'node:http';
import type { AuditLog, AuditOutcome, StoredAuditEvent } from '../audit/audit-log.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import type { Session, SessionStore } from './sessions.ts';

export const MAX_STREAMS = 32;
export const HEARTBEAT_MS = 15_000;
export const DEFAULT_BACKLOG = 100;
/** A client that reads this far behind is dropped rather than buffered for. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface EventFilter {
  plane?: string | undefined;
  action?: string | undefined;
  outcome?: AuditOutcome | undefined;
  tenantId?: string | undefined;
}

export function matches(e: StoredAuditEvent, f: EventFilter): boolean {
  return (
    (f.plane === undefined || e.plane === f.plane) &&
    (f.action === undefined || e.action === f.action) &&
    (f.outcome === undefined || e.outcome === f.outcome) &&
    (f.tenantId === undefined || e.tenantId === f.tenantId)
  );
}

const frame = (e: StoredAuditEvent) => `event: audit\nid: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`;

interface Stream {
  readonly session: Session;
  end(reason: string): void;
}

export class EventStreams {
  readonly #audit: AuditLog;
  readonly #sessions: SessionStore;
  readonly #open = new Set<Stream>();
  #closed = false;

  constructor(audit: AuditLog, sessions: SessionStore) {
    this.#audit = audit;
    this.#sessions = sessions;
  }

  get size(): number {
    return this.#open.size;
  }

  /** Serves one stream on `res` until the client leaves, the session ends or the server stops. */
  async open(
    res: ServerResponse,
    session: Session,
    options: { filter: EventFilter; backlog: number; lastEventId?: string | undefined },
  ): Promise<void> {
    if (this.#closed) throw new LanyardError('ERR_OVERLOADED', 'Lanyard is stopping.');
    if (this.#open.size >= MAX_STREAMS) {
      throw new LanyardError('ERR_OVERLOADED', `${MAX_STREAMS} event streams are open already.`, {
        hint: 'Close a console tab, or list events with GET /admin/audit.',
      });
    }
    const { filter } = options;
    // Live events are held from now on, so none falls between the backlog read and the first live one.
    let held: StoredAuditEvent[] | undefined = [];
    let ended = false;
    let timer: NodeJS.Timeout | undefined;
    const send = (text: string) => {
      if (ended) return;
      res.write(text);
      if (res.writableLength > MAX_BUFFERED_BYTES) stream.end('slow');
    };
    const unsubscribe = this.#audit.subscribe((e) => {
      if (!matches(e, filter)) return;
      if (held) held.push(e);
      else send(frame(e));
    });
    const stream: Stream = {
      session,
      end: (reason) => {
        if (ended) return;
        if (!res.writableEnded && !res.destroyed)
          res.end(`event: end\ndata: ${JSON.stringify({ reason })}\n\n`);
        ended = true;
        cleanup();
      },
    };
    const cleanup = () => {
      ended = true;
      unsubscribe();
      if (timer) clearInterval(timer);
      this.#open.delete(stream);
    };
    this.#open.add(stream);
    res.on('close', cleanup);
    try {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Accel-Buffering': 'no',
      });
      res.write('retry: 3000\n\n');
      const stored = await this.#audit.list({
        plane: filter.plane,
        action: filter.action,
        outcome: filter.outcome,
        tenantId: filter.tenantId,
        limit: options.backlog,
      });
      const after = options.lastEventId;
      const backlog = stored.reverse().filter((e) => after === undefined || e.id > after);
      const sent = new Set<string>();
      for (const e of backlog) {
        sent.add(e.id);
        send(frame(e));
      }
      const live = held.filter((e) => !sent.has(e.id));
      held = undefined;
      for (const e of live) send(frame(e));
    } catch (err) {
      cleanup();
      if (!res.headersSent) throw err;
      res.destroy();
      return;
    }
    timer = setInterval(() => {
      if (!this.#sessions.live(session)) stream.end('session');
      else send(': ping\n\n');
    }, HEARTBEAT_MS);
    timer.unref();
  }

  /** Ends the streams of a session (signed out). */
  endFor(session: Session): void {
    for (const s of [...this.#open]) if (s.session === session) s.end('session');
  }

  /** Ends every stream; no new one opens. */
  close(): void {
    this.#closed = true;
    for (const s of [...this.#open]) s.end('stopping');
  }
}
