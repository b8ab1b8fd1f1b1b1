/**
 * The vault store's active secrets, on every store kind: versions, latest against a named version, listing
 * without values, attribute updates, disabled and out-of-window versions, input bounds, values never in clear
 * at rest, and the AAD binding of each sealed value to its place.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  getSecret,
  getSecretInfo,
  listSecrets,
  listVersions,
  setSecret,
  updateAttributes,
} from '../../src/vault/store.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { code, openVault, type VaultFixture, vaultTables } from './helpers.ts';

for (const kind of STORE_KINDS) {
  describe(`vault secrets (${kind})`, () => {
    let f: VaultFixture;
    before(async () => {
      f = await openVault(kind);
    });
    after(() => f.cleanup());

    it('keeps every version; latest is the newest, each version readable by its id', async () => {
      const v1 = await setSecret(f.directory, f.vault, 'Db-Password', { value: 'first-value' });
      const v2 = await setSecret(f.directory, f.vault, 'db-password', {
        value: 'second-value',
        contentType: 'text/plain',
        tags: { env: 'test' },
      });
      assert.match(v1.version, /^[0-9a-f]{32}$/);
      assert.notEqual(v1.version, v2.version);
      assert.equal(v2.name, 'Db-Password', 'the name keeps the case it was first written with');
      const latest = await getSecret(f.directory, f.vault, 'DB-PASSWORD');
      assert.equal(latest.value, 'second-value');
      assert.equal(latest.version, v2.version);
      assert.equal(latest.contentType, 'text/plain');
      assert.deepEqual(latest.tags, { env: 'test' });
      assert.equal((await getSecret(f.directory, f.vault, 'db-password', v1.version)).value, 'first-value');
      assert.equal(
        (await getSecret(f.directory, f.vault, 'db-password', v1.version.toUpperCase())).value,
        'first-value',
      );
      assert.equal(latest.attributes.created, Date.parse('2030-01-01T00:00:00Z') / 1000);
      assert.equal(latest.attributes.recoveryLevel, 'Recoverable+Purgeable');
      assert.equal(latest.attributes.recoverableDays, 90);
      const versions = await listVersions(f.directory, f.vault, 'db-password');
      assert.deepEqual(
        versions.items.map((v) => v.version),
        [v1.version, v2.version],
      );
      assert.ok(versions.items.every((v) => !('value' in v)));
    });

    it('refuses an unknown secret or version with ERR_VAULT_SECRET_NOT_FOUND', async () => {
      await assert.rejects(getSecret(f.directory, f.vault, 'nope'), code('ERR_VAULT_SECRET_NOT_FOUND'));
      await assert.rejects(
        getSecret(f.directory, f.vault, 'db-password', '0'.repeat(32)),
        code('ERR_VAULT_SECRET_NOT_FOUND'),
      );
      await assert.rejects(
        getSecret(f.directory, f.vault, 'db-password', 'not-a-version'),
        code('ERR_VAULT_SECRET_NOT_FOUND'),
      );
    });

    it('lists the latest version of each secret, by name, in pages, without values', async () => {
      for (const n of ['list-a', 'list-b', 'list-c']) {
        await setSecret(f.directory, f.vault, n, { value: `${n}-1` });
        await setSecret(f.directory, f.vault, n, { value: `${n}-2`, tags: { round: '2' } });
      }
      const all = await listSecrets(f.directory, f.vault);
      const names = all.items.map((i) => i.name);
      assert.deepEqual(names, ['Db-Password', 'list-a', 'list-b', 'list-c']);
      assert.equal(all.next, undefined);
      assert.ok(all.items.every((i) => !('value' in i)));
      assert.deepEqual(all.items[1]!.tags, { round: '2' });
      const first = await listSecrets(f.directory, f.vault, { limit: 3 });
      assert.equal(first.items.length, 3);
      assert.ok(first.next);
      const second = await listSecrets(f.directory, f.vault, { limit: 3, after: first.next });
      assert.deepEqual(
        second.items.map((i) => i.name),
        ['list-c'],
      );
      assert.equal(second.next, undefined);
    });

    it('updates a version’s attributes, content type and tags, never its value', async () => {
      const v = await setSecret(f.directory, f.vault, 'upd', { value: 'keep-me' });
      f.clock.now = new Date(f.clock.now.getTime() + 60_000);
      const u = await updateAttributes(f.directory, f.vault, 'upd', v.version, {
        contentType: 'application/json',
        tags: { a: 'b' },
        exp: 2_000_000_000,
      });
      assert.equal(u.contentType, 'application/json');
      assert.deepEqual(u.tags, { a: 'b' });
      assert.equal(u.attributes.exp, 2_000_000_000);
      assert.equal(u.attributes.updated, u.attributes.created + 60);
      const read = await getSecret(f.directory, f.vault, 'upd');
      assert.equal(read.value, 'keep-me');
      assert.equal(read.attributes.exp, 2_000_000_000);
    });

    it('refuses to read a disabled version (ERR_VAULT_SECRET_DISABLED) but still lists it', async () => {
      const v1 = await setSecret(f.directory, f.vault, 'dis', { value: 'one' });
      const v2 = await setSecret(f.directory, f.vault, 'dis', { value: 'two', enabled: false });
      await assert.rejects(getSecret(f.directory, f.vault, 'dis'), code('ERR_VAULT_SECRET_DISABLED'));
      await assert.rejects(
        getSecret(f.directory, f.vault, 'dis', v2.version),
        code('ERR_VAULT_SECRET_DISABLED'),
      );
      assert.equal((await getSecret(f.directory, f.vault, 'dis', v1.version)).value, 'one');
      assert.equal((await getSecretInfo(f.directory, f.vault, 'dis')).attributes.enabled, false);
      await updateAttributes(f.directory, f.vault, 'dis', v2.version, { enabled: true });
      assert.equal((await getSecret(f.directory, f.vault, 'dis')).value, 'two');
    });

    it('serves a version outside its nbf/exp window, saying so in validity', async () => {
      const now = f.clock.now.getTime() / 1000;
      await setSecret(f.directory, f.vault, 'later', { value: 'v', nbf: now + 3600 });
      await setSecret(f.directory, f.vault, 'gone', { value: 'v', exp: now - 1 });
      await setSecret(f.directory, f.vault, 'window', { value: 'v', nbf: now - 10, exp: now + 10 });
      assert.equal((await getSecret(f.directory, f.vault, 'later')).validity, 'not-yet-valid');
      assert.equal((await getSecret(f.directory, f.vault, 'gone')).validity, 'expired');
      assert.equal((await getSecret(f.directory, f.vault, 'window')).validity, 'valid');
      f.clock.now = new Date(f.clock.now.getTime() + 20_000);
      assert.equal((await getSecret(f.directory, f.vault, 'window')).validity, 'expired');
    });

    it('bounds its inputs as Key Vault does', async () => {
      const bad = 'ERR_VAULT_BAD_PARAMETER';
      const set = (name: string, input: Parameters<typeof setSecret>[3]) =>
        setSecret(f.directory, f.vault, name, input);
      await assert.rejects(set('', { value: 'x' }), code(bad));
      await assert.rejects(set('a'.repeat(128), { value: 'x' }), code(bad));
      await assert.rejects(set('has_underscore', { value: 'x' }), code(bad));
      await assert.rejects(set('a/../b', { value: 'x' }), code(bad));
      await set('a'.repeat(127), { value: 'x' });
      await set('max-value', { value: 'v'.repeat(25 * 1024) });
      await assert.rejects(
        set('too-big', { value: 'v'.repeat(25 * 1024 + 1) }),
        code('ERR_VAULT_VALUE_TOO_LARGE'),
      );
      await assert.rejects(set('too-big', { value: 'é'.repeat(12_801) }), code('ERR_VAULT_VALUE_TOO_LARGE'));
      const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, 'v']));
      await set('tags-15', { value: 'x', tags: tags(15) });
      await assert.rejects(set('tags-16', { value: 'x', tags: tags(16) }), code(bad));
      await assert.rejects(set('tag-long', { value: 'x', tags: { k: 'v'.repeat(257) } }), code(bad));
      await set('ct-255', { value: 'x', contentType: 'c'.repeat(255) });
      await assert.rejects(set('ct-256', { value: 'x', contentType: 'c'.repeat(256) }), code(bad));
      await assert.rejects(set('nbf-frac', { value: 'x', nbf: 1.5 }), code(bad));
      await assert.rejects(set('exp-neg', { value: 'x', exp: -1 }), code(bad));
      await assert.rejects(set('not-string', { value: 42 as unknown as string }), code(bad));
      // Nothing refused was stored.
      const names = (await listSecrets(f.directory, f.vault)).items.map((i) => i.name);
      for (const n of ['too-big', 'tags-16', 'tag-long', 'ct-256', 'nbf-frac', 'exp-neg', 'not-string']) {
        assert.ok(!names.includes(n), n);
      }
    });

    it('never stores a value in clear: rows hold sealed values bound to their place', async () => {
      const plain = 'PLAINTEXT-CANARY-7f3a9c';
      await setSecret(f.directory, f.vault, 'canary', { value: plain });
      const rows = await vaultTables(f).selectFrom('vault_secret_versions').selectAll().execute();
      assert.ok(rows.length > 0);
      for (const r of rows) {
        assert.ok(!JSON.stringify(r).includes(plain));
        assert.match(r.value_sealed, /^lk1\./);
      }
      if (kind === 'sqlite') {
        // The database file and its WAL, where the newest pages are until a checkpoint.
        const files = fs.readdirSync(f.dataDir).filter((n) => n.startsWith('lanyard.db'));
        const bytes = Buffer.concat(files.map((file) => fs.readFileSync(path.join(f.dataDir, file))));
        assert.equal(bytes.indexOf(plain), -1, 'the store files hold the value in clear');
        assert.notEqual(bytes.indexOf('canary'), -1, 'the scan should see the stored rows (the name)');
      }
    });

    it('a sealed value copied into another secret’s row does not open there', async () => {
      const a = await setSecret(f.directory, f.vault, 'aad-a', { value: 'value-of-a' });
      const b = await setSecret(f.directory, f.vault, 'aad-b', { value: 'value-of-b' });
      const t = vaultTables(f);
      const rowA = await t
        .selectFrom('vault_secret_versions')
        .select('value_sealed')
        .where('name_key', '=', 'aad-a')
        .executeTakeFirstOrThrow();
      await t
        .updateTable('vault_secret_versions')
        .set({ value_sealed: rowA.value_sealed })
        .where('name_key', '=', 'aad-b')
        .where('version', '=', b.version)
        .execute();
      await assert.rejects(getSecret(f.directory, f.vault, 'aad-b'), (err: unknown) => {
        assert.equal((err as { code: string }).code, 'ERR_DECRYPT');
        assert.equal((err as { details: { reason: string } }).details.reason, 'aad-mismatch');
        return true;
      });
      assert.equal((await getSecret(f.directory, f.vault, 'aad-a', a.version)).value, 'value-of-a');
    });

    it('writers creating the same new name at once make versions, not a key violation', async () => {
      // Separate transactions (on PostgreSQL, separate connections): as two nodes on one database would.
      for (let round = 0; round < 5; round++) {
        const name = `raced-name-${round}`;
        const made = await Promise.all(
          Array.from({ length: 6 }, (_, i) => setSecret(f.directory, f.vault, name, { value: `from ${i}` })),
        );
        assert.equal(new Set(made.map((m) => m.version)).size, 6);
        const versions = await listVersions(f.directory, f.vault, name);
        assert.equal(versions.items.length, 6);
      }
    });
  });
}
