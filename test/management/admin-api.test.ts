/**
 * The management plane's admin API over real HTTPS: RBAC assignments (create, list by scope and principal,
 * check, delete), a custom role, subscriptions and resource groups; bad bodies refused with Lanyard's errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../host/harness.ts';

const READ_SECRET = 'Microsoft.KeyVault/vaults/secrets/getSecret/action';

describe('management admin API', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer('sqlite');
    const d = t.runtime.directory;
    await d.createTenant({ name: 'contoso' });
    await d.createIdentity('contoso', { name: 'orders-uami' });
    await d.createResource('contoso', { name: 'kv1', kind: 'vault' });
  });
  after(() => t?.cleanup());

  const base = '/admin/tenants/contoso';
  const check = async () =>
    (
      await t.call('POST', `${base}/rbac/check`, {
        body: {
          principal: 'identity:orders-uami',
          action: READ_SECRET,
          scope: 'resource:kv1',
          dataAction: true,
        },
      })
    ).json;

  it('assigns, lists, checks and removes an RBAC role assignment', async () => {
    const before = await check();
    assert.equal(before.decision.allowed, false);
    assert.equal(before.decision.wouldGrant[0].roleName, 'Key Vault Secrets User');
    const made = await t.call('POST', `${base}/rbac/assignments`, {
      body: { principal: 'identity:orders-uami', role: 'Key Vault Secrets User', scope: 'resource:kv1' },
    });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.json.roleName, 'Key Vault Secrets User');
    const listed = await t.call('GET', `${base}/rbac/assignments?scope=resource:kv1`);
    assert.deepEqual(
      listed.json.map((a: { name: string }) => a.name),
      [made.json.name],
    );
    assert.equal((await check()).decision.allowed, true);
    const dup = await t.call('POST', `${base}/rbac/assignments`, {
      body: { principal: 'identity:orders-uami', role: 'Key Vault Secrets User', scope: 'resource:kv1' },
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.error.code, 'ERR_RBAC_ASSIGNMENT_EXISTS');
    assert.equal((await t.call('DELETE', `${base}/rbac/assignments/${made.json.name}`)).status, 200);
    assert.equal((await check()).decision.allowed, false);
    const bad = await t.call('POST', `${base}/rbac/assignments`, {
      body: { principal: 'identity:orders-uami' },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'ERR_VALIDATION');
    assert.equal((await t.call('GET', `${base}/rbac/assignments?nope=1`)).status, 400);
  });

  it('creates and deletes a custom role; lists subscriptions; creates and deletes a resource group', async () => {
    const role = await t.call('PUT', `${base}/rbac/roles`, {
      body: {
        roleName: 'Peeker',
        assignableScopes: ['subscription'],
        permissions: [{ dataActions: [READ_SECRET] }],
      },
    });
    assert.equal(role.status, 201, role.text);
    assert.ok(
      (await t.call('GET', `${base}/rbac/roles`)).json.some(
        (r: { roleName: string }) => r.roleName === 'Peeker',
      ),
    );
    assert.equal((await t.call('PUT', `${base}/rbac/roles`, { body: { roleName: 'x' } })).status, 400);
    assert.equal((await t.call('DELETE', `${base}/rbac/roles/Peeker`)).status, 200);
    const subs = await t.call('GET', `${base}/subscriptions`);
    assert.equal(subs.json.length, 1);
    const group = await t.call('POST', `${base}/resource-groups`, {
      body: { name: 'team-rg', location: 'westeurope' },
    });
    assert.equal(group.status, 201, group.text);
    assert.ok(
      (await t.call('GET', `${base}/resource-groups`)).json.some(
        (g: { name: string }) => g.name === 'team-rg',
      ),
    );
    assert.equal((await t.call('DELETE', `${base}/resource-groups/team-rg`)).status, 200);
  });
});
