/**
 * @module test/helpers/stores
 * Every store test runs against each dialect named in STORES (default: both). Each test gets a store of its
 * own: a fresh SQLite file in a temp folder, or a fresh schema in the machine's PostgreSQL, dropped after.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { MIGRATIONS } from '../../src/host/planes.ts';
import { openStore, type Store, type StoreDialect } from '../../src/store/open-store.ts';

export const PG_URL = process.env.LANYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const STORE_KINDS: StoreDialect[] = (process.env.STORES ?? 'sqlite,postgres')
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is StoreDialect => s === 'sqlite' || s === 'postgres');

export interface TestStore {
  store: Store;
  dataDir: string;
  location: string;
  /** Closes the store and removes its file or schema. */
  cleanup(): Promise<void>;
}

export function tempDir(prefix = 'lanyard-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function testLocation(
  kind: StoreDialect,
  dataDir: string,
): { location: string; drop: () => Promise<void> } {
  if (kind === 'sqlite') {
    return { location: `sqlite:${path.join(dataDir, 'lanyard.db')}`, drop: async () => {} };
  }
  const schema = `lanyard_t_${randomBytes(6).toString('hex')}`;
  const sep = PG_URL.includes('?') ? '&' : '?';
  return {
    location: `${PG_URL}${sep}schema=${schema}`,
    drop: async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

export async function openTestStore(kind: StoreDialect): Promise<TestStore> {
  const dataDir = tempDir();
  const { location, drop } = testLocation(kind, dataDir);
  const store = await openStore({ location, dataDir, migrations: MIGRATIONS });
  return {
    store,
    dataDir,
    location,
    cleanup: async () => {
      await store.close();
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
