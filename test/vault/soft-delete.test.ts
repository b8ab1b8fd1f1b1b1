/**
 * Soft delete of vault secrets, on every store kind: delete → refused as deleted → recover → readable again;
 * purge; purge protection until the retention ends; the end of the retention; a vault without soft delete;
 * and the vault settings' rules.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  deleteSecret,
  getDeleted,
  getSecret,
  getVaultSettings,
  listDeleted,
  listSecrets,
  listVersions,
  purgeDeleted,
  purgeExpired,
  recoverDeleted,
  setSecret,
  setVaultSettings,
  updateAttributes,
} from '../../src/vault/store.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { advance, code, openVault, type VaultFixture, vaultTables } from './helpers.ts';

const DAY = 86_400;

for (const kind of STORE_KINDS) {
  describe(`vault soft delete (${kind})`, () => {
    let f: VaultFixture;
    before(async () => {
      f = await openVault(kind);
    });
    after(() => f.cleanup());

    it('delete → refused as deleted → recover → every version readable again', async () => {
      const v1 = await setSecret(f.directory, f.vault, 'sd', { value: 'one' });
      const v2 = await setSecret(f.directory, f.vault, 'sd', { value: 'two' });
      const now = f.clock.now.getTime() / 1000;
      const deleted = await deleteSecret(f.directory, f.vault, 'sd');
      assert.equal(deleted.version, v2.version);
      assert.equal(deleted.deletedDate, now);
      assert.equal(deleted.scheduledPurgeDate, now + 90 * DAY);
      assert.ok(!('value' in deleted));

      await assert.rejects(getSecret(f.directory, f.vault, 'sd'), code('ERR_VAULT_SECRET_NOT_FOUND'));
      await assert.rejects(listVersions(f.directory, f.vault, 'sd'), code('ERR_VAULT_SECRET_NOT_FOUND'));
      await assert.rejects(
        updateAttributes(f.directory, f.vault, 'sd', undefined, { enabled: false }),
        code('ERR_VAULT_SECRET_NOT_FOUND'),
      );
      await assert.rejects(deleteSecret(f.directory, f.vault, 'sd'), code('ERR_VAULT_SECRET_NOT_FOUND'));
      await assert.rejects(
        setSecret(f.directory, f.vault, 'SD', { value: 'x' }),
        code('ERR_VAULT_SECRET_DELETED'),
      );
      assert.ok(!(await listSecrets(f.directory, f.vault)).items.some((i) => i.name === 'sd'));
      assert.equal((await getDeleted(f.directory, f.vault, 'sd')).scheduledPurgeDate, now + 90 * DAY);
      assert.deepEqual(
        (await listDeleted(f.directory, f.vault)).items.map((i) => i.name),
        ['sd'],
      );

      const recovered = await recoverDeleted(f.directory, f.vault, 'sd');
      assert.equal(recovered.version, v2.version);
      assert.equal((await getSecret(f.directory, f.vault, 'sd')).value, 'two');
      assert.equal((await getSecret(f.directory, f.vault, 'sd', v1.version)).value, 'one');
      await assert.rejects(
        getDeleted(f.directory, f.vault, 'sd'),
        code('ERR_VAULT_DELETED_SECRET_NOT_FOUND'),
      );
      await assert.rejects(
        recoverDeleted(f.directory, f.vault, 'sd'),
        code('ERR_VAULT_DELETED_SECRET_NOT_FOUND'),
      );
      await assert.rejects(
        purgeDeleted(f.directory, f.vault, 'sd'),
        code('ERR_VAULT_DELETED_SECRET_NOT_FOUND'),
      );
    });

    it('purge removes a deleted secret and its rows; the name is free again', async () => {
      await setSecret(f.directory, f.vault, 'pg', { value: 'old' });
      await deleteSecret(f.directory, f.vault, 'pg');
      await purgeDeleted(f.directory, f.vault, 'pg');
      await assert.rejects(
        getDeleted(f.directory, f.vault, 'pg'),
        code('ERR_VAULT_DELETED_SECRET_NOT_FOUND'),
      );
      const rows = await vaultTables(f)
        .selectFrom('vault_secret_versions')
        .select('version')
        .where('name_key', '=', 'pg')
        .execute();
      assert.equal(rows.length, 0);
      const fresh = await setSecret(f.directory, f.vault, 'pg', { value: 'new' });
      assert.equal((await listVersions(f.directory, f.vault, 'pg')).items.length, 1);
      assert.equal((await getSecret(f.directory, f.vault, 'pg')).version, fresh.version);
    });

    it('a deleted secret is gone once its scheduled purge date passes', async () => {
      await setVaultSettings(f.directory, f.vault, { retentionDays: 7 });
      await setSecret(f.directory, f.vault, 'exp', { value: 'x' });
      const d = await deleteSecret(f.directory, f.vault, 'exp');
      assert.equal(d.scheduledPurgeDate, d.deletedDate + 7 * DAY);
      assert.equal(d.attributes.recoveryLevel, 'CustomizedRecoverable+Purgeable');
      advance(f, 7 * DAY - 1);
      assert.equal((await getDeleted(f.directory, f.vault, 'exp')).name, 'exp');
      advance(f, 1);
      await assert.rejects(
        getDeleted(f.directory, f.vault, 'exp'),
        code('ERR_VAULT_DELETED_SECRET_NOT_FOUND'),
      );
      assert.ok(!(await listDeleted(f.directory, f.vault)).items.some((i) => i.name === 'exp'));
      await setSecret(f.directory, f.vault, 'exp', { value: 'reborn' });
      assert.equal((await getSecret(f.directory, f.vault, 'exp')).value, 'reborn');
      await setVaultSettings(f.directory, f.vault, { retentionDays: 90 });
    });

    it('purgeExpired removes what the retention ended, and only that', async () => {
      await setSecret(f.directory, f.vault, 'pe-old', { value: 'x' });
      await deleteSecret(f.directory, f.vault, 'pe-old');
      advance(f, 10 * DAY);
      await setSecret(f.directory, f.vault, 'pe-new', { value: 'x' });
      await deleteSecret(f.directory, f.vault, 'pe-new');
      advance(f, 81 * DAY);
      assert.equal(await purgeExpired(f.directory, f.vault), 1);
      const left = await vaultTables(f).selectFrom('vault_secrets').select('name_key').execute();
      assert.ok(!left.some((r) => r.name_key === 'pe-old'));
      assert.ok(left.some((r) => r.name_key === 'pe-new'));
      await purgeDeleted(f.directory, f.vault, 'pe-new');
    });

    it('purge protection refuses a purge until the retention ends, and cannot be turned off', async () => {
      const s = await setVaultSettings(f.directory, f.vault, { purgeProtection: true });
      assert.equal(s.recoveryLevel, 'Recoverable');
      await setSecret(f.directory, f.vault, 'pp', { value: 'x' });
      await deleteSecret(f.directory, f.vault, 'pp');
      await assert.rejects(purgeDeleted(f.directory, f.vault, 'pp'), code('ERR_VAULT_PURGE_PROTECTED'));
      assert.equal(
        (await getDeleted(f.directory, f.vault, 'pp')).name,
        'pp',
        'still there after the refusal',
      );
      await assert.rejects(
        setVaultSettings(f.directory, f.vault, { purgeProtection: false }),
        code('ERR_VAULT_BAD_PARAMETER'),
      );
      await assert.rejects(
        setVaultSettings(f.directory, f.vault, { softDelete: false }),
        code('ERR_VAULT_BAD_PARAMETER'),
      );
      assert.equal((await getVaultSettings(f.directory, f.vault)).purgeProtection, true);
      // Recover is still allowed.
      await recoverDeleted(f.directory, f.vault, 'pp');
      assert.equal((await getSecret(f.directory, f.vault, 'pp')).value, 'x');
    });

    it('retention must be 7 to 90 days', async () => {
      for (const days of [6, 91, 7.5]) {
        await assert.rejects(
          setVaultSettings(f.directory, f.vault, { retentionDays: days }),
          code('ERR_VAULT_BAD_PARAMETER'),
        );
      }
      assert.equal((await getVaultSettings(f.directory, f.vault)).retentionDays, 90);
    });
  });

  describe(`vault without soft delete (${kind})`, () => {
    let f: VaultFixture;
    before(async () => {
      f = await openVault(kind);
    });
    after(() => f.cleanup());

    it('deletes at once: nothing to recover, the name is free', async () => {
      const s = await setVaultSettings(f.directory, f.vault, { softDelete: false });
      assert.deepEqual([s.recoveryLevel, s.recoverableDays], ['Purgeable', 0]);
      await setSecret(f.directory, f.vault, 'hard', { value: 'x' });
      const d = await deleteSecret(f.directory, f.vault, 'hard');
      assert.equal(d.scheduledPurgeDate, null);
      await assert.rejects(
        getDeleted(f.directory, f.vault, 'hard'),
        code('ERR_VAULT_DELETED_SECRET_NOT_FOUND'),
      );
      assert.equal(
        (await vaultTables(f).selectFrom('vault_secret_versions').selectAll().execute()).length,
        0,
      );
      await setSecret(f.directory, f.vault, 'hard', { value: 'y' });
      assert.equal((await getSecret(f.directory, f.vault, 'hard')).value, 'y');
    });

    it('goes with its resource', async () => {
      await f.directory.deleteResource('contoso', 'kv1');
      const t = vaultTables(f);
      assert.equal((await t.selectFrom('vaults').selectAll().execute()).length, 0);
      assert.equal((await t.selectFrom('vault_secrets').selectAll().execute()).length, 0);
      assert.equal((await t.selectFrom('vault_secret_versions').selectAll().execute()).length, 0);
    });
  });
}
