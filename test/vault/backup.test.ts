/**
 * Backup and restore of vault secrets, on every store kind: backup → delete → purge → restore brings back
 * every version with its attributes; restore refuses an existing or deleted name; a backup is opaque, and
 * restores only where its master key is held.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backupSecret, restoreSecret } from '../../src/vault/backup.ts';
import { deleteSecret, getSecret, listVersions, purgeDeleted, setSecret } from '../../src/vault/store.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { code, openVault, type VaultFixture } from './helpers.ts';

for (const kind of STORE_KINDS) {
  describe(`vault backup and restore (${kind})`, () => {
    let f: VaultFixture;
    let other: VaultFixture;
    before(async () => {
      f = await openVault(kind);
      other = await openVault(kind);
    });
    after(async () => {
      await f.cleanup();
      await other.cleanup();
    });

    it('backup → delete → purge → restore brings back every version', async () => {
      const v1 = await setSecret(f.directory, f.vault, 'Bk', {
        value: 'v-one',
        enabled: false,
        tags: { a: '1' },
      });
      const v2 = await setSecret(f.directory, f.vault, 'bk', {
        value: 'v-two',
        contentType: 'text/plain',
        exp: 2_100_000_000,
      });
      const blob = await backupSecret(f.directory, f.vault, 'bk');
      assert.match(blob, /^[A-Za-z0-9_-]+$/);
      assert.ok(
        !Buffer.from(blob, 'base64url').toString('latin1').includes('v-one'),
        'values are not in clear',
      );
      assert.ok(!Buffer.from(blob, 'base64url').toString('latin1').includes('v-two'));

      await assert.rejects(restoreSecret(f.directory, f.vault, blob), code('ERR_VAULT_SECRET_EXISTS'));
      await deleteSecret(f.directory, f.vault, 'bk');
      await assert.rejects(restoreSecret(f.directory, f.vault, blob), code('ERR_VAULT_SECRET_DELETED'));
      await purgeDeleted(f.directory, f.vault, 'bk');

      const restored = await restoreSecret(f.directory, f.vault, blob);
      assert.equal(restored.name, 'Bk');
      assert.equal(restored.version, v2.version);
      const latest = await getSecret(f.directory, f.vault, 'bk');
      assert.equal(latest.value, 'v-two');
      assert.equal(latest.contentType, 'text/plain');
      assert.equal(latest.attributes.exp, 2_100_000_000);
      assert.equal(latest.attributes.created, v2.attributes.created);
      const versions = await listVersions(f.directory, f.vault, 'bk');
      assert.deepEqual(
        versions.items.map((v) => v.version),
        [v1.version, v2.version],
      );
      assert.equal(versions.items[0]!.attributes.enabled, false);
      assert.deepEqual(versions.items[0]!.tags, { a: '1' });
      await assert.rejects(
        getSecret(f.directory, f.vault, 'bk', v1.version),
        code('ERR_VAULT_SECRET_DISABLED'),
      );
    });

    it('restores into another vault of the same Lanyard', async () => {
      await f.directory.createResource('contoso', { name: 'kv2', kind: 'vault' });
      const kv2 = { ...f.vault, id: (await f.directory.getResource('contoso', 'kv2')).id };
      const blob = await backupSecret(f.directory, f.vault, 'bk');
      await restoreSecret(f.directory, kv2, blob);
      assert.equal((await getSecret(f.directory, kv2, 'bk')).value, 'v-two');
    });

    it('a Lanyard with another master key cannot restore it', async () => {
      const blob = await backupSecret(f.directory, f.vault, 'bk');
      assert.notEqual(other.masterKey.id, f.masterKey.id);
      await assert.rejects(restoreSecret(other.directory, other.vault, blob), (err: unknown) => {
        assert.equal((err as { code: string }).code, 'ERR_VAULT_BACKUP_INVALID');
        assert.equal((err as { details: { reason: string } }).details.reason, 'unknown-key');
        return true;
      });
      await assert.rejects(getSecret(other.directory, other.vault, 'bk'), code('ERR_VAULT_SECRET_NOT_FOUND'));
      // Given that master key as a previous one, it can.
      const rotated = other.withKeyring({ current: other.masterKey, previous: [f.masterKey] });
      await restoreSecret(rotated, other.vault, blob);
      assert.equal((await getSecret(other.directory, other.vault, 'bk')).value, 'v-two');
    });

    it('refuses a blob that is altered, truncated or not a backup', async () => {
      const blob = await backupSecret(f.directory, f.vault, 'bk');
      const text = Buffer.from(blob, 'base64url').toString('utf8');
      const flipped = `${text.slice(0, -3)}${text.at(-3) === 'A' ? 'B' : 'A'}${text.slice(-2)}`;
      const cases = [
        Buffer.from(flipped).toString('base64url'),
        blob.slice(0, blob.length - 10),
        Buffer.from('hello').toString('base64url'),
        'not base64!',
        // A record sealed under the right key for another purpose is not a backup.
        Buffer.from(`LanyardVaultSecretBackupV1.${f.envelope.seal('{}', 'something-else')}`).toString(
          'base64url',
        ),
      ];
      for (const c of cases) {
        await assert.rejects(restoreSecret(f.directory, other.vault, c), code('ERR_VAULT_BACKUP_INVALID'));
      }
    });

    it('backs up only an active secret', async () => {
      await assert.rejects(backupSecret(f.directory, f.vault, 'absent'), code('ERR_VAULT_SECRET_NOT_FOUND'));
    });
  });
}
