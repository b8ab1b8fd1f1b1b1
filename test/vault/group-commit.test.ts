/**
 * The vault's write batcher, on every store kind: concurrent writes share few transactions and all commit with
 * distinct versions; a write refused, throwing, or failing in SQL in the middle of a batch rejects only its
 * caller and leaves no row, while the others commit; a batch whose transaction fails rejects every write;
 * batches are bounded; a read while a batch is open sees none of it; the one-transaction-each mode commits every
 * write alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { LanyardError } from '../../src/errors/lanyard-error.ts';
import { createWriteBatcher, type WriteBatcherOptions } from '../../src/vault/group-commit.ts';
import {
  deleteSecret,
  getSecret,
  listSecrets,
  listVersions,
  type SecretValue,
  setSecret,
} from '../../src/vault/store.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { code, openVault, type VaultFixture, vaultTables } from './helpers.ts';

for (const kind of STORE_KINDS) {
  describe(`vault group commit (${kind})`, () => {
    let f: VaultFixture;
    before(async () => {
      f = await openVault(kind);
    });
    after(() => f.cleanup());

    const counted = (options: WriteBatcherOptions = {}) => {
      const batches: { writes: number; refused: number }[] = [];
      const batcher = createWriteBatcher(f.directory, { ...options, onCommit: (b) => batches.push(b) });
      return { batcher, batches };
    };

    it('64 concurrent writes commit with distinct versions in far fewer transactions', async () => {
      const { batcher, batches } = counted();
      const writes = Array.from({ length: 64 }, (_, i) =>
        batcher.run((t) => setSecret(t, f.vault, `gc-${i % 4}`, { value: `value-${i}` })),
      );
      const results = await Promise.all(writes);
      await batcher.close();
      assert.equal(new Set(results.map((r) => r.version)).size, 64, 'every version id distinct');
      assert.equal(
        batches.reduce((n, b) => n + b.writes, 0),
        64,
      );
      assert.ok(batches.length <= 4, `${batches.length} transactions for 64 writes`);
      for (let s = 0; s < 4; s++) {
        const versions = await listVersions(f.directory, f.vault, `gc-${s}`);
        assert.equal(versions.items.length, 16);
        const rows = await vaultTables(f)
          .selectFrom('vault_secret_versions')
          .select('seq')
          .where('resource_id', '=', f.vault.id)
          .where('name_key', '=', `gc-${s}`)
          .orderBy('seq')
          .execute();
        assert.deepEqual(
          rows.map((r) => Number(r.seq)),
          Array.from({ length: 16 }, (_, i) => i + 1),
          'sequence numbers 1..16, none repeated',
        );
      }
      for (const [i, r] of results.entries()) {
        assert.equal((await getSecret(f.directory, f.vault, `gc-${i % 4}`, r.version)).value, `value-${i}`);
      }
    });

    it('a refusal, a throw or a failed statement mid-batch rejects only its caller and leaves no trace', async () => {
      await setSecret(f.directory, f.vault, 'gone', { value: 'x' });
      await deleteSecret(f.directory, f.vault, 'gone');
      const { batcher, batches } = counted();
      const before = (i: number) =>
        batcher.run((t) => setSecret(t, f.vault, `mid-a-${i}`, { value: `a-${i}` }));
      const afterward = (i: number) =>
        batcher.run((t) => setSecret(t, f.vault, `mid-b-${i}`, { value: `b-${i}` }));
      const ok1 = Array.from({ length: 5 }, (_, i) => before(i));
      // Refused by the store: the name is deleted but recoverable.
      const refused = batcher.run((t) => setSecret(t, f.vault, 'gone', { value: 'y' }));
      // Writes a row, then refuses with a LanyardError.
      const refusedAfterWrite = batcher.run(async (t) => {
        await setSecret(t, f.vault, 'partial-1', { value: 'p' });
        throw new LanyardError('ERR_VAULT_SECRET_DELETED', 'refused after writing');
      });
      // Writes a row, then throws something that is not a LanyardError.
      const boom = new Error('boom');
      const threw = batcher.run(async (t) => {
        await setSecret(t, f.vault, 'partial-2', { value: 'p' });
        throw boom;
      });
      // Writes a row, then runs a failing statement (on PostgreSQL this aborts the transaction until the
      // rollback to the savepoint).
      const failedSql = batcher.run(async (t) => {
        await setSecret(t, f.vault, 'partial-3', { value: 'p' });
        await sql`select * from no_such_table`.execute(t.db);
      });
      const ok2 = Array.from({ length: 5 }, (_, i) => afterward(i));

      await assert.rejects(refused, code('ERR_VAULT_SECRET_DELETED'));
      await assert.rejects(refusedAfterWrite, code('ERR_VAULT_SECRET_DELETED'));
      await assert.rejects(threw, (err) => err === boom);
      await assert.rejects(failedSql, /no_such_table/);
      const committed = await Promise.all([...ok1, ...ok2]);
      assert.equal(committed.length, 10);
      await batcher.close();
      assert.equal(batches.length, 1, 'one transaction for the whole batch');
      assert.deepEqual(batches[0], { writes: 14, refused: 4 });

      for (const name of ['partial-1', 'partial-2', 'partial-3']) {
        await assert.rejects(getSecret(f.directory, f.vault, name), code('ERR_VAULT_SECRET_NOT_FOUND'));
        const rows = await vaultTables(f)
          .selectFrom('vault_secrets')
          .select('name')
          .where('name_key', '=', name)
          .execute();
        assert.equal(rows.length, 0, `no row left of ${name}`);
      }
      for (let i = 0; i < 5; i++) {
        assert.equal((await getSecret(f.directory, f.vault, `mid-a-${i}`)).value, `a-${i}`);
        assert.equal((await getSecret(f.directory, f.vault, `mid-b-${i}`)).value, `b-${i}`);
      }
      const gone = await vaultTables(f)
        .selectFrom('vault_secret_versions')
        .select('seq')
        .where('name_key', '=', 'gone')
        .execute();
      assert.equal(gone.length, 1, 'the deleted secret kept its one version');
    });

    it('when the transaction itself fails, every write of the batch is rejected and none stays', async () => {
      const { batcher, batches } = counted();
      const first = batcher.run((t) => setSecret(t, f.vault, 'whole-1', { value: 'w' }));
      // Ends the batch's transaction under it: the next savepoint statement fails, and so does the batch.
      const saboteur = batcher.run(async (t) => {
        await sql`rollback`.execute(t.db);
      });
      const last = batcher.run((t) => setSecret(t, f.vault, 'whole-2', { value: 'w' }));
      const results = await Promise.allSettled([first, saboteur, last]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['rejected', 'rejected', 'rejected'],
      );
      assert.equal(batches.length, 0, 'no transaction committed');
      for (const name of ['whole-1', 'whole-2']) {
        await assert.rejects(getSecret(f.directory, f.vault, name), code('ERR_VAULT_SECRET_NOT_FOUND'));
      }
      // The batcher goes on.
      const v = await batcher.run((t) => setSecret(t, f.vault, 'whole-1', { value: 'after' }));
      assert.equal((await getSecret(f.directory, f.vault, 'whole-1', v.version)).value, 'after');
    });

    it('a write alone is its own transaction: refused or thrown, nothing stays', async () => {
      const { batcher, batches } = counted();
      await assert.rejects(
        batcher.run(async (t) => {
          await setSecret(t, f.vault, 'alone', { value: 'p' });
          throw new Error('alone');
        }),
        /alone/,
      );
      await assert.rejects(getSecret(f.directory, f.vault, 'alone'), code('ERR_VAULT_SECRET_NOT_FOUND'));
      const v = await batcher.run((t) => setSecret(t, f.vault, 'alone', { value: 'kept' }));
      assert.equal((await getSecret(f.directory, f.vault, 'alone', v.version)).value, 'kept');
      assert.deepEqual(batches, [{ writes: 1, refused: 0 }]);
    });

    it('bounds the batch size', async () => {
      const { batcher, batches } = counted({ maxBatch: 8 });
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          batcher.run((t) => setSecret(t, f.vault, `bound-${i}`, { value: 'v' })),
        ),
      );
      assert.deepEqual(
        batches.map((b) => b.writes),
        [8, 8, 4],
      );
    });

    it('a read while a batch is open sees none of it, and waits for no deadlock', async () => {
      const { batcher } = counted();
      let open = true;
      const write = (i: number) =>
        batcher.run(async (t) => {
          const v = await setSecret(t, f.vault, `open-${i}`, { value: `o-${i}` });
          if (i === 1) {
            await sleep(50);
            open = false;
          }
          return v;
        });
      const writes = [write(0), write(1)];
      await sleep(10);
      // Started while the batch is open (its second write sleeping); on SQLite it waits for the connection.
      const read = getSecret(f.directory, f.vault, 'open-0').then(
        (s): SecretValue | 'not found' => {
          assert.equal(open, false, 'a read that sees the row finished after the batch was done');
          return s;
        },
        (err) => {
          assert.equal((err as LanyardError).code, 'ERR_VAULT_SECRET_NOT_FOUND');
          return 'not found' as const;
        },
      );
      const seen = await read;
      await Promise.all(writes);
      if (seen !== 'not found') assert.equal(seen.value, 'o-0');
      if (kind === 'sqlite') assert.notEqual(seen, 'not found', 'SQLite: the read waited for the commit');
      else assert.equal(seen, 'not found', 'PostgreSQL: the read ran beside the open transaction');
    });

    it('group: false commits each write in a transaction of its own', async () => {
      // Created first: concurrent first writes of one name race on PostgreSQL outside a batch (both insert it).
      await setSecret(f.directory, f.vault, 'single', { value: 's' });
      const { batcher, batches } = counted({ group: false });
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          batcher.run((t) => setSecret(t, f.vault, 'single', { value: `s-${i}` })),
        ),
      );
      await batcher.close();
      assert.equal(batches.length, 8);
      assert.equal(new Set(results.map((r) => r.version)).size, 8);
      const listed = await listSecrets(f.directory, f.vault);
      assert.ok(listed.items.some((s) => s.name === 'single'));
    });
  });
}
