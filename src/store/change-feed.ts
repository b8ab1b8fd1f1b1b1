/**
 * @module store/change-feed
 * How a running Lanyard learns that another process (the CLI, another node) committed a change: each plane
 * calls `markChanged(trx, topic)` inside the transaction that writes, and every process subscribed to that
 * topic hears of it once the transaction commits.
 *
 * - SQLite: a `change_versions` row per topic, incremented by the write; subscribers poll the table (one
 *   indexed read of a few rows every 250 ms), so a change is seen within a quarter second.
 * - PostgreSQL: the same row, plus `pg_notify` in the writing transaction (PostgreSQL delivers it only on
 *   commit, never on rollback) on a channel per schema; one dedicated connection LISTENs. The table is also
 *   read every 5 s and after every reconnect, so a notification lost while disconnected is still applied.
 */
import { createHash } from 'node:crypto';
import { type CompiledQuery, type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';
import pg from 'pg';
import { type AnyStoreDb, type StoreDb, tablesOf } from './handle.ts';

/** The store's own table: a version per topic. */
export interface ChangeVersionsTable {
  topic: string;
  /** bigint: PostgreSQL returns it as a string. */
  version: number | string;
}

export interface ChangeFeedTables {
  change_versions: ChangeVersionsTable;
}

/** The store's own migration: the version table every topic uses. */
export const CHANGE_FEED_MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0005-change-feed': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('change_versions')
        .addColumn('topic', 'text', (c) => c.primaryKey())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('change_versions').execute();
    },
  },
};

export type ChangeListener = (topic: string) => void;

export interface ChangeFeed {
  /** Calls `listener(topic)` after each commit that changed one of `topics`. Returns the unsubscribe. */
  subscribe(topics: readonly string[], listener: ChangeListener): () => void;
  close(): Promise<void>;
}

const TOPIC = /^[a-z][a-z0-9-]{0,40}$/;

/**
 * The notification channel of a PostgreSQL schema. Channel names are identifiers (at most 63 bytes), schema
 * names may be that long too: the channel carries a digest of the schema instead. The SQL in markChanged
 * computes the same name from `current_schema()`.
 */
export function channelFor(schema: string): string {
  return `lanyard_${createHash('md5').update(schema).digest('hex').slice(0, 16)}`;
}

/** Records, inside the caller's transaction, that `topic` changed; subscribers hear of it after the commit. */
export async function markChanged(db: AnyStoreDb, topic: string): Promise<void> {
  if (!TOPIC.test(topic)) throw new TypeError(`Change topic "${topic}" is not a lower-case name.`);
  const trx = tablesOf<ChangeFeedTables>(db);
  await trx
    .insertInto('change_versions')
    .values({ topic, version: 1 })
    .onConflict((oc) => oc.column('topic').doUpdateSet({ version: sql`change_versions.version + 1` }))
    .execute();
  // A capability of the dialect, not a setting: only PostgreSQL can notify other connections.
  if (trx.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`select pg_notify('lanyard_' || left(md5(current_schema()), 16), ${topic})`.execute(trx);
  }
}

/** The version read, compiled once per store: a poll runs it four times a second for as long as Lanyard runs. */
const versionQueries = new WeakMap<StoreDb, CompiledQuery<{ topic: string; version: number | string }>>();

/** Every topic's version now (a topic never changed is absent). */
export async function readVersions(db: StoreDb): Promise<Map<string, string>> {
  let query = versionQueries.get(db);
  if (!query) {
    query = tablesOf<ChangeFeedTables>(db)
      .selectFrom('change_versions')
      .select(['topic', 'version'])
      .compile();
    versionQueries.set(db, query);
  }
  const { rows } = await db.executeQuery(query);
  return new Map(rows.map((r) => [r.topic, String(r.version)]));
}

/** The part both dialects share: subscribers, and the comparison of versions read against those last seen. */
class Subscribers {
  readonly #listeners = new Set<{ topics: ReadonlySet<string>; listener: ChangeListener }>();
  #seen: Map<string, string> | undefined;

