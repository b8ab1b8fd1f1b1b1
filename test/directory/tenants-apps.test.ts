import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DirectoryTables } from '../../src/directory/tables.ts';
import { DEFAULT_APP_ROLE_ID } from '../../src/directory/types.ts';
import { tablesOf } from '../../src/store/handle.ts';
import { openTestDirectory, type TestDirectory } from '../helpers/directory.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

for (const kind of STORE_KINDS) {
  describe(`directory: tenants and apps (${kind})`, () => {
    let t: TestDirectory;
    before(async () => {
      t = await openTestDirectory(kind);
    });
    after(() => t.cleanup());

    test('a tenant gets a GUID, a default domain, and the first-party resources', async () => {
      const d = t.directory;
      const tenant = await d.createTenant({ name: 'contoso', displayName: 'Contoso Ltd' });
      assert.match(tenant.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(tenant.domains, ['contoso.onmicrosoft.com']);
      for (const ref of [tenant.id, 'contoso', 'CONTOSO.onmicrosoft.com']) {
        assert.equal((await d.getTenant(ref)).id, tenant.id);
      }
      const firstParty = await d.listApps('contoso', { includeFirstParty: true });
      const arm = firstParty.find((a) => a.appId === '797f4846-ba00-4fd7-ba43-dac1f8f63013');
      assert.ok(arm?.firstParty);
      assert.deepEqual(arm.identifierUris, [
        'https://management.core.windows.net/',
        'https://management.azure.com/',
      ]);
      assert.equal(
        (await d.getApp('contoso', 'https://vault.azure.net/')).appId,
        'cfa8b339-82a2-471a-a3c9-0fc0be7a4093',
      );
      assert.deepEqual(await d.listApps('contoso'), [], 'first-party apps are hidden by default');
    });

    test('tenant names and domains are unique', async () => {
      const d = t.directory;
      await assert.rejects(d.createTenant({ name: 'contoso' }), { code: 'ERR_CONFLICT' });
      await assert.rejects(d.createTenant({ name: 'other', domains: ['contoso.onmicrosoft.com'] }), {
        code: 'ERR_CONFLICT',
        message: /already belongs to tenant "contoso"/,
      });
      await assert.rejects(d.createTenant({ name: 'bad name!' }), {
        code: 'ERR_VALIDATION',
        message: /name/,
      });
      assert.equal((await d.listTenants()).length, 1, 'refusals wrote nothing');
      const updated = await d.updateTenant('contoso', {
        domains: ['contoso.onmicrosoft.com', 'contoso.localhost'],
      });
      assert.deepEqual(updated.domains, ['contoso.onmicrosoft.com', 'contoso.localhost']);
    });

    test('apps: identifier URIs, roles, service principal; found by every name', async () => {
      const d = t.directory;
      const app = await d.createApp('contoso', {
        name: 'exclusive',
        displayName: 'ExclusiveFunction',
        appId: 'CC334B87-FDBE-4996-AA3F-5BAD192A18A6',
        identifierUris: ['api://exclusive', 'https://exclusive.contoso.localhost'],
        appRoleAssignmentRequired: true,
        appRoles: [
          { value: 'Invoke', allowedMemberTypes: ['Application'] },
          { value: 'Read', isEnabled: false },
        ],
      });
      assert.equal(app.appId, 'cc334b87-fdbe-4996-aa3f-5bad192a18a6', 'GUIDs are stored lower-case');
      assert.equal(app.appRoles.length, 2);
      assert.equal(app.accessTokenAcceptedVersion, 1);
      assert.ok(app.servicePrincipalId);
      for (const ref of [
        'exclusive',
        app.appId,
        app.objectId,
        'API://Exclusive/',
        'https://exclusive.contoso.localhost/',
      ]) {
        assert.equal((await d.getApp('contoso', ref)).objectId, app.objectId, ref);
      }
      const sp = await d.getServicePrincipal('contoso', app.appId);
      assert.equal(sp.objectId, app.servicePrincipalId);
      assert.equal(sp.servicePrincipalType, 'Application');
      assert.equal(sp.appName, 'exclusive');
    });

    test('identifier URIs follow Entra: unique per tenant, https only on tenant domains, no wildcards', async () => {
      const d = t.directory;
      await assert.rejects(d.createApp('contoso', { name: 'a2', identifierUris: ['api://exclusive/'] }), {
        code: 'ERR_CONFLICT',
        message: /already used by app "exclusive"/,
      });
      await assert.rejects(
        d.createApp('contoso', { name: 'a3', identifierUris: ['https://vault.azure.net'] }),
        {
          code: 'ERR_VALIDATION',
        },
      );
      await assert.rejects(
        d.createApp('contoso', { name: 'a4', identifierUris: ['https://evil.example/x'] }),
        (err: Error & { hint?: string }) => {
          assert.match(err.message, /tenant's domains/);
          assert.match(err.hint ?? '', /Add evil\.example/);
          return true;
        },
      );
      for (const bad of ['api://*', 'api://x?y=1', 'ftp://x', 'api://a b', 'api://dup', '']) {
        const uris = bad === 'api://dup' ? ['api://dup', 'API://DUP/'] : [bad];
        await assert.rejects(
          d.createApp('contoso', { name: 'a5', identifierUris: uris }),
          { code: 'ERR_VALIDATION' },
          bad,
        );
      }
      assert.equal((await d.listApps('contoso')).length, 1, 'refusals wrote nothing');
    });

    test('app roles: values without spaces, unique; ids kept across updates; removal blocked while assigned', async () => {
      const d = t.directory;
      await assert.rejects(d.createApp('contoso', { name: 'r1', appRoles: [{ value: 'has space' }] }), {
        code: 'ERR_VALIDATION',
        message: /appRoles\.0\.value: must not contain spaces/,
      });
      await assert.rejects(
        d.createApp('contoso', { name: 'r2', appRoles: [{ value: 'A' }, { value: 'A' }] }),
        {
          code: 'ERR_VALIDATION',
        },
      );
      await assert.rejects(
        d.createApp('contoso', { name: 'r3', appRoles: [{ value: 'A', id: DEFAULT_APP_ROLE_ID }] }),
        {
          code: 'ERR_VALIDATION',
        },
      );
      const before = await d.getApp('contoso', 'exclusive');
      const invokeId = before.appRoles.find((r) => r.value === 'Invoke')?.id;
      const after = await d.updateApp('contoso', 'exclusive', {
        appRoles: [
          { value: 'Invoke', description: 'call it' },
          { value: 'Read', isEnabled: false },
          { value: 'Write' },
        ],
      });
      assert.equal(after.appRoles.find((r) => r.value === 'Invoke')?.id, invokeId);
      assert.equal(after.appRoles.find((r) => r.value === 'Invoke')?.description, 'call it');

      await d.createResource('contoso', { name: 'caller', kind: 'app', systemAssignedIdentity: true });
      await d.assignRole('contoso', { principal: 'resource:caller', app: 'exclusive', role: 'Invoke' });
      await assert.rejects(d.updateApp('contoso', 'exclusive', { appRoles: [{ value: 'Write' }] }), {
        code: 'ERR_IN_USE',
        message: /"Invoke" cannot be removed: 1 principal/,
      });
      assert.equal(
        (await d.getApp('contoso', 'exclusive')).appRoles.length,
        3,
        'refused update changed nothing',
      );
    });

    test('first-party resources are read-only', async () => {
      const d = t.directory;
      await assert.rejects(d.updateApp('contoso', 'https://management.azure.com/', { displayName: 'x' }), {
        code: 'ERR_READ_ONLY',
      });
      await assert.rejects(d.deleteApp('contoso', 'azure-key-vault'), { code: 'ERR_READ_ONLY' });
      await assert.rejects(d.addClientSecret('contoso', 'azure-key-vault'), { code: 'ERR_READ_ONLY' });
    });

    test('updates: display name follows to the service principal; version and flags change', async () => {
      const d = t.directory;
      const v0 = await d.version();
      const app = await d.updateApp('contoso', 'exclusive', {
        displayName: 'Exclusive Function',
        accessTokenAcceptedVersion: 2,
        appRoleAssignmentRequired: false,
      });
      assert.equal(app.accessTokenAcceptedVersion, 2);
      assert.equal(app.appRoleAssignmentRequired, false);
      assert.equal((await d.getServicePrincipal('contoso', app.appId)).displayName, 'Exclusive Function');
      assert.ok((await d.version()) > v0);
      await assert.rejects(d.updateApp('contoso', 'exclusive', { bogus: 1 } as never), {
        code: 'ERR_VALIDATION',
        message: /bogus/,
      });
    });

    test('deleting an app removes its service principal and every assignment to it', async () => {
      const d = t.directory;
      const app = await d.getApp('contoso', 'exclusive');
      assert.equal((await d.listRoleAssignments('contoso', { app: 'exclusive' })).length, 1);
      await d.deleteApp('contoso', 'exclusive');
      await assert.rejects(d.getApp('contoso', app.appId), { code: 'ERR_NOT_FOUND' });
      await assert.rejects(d.getServicePrincipal('contoso', app.appId), { code: 'ERR_NOT_FOUND' });
      assert.deepEqual(await d.listRoleAssignments('contoso'), []);
    });

    test('a failed transaction leaves nothing behind', async () => {
      const d = t.directory;
      const v0 = await d.version();
      await assert.rejects(
        d.transaction(async (tx) => {
          await tx.createApp('contoso', { name: 'half', identifierUris: ['api://half'] });
          await tx.createIdentity('contoso', { name: 'half-identity' });
          await tx.assignRole('contoso', { principal: 'identity:half-identity', app: 'half', role: 'Nope' });
        }),
        { code: 'ERR_NOT_FOUND' },
      );
      await assert.rejects(d.getApp('contoso', 'half'), { code: 'ERR_NOT_FOUND' });
      assert.deepEqual(await d.listIdentities('contoso'), []);
      assert.equal(await d.version(), v0);
    });

    test('deleting a tenant removes everything in it', async () => {
      const d = t.directory;
      await d.createApp('contoso', { name: 'leftover' });
      await d.createIdentity('contoso', { name: 'leftover-id' });
      await d.deleteTenant('contoso');
      assert.deepEqual(await d.listTenants(), []);
      const counts = await Promise.all(
        (
          [
            'applications',
            'service_principals',
            'managed_identities',
            'resources',
            'identifier_uris',
            'app_roles',
          ] as const
        ).map(async (table) =>
          Number(
            (
              await tablesOf<DirectoryTables>(t.store.db)
                .selectFrom(table)
                .select((eb) => eb.fn.countAll().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          ),
        ),
      );
      assert.deepEqual(counts, [0, 0, 0, 0, 0, 0]);
    });
  });
}
