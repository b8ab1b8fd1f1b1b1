import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LanyardError } from '../../src/errors/lanyard-error.ts';
import type { Runtime } from '../../src/host/runtime.ts';
import {
  assignRole,
  checkAccess,
  createResourceGroup,
  createSubscription,
  deleteResourceGroup,
  deleteRole,
  listResourceGroups,
  listRoleAssignments,
  listSubscriptions,
  putRole,
  unassignRole,
} from '../../src/management/service.ts';
import { openTestRuntime } from '../helpers/runtime.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const rejects = (p: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof LanyardError, String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });

const READ_SECRET = 'Microsoft.KeyVault/vaults/secrets/getSecret/action';

for (const kind of STORE_KINDS) {
  describe(`management service (${kind})`, () => {
    let runtime: Runtime;
    let cleanup: () => Promise<void>;
    let sub: string;

    before(async () => {
      ({ runtime, cleanup } = await openTestRuntime(kind));
      const d = runtime.directory;
      const tenant = await d.createTenant({ name: 'contoso' });
      sub = tenant.defaultSubscriptionId.toLowerCase();
      await d.createIdentity('contoso', { name: 'orders-uami' });
      await d.createIdentity('contoso', { name: 'other-uami', resourceGroup: 'other-rg' });
      await d.createResource('contoso', { name: 'kv1', kind: 'vault' });
      await d.createResource('contoso', { name: 'kv2', kind: 'vault', resourceGroup: 'other-rg' });
    });
    after(async () => cleanup?.());

    it('lists the default subscription, and declared ones with their names', async () => {
      const d = runtime.directory;
      const before = await listSubscriptions(d, 'contoso');
      assert.deepEqual(
        before.map((s) => [s.subscriptionId, s.declared]),
        [[sub, false]],
      );
      const made = await createSubscription(d, 'contoso', { displayName: 'Contoso Dev' });
      const after = await listSubscriptions(d, 'contoso');
      assert.equal(after.length, 2);
      assert.equal(after.find((s) => s.subscriptionId === made.subscriptionId)?.displayName, 'Contoso Dev');
      await rejects(
        createSubscription(d, 'contoso', { displayName: 'x', state: 'Sleeping' }),
        'ERR_VALIDATION',
      );
    });

    it('lists resource groups the directory uses and declared ones; deletes only empty declared ones', async () => {
      const d = runtime.directory;
      const names = async () => (await listResourceGroups(d, 'contoso')).map((g) => g.name);
      assert.deepEqual(await names(), ['lanyard', 'other-rg']);
      const { created } = await createResourceGroup(d, 'contoso', {
        name: 'Empty-RG',
        location: 'westeurope',
      });
      assert.equal(created, true);
      assert.equal((await createResourceGroup(d, 'contoso', { name: 'empty-rg' })).created, false);
      await rejects(
        createResourceGroup(d, 'contoso', { name: 'empty-rg', location: 'eastus' }),
        'ERR_VALIDATION',
        /location cannot change/,
      );
      assert.deepEqual(await names(), ['Empty-RG', 'lanyard', 'other-rg']);
      await rejects(deleteResourceGroup(d, 'contoso', { name: 'other-rg' }), 'ERR_IN_USE');
      await rejects(createResourceGroup(d, 'contoso', { name: 'bad/name' }), 'ERR_VALIDATION');
      await rejects(
        createResourceGroup(d, 'contoso', {
          name: 'x',
          subscriptionId: '00000000-0000-0000-0000-000000000001',
        }),
        'ERR_NOT_FOUND',
      );
    });

    it('assigns a role on a resource, decides with it, names the role that would grant, and unassigns', async () => {
      const d = runtime.directory;
      const refused = await checkAccess(d, 'contoso', {
        principal: 'identity:orders-uami',
        action: READ_SECRET,
        scope: 'resource:kv1',
        dataAction: true,
      });
      assert.equal(refused.decision.allowed, false);
      assert.equal(
        refused.decision.allowed === false && refused.decision.wouldGrant[0]?.roleName,
        'Key Vault Secrets User',
      );

      const a = await assignRole(d, 'contoso', {
        principal: 'identity:orders-uami',
        role: 'key vault secrets user',
        scope: 'resource:kv1',
      });
      assert.equal(a.roleName, 'Key Vault Secrets User');
      assert.match(
        a.id,
        /\/providers\/Microsoft\.KeyVault\/vaults\/kv1\/providers\/Microsoft\.Authorization\/roleAssignments\//,
      );
      const allowed = await checkAccess(d, 'contoso', {
        principal: 'identity:orders-uami',
        action: READ_SECRET,
        scope: 'resource:kv1',
        dataAction: true,
      });
      assert.equal(allowed.decision.allowed, true);
      // Not on a sibling vault, not for another principal, not as a control-plane action.
      for (const probe of [
        { principal: 'identity:orders-uami', scope: 'resource:kv2', dataAction: true },
        { principal: 'identity:other-uami', scope: 'resource:kv1', dataAction: true },
        { principal: 'identity:orders-uami', scope: 'resource:kv1', dataAction: false },
      ]) {
        const r = await checkAccess(d, 'contoso', { ...probe, action: READ_SECRET });
        assert.equal(r.decision.allowed, false, JSON.stringify(probe));
      }
      await rejects(
        assignRole(d, 'contoso', {
          principal: 'identity:orders-uami',
          role: 'Key Vault Secrets User',
          scope: 'resource:kv1',
        }),
        'ERR_RBAC_ASSIGNMENT_EXISTS',
      );
      await rejects(
        assignRole(d, 'contoso', {
          principal: 'identity:orders-uami',
          role: 'No Such Role',
          scope: 'resource:kv1',
        }),
        'ERR_NOT_FOUND',
      );
      await rejects(
        assignRole(d, 'contoso', { principal: 'identity:orders-uami', role: 'Reader', scope: '/' }),
        'ERR_RBAC_SCOPE',
      );
      assert.equal((await listRoleAssignments(d, 'contoso', { scope: 'resource:kv1' })).length, 1);
      assert.equal((await listRoleAssignments(d, 'contoso', { scope: 'resource:kv2' })).length, 0);
      const removed = await unassignRole(d, 'contoso', { id: a.id });
      assert.equal(removed.name, a.name);
      assert.equal((await listRoleAssignments(d, 'contoso')).length, 0);
      await rejects(unassignRole(d, 'contoso', { id: a.name }), 'ERR_NOT_FOUND');
    });

    it('inherits from a resource group down to its resources, and a deleted group takes its assignments', async () => {
      const d = runtime.directory;
      await createResourceGroup(d, 'contoso', { name: 'team-rg' });
      await assignRole(d, 'contoso', {
        principal: 'identity:other-uami',
        role: 'Key Vault Secrets Officer',
        scope: `/subscriptions/${sub}/resourceGroups/TEAM-RG`,
      });
      const inside = await checkAccess(d, 'contoso', {
        principal: 'identity:other-uami',
        action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
        scope: `/subscriptions/${sub}/resourceGroups/team-rg/providers/Microsoft.KeyVault/vaults/any`,
        dataAction: true,
      });
      assert.equal(inside.decision.allowed, true);
      const { assignmentsRemoved } = await deleteResourceGroup(d, 'contoso', { name: 'team-rg' });
      assert.equal(assignmentsRemoved, 1);
      assert.equal((await listRoleAssignments(d, 'contoso', { principal: 'identity:other-uami' })).length, 0);
    });

    it('keeps custom roles, refuses deleting one while assigned', async () => {
      const d = runtime.directory;
      const { role } = await putRole(d, 'contoso', {
        roleName: 'Secret Peeker',
        description: 'reads one kind of secret',
        assignableScopes: [`/subscriptions/${sub}`],
        permissions: [{ dataActions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action'] }],
      });
      const a = await assignRole(d, 'contoso', {
        principal: 'identity:orders-uami',
        role: 'Secret Peeker',
        scope: 'resource:kv2',
      });
      const r = await checkAccess(d, 'contoso', {
        principal: 'identity:orders-uami',
        action: READ_SECRET,
        scope: 'resource:kv2',
        dataAction: true,
      });
      assert.equal(r.decision.allowed, true);
      await rejects(deleteRole(d, role.id), 'ERR_IN_USE');
      await unassignRole(d, 'contoso', { id: a.name });
      assert.equal((await deleteRole(d, 'secret peeker')).id, role.id);
      await rejects(deleteRole(d, 'Owner'), 'ERR_READ_ONLY');
    });
  });
}
