/**
 * @module test/issuer/directory-cache.test
 * The issuer's directory cache must never serve what the directory no longer says: every write — through this
 * Directory or through another connection to the same store (another Lanyard node) — is seen by the next
 * lookup in a later event-loop turn. Run on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { masterKeyFromBytes } from '../../src/crypto/master-key.ts';
import { generateClientSecret } from '../../src/crypto/random.ts';
import { createSecretHasher } from '../../src/crypto/secret-hash.ts';
import { Directory } from '../../src/directory/directory.ts';
import { MIGRATIONS } from '../../src/host/planes.ts';
import { DirectoryCache } from '../../src/issuer/directory-cache.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { openTestDirectory, type TestDirectory } from '../helpers/directory.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

for (const kind of STORE_KINDS) {
  describe(`issuer directory cache (${kind})`, () => {
    let t: TestDirectory;
    let cache: DirectoryCache;
    let tenantId: string;
    before(async () => {
      t = await openTestDirectory(kind);
      cache = new DirectoryCache(t.directory);
      tenantId = (await t.directory.createTenant({ name: 'contoso', domains: ['contoso.example'] })).id;
      await t.directory.createApp('contoso', {
        name: 'api',
        identifierUris: ['api://api'],
        appRoles: [{ value: 'Data.Read', allowedMemberTypes: ['Application'] }],
      });
    });
    after(() => t.cleanup());

    it('finds the tenant by id, name and domain, and an unknown one as undefined', async () => {
      for (const ref of [tenantId, 'contoso', 'contoso.example']) {
        assert.equal((await cache.findTenant(ref))?.id, tenantId);
      }
      assert.equal(await cache.findTenant('fabrikam.example'), undefined);
    });

    it('sees a client created after it cached the client as unknown, and its deletion', async () => {
      const appId = '11111111-2222-4333-8444-555555555555';
      assert.equal(await cache.findClient(tenantId, appId), undefined);
      await nextTurn();
      await t.directory.createApp('contoso', { name: 'caller', appId });
      await nextTurn();
      assert.equal((await cache.findClient(tenantId, appId.toUpperCase()))?.clientId, appId);
      await t.directory.deleteApp('contoso', 'caller');
      await nextTurn();
      assert.equal(await cache.findClient(tenantId, appId), undefined);
    });

    it('sees role assignments come and go, and resource settings change', async () => {
      const caller = await t.directory.createApp('contoso', { name: 'reader' });
      const client = (await cache.findClient(tenantId, caller.appId))!;
      let resource = (await cache.findResourceApp(tenantId, 'api://api'))!;
      assert.deepEqual(await cache.grantedRoles(client.principalId, resource), {
        assigned: false,
        roles: [],
      });
      const assignment = await t.directory.assignRole('contoso', {
        principal: 'app:reader',
        app: 'api',
        role: 'Data.Read',
      });
      await nextTurn();
      assert.deepEqual(await cache.grantedRoles(client.principalId, resource), {
        assigned: true,
        roles: ['Data.Read'],
      });
      await t.directory.unassignRole('contoso', assignment.id);
      await t.directory.updateApp('contoso', 'api', { appRoleAssignmentRequired: true });
      await nextTurn();
      resource = (await cache.findResourceApp(tenantId, 'api://api'))!;
      assert.equal(resource.appRoleAssignmentRequired, true);
      assert.deepEqual(await cache.grantedRoles(client.principalId, resource), {
        assigned: false,
        roles: [],
      });
    });

    it('client secrets: a matched secret is remembered, yet its window is checked each time and its removal is seen', async () => {
      await t.directory.createApp('contoso', { name: 'secretive' });
      const app = (await t.directory.getApp('contoso', 'secretive'))!;
      const soon = new Date(t.clock.now.getTime() + 60_000).toISOString();
      const s1 = await t.directory.addClientSecret('contoso', 'secretive', { endDateTime: soon });
      const s2 = await t.directory.addClientSecret('contoso', 'secretive');
      await nextTurn();
      // A wrong secret: refused each time, never remembered.
      for (let i = 0; i < 2; i++) {
        assert.deepEqual(await cache.verifyClientSecret(app.objectId, `${s1.secretText}x`), {
          ok: false,
          reason: 'no_match',
        });
      }
      // Twice each: the second check is the remembered one and must agree with the first.
      for (let i = 0; i < 2; i++) {
        assert.deepEqual(await cache.verifyClientSecret(app.objectId, s1.secretText), {
          ok: true,
          keyId: s1.keyId,
        });
        assert.deepEqual(await cache.verifyClientSecret(app.objectId, s2.secretText), {
          ok: true,
          keyId: s2.keyId,
        });
      }
      // The clock passes s1's end: the remembered match no longer counts, in this same directory version.
      const saved = t.clock.now;
      t.clock.now = new Date(saved.getTime() + 120_000);
      try {
        assert.deepEqual(await cache.verifyClientSecret(app.objectId, s1.secretText), {
          ok: false,
          reason: 'expired',
          keyId: s1.keyId,
        });
      } finally {
        t.clock.now = saved;
      }
      // Removing s2 is seen in the next turn, although it was remembered.
      await t.directory.removeClientSecret('contoso', 'secretive', s2.keyId);
      await nextTurn();
      assert.deepEqual(await cache.verifyClientSecret(app.objectId, s2.secretText), {
        ok: false,
        reason: 'no_match',
      });
    });

    it('sees writes made through another connection to the same store (another node)', async () => {
      let other: Store | undefined;
      try {
        other = await openStore({ location: t.location, dataDir: t.dataDir, migrations: MIGRATIONS });
        const otherDirectory = new Directory(other.db, {
          hasher: createSecretHasher(masterKeyFromBytes(randomBytes(32))),
          generateSecret: generateClientSecret,
        });
        assert.equal(await cache.findResourceApp(tenantId, 'api://new'), undefined);
        await otherDirectory.createApp('contoso', { name: 'new-api', identifierUris: ['api://new'] });
        await nextTurn();
        assert.equal((await cache.findResourceApp(tenantId, 'api://new'))?.name, 'new-api');
      } finally {
        await other?.close();
      }
    });
  });
}
