/**
 * Resource Manager on the main listener, over real HTTPS with tokens from Lanyard's issuer: ARM's order of
 * checks (api-version, token, RBAC), its envelopes and headers, resource groups (PUT 201/200, HEAD, DELETE 202
 * + Location), resources with their identity block, role definitions and assignments at any scope, paging.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assignRole, createResourceGroup, putRole } from '../../src/management/service.ts';
import { startTestServer, type TestServer } from '../host/harness.ts';
import { clientToken } from './tokens.ts';

const V = 'api-version=2021-04-01';
const AUTHZ = 'api-version=2022-04-01';

describe('resource manager', () => {
  let t: TestServer;
  let tenantId: string;
  let sub: string;
  let opsSp: string;
  let opsToken: string;
  let graphToken: string;
  let otherToken: string;

  const token = (app: { appId: string; secret: string }, scope: string) =>
    clientToken(t, tenantId, app, scope);
  const arm = (method: string, path: string, body?: unknown, as = opsToken) =>
    t.call(method, path, { token: as, ...(body === undefined ? {} : { body }) });

  before(async () => {
    t = await startTestServer('sqlite');
    const d = t.runtime.directory;
    const tenant = await d.createTenant({ name: 'contoso' });
    tenantId = tenant.id;
    sub = tenant.defaultSubscriptionId.toLowerCase();
    const ops = await d.createApp('contoso', { name: 'ops' });
    const secret = await d.addClientSecret('contoso', 'ops', {});
    const other = await d.createApp('contoso', { name: 'other' });
    const otherSecret = await d.addClientSecret('contoso', 'other', {});
    opsSp = ops.servicePrincipalId;
    await d.createIdentity('contoso', { name: 'orders-uami' });
    await d.createResource('contoso', {
      name: 'kv1',
      kind: 'vault',
      userAssignedIdentities: ['orders-uami'],
    });
    await d.createResource('contoso', { name: 'fn1', kind: 'app', systemAssignedIdentity: true });
    await d.createResource('contoso', {
      name: 'build-vm',
      kind: 'vm',
      vmSize: 'Standard_D2s_v3',
      location: 'westeurope',
    });
    await assignRole(d, 'contoso', { principal: 'app:ops', role: 'Reader', scope: 'subscription' });
    opsToken = await token(
      { appId: ops.appId, secret: secret.secretText },
      'https://management.azure.com/.default',
    );
    graphToken = await token(
      { appId: ops.appId, secret: secret.secretText },
      'https://graph.microsoft.com/.default',
    );
    otherToken = await token(
      { appId: other.appId, secret: otherSecret.secretText },
      'https://management.core.windows.net//.default',
    );
  });
  after(async () => t?.cleanup());

  it('serves the cloud metadata without a token', async () => {
    const r = await t.call('GET', '/metadata/endpoints?api-version=2015-01-01', { token: null });
    assert.equal(r.status, 200);
    assert.equal(r.json.authentication.loginEndpoint, `${t.server.url.replace('127.0.0.1', '127.0.0.1')}/`);
    assert.deepEqual(r.json.authentication.audiences, [
      'https://management.core.windows.net/',
      'https://management.azure.com/',
    ]);
    const multi = await t.call('GET', '/metadata/endpoints?api-version=2022-09-01', { token: null });
    assert.ok(Array.isArray(multi.json));
    assert.equal(multi.json[0].resourceManager, `${t.server.url}/`);
  });

  it('checks api-version first, then the token, with ARM codes and a challenge', async () => {
    const noVersion = await t.call('GET', '/subscriptions', { token: null });
    assert.equal(noVersion.status, 400);
    assert.equal(noVersion.json.error.code, 'MissingApiVersionParameter');
    const noToken = await t.call('GET', `/subscriptions?${V}`, { token: null });
    assert.equal(noToken.status, 401);
    assert.equal(noToken.json.error.code, 'AuthenticationFailed');
    assert.match(
      String(noToken.headers['www-authenticate']),
      /^Bearer authorization_uri=.*error="invalid_token"/,
    );
    assert.doesNotMatch(String(noToken.headers['www-authenticate']), /claims=/);
    const badHeader = await t.call('GET', `/subscriptions?${V}`, {
      token: null,
      headers: { authorization: 'Basic x' },
    });
    assert.equal(badHeader.json.error.code, 'AuthenticationFailedInvalidHeader');
    const wrongAudience = await arm('GET', `/subscriptions?${V}`, undefined, graphToken);
    assert.equal(wrongAudience.status, 401);
    assert.equal(wrongAudience.json.error.code, 'InvalidAuthenticationTokenAudience');
    assert.match(
      wrongAudience.json.error.message,
      /wrong audience or resource 'https:\/\/graph\.microsoft\.com'/,
    );
    assert.match(String(wrongAudience.headers['x-lanyard-hint']), /management\.azure\.com/);
    const garbage = await arm('GET', `/subscriptions?${V}`, undefined, 'a.b.c');
    assert.equal(garbage.json.error.code, 'InvalidAuthenticationToken');
  });

  it('lists the subscriptions a caller holds a role in, with ARM headers', async () => {
    const r = await arm('GET', `/subscriptions?api-version=2019-11-01`, undefined, undefined);
    assert.equal(r.status, 200);
    assert.equal(r.json.value.length, 1);
    assert.equal(r.json.value[0].subscriptionId, sub);
    assert.equal(r.json.value[0].tenantId, tenantId);
    assert.equal(r.json.value[0].state, 'Enabled');
    assert.match(String(r.headers['x-ms-request-id']), /^[0-9a-f-]{36}$/);
    const echoed = await t.call('GET', `/subscriptions/${sub}?${V}`, {
      token: opsToken,
      headers: { 'x-ms-correlation-request-id': 'corr-1' },
    });
    assert.equal(echoed.headers['x-ms-correlation-request-id'], 'corr-1');
    // A caller with no role sees none, and the subscription is not found for it.
    const none = await arm('GET', `/subscriptions?${V}`, undefined, otherToken);
    assert.deepEqual(none.json.value, []);
    const hidden = await arm('GET', `/subscriptions/${sub}?${V}`, undefined, otherToken);
    assert.equal(hidden.status, 403);
    const missing = await arm('GET', `/subscriptions/00000000-0000-0000-0000-000000000009?${V}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, 'SubscriptionNotFound');
    const tenants = await arm('GET', `/tenants?${V}`);
    assert.equal(tenants.json.value[0].tenantId, tenantId);
  });

  it('reads resource groups as Reader, refuses writing them naming the role, and writes them as Contributor', async () => {
    const list = await arm('GET', `/subscriptions/${sub}/resourcegroups?${V}`);
    assert.deepEqual(
      list.json.value.map((g: { name: string }) => g.name),
      ['lanyard'],
    );
    const refused = await arm('PUT', `/subscriptions/${sub}/resourceGroups/team-rg?${V}`, {
      location: 'westeurope',
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error.code, 'AuthorizationFailed');
    assert.match(
      refused.json.error.message,
      new RegExp(
        `with object id '${opsSp}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/write' over scope '/subscriptions/${sub}/resourceGroups/team-rg'`,
      ),
    );
    assert.match(String(refused.headers['x-lanyard-hint']), /Contributor/);

    await assignRole(t.runtime.directory, 'contoso', {
      principal: 'app:ops',
      role: 'Contributor',
      scope: 'subscription',
    });
    const made = await arm('PUT', `/subscriptions/${sub}/resourceGroups/team-rg?${V}`, {
      location: 'westeurope',
      tags: { team: 'a' },
    });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.json.id, `/subscriptions/${sub}/resourceGroups/team-rg`);
    assert.equal(made.json.properties.provisioningState, 'Succeeded');
    const again = await arm('PUT', `/subscriptions/${sub}/resourcegroups/TEAM-RG?${V}`, {
      location: 'westeurope',
    });
    assert.equal(again.status, 200);
    const moved = await arm('PUT', `/subscriptions/${sub}/resourcegroups/team-rg?${V}`, {
      location: 'eastus',
    });
    assert.equal(moved.json.error.code, 'InvalidResourceGroupLocation');
    assert.equal((await arm('HEAD', `/subscriptions/${sub}/resourcegroups/team-rg?${V}`)).status, 204);
    assert.equal((await arm('HEAD', `/subscriptions/${sub}/resourcegroups/nope?${V}`)).status, 404);

    const del = await arm('DELETE', `/subscriptions/${sub}/resourcegroups/team-rg?${V}`);
    assert.equal(del.status, 202);
    assert.equal(del.headers['retry-after'], '0');
    const location = new URL(String(del.headers.location));
    assert.equal(location.searchParams.get('api-version'), '2021-04-01');
    assert.equal((await arm('GET', `${location.pathname}${location.search}`)).status, 200);
    const gone = await arm('GET', `/subscriptions/${sub}/resourcegroups/team-rg?${V}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.json.error.code, 'ResourceGroupNotFound');
    const holds = await arm('DELETE', `/subscriptions/${sub}/resourcegroups/lanyard?${V}`);
    assert.equal(holds.status, 409);
  });

  it('lists resources with their identity blocks, filters them, and gets one by id', async () => {
    const r = await arm('GET', `/subscriptions/${sub}/resources?${V}`);
    assert.equal(r.status, 200);
    const byName = new Map(r.json.value.map((x: { name: string }) => [x.name, x]));
    // biome-ignore lint/suspicious/noExplicitAny: inspected field by field
    const kv = byName.get('kv1') as any;
    assert.equal(kv.type, 'Microsoft.KeyVault/vaults');
    assert.equal(kv.identity.type, 'UserAssigned');
    const [uamiId, entry] = Object.entries(kv.identity.userAssignedIdentities)[0] as [
      string,
      { principalId: string },
    ];
    assert.match(uamiId, /\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/orders-uami$/);
    assert.match(entry.principalId, /^[0-9a-f-]{36}$/);
    // biome-ignore lint/suspicious/noExplicitAny: inspected field by field
    const fn = byName.get('fn1') as any;
    assert.equal(fn.identity.type, 'SystemAssigned');
    assert.equal(fn.identity.tenantId, tenantId);
    const filtered = await arm(
      'GET',
      `/subscriptions/${sub}/resources?${V}&$filter=${encodeURIComponent("resourceType eq 'Microsoft.KeyVault/vaults'")}`,
    );
    assert.deepEqual(
      filtered.json.value.map((x: { name: string }) => x.name),
      ['kv1'],
    );
    const badFilter = await arm(
      'GET',
      `/subscriptions/${sub}/resources?${V}&$filter=${encodeURIComponent('location gt 1')}`,
    );
    assert.equal(badFilter.json.error.code, 'InvalidFilterInQueryString');
    const one = await arm('GET', `${kv.id}?${V}`);
    assert.equal(one.status, 200);
    assert.equal(one.json.id, kv.id);
    const missing = await arm(
      'GET',
      `/subscriptions/${sub}/resourceGroups/lanyard/providers/Microsoft.KeyVault/vaults/nope?${V}`,
    );
    assert.equal(missing.json.error.code, 'ResourceNotFound');
    const uamis = await arm(
      'GET',
      `/subscriptions/${sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2023-01-31`,
    );
    assert.equal(uamis.json.value[0].properties.clientId.length, 36);
  });

  it('pages with an absolute nextLink that keeps api-version', async () => {
    for (let i = 0; i < 105; i++)
      await createResourceGroup(t.runtime.directory, 'contoso', { name: `rg-${String(i).padStart(3, '0')}` });
    const first = await arm('GET', `/subscriptions/${sub}/resourcegroups?${V}`);
    assert.equal(first.json.value.length, 100);
    const next = new URL(first.json.nextLink);
    assert.equal(next.origin, t.server.url);
    assert.equal(next.searchParams.get('api-version'), '2021-04-01');
    const second = await arm('GET', `${next.pathname}${next.search}`);
    assert.equal(second.json.value.length, 6);
    assert.equal(second.json.nextLink, undefined);
  });

  it('lists, creates and deletes role assignments at any scope, as User Access Administrator only', async () => {
    const scope = `/subscriptions/${sub}/resourceGroups/lanyard/providers/Microsoft.KeyVault/vaults/kv1`;
    const defs = await arm(
      'GET',
      `${scope}/providers/Microsoft.Authorization/roleDefinitions?${AUTHZ}&$filter=${encodeURIComponent("roleName eq 'Key Vault Secrets User'")}`,
    );
    assert.equal(defs.status, 200, defs.text);
    assert.equal(defs.json.value.length, 1);
    const roleDefinitionId = defs.json.value[0].id as string;
    assert.equal(
      roleDefinitionId,
      `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
    );
    const uami = (await t.runtime.directory.getIdentity('contoso', 'orders-uami')).principalId;
    const name = '11111111-2222-3333-4444-555555555555';
    const put = () =>
      arm('PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?${AUTHZ}`, {
        properties: { roleDefinitionId, principalId: uami, principalType: 'ServicePrincipal' },
      });
    const refused = await put();
    assert.equal(refused.status, 403);
    assert.match(refused.json.error.message, /Microsoft\.Authorization\/roleAssignments\/write/);
    await assignRole(t.runtime.directory, 'contoso', {
      principal: 'app:ops',
      role: 'User Access Administrator',
      scope: 'group:lanyard',
    });
    const made = await put();
    assert.equal(made.status, 201, made.text);
    assert.equal(made.json.properties.scope, scope);
    assert.equal(made.json.properties.principalId, uami);
    assert.equal((await put()).status, 200);
    const dup = await arm(
      'PUT',
      `${scope}/providers/Microsoft.Authorization/roleAssignments/99999999-2222-3333-4444-555555555555?${AUTHZ}`,
      {
        properties: { roleDefinitionId, principalId: uami },
      },
    );
    assert.equal(dup.status, 409);
    assert.equal(dup.json.error.code, 'RoleAssignmentExists');
    const atScope = await arm(
      'GET',
      `${scope}/providers/Microsoft.Authorization/roleAssignments?${AUTHZ}&$filter=atScope()`,
    );
    const names = atScope.json.value.map((a: { name: string }) => a.name);
    assert.ok(names.includes(name));
    const mine = await arm(
      'GET',
      `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments?${AUTHZ}&$filter=${encodeURIComponent(`principalId eq '${uami}'`)}`,
    );
    assert.deepEqual(
      mine.json.value.map((a: { name: string }) => a.name),
      [name],
    );
    const del = await arm(
      'DELETE',
      `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?${AUTHZ}`,
    );
    assert.equal(del.status, 200);
    assert.equal(
      (await arm('DELETE', `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?${AUTHZ}`))
        .status,
      204,
    );
    const noPrincipal = await arm(
      'PUT',
      `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?${AUTHZ}`,
      {
        properties: { roleDefinitionId, principalId: '00000000-0000-0000-0000-00000000abcd' },
      },
    );
    assert.equal(noPrincipal.json.error.code, 'PrincipalNotFound');
  });
  it('lists virtual machines with their power state, changes it, and serves their network interface', async () => {
    const C = 'api-version=2022-11-01';
    const list = await arm('GET', `/subscriptions/${sub}/providers/Microsoft.Compute/virtualMachines?${C}`);
    assert.equal(list.status, 200, list.text);
    const vm = list.json.value.find((v: { name: string }) => v.name === 'build-vm');
    assert.equal(vm.location, 'westeurope');
    assert.equal(vm.properties.hardwareProfile.vmSize, 'Standard_D2s_v3');
    assert.equal(vm.properties.instanceView, undefined);
    const status = async () => {
      const one = await arm('GET', `${vm.id}?${C}&$expand=instanceView`);
      assert.equal(one.status, 200, one.text);
      return one.json.properties.instanceView.statuses
        .filter((x: { code: string }) => x.code.startsWith('PowerState/'))
        .map((x: { displayStatus: string }) => x.displayStatus);
    };
    assert.deepEqual(await status(), ['VM running']);
    const refused = await arm('POST', `${vm.id}/deallocate?${C}`, undefined, otherToken);
    assert.equal(refused.status, 403);
    assert.match(refused.json.error.message, /Microsoft\.Compute\/virtualMachines\/deallocate\/action/);
    const done = await arm('POST', `${vm.id}/deallocate?${C}`);
    assert.equal(done.status, 202, done.text);
    assert.deepEqual(await status(), ['VM deallocated']);
    const view = await arm('GET', `${vm.id}/instanceView?${C}`);
    assert.equal(view.json.statuses[1].code, 'PowerState/deallocated');
    assert.equal((await t.runtime.directory.getResource('contoso', 'build-vm')).powerState, 'deallocated');
    const nic = await arm(
      'GET',
      `${vm.properties.networkProfile.networkInterfaces[0].id}?api-version=2022-07-01`,
    );
    assert.equal(nic.status, 200, nic.text);
    assert.match(nic.json.properties.macAddress, /^00-0D-3A-[0-9A-F]{2}-[0-9A-F]{2}-[0-9A-F]{2}$/);
    assert.match(nic.json.properties.ipConfigurations[0].properties.privateIPAddress, /^10\.0\.\d+\.\d+$/);
    const byGroup = await arm(
      'GET',
      `/subscriptions/${sub}/resourceGroups/lanyard/providers/Microsoft.Compute/virtualMachines?${C}&statusOnly=true`,
    );
    assert.ok(byGroup.json.value[0].properties.instanceView);
  });
  it('every path: a caller with no role gets AuthorizationFailed naming a role, a wrong-audience token a 401', async () => {
    const vm = `/subscriptions/${sub}/resourceGroups/lanyard/providers/Microsoft.Compute/virtualMachines/build-vm`;
    const kv = `/subscriptions/${sub}/resourceGroups/lanyard/providers/Microsoft.KeyVault/vaults/kv1`;
    const paths: [string, string, unknown?][] = [
      ['GET', `/subscriptions/${sub}?${V}`],
      ['GET', `/subscriptions/${sub}/resourcegroups?${V}`],
      ['GET', `/subscriptions/${sub}/resourcegroups/lanyard?${V}`],
      ['PUT', `/subscriptions/${sub}/resourcegroups/other-rg?${V}`, { location: 'eastus' }],
      ['DELETE', `/subscriptions/${sub}/resourcegroups/lanyard?${V}`],
      ['GET', `/subscriptions/${sub}/resources?${V}`],
      ['GET', `/subscriptions/${sub}/resourcegroups/lanyard/resources?${V}`],
      ['GET', `${kv}?${V}`],
      ['GET', `/subscriptions/${sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?${V}`],
      [
        'PUT',
        `/subscriptions/${sub}/resourcegroups/lanyard/providers/Microsoft.ManagedIdentity/userAssignedIdentities/new-uami?${V}`,
        {},
      ],
      ['GET', `/subscriptions/${sub}/providers/Microsoft.Compute/virtualMachines?${V}`],
      ['GET', `${vm}?${V}`],
      ['GET', `${vm}/instanceView?${V}`],
      ['POST', `${vm}/start?${V}`],
      [
        'GET',
        `/subscriptions/${sub}/resourceGroups/lanyard/providers/Microsoft.Network/networkInterfaces/build-vm-nic?${V}`,
      ],
      ['GET', `${kv}/providers/Microsoft.Authorization/roleDefinitions?${AUTHZ}`],
      ['GET', `${kv}/providers/Microsoft.Authorization/roleAssignments?${AUTHZ}`],
      [
        'PUT',
        `${kv}/providers/Microsoft.Authorization/roleAssignments/22222222-2222-3333-4444-555555555555?${AUTHZ}`,
        { properties: { roleDefinitionId: 'x', principalId: 'y' } },
      ],
      [
        'DELETE',
        `${kv}/providers/Microsoft.Authorization/roleAssignments/22222222-2222-3333-4444-555555555555?${AUTHZ}`,
      ],
    ];
    for (const [method, path, body] of paths) {
      const refused = await arm(method, path, body, otherToken);
      assert.equal(refused.status, 403, `${method} ${path}: ${refused.text}`);
      assert.equal(refused.json.error.code, 'AuthorizationFailed', `${method} ${path}`);
      assert.match(
        String(refused.headers['x-lanyard-hint']),
        /lanyard rbac assign .* --role "[^"]+"/,
        `${method} ${path}`,
      );
      const audience = await arm(method, path, body, graphToken);
      assert.equal(audience.status, 401, `${method} ${path}`);
      assert.equal(audience.json.error.code, 'InvalidAuthenticationTokenAudience', `${method} ${path}`);
    }
  });
  it('attaching a user-assigned identity needs assign/action on it: LinkedAuthorizationFailed, then allowed', async () => {
    const d = t.runtime.directory;
    const second = await d.createIdentity('contoso', { name: 'second-uami' });
    const kv = `/subscriptions/${sub}/resourceGroups/lanyard/providers/Microsoft.KeyVault/vaults/kv1`;
    await putRole(d, 'contoso', {
      roleName: 'Vault Writer',
      assignableScopes: ['subscription'],
      permissions: [{ actions: ['Microsoft.KeyVault/vaults/read', 'Microsoft.KeyVault/vaults/write'] }],
    });
    await assignRole(d, 'contoso', { principal: 'app:other', role: 'Vault Writer', scope: 'resource:kv1' });
    const body = {
      identity: { type: 'UserAssigned', userAssignedIdentities: { [second.resourceId]: {} } },
    };
    const refused = await arm('PATCH', `${kv}?${V}`, body, otherToken);
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json.error.code, 'LinkedAuthorizationFailed');
    assert.match(
      refused.json.error.message,
      /has permission to perform action 'Microsoft\.KeyVault\/vaults\/write'/,
    );
    assert.match(
      refused.json.error.message,
      /Microsoft\.ManagedIdentity\/userAssignedIdentities\/assign\/action/,
    );
    assert.match(String(refused.headers['x-lanyard-hint']), /Managed Identity Operator/);
    await assignRole(d, 'contoso', {
      principal: 'app:other',
      role: 'Managed Identity Operator',
      scope: 'identity:second-uami',
    });
    const done = await arm('PATCH', `${kv}?${V}`, body, otherToken);
    assert.equal(done.status, 200, done.text);
    const attached = Object.keys(done.json.identity.userAssignedIdentities);
    assert.equal(attached.length, 2, 'orders-uami kept, second-uami added');
    assert.ok(attached.some((k) => k.endsWith('/second-uami')));
    assert.deepEqual(
      (await d.getResource('contoso', 'kv1')).userAssignedIdentities.map((i) => i.name).sort(),
      ['orders-uami', 'second-uami'],
    );
  });
});
