/**
 * @module test/compat/arm-sdk.test
 * The ARM SDKs for JavaScript, unmodified, in their own process, against Lanyard's Resource Manager: resource
 * groups listed through every page (more than one), created and deleted through the long-running-operation
 * poller, the subscription's resources with their identity blocks, and role assignments created, listed and
 * deleted with `@azure/arm-authorization`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assignRole, createResourceGroup } from '../../src/management/service.ts';
import { type CompatServer, startCompatServer } from './compat-server.ts';
import { runClient } from './run-client.ts';

describe('ARM SDKs for JavaScript', () => {
  let s: CompatServer;
  let env: Record<string, string>;
  let sub: string;
  before(async () => {
    s = await startCompatServer();
    const d = s.runtime.directory;
    sub = (await d.getTenant('contoso')).defaultSubscriptionId.toLowerCase();
    await d.createIdentity('contoso', { name: 'orders-uami' });
    await d.createResource('contoso', {
      name: 'kv1',
      kind: 'vault',
      userAssignedIdentities: ['orders-uami'],
    });
    await d.createResource('contoso', {
      name: 'web-vm',
      kind: 'vm',
      vmSize: 'Standard_D2s_v3',
      powerState: 'stopped',
    });
    await assignRole(d, 'contoso', {
      principal: s.seed.caller.servicePrincipalId,
      role: 'Contributor',
      scope: 'subscription',
    });
    await assignRole(d, 'contoso', {
      principal: s.seed.caller.servicePrincipalId,
      role: 'User Access Administrator',
      scope: 'subscription',
    });
    for (let i = 0; i < 104; i++) await createResourceGroup(d, 'contoso', { name: `page-rg-${i}` });
    env = {
      NODE_EXTRA_CA_CERTS: s.caPath,
      COMPAT_TENANT: s.seed.tenantId,
      COMPAT_CLIENT_ID: s.seed.caller.appId,
      COMPAT_SECRET: s.seed.caller.secret,
      COMPAT_AUTHORITY_HOST: s.url,
      COMPAT_ARM: s.url,
      COMPAT_SUBSCRIPTION: sub,
    };
  });
  after(() => s?.cleanup());

  it('@azure/arm-resources: pages of groups, create, resources, delete through the poller', async () => {
    const run = await runClient('arm-sdk.mjs', { ...env, COMPAT_STEP: 'resources' });
    assert.ok(run.result.ok, JSON.stringify(run.result.error));
    const v = run.result.value;
    assert.equal(v.groups.length, 105, 'every page followed: 104 declared + the default group');
    assert.deepEqual(v.made, {
      id: `/subscriptions/${sub}/resourceGroups/sdk-rg`,
      location: 'northeurope',
      tags: { by: 'sdk' },
    });
    const kv = v.resources.find((r: { name: string }) => r.name === 'kv1');
    assert.equal(kv.type, 'Microsoft.KeyVault/vaults');
    assert.equal(kv.identity.type, 'UserAssigned');
    assert.equal(v.existsAfterDelete, false);
  });

  it('@azure/arm-authorization: a role assignment created, listed at its scope and deleted', async () => {
    const scope = `/subscriptions/${sub}/resourceGroups/lanyard/providers/Microsoft.KeyVault/vaults/kv1`;
    const principal = (await s.runtime.directory.getIdentity('contoso', 'orders-uami')).principalId;
    const name = '0d3b1d2e-8f4a-4c5b-9e6d-7f8a9b0c1d2e';
    const run = await runClient('arm-sdk.mjs', {
      ...env,
      COMPAT_STEP: 'authorization',
      COMPAT_SCOPE: scope,
      COMPAT_ASSIGNMENT: name,
      COMPAT_PRINCIPAL: principal,
    });
    assert.ok(run.result.ok, JSON.stringify(run.result.error));
    const v = run.result.value;
    assert.equal(v.definition, 'Key Vault Secrets User');
    assert.deepEqual(v.made, { name, scope, principalId: principal });
    assert.ok(v.listed.includes(name));
    assert.equal(v.removed, name);
  });

  it('@azure/arm-compute: every VM with its power state (seed 004), and one started through the poller', async () => {
    const run = await runClient('arm-sdk.mjs', { ...env, COMPAT_STEP: 'compute' });
    assert.ok(run.result.ok, JSON.stringify(run.result.error));
    assert.deepEqual(run.result.value.vms, [
      { name: 'web-vm', group: 'lanyard', size: 'Standard_D2s_v3', power: 'VM stopped' },
    ]);
    assert.equal(run.result.value.afterStart, 'VM running');
  });
});
