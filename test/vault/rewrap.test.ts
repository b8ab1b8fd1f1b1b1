/**
 * rewrapAll, on every store kind: after a master-key rotation it moves every sealed value to the new key,
 * batch by batch; stopped midway, every row still opens with a keyring holding both keys, and a second run
 * finishes; afterwards the old key is no longer needed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEnvelope } from '../../src/crypto/envelope.ts';
import { rewrapAll } from '../../src/vault/rewrap.ts';
import { getSecret, setSecret } from '../../src/vault/store.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { code, newMasterKey, openVault, type VaultFixture, vaultTables } from './helpers.ts';

for (const kind of STORE_KINDS) {
  describe(`vault rewrapAll (${kind})`, () => {
    let f: VaultFixture;
    before(async () => {
      f = await openVault(kind);
    });
    after(() => f.cleanup());

    it('moves every value to the new master key, a batch per transaction, resumable', async () => {
      const oldKey = f.masterKey;
      const newKey = newMasterKey();
      const values = new Map<string, string>();
      for (let i = 0; i < 7; i++) {
        const name = `s${i}`;
        for (let v = 0; v < 2; v++) {
          values.set(
            `${name}/${(await setSecret(f.directory, f.vault, name, { value: `${name}-v${v}` })).version}`,
            `${name}-v${v}`,
          );
        }
      }
      const keyIds = async () =>
        (await vaultTables(f).selectFrom('vault_secret_versions').select('value_sealed').execute()).map(
          (r) => r.value_sealed.split('.')[1],
        );
      assert.deepEqual(new Set(await keyIds()), new Set([oldKey.id]));

      const keyring = { current: newKey, previous: [oldKey] };
      const rotated = f.withKeyring(keyring);
      const envelope = createEnvelope(keyring);

      // A crash after the second batch: stop there.
      const stop = new Error('stopped');
      await assert.rejects(
        rewrapAll(rotated, envelope, {
          batchSize: 4,
          afterBatch: (p) => {
            if (p.batches === 2) throw stop;
          },
        }),
        (err) => err === stop,
      );
      const midway = await keyIds();
      assert.equal(midway.filter((k) => k === newKey.id).length, 8);
      assert.equal(midway.filter((k) => k === oldKey.id).length, 6);
      for (const [ref, value] of values) {
        const [name, version] = ref.split('/') as [string, string];
        assert.equal((await getSecret(rotated, f.vault, name, version)).value, value);
      }

      const done = await rewrapAll(rotated, envelope, { batchSize: 4 });
      assert.equal(done.scanned, 14);
      assert.equal(done.rewrapped, 6);
      assert.deepEqual(new Set(await keyIds()), new Set([newKey.id]));

      // The old key is no longer needed; without the new one nothing opens.
      const onlyNew = f.withKeyring({ current: newKey });
      for (const [ref, value] of values) {
        const [name, version] = ref.split('/') as [string, string];
        assert.equal((await getSecret(onlyNew, f.vault, name, version)).value, value);
      }
      await assert.rejects(getSecret(f.directory, f.vault, 's0'), code('ERR_DECRYPT'));

      const again = await rewrapAll(rotated, envelope, { batchSize: 100 });
      assert.deepEqual([again.scanned, again.rewrapped], [14, 0]);
    });
  });
}
