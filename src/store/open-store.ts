/**
 * @module store/open-store
 * Opens the one store every plane shares: SQLite (embedded default, a file in the data folder) or PostgreSQL
 * (many Lanyard nodes on one database). Runs the planes' migrations before handing the store out. Its handle
 * is typed with no tables: each plane reads and writes its own through a typed view (store/handle.ts).
 *
 * Locations:
 * - `sqlite:<path>`, a bare path, or nothing (→ `<dataDir>/lanyard.db`); `sqlite::memory:` for a throwaway store.
 * - `postgres://user@host:port/db[?schema=name]` (also `postgresql://`); `schema` selects where the tables
 *   live (default `public`), so several Lanyards or test runs can share a database without colliding.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, type Migration, sql } from 'kysely';
import pg from 'pg';
import { LanyardError } from '../errors/lanyard-error.ts';
import { createPrivateFile, type ModeChange, tighten } from '../files/file-modes.ts';
import {
  CHANGE_FEED_MIGRATIONS,
  type ChangeFeed,
  channelFor,
  pgNotifyChangeFeed,
  pollingChangeFeed,
} from './change-feed.ts';
import type { NoTables, StoreDb } from './handle.ts';
import { migrateToLatest } from './migrate.ts';
import { SchemaScopedPostgresDialect } from './pg-scoped-dialect.ts';
import { createNodeSqliteDialect } from './sqlite-dialect.ts';

export type StoreDialect = 'sqlite' | 'postgres';

export interface Store {
  /** The one handle, typed with no tables: each plane views it as its own (store/handle.ts). */
  readonly db: StoreDb;
  readonly dialect: StoreDialect;
  /** Human-readable location with any password removed, for logs and `lanyard status`. */
  readonly location: string;
  /** The SQLite database file; undefined for PostgreSQL and an in-memory SQLite store. */
  readonly sqliteFile: string | undefined;
  /** PostgreSQL schema name; undefined on SQLite. */
  readonly schema: string | undefined;
  /** Migrations run by this open (empty when the schema was already current). */
  readonly migrated: readonly string[];
  /** Commits of other processes (and this one), by topic (store/change-feed.ts). */
  readonly changes: ChangeFeed;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** A store location as described in the module comment. Empty → SQLite in `dataDir`. */
  location?: string | undefined;
  dataDir: string;
  /** Every plane's migrations (the host collects them from the plane registry), run before the store is handed out. */
  migrations: Readonly<Record<string, Migration>>;
  /** Told of each SQLite file found readable by other users and tightened to 0600 (the caller warns once). */
  onModeChange?: ((change: ModeChange) => void) | undefined;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function describeLocation(location: string): string {
  if (!/^postgres(ql)?:\/\//i.test(location)) return location;
  const url = new URL(location);
  if (url.password) url.password = '***';
  return url.toString();
}

export function resolveStoreLocation(location: string | undefined, dataDir: string): string {
  if (location === undefined || location === '') return `sqlite:${path.join(dataDir, 'lanyard.db')}`;
  if (/^postgres(ql)?:\/\//i.test(location) || location.startsWith('sqlite:')) return location;
  return `sqlite:${location}`;
}

/** The SQLite store's files: the database, its WAL and shared-memory index, a rollback journal. */
const sqliteFiles = (file: string) => ['', '-wal', '-shm', '-journal'].map((suffix) => `${file}${suffix}`);

/**
 * The store's files are 0600 (docs/security.md, "Data at rest"): an existing one readable by others is
 * tightened, a new database is created 0600 before SQLite opens it — SQLite gives the WAL and shared-memory
 * files it creates later the database's own mode.
 */
function securePrivateSqlite(file: string, onModeChange: ((change: ModeChange) => void) | undefined): void {
  for (const f of sqliteFiles(file)) {
    const change = tighten(f, 'file');
    if (change) onModeChange?.(change);
  }
}

async function openSqlite(
  file: string,
  onModeChange: ((change: ModeChange) => void) | undefined,
): Promise<StoreDb> {
  const onDisk = file !== ':memory:' && file !== '';
  let raw: DatabaseSync;
  try {
    if (onDisk) {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
      securePrivateSqlite(file, onModeChange);
      createPrivateFile(file);
    }
    raw = new DatabaseSync(file);
  } catch (err) {
    throw new LanyardError(
      'ERR_STORE_CONFIG',
      `Cannot open the SQLite store at ${file}: ${(err as Error).message}`,
      {
        cause: err,
        hint: 'Check that the data folder exists and is writable, or choose another with --data-dir.',
      },
    );
  }
  // WAL lets readers run beside the writer; FULL makes every commit durable across power loss (docs/security.md, "Store durability").
  raw.exec('PRAGMA journal_mode = WAL');
  raw.exec('PRAGMA synchronous = FULL');
  raw.exec('PRAGMA foreign_keys = ON');
  raw.exec('PRAGMA busy_timeout = 5000');
  return new Kysely<NoTables>({ dialect: createNodeSqliteDialect(raw) });
}

/**
 * Errors a migration may hit through no fault of its own on a shared PostgreSQL database, and that another try
 * settles: several processes starting on one schema at once (lanyard up and the programs it starts) trip over
 * each other's catalogue reads (ERR_STORE_MIGRATION), or a catalogue read may meet another schema being
 * dropped ("schema … does not exist", 3F000; a catalogue cache miss, XX000) — pg-scoped-dialect.ts keeps
 * Lanyard's own reads out of other schemas, this is the second line.
 */
function isCatalogueRace(err: unknown): boolean {
  let e = err;
  for (let depth = 0; e !== null && typeof e === 'object' && depth < 3; depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_STORE_MIGRATION' || code === '3F000' || code === 'XX000') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function openPostgres(location: string): {
  db: StoreDb;
  schema: string;
  connectionString: string;
} {
  const url = new URL(location);
  const schema = url.searchParams.get('schema') ?? 'public';
  url.searchParams.delete('schema');
  if (!SCHEMA_NAME.test(schema)) {
    throw new LanyardError('ERR_STORE_CONFIG', `The PostgreSQL schema name "${schema}" is not allowed.`, {
      hint: 'Use lower-case letters, digits and underscores, starting with a letter (at most 63 characters).',
    });
  }
  const pool = new pg.Pool({
    connectionString: url.toString(),
    max: 10,
    // Every connection resolves unqualified table names in Lanyard's schema first.
    options: `-c search_path=${schema}`,
  });
  return {
    db: new Kysely<NoTables>({ dialect: new SchemaScopedPostgresDialect({ pool }, schema) }),
    schema,
    connectionString: url.toString(),
  };
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const location = resolveStoreLocation(options.location, options.dataDir);
  let db: StoreDb;
  let dialect: StoreDialect;
  let schema: string | undefined;
  let sqliteFile: string | undefined;
  let connectionString: string | undefined;
  if (location.startsWith('sqlite:')) {
    const file = location.slice('sqlite:'.length);
    db = await openSqlite(file, options.onModeChange);
    if (file !== ':memory:' && file !== '') sqliteFile = path.resolve(file);
    dialect = 'sqlite';
  } else {
    ({ db, schema, connectionString } = openPostgres(location));
    dialect = 'postgres';
    try {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    } catch (err) {
      await db.destroy();
      throw new LanyardError(
        'ERR_STORE_CONFIG',
        `Cannot reach PostgreSQL at ${describeLocation(location)}: ${(err as Error).message}`,
        { cause: err, hint: 'Check that PostgreSQL is running and the connection string is right.' },
      );
    }
  }
  let migrated: string[];
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        migrated = await migrateToLatest(
          db as Kysely<unknown>,
          { ...CHANGE_FEED_MIGRATIONS, ...options.migrations },
          { schema },
        );
        break;
      } catch (err) {
        if (dialect !== 'postgres' || attempt >= 4 || !isCatalogueRace(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
  } catch (err) {
    await db.destroy();
    throw err;
  }
  // The migrations wrote, so the WAL files exist now: checked explicitly, not left to SQLite's copy of the
  // database's mode.
  if (sqliteFile) securePrivateSqlite(sqliteFile, options.onModeChange);
  const changes =
    connectionString === undefined || schema === undefined
      ? pollingChangeFeed(db)
      : pgNotifyChangeFeed(db, { connectionString, channel: channelFor(schema) });
  return {
    db,
    dialect,
    schema,
    sqliteFile,
    location: describeLocation(location),
    migrated,
    changes,
    close: async () => {
      await changes.close();
      await db.destroy();
    },
  };
}
