import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_APP_ROLE_ID } from '../../src/directory/types.ts';
import { openTestDirectory, type TestDirectory } from '../helpers/directory.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

for (const kind of STORE_KINDS) {
  describe(`directory: identities, resources, role assignments (${kind})`, () => {
    let t: TestDirectory;
    before(async () => {
      t = await openTestDirectory(kind);
      await t.directory.createTenant({
        name: 'contoso',
        defaultSubscriptionId: '11111111-2222-3333-4444-555555555555',
      });
      await t.directory.createApp('contoso', {
        name: 'orders',
        identifierUris: ['api://orders'],
        appRoleAssignmentRequired: true,
        appRoles: [
          { value: 'Orders.Read' },
          { value: 'Orders.Admin', allowedMemberTypes: ['User'] },
          { value: 'Orders.Old', isEnabled: false },
        ],
      });
      await t.directory.createApp('contoso', { name: 'plain', identifierUris: ['api://plain'] });
    });
    after(() => t.cleanup());

    test('a resource with a system-assigned identity: named after it, with Azure-style resource ids', async () => {
      const r = await t.directory.createResource('contoso', {
        name: 'runbooks',
        kind: 'automation',
        systemAssignedIdentity: true,
      });
      assert.equal(
        r.resourceId,
        '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/lanyard/providers/Microsoft.Automation/automationAccounts/runbooks',
      );
      const mi = r.systemAssignedIdentity;
      assert.ok(mi);
      assert.equal(mi.kind, 'system');
      assert.equal(mi.name, 'runbooks');
      assert.equal(mi.resourceId, r.resourceId, 'xms_mirid of a system-assigned identity is its resource');
      assert.equal(mi.ownerResource, 'runbooks');
      const sp = await t.directory.getServicePrincipal('contoso', mi.principalId);
      assert.equal(sp.servicePrincipalType, 'ManagedIdentity');
      assert.equal(sp.appId, mi.clientId);
      assert.equal(sp.displayName, 'runbooks');
      await assert.rejects(t.directory.createResource('contoso', { name: 'RUNBOOKS', kind: 'app' }), {
        code: 'ERR_CONFLICT',
      });
      await assert.rejects(t.directory.createResource('contoso', { name: '-bad', kind: 'app' }), {
        code: 'ERR_VALIDATION',
      });
      await assert.rejects(t.directory.createResource('contoso', { name: 'x', kind: 'cluster' as never }), {
        code: 'ERR_VALIDATION',
      });
    });

    test('a user-assigned identity lives on its own and attaches to many resources', async () => {
      const d = t.directory;
      const ua = await d.createIdentity('contoso', {
        name: 'apim-caller',
        clientId: '5E29463D-71DA-4FE0-8E69-999B57DB23B0',
      });
      assert.equal(ua.clientId, '5e29463d-71da-4fe0-8e69-999b57db23b0');
      assert.equal(
        ua.resourceId,
        '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/lanyard/providers/Microsoft.ManagedIdentity/userAssignedIdentities/apim-caller',
      );
      await d.createResource('contoso', {
        name: 'func-a',
        kind: 'app',
        userAssignedIdentities: ['apim-caller'],
      });
      await d.createResource('contoso', { name: 'func-b', kind: 'app' });
      await d.attachIdentity('contoso', 'func-b', ua.clientId);
      assert.deepEqual((await d.getIdentity('contoso', 'apim-caller')).attachedTo, ['func-a', 'func-b']);
      for (const ref of [ua.clientId, ua.principalId, ua.resourceId.toUpperCase(), 'apim-caller']) {
        assert.equal((await d.getIdentity('contoso', ref)).id, ua.id, ref);
      }
      await assert.rejects(d.createIdentity('contoso', { name: 'apim-caller' }), { code: 'ERR_CONFLICT' });
      await assert.rejects(d.createIdentity('contoso', { name: 'other', clientId: ua.clientId }), {
        code: 'ERR_CONFLICT',
      });
      await assert.rejects(
        d.createResource('contoso', { name: 'func-c', kind: 'app', userAssignedIdentities: ['nope'] }),
        {
          code: 'ERR_NOT_FOUND',
        },
      );
      await assert.rejects(
        d.getResource('contoso', 'func-c'),
        { code: 'ERR_NOT_FOUND' },
        'refused create wrote nothing',
      );
      await d.detachIdentity('contoso', 'func-b', 'apim-caller');
      assert.deepEqual((await d.getIdentity('contoso', 'apim-caller')).attachedTo, ['func-a']);
      await assert.rejects(d.detachIdentity('contoso', 'func-b', 'apim-caller'), { code: 'ERR_NOT_FOUND' });
    });

    test('role assignments follow Entra rules', async () => {
      const d = t.directory;
      const a = await d.assignRole('contoso', {
        principal: 'resource:runbooks',
        app: 'api://orders',
        role: 'Orders.Read',
      });
      assert.equal(a.appRoleValue, 'Orders.Read');
      assert.equal(a.principalType, 'ManagedIdentity');
      assert.equal(a.principalDisplayName, 'runbooks');
      assert.equal(a.resourceAppName, 'orders');
      await assert.rejects(
        d.assignRole('contoso', { principal: 'resource:runbooks', app: 'orders', role: 'Orders.Read' }),
        {
          code: 'ERR_CONFLICT',
        },
      );
      await assert.rejects(
        d.assignRole('contoso', { principal: 'identity:apim-caller', app: 'orders', role: 'Orders.Admin' }),
        {
          code: 'ERR_VALIDATION',
          message: /does not allow Application members/,
        },
      );
      await assert.rejects(
        d.assignRole('contoso', { principal: 'identity:apim-caller', app: 'orders', role: 'Orders.Old' }),
        {
          code: 'ERR_VALIDATION',
          message: /disabled/,
        },
      );
      await assert.rejects(d.assignRole('contoso', { principal: 'identity:apim-caller', app: 'orders' }), {
        code: 'ERR_VALIDATION',
        message: /defines roles/,
      });
      await assert.rejects(
        d.assignRole('contoso', { principal: 'identity:apim-caller', app: 'orders', role: 'Nope' }),
        {
          code: 'ERR_NOT_FOUND',
        },
      );
      await assert.rejects(
        d.assignRole('contoso', { principal: 'resource:func-b', app: 'orders', role: 'Orders.Read' }),
        {
          code: 'ERR_VALIDATION',
          message: /no system-assigned identity/,
        },
      );
      await assert.rejects(d.assignRole('contoso', { principal: 'nobody', app: 'orders' }), {
        code: 'ERR_VALIDATION',
      });

      const def = await d.assignRole('contoso', { principal: 'identity:apim-caller', app: 'plain' });
      assert.equal(def.appRoleId, DEFAULT_APP_ROLE_ID);
      assert.equal(def.appRoleValue, null);
      const byRoleId = await d.assignRole('contoso', {
        principal: 'identity:apim-caller',
        app: 'orders',
        role: (await d.getApp('contoso', 'orders')).appRoles[0]!.id,
      });
      assert.equal(byRoleId.appRoleValue, 'Orders.Read');
      const sp = await d.getServicePrincipal('contoso', 'plain');
      await d.assignRole('contoso', { principal: sp.objectId, app: 'orders', role: 'Orders.Read' });

      assert.equal((await d.listRoleAssignments('contoso')).length, 4);
      assert.equal((await d.listRoleAssignments('contoso', { app: 'orders' })).length, 3);
      assert.equal((await d.listRoleAssignments('contoso', { principal: 'identity:apim-caller' })).length, 2);

      await d.unassignRole('contoso', { principal: 'identity:apim-caller', app: 'plain' });
      await d.unassignRole('contoso', byRoleId.id);
      await assert.rejects(d.unassignRole('contoso', byRoleId.id), { code: 'ERR_NOT_FOUND' });
      await assert.rejects(
        d.unassignRole('contoso', { principal: 'identity:apim-caller', app: 'orders', role: 'Orders.Read' }),
        {
          code: 'ERR_NOT_FOUND',
        },
      );
      assert.equal((await d.listRoleAssignments('contoso')).length, 2);
    });

    test('turning a system identity off deletes it and its assignments; on again is a new identity', async () => {
      const d = t.directory;
      const before = (await d.getResource('contoso', 'runbooks')).systemAssignedIdentity!;
      await d.updateResource('contoso', 'runbooks', { systemAssignedIdentity: false });
      assert.equal((await d.getResource('contoso', 'runbooks')).systemAssignedIdentity, null);
      assert.equal((await d.listRoleAssignments('contoso', { app: 'orders' })).length, 1);
      await assert.rejects(d.getServicePrincipal('contoso', before.principalId), { code: 'ERR_NOT_FOUND' });
      const again = (await d.updateResource('contoso', 'runbooks', { systemAssignedIdentity: true }))
        .systemAssignedIdentity!;
      assert.notEqual(again.principalId, before.principalId);
    });

    test('deleting resources and identities cascades as Azure does', async () => {
      const d = t.directory;
      await d.assignRole('contoso', { principal: 'resource:runbooks', app: 'orders', role: 'Orders.Read' });
      const mi = (await d.getResource('contoso', 'runbooks')).systemAssignedIdentity!;
      await d.deleteResource('contoso', 'runbooks');
      await assert.rejects(d.getServicePrincipal('contoso', mi.principalId), { code: 'ERR_NOT_FOUND' });
      assert.ok((await d.listIdentities('contoso', { includeSystem: true })).every((i) => i.id !== mi.id));

      await d.deleteIdentity('contoso', 'apim-caller');
      assert.deepEqual((await d.getResource('contoso', 'func-a')).userAssignedIdentities, []);
      assert.deepEqual(
        (await d.listRoleAssignments('contoso')).map((a) => a.principalType),
        ['Application'],
        'only the app principal assignment is left',
      );
    });
  });
}
