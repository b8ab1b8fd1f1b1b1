import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import type { DirectoryTables } from '../../src/directory/tables.ts';
import { LanyardError } from '../../src/errors/lanyard-error.ts';
import { MIGRATIONS } from '../../src/host/planes.ts';
import { CHANGE_FEED_MIGRATIONS } from '../../src/store/change-feed.ts';
import { tablesOf } from '../../src/store/handle.ts';
import { MIGRATION_TABLE } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/open-store.ts';
import { PG_URL, STORE_KINDS, tempDir, testLocation } from '../helpers/stores.ts';

for (const kind of STORE_KINDS) {
  describe(`store migrations (${kind})`, () => {
    const dataDir = tempDir();
    const { location, drop } = testLocation(kind, dataDir);
    after(async () => {
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test('first start runs every migration, a second start is a no-op', async () => {
      const first = await openStore({ location, dataDir, migrations: MIGRATIONS });
      // The planes' migrations and the store's own (the change feed's), in name order.
      assert.deepEqual([...first.migrated], Object.keys({ ...MIGRATIONS, ...CHANGE_FEED_MIGRATIONS }).sort());
      assert.equal(first.dialect, kind);
      await first.close();
      const second = await openStore({ location, dataDir, migrations: MIGRATIONS });
      assert.deepEqual([...second.migrated], []);
      const row = await tablesOf<DirectoryTables>(second.db)
        .selectFrom('directory_version')
        .select('version')
        .executeTakeFirstOrThrow();
      assert.equal(Number(row.version), 0);
      await second.close();
    });

    test('a schema migrated by a newer Lanyard refuses to start, with a clear message', async () => {
      const store = await openStore({ location, dataDir, migrations: MIGRATIONS });
      await sql`insert into ${sql.table(MIGRATION_TABLE)} (name, timestamp) values ('9999-from-the-future', '2030-01-01T00:00:00Z')`.execute(
        store.db,
      );
      await store.close();
      await assert.rejects(openStore({ location, dataDir, migrations: MIGRATIONS }), (err: unknown) => {
        assert.ok(err instanceof LanyardError);
        assert.equal(err.code, 'ERR_STORE_SCHEMA_NEWER');
        assert.match(err.message, /9999-from-the-future/);
        assert.ok(err.hint);
        return true;
      });
    });
  });
}

describe('store configuration', () => {
  test('SQLite runs in WAL mode with synchronous=FULL and foreign keys on', async () => {
    const dataDir = tempDir();
    const store = await openStore({ dataDir, migrations: MIGRATIONS });
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
    const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
    const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(store.db);
    assert.equal(mode.rows[0]?.journal_mode, 'wal');
    assert.equal(sync.rows[0]?.synchronous, 2);
    assert.equal(fk.rows[0]?.foreign_keys, 1);
    assert.ok(fs.existsSync(path.join(dataDir, 'lanyard.db')));
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('an unreachable PostgreSQL is a clear ERR_STORE_CONFIG, with the password hidden', async () => {
    const dataDir = tempDir();
    await assert.rejects(
      openStore({ dataDir, location: 'postgres://u:hunter2@127.0.0.1:1/none', migrations: MIGRATIONS }),
      (err: unknown) => {
        assert.ok(err instanceof LanyardError);
        assert.equal(err.code, 'ERR_STORE_CONFIG');
        assert.doesNotMatch(err.message, /hunter2/);
        return true;
      },
    );
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('an unsafe PostgreSQL schema name is refused before connecting', async () => {
    await assert.rejects(
      openStore({
        dataDir: tempDir(),
        location: 'postgres://postgres@127.0.0.1/postgres?schema=x;drop',
        migrations: MIGRATIONS,
      }),
      { code: 'ERR_STORE_CONFIG' },
    );
  });
});

if (STORE_KINDS.includes('postgres')) {
  describe('store start on a shared PostgreSQL database', () => {
    test('opens while other installations drop their schemas (catalogue reads retried)', async () => {
      // Kysely's introspection reads every schema by name; a schema dropped in that instant used to fail the
      // start with `schema "…" does not exist` (seen as a rare test flake when another suite cleaned up).
      const churn = new pg.Client({ connectionString: PG_URL });
      await churn.connect();
      let stop = false;
      let dropped = 0;
      const churning = (async () => {
        for (let i = 0; !stop; i++) {
          const name = `lanyard_churn_${process.pid}_${i}`;
          await churn.query(`create schema ${name}`);
          await churn.query(`create table ${name}.t (id int, v text)`);
          await churn.query(`drop schema ${name} cascade`);
          dropped++;
        }
      })();
      const opened: string[] = [];
      try {
        for (let i = 0; i < 8; i++) {
          const dataDir = tempDir();
          const { location, drop } = testLocation('postgres', dataDir);
          try {
            const store = await openStore({ location, dataDir, migrations: MIGRATIONS });
            opened.push(store.schema!);
            await store.close();
          } finally {
            await drop();
            fs.rmSync(dataDir, { recursive: true, force: true });
          }
        }
      } finally {
        stop = true;
        await churning;
        await churn.end();
      }
      assert.equal(opened.length, 8);
      assert.ok(dropped > 0, 'schemas were being dropped meanwhile');
    });
  });
}