  get empty(): boolean {
    return this.#listeners.size === 0;
  }

  add(topics: readonly string[], listener: ChangeListener): () => void {
    const entry = { topics: new Set(topics), listener };
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  emit(topic: string): void {
    for (const { topics, listener } of this.#listeners) {
      if (!topics.has(topic)) continue;
      try {
        listener(topic);
      } catch {
        // A listener's failure is its own (it logs); the others still hear of the change.
      }
    }
  }

  /** Emits every topic whose version moved since the last read; the first read only sets the baseline. */
  compare(versions: Map<string, string>): void {
    const before = this.#seen;
    this.#seen = versions;
    if (!before) return;
    for (const [topic, version] of versions) if (before.get(topic) !== version) this.emit(topic);
  }

  /** Forgets what it saw (a new baseline at the next read). */
  reset(): void {
    this.#seen = undefined;
  }
}

/** A feed that reads the version table every `intervalMs` while anyone is subscribed. */
export function pollingChangeFeed(db: StoreDb, intervalMs = 250): ChangeFeed {
  const subs = new Subscribers();
  let timer: NodeJS.Timeout | undefined;
  let reading = false;
  let closed = false;
  const poll = async () => {
    if (reading || closed) return;
    reading = true;
    try {
      subs.compare(await readVersions(db));
    } catch {
      // The store is closing or briefly unavailable: the next tick tries again.
    } finally {
      reading = false;
    }
  };
  return {
    subscribe(topics, listener) {
      const off = subs.add(topics, listener);
      if (!timer && !closed) {
        void poll();
        timer = setInterval(poll, intervalMs);
        timer.unref();
      }
      return () => {
        off();
        if (subs.empty && timer) {
          clearInterval(timer);
          timer = undefined;
          subs.reset();
        }
      };
    },
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

export interface PgFeedOptions {
  /** The connection string (without Lanyard's `schema` parameter). */
  connectionString: string;
  /** The channel name: one per schema, so stores sharing a database do not hear each other. */
  channel: string;
  /** How often the table is read anyway, for notifications lost while disconnected. Default 5 s. */
  safetyPollMs?: number | undefined;
}

/** PostgreSQL: LISTEN on one dedicated connection, reconnecting with backoff; a slow poll as a safety net. */
export function pgNotifyChangeFeed(db: StoreDb, o: PgFeedOptions): ChangeFeed {
  const subs = new Subscribers();
  let client: pg.Client | undefined;
  let closed = false;
  let poller: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let backoff = 250;
  const reread = async () => {
    try {
      subs.compare(await readVersions(db));
    } catch {
      // Retried by the next poll.
    }
  };
  const connect = async () => {
    if (closed || client) return;
    const c = new pg.Client({ connectionString: o.connectionString });
    client = c;
    const lost = () => {
      if (client !== c) return;
      client = undefined;
      c.end().catch(() => {});
      if (!closed && !subs.empty) {
        retry = setTimeout(() => void connect(), backoff);
        retry.unref();
        backoff = Math.min(backoff * 2, 5_000);
      }
    };
    c.on('error', lost);
    c.on('end', lost);
    c.on('notification', (n) => {
      // The version table is the truth: a notification is a prompt to read it (and to skip duplicates).
      if (n.channel === o.channel) void reread();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(o.channel)}`);
      backoff = 250;
      await reread();
    } catch {
      lost();
    }
  };
  return {
    subscribe(topics, listener) {
      const off = subs.add(topics, listener);
      if (!poller && !closed) {
        void reread().then(connect);
        poller = setInterval(() => void reread(), o.safetyPollMs ?? 5_000);
        poller.unref();
      }
      return () => {
        off();
        if (!subs.empty) return;
        if (poller) clearInterval(poller);
        poller = undefined;
        if (retry) clearTimeout(retry);
        const c = client;
        client = undefined;
        c?.end().catch(() => {});
        subs.reset();
      };
    },
    async close() {
      closed = true;
      if (poller) clearInterval(poller);
      if (retry) clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
