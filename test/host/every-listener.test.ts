/**
 * One test for every listener `lanyard up` starts (the main HTTPS listener, the managed-identity endpoint and
 * each Easy Auth front): all come from the one listener factory, so each cuts off a client that trickles its
 * headers within the headers timeout, and answers 503 past its connection cap.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { RunningFronts } from '../../src/easyauth/plane.ts';
import { setEasyAuth } from '../../src/easyauth/store.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { type RunningHost, startHost } from '../../src/host/start-host.ts';
import { createLogger } from '../../src/http/logger.ts';
import { tempDir } from '../helpers/stores.ts';
import { idleConnection, rawGet, type Target, trickleHeaders } from '../http/slow-client.ts';
import { ADMIN_TOKEN } from './harness.ts';

describe('every listener of a running host', () => {
  let dataDir: string;
  let runtime: Runtime;
  let host: RunningHost;
  const targets: { name: string; target: Target }[] = [];

  before(async () => {
    dataDir = tempDir('lanyard-listeners-');
    runtime = await openRuntime({ dataDir, store: `sqlite:${dataDir}/lanyard.db`, env: {} });
    const tenant = await runtime.directory.createTenant({ name: 'contoso' });
    await runtime.directory.createApp(tenant.id, { name: 'orders' });
    await runtime.directory.createResource(tenant.id, { name: 'orders-fn', kind: 'app' });
    await setEasyAuth(runtime.directory, tenant.id, 'orders-fn', {
      upstream: 'http://127.0.0.1:9',
      listen: { port: 0 },
      identityProviders: { azureActiveDirectory: { registration: { clientId: 'orders' } } },
    });
    host = await startHost({
      runtime,
      logger: createLogger({ level: 'silent' }),
      adminToken: ADMIN_TOKEN,
      host: '127.0.0.1',
      port: 0,
      settings: { identityPort: 0 },
      limits: { headersTimeout: 1_000, maxConnections: 2 },
      serverInfo: false,
    });
    const ca = fs.readFileSync(host.server.caCertPath, 'utf8');
    targets.push({ name: 'main', target: { port: host.server.port, ca } });
    targets.push({
      name: 'managed-identity',
      target: { port: Number(new URL(host.identityEndpoint!).port) },
    });
    const front = (host.planes.get('easyauth') as RunningFronts).fronts()[0]!;
    targets.push({ name: 'easy auth', target: { port: front.port, ca } });
  });
  after(async () => {
    await host?.close();
    await runtime?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts the three kinds of listener', () => {
    assert.deepEqual(
      targets.map((t) => t.name),
      ['main', 'managed-identity', 'easy auth'],
    );
  });

  it('cuts off a slow-header client on each, within the headers timeout plus one sweep', async () => {
    const results = await Promise.all(targets.map((t) => trickleHeaders(t.target, 100, 15_000)));
    results.forEach((r, i) => {
      assert.ok(r.closedAfterMs < 3_000, `${targets[i]!.name}: closed after ${r.closedAfterMs} ms`);
      assert.ok(r.bytesSent >= 5, `${targets[i]!.name}: the client was still sending`);
    });
  });

  it('answers 503 past the connection cap on each', async () => {
    for (const { name, target } of targets) {
      const held = [await idleConnection(target), await idleConnection(target)];
      try {
        const reply = await rawGet(target);
        assert.match(reply, /^HTTP\/1\.1 503 /, `${name}: ${reply.slice(0, 40)}`);
        assert.match(reply, /retry-after: 1/i, name);
      } finally {
        for (const h of held) h.close();
      }
      // Let the server see the closes before the next listener's turn.
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
