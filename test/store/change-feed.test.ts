/**
 * The change feed on both dialects: a commit made through another store (another process, as the CLI would
 * be) reaches a subscriber within a second; a rolled-back write is never heard; only subscribed topics are.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MIGRATIONS } from '../../src/host/planes.ts';
import { markChanged } from '../../src/store/change-feed.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/stores.ts';

/** Resolves with the topics heard within `ms`. */
function heard(store: Store, topics: string[], ms: number): { topics: string[]; done: Promise<string[]> } {
  const got: string[] = [];
  let off: () => void = () => {};
  const done = new Promise<string[]>((resolve) => {
    off = store.changes.subscribe(topics, (t) => got.push(t));
    setTimeout(() => {
      off();
      resolve(got);
    }, ms);
  });
  return { topics: got, done };
}

async function until(f: () => boolean, ms: number): Promise<number> {
  const started = Date.now();
  while (!f()) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - started;
}

for (const kind of STORE_KINDS) {
  describe(`change feed (${kind})`, () => {
    let t: TestStore;
    let other: Store;
    before(async () => {
      t = await openTestStore(kind);
      // A second store on the same database: what another process (the CLI, another node) holds.
      other = await openStore({ location: t.location, dataDir: t.dataDir, migrations: MIGRATIONS });
    });
    after(async () => {
      await other?.close();
      await t?.cleanup();
    });

    it("hears another process's committed change within a second, once per commit", async () => {
      const got: string[] = [];
      const off = t.store.changes.subscribe(['easyauth'], (topic) => got.push(topic));
      try {
        // Let the subscriber take its baseline (and, on PostgreSQL, start listening).
        await new Promise((r) => setTimeout(r, 400));
        await other.db.transaction().execute((trx) => markChanged(trx, 'easyauth'));
        const ms = await until(() => got.length > 0, 2_000);
        assert.ok(ms < 1_000, `heard after ${ms} ms`);
        await new Promise((r) => setTimeout(r, 400));
        assert.deepEqual(got, ['easyauth']);
      } finally {
        off();
      }
    });

    it('never hears a rolled-back write, nor a topic it did not subscribe to', async () => {
      const listen = heard(t.store, ['easyauth'], 1_200);
      await new Promise((r) => setTimeout(r, 300));
      await assert.rejects(
        other.db.transaction().execute(async (trx) => {
          await markChanged(trx, 'easyauth');
          throw new Error('roll back');
        }),
        /roll back/,
      );
      await other.db.transaction().execute((trx) => markChanged(trx, 'directory'));
      assert.deepEqual(await listen.done, []);
    });

    it('refuses a topic that is not a lower-case name', async () => {
      await assert.rejects(
        other.db.transaction().execute((trx) => markChanged(trx, "x'; drop table y")),
        /not a lower-case name/,
      );
    });
  });
}
