/**
 * The rows of secret gets kept until the next vault write (src/vault/read-cache.ts), on both stores: a get
 * after a write through the store, or through another Directory on the same store (another process), sees it
 * from the next event-loop turn; rows changed without a vault write are not read again (the proof that they
 * are kept); misses are never kept; the value is opened from the kept row each time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SecretReadCache } from '../../src/vault/read-cache.ts';
import { deleteSecret, getSecret, setSecret, updateAttributes } from '../../src/vault/store.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { code, newMasterKey, openVault, type VaultFixture, vaultTables } from './helpers.ts';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

for (const kind of STORE_KINDS) {
  describe(`vault read cache (${kind})`, () => {
    let f: VaultFixture;
    let cache: SecretReadCache;
    const get = (name: string, version?: string) =>
      getSecret(f.directory, f.vault, name, version, cache.read);

    before(async () => {
      f = await openVault(kind);
      cache = new SecretReadCache(f.directory.db);
    });
    after(async () => f?.cleanup());

    it('keeps the rows until a vault write, and sees the write from the next turn', async () => {
      const first = await setSecret(f.directory, f.vault, 'db-password', {
        value: 'one',
        contentType: 'text/plain',
      });
      assert.equal((await get('db-password')).value, 'one');
      // A change to the row that is not a vault write (no change-feed mark): the kept row is served.
      await vaultTables(f)
        .updateTable('vault_secret_versions')
        .set({ content_type: 'changed/behind' })
        .where('version', '=', first.version)
        .execute();
      await nextTurn();
      const kept = await get('db-password');
      assert.equal(kept.contentType, 'text/plain');
      assert.equal(kept.value, 'one');
      // A vault write moves the topic: the next turn reads again.
      const second = await setSecret(f.directory, f.vault, 'DB-Password', { value: 'two' });
      await nextTurn();
      const fresh = await get('db-password');
      assert.equal(fresh.value, 'two');
      assert.equal(fresh.version, second.version);
      // A version asked by id is its own entry.
      const old = await get('db-password', first.version);
      assert.equal(old.value, 'one');
      assert.equal(old.contentType, 'changed/behind');
    });

    it('sees a write made through another Directory on the same store', async () => {
      await setSecret(f.directory, f.vault, 'shared', { value: 'before' });
      assert.equal((await get('shared')).value, 'before');
      const other = f.withKeyring({ current: f.masterKey });
      await setSecret(other, f.vault, 'shared', { value: 'after' });
      await nextTurn();
      assert.equal((await get('shared')).value, 'after');
    });

    it('does not keep a miss, and follows disable and delete', async () => {
      await assert.rejects(get('later'), code('ERR_VAULT_SECRET_NOT_FOUND'));
      await assert.rejects(get('later'), code('ERR_VAULT_SECRET_NOT_FOUND'));
      await setSecret(f.directory, f.vault, 'later', { value: 'now' });
      await nextTurn();
      assert.equal((await get('later')).value, 'now');
      await updateAttributes(f.directory, f.vault, 'later', undefined, { enabled: false });
      await nextTurn();
      await assert.rejects(get('later'), code('ERR_VAULT_SECRET_DISABLED'));
      await updateAttributes(f.directory, f.vault, 'later', undefined, { enabled: true });
      await deleteSecret(f.directory, f.vault, 'later');
      await nextTurn();
      await assert.rejects(get('later'), code('ERR_VAULT_SECRET_NOT_FOUND'));
    });

    it('opens the kept row on every get: a wrong key fails every time', async () => {
      await setSecret(f.directory, f.vault, 'sealed', { value: 'v' });
      assert.equal((await get('sealed')).value, 'v');
      // The same cache and store, a Directory whose envelope has another master key: the kept row does not open.
      const other = f.withKeyring({ current: newMasterKey() });
      await assert.rejects(getSecret(other, f.vault, 'sealed', undefined, cache.read), code('ERR_DECRYPT'));
      await assert.rejects(getSecret(other, f.vault, 'sealed', undefined, cache.read), code('ERR_DECRYPT'));
    });
  });
}
