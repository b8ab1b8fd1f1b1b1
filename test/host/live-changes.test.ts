/**
 * A running host applies what another process (the CLI, another node) commits, within a second and without
 * a restart — on SQLite (the change feed polls) and PostgreSQL (LISTEN/NOTIFY): an Easy Auth config added,
 * changed and removed; an app role assigned; a workload revoked.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import type { Tenant } from '../../src/directory/types.ts';
import type { RunningFronts } from '../../src/easyauth/plane.ts';
import type { EasyAuthFront } from '../../src/easyauth/proxy.ts';
import { removeEasyAuth, setEasyAuth } from '../../src/easyauth/store.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import type { RunningHost } from '../../src/host/start-host.ts';
import { createLogger } from '../../src/http/logger.ts';
import { STORE_KINDS, tempDir, testLocation } from '../helpers/stores.ts';
import { startLocalHost, within } from './harness.ts';

for (const kind of STORE_KINDS) {
  describe(`a running host applies changes committed elsewhere (${kind})`, () => {
    let dataDir: string;
    let drop: () => Promise<void>;
    let served: Runtime;
    let cli: Runtime;
    let host: RunningHost;
    let tenant: Tenant;
    let upstream: http.Server;
    let upstreamUrl: string;
    let agent: Agent;
    const fronts = () => (host.planes.get('easyauth') as RunningFronts).fronts();
    const get = async (front: EasyAuthFront, path: string) => {
      const res = await request(`${front.loopbackUrl}${path}`, { dispatcher: agent });
      await res.body.dump();
      return res.statusCode;
    };
    const config = (extra: Record<string, unknown> = {}) => ({
      upstream: upstreamUrl,
      identityProviders: { azureActiveDirectory: { registration: { clientId: 'protected-api' } } },
      ...extra,
    });

    before(async () => {
      dataDir = tempDir('lanyard-live-');
      const made = testLocation(kind, dataDir);
      drop = made.drop;
      upstream = http.createServer((_req, res) => res.end('ok'));
      await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
      upstreamUrl = `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}`;
      served = await openRuntime({ dataDir, store: made.location, env: {} });
      // The second runtime on the same store is what a `lanyard` command in another process holds.
      cli = await openRuntime({ dataDir, store: made.location, env: {} });
      tenant = await cli.directory.createTenant({ name: 'contoso' });
      await cli.directory.createApp(tenant.id, {
        name: 'protected-api',
        appRoles: [
          { value: 'Invoke', allowedMemberTypes: ['Application'] },
          { value: 'Read', allowedMemberTypes: ['Application'] },
        ],
      });
      await cli.directory.createApp(tenant.id, { name: 'caller-app' });
      await cli.directory.createResource(tenant.id, { name: 'protected-func', kind: 'app' });
      await cli.directory.createResource(tenant.id, {
        name: 'caller-func',
        kind: 'app',
        systemAssignedIdentity: true,
      });
      host = await startLocalHost(served, createLogger({ level: 'silent' }), { serverInfo: false });
      agent = new Agent({
        connect: { ca: fs.readFileSync(host.server.caCertPath, 'utf8') },
        keepAliveTimeout: 100,
      });
    });
    after(async () => {
      await agent?.close();
      await host?.close();
      await served?.close();
      await cli?.close();
      await new Promise((r) => upstream?.close(r));
      await drop?.();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('starts, reconfigures and stops an Easy Auth front as its config is set, changed and removed', async () => {
      assert.equal(fronts().length, 0);
      await setEasyAuth(cli.directory, tenant.id, 'protected-func', config());
      const started = await within(1_500, async () => fronts().length === 1);
      assert.ok(started < 1_000, `front started after ${started} ms`);
      const front = fronts()[0]!;
      assert.equal(await get(front, '/public/x'), 401);

      await setEasyAuth(
        cli.directory,
        tenant.id,
        'protected-func',
        config({ globalValidation: { excludedPaths: ['/public/*'] } }),
      );
      const applied = await within(1_500, async () => (await get(front, '/public/x')) === 200);
      assert.ok(applied < 1_000, `config applied after ${applied} ms`);
      assert.equal(fronts()[0], front, 'the same front (and port) kept serving');
      assert.equal(await get(front, '/private'), 401, 'the rest still needs a token');

      await removeEasyAuth(cli.directory, tenant.id, 'protected-func');
      const stopped = await within(1_500, async () => fronts().length === 0);
      assert.ok(stopped < 1_000, `front stopped after ${stopped} ms`);
    });

    it('issues tokens with an app role assigned by another process, at once', async () => {
      const mint = async () => {
        const callerApp = await served.directory.getApp(tenant.id, 'caller-app');
        const apiApp = await served.directory.getApp(tenant.id, 'protected-api');
        const client = (await served.directory.findClient(tenant.id, callerApp.appId))!;
        const issued = await served.tokens.mint({
          tenant,
          client,
          requestedAs: apiApp.appId,
          acr: '1',
          via: 'test',
        });
        const claims = JSON.parse(Buffer.from(issued.accessToken.split('.')[1]!, 'base64url').toString());
        return (claims.roles ?? []) as string[];
      };
      assert.deepEqual(await mint(), []);
      await cli.directory.assignRole(tenant.id, {
        principal: 'app:caller-app',
        app: 'protected-api',
        role: 'Read',
      });
      const ms = await within(1_500, async () => (await mint()).includes('Read'));
      assert.ok(ms < 1_000, `role seen after ${ms} ms`);
    });

    it('refuses a workload revoked by another process within a second', async () => {
      const issued = await cli.workloads.issue(tenant.id, 'caller-func', { label: 'live test' });
      const apiApp = await cli.directory.getApp(tenant.id, 'protected-api');
      const ask = async () => {
        const url = `${host.identityEndpoint}?resource=${apiApp.appId}&api-version=2019-08-01`;
        const res = await request(url, { headers: { 'x-identity-header': issued.secret } });
        await res.body.dump();
        return res.statusCode;
      };
      assert.equal(await ask(), 200);
      await cli.workloads.revoke(issued.id);
      const ms = await within(1_500, async () => (await ask()) !== 200);
      assert.ok(ms < 1_000, `revocation applied after ${ms} ms`);
    });
  });
}
