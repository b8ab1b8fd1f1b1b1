/**
 * Seed 004's Get-VM-Status, end to end with real processes: the seed manifest applied (its VMs, the
 * vm-reporter application with Reader on the subscription), `lanyard up`, and the example function
 * (examples/seeds/apps/get-vm-status.mjs) signing in with the credentials a flow passes it and answering with
 * the resource groups and VMs and their power states from Lanyard's Resource Manager. A power state changed
 * with the CLI shows on the next call; without the role the function relays ARM's AuthorizationFailed. Run as
 * the function app get-vm-status (`lanyard run`) and called with no credentials, it signs in with its own
 * managed identity (Reader on the subscription, in the manifest) and finds the subscription itself.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChildHandle } from '../../src/demo/processes.ts';
import { startChild } from '../../src/demo/processes.ts';
import { tempDir } from '../helpers/stores.ts';
import { APPS, applySeed, BIN, env, lanyard, startUp, stopChildren } from './seed-helpers.ts';

const TENANT_ID = '7db9058d-daff-4163-b923-542830604db3';

describe('seed 004: Get-VM-Status reports the subscription’s VMs and their power states', () => {
  const dataDir = tempDir('lanyard-e2e-004-');
  const children: ChildHandle[] = [];
  let fnUrl: string;
  let main: string;
  let credentials: Record<string, string>;

  before(async () => {
    await applySeed(dataDir);
    const secret = await lanyard(dataDir, ['app', 'secret', 'add', '--app', 'vm-reporter', '-o', 'json']);
    assert.equal(secret.code, 0, secret.stderr);
    const app = await lanyard(dataDir, ['app', 'show', 'vm-reporter', '-o', 'json']);
    assert.equal(app.code, 0, app.stderr);
    const subs = await lanyard(dataDir, ['subscription', 'list', '--tenant', 'contoso', '-o', 'json']);
    credentials = {
      tenantId: TENANT_ID,
      applicationId: JSON.parse(app.stdout).appId,
      secret: JSON.parse(secret.stdout).secretText,
      subscriptionId: JSON.parse(subs.stdout)[0].subscriptionId,
    };
    const up = startUp(dataDir, children);
    main = (await up.waitForLine(/lanyard listening on (https:\/\/localhost:\d+)/))[1]!;
    await up.waitForLine(/Press Ctrl\+C to stop\./);
    const fn = startChild('get-vm-status', process.execPath, [path.join(APPS, 'get-vm-status.mjs')], {
      env: env(dataDir, {
        PORT: '0',
        LANYARD_URL: main,
        NODE_EXTRA_CA_CERTS: path.join(dataDir, 'ca', 'ca.pem'),
      }),
    });
    children.push(fn);
    fnUrl = (await fn.waitForLine(/listening on (http:\/\/127\.0\.0\.1:\d+\/api\/get-vm-status)/))[1]!;
  });
  after(() => stopChildren(children, dataDir));

  const call = async () => {
    const r = await fetch(fnUrl, { method: 'POST', body: JSON.stringify(credentials) });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  it('answers with the resource groups and each VM’s power state', async () => {
    const r = await call();
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const vms = r.body.virtualMachines as { name: string; powerState: string; size: string }[];
    assert.deepEqual(vms.map((v) => [v.name, v.powerState]).sort(), [
      ['build-agent', 'VM running'],
      ['test-runner', 'VM deallocated'],
    ]);
    assert.equal(vms.find((v) => v.name === 'build-agent')?.size, 'Standard_D2s_v3');
    assert.ok((r.body.resourceGroups as { name: string }[]).some((g) => g.name === 'lanyard'));
    assert.equal(r.body.credential, 'ClientSecretCredential');
  });

  it('as the function app, called with no credentials, signs in with its own managed identity', async () => {
    const fn = startChild(
      'get-vm-status (as get-vm-status)',
      process.execPath,
      [BIN, 'run', '--as', 'get-vm-status', '--', process.execPath, path.join(APPS, 'get-vm-status.mjs')],
      { env: env(dataDir, { PORT: '0', LANYARD_URL: main }) },
    );
    children.push(fn);
    const url = (await fn.waitForLine(/listening on (http:\/\/127\.0\.0\.1:\d+\/api\/get-vm-status)/))[1]!;
    const r = await fetch(url, { method: 'POST', body: '{}' });
    const body = (await r.json()) as Record<string, unknown>;
    assert.equal(r.status, 200, JSON.stringify(body));
    assert.equal(body.credential, 'ManagedIdentityCredential');
    assert.equal(body.subscriptionId, credentials.subscriptionId, 'the subscription its identity can read');
    assert.deepEqual((body.virtualMachines as { name: string }[]).map((v) => v.name).sort(), [
      'build-agent',
      'test-runner',
    ]);
  });

  it('shows a power state changed with the CLI', async () => {
    const set = await lanyard(dataDir, ['resource', 'update', 'test-runner', '--power-state', 'running']);
    assert.equal(set.code, 0, set.stderr);
    const vms = (await call()).body.virtualMachines as { name: string; powerState: string }[];
    assert.equal(vms.find((v) => v.name === 'test-runner')?.powerState, 'VM running');
  });

  it('relays AuthorizationFailed once the application’s Reader role is removed', async () => {
    const removed = await lanyard(dataDir, [
      'rbac',
      'unassign',
      '--principal',
      'app:vm-reporter',
      '--role',
      'Reader',
      '--scope',
      'subscription',
    ]);
    assert.equal(removed.code, 0, removed.stderr);
    const r = await call();
    assert.equal(r.status, 403);
    assert.equal(r.body.error, 'AuthorizationFailed');
  });
});
