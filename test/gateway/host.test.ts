/**
 * @module test/gateway/host
 * The gateway plane in a running host, on both store dialects: a gateway declared in a manifest (its global
 * policy in a file next to it) gets an HTTPS front at startHost, with a certificate from the local CA, listed
 * in the host's lines and server.json; a request with the subscription key reaches the backend through the
 * policies. A policy changed through the store is served within a second; the store refuses a policy that
 * does not compile, and one that lands anyway (written past the store) leaves the old configuration serving
 * and is logged with its position. A gateway added while running gets a front; a removed one loses it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import type { RunningGateways } from '../../src/gateway/plane.ts';
import { PolicyLoadError } from '../../src/gateway/policy/errors.ts';
import { putGateway, removeGateway, setGatewayPolicy } from '../../src/gateway/store.ts';
import type { GatewayTables } from '../../src/gateway/tables.ts';
import { applyManifest, loadManifest } from '../../src/host/manifest.ts';
import { readRunInfo } from '../../src/host/run-info.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import type { RunningHost } from '../../src/host/start-host.ts';
import { createLogger } from '../../src/http/logger.ts';
import { markChanged } from '../../src/store/change-feed.ts';
import { tablesOf } from '../../src/store/handle.ts';
import { STORE_KINDS, tempDir, testLocation } from '../helpers/stores.ts';
import { ADMIN_TOKEN, startLocalHost, within } from '../host/harness.ts';

const KEY = 'a'.repeat(32);
const GLOBAL = (version: string) =>
  `<policies>
  <inbound><set-header name="X-Gateway-Version" exists-action="override"><value>${version}</value></set-header></inbound>
  <backend><forward-request /></backend>
  <outbound><set-header name="X-Policy" exists-action="override"><value>${version}</value></set-header></outbound>
  <on-error />
</policies>`;

for (const kind of STORE_KINDS) {
  describe(`gateway fronts in a running host (${kind})`, () => {
    let dataDir: string;
    let drop: () => Promise<void>;
    let runtime: Runtime;
    let host: RunningHost;
    let backend: http.Server;
    let agent: Agent;
    const logs: string[] = [];
    const running = () => host.planes.get('gateway') as RunningGateways;
    const front = (name: string) =>
      running()
        .fronts()
        .find((f) => f.name === name);
    const call = async (name: string, target: string, key: string | undefined = KEY) => {
      const f = front(name);
      assert.ok(f, `gateway ${name} has a front`);
      const port = new URL(f.url).port;
      const res = await request(`https://127.0.0.1:${port}${target}`, {
        dispatcher: agent,
        headers: key ? { 'ocp-apim-subscription-key': key } : {},
      });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text };
    };

    before(async () => {
      dataDir = tempDir('lanyard-gateway-host-');
      const made = testLocation(kind, dataDir);
      drop = made.drop;
      backend = http.createServer((req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ url: req.url, version: req.headers['x-gateway-version'] ?? null }));
      });
      await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
      const backendUrl = `http://127.0.0.1:${(backend.address() as { port: number }).port}`;
      fs.writeFileSync(path.join(dataDir, 'global.xml'), GLOBAL('v1'));
      const file = path.join(dataDir, 'lanyard.yaml');
      fs.writeFileSync(
        file,
        `apiVersion: lanyard/v1
tenants:
  - name: contoso
    resources:
      - name: contoso-gw
        kind: gateway
      - name: other-gw
        kind: gateway
    gateways:
      - resource: contoso-gw
        policyFile: global.xml
        apis:
          - name: echo
            path: echo
            serviceUrl: ${backendUrl}/backend
            operations:
              - { name: any, method: GET, urlTemplate: "/{*rest}" }
          - name: limited
            path: limited
            serviceUrl: ${backendUrl}
            subscriptionRequired: false
            policy: >-
              <policies><inbound><base /><rate-limit-by-key calls="2" renewal-period="60"
              counter-key="everyone" /></inbound><backend><base /></backend><outbound><base /></outbound>
              <on-error><base /></on-error></policies>
            operations:
              - { name: any, method: GET, urlTemplate: "/{*rest}" }
        subscriptions:
          - { name: alice, primaryKey: ${KEY} }
`,
      );
      const logger = createLogger({ level: 'debug', destination: { write: (l: string) => logs.push(l) } });
      runtime = await openRuntime({
        dataDir,
        store: made.location,
        env: { LANYARD_ADMIN_TOKEN: ADMIN_TOKEN },
        auditSink: logger,
      });
      await applyManifest(runtime.directory, await loadManifest(file));
      host = await startLocalHost(runtime, logger);
      agent = new Agent({ connect: { ca: fs.readFileSync(host.server.caCertPath, 'utf8') } });
    });
    after(async () => {
      await agent?.close();
      await host?.close();
      await runtime?.close();
      await new Promise((r) => backend.close(r));
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('serves the declared gateway over HTTPS, listed in the lines and server.json', async () => {
      const f = front('contoso-gw');
      assert.ok(f, logs.filter((l) => l.includes('"level":50') || l.includes('error')).join('\n'));
      assert.match(f!.url, /^https:\/\/contoso-gw\.localhost:\d+$/);
      assert.ok(host.lines().includes(`gateway contoso-gw  ${f!.url}`), host.lines().join('\n'));
      const info = readRunInfo(dataDir);
      assert.ok(
        info?.listeners?.some((l) => l.plane === 'gateway' && l.kind === 'gateway' && l.url === f!.url),
      );
      const ok = await call('contoso-gw', '/echo/orders/42?x=1');
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(JSON.parse(ok.text), { url: '/backend/orders/42?x=1', version: 'v1' });
      assert.equal(ok.headers['x-policy'], 'v1');
      const refused = await call('contoso-gw', '/echo/orders/42', 'wrong-key-0123456789');
      assert.equal(refused.status, 401);
    });

    it("counts rate limits with the plane's counters", async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await call('contoso-gw', '/limited/x', '')).status);
      assert.deepEqual(statuses, [200, 200, 429]);
    });

    it('a policy changed through the store is served within a second', async () => {
      await setGatewayPolicy(runtime.directory, 'contoso', 'contoso-gw', { xml: GLOBAL('v2') });
      const ms = await within(
        1000,
        async () => (await call('contoso-gw', '/echo/a')).headers['x-policy'] === 'v2',
      );
      assert.ok(ms <= 1000);
    });

    it('a bad policy is refused by the store, and one that lands anyway leaves the old one serving', async () => {
      await assert.rejects(
        setGatewayPolicy(runtime.directory, 'contoso', 'contoso-gw', {
          xml: '<policies><inbound><nope/></inbound></policies>',
        }),
        PolicyLoadError,
      );
      // Written past the store (another version of Lanyard, a hand edit): the plane must not swap it in.
      const resource = await runtime.directory.getResource('contoso', 'contoso-gw');
      const db = runtime.store.db;
      await db.transaction().execute(async (trx) => {
        await tablesOf<GatewayTables>(trx)
          .updateTable('gateways')
          .set({
            policy: JSON.stringify({
              xml: '<policies>\n  <inbound><nope/></inbound>\n</policies>',
              file: 'bad.xml',
            }),
          })
          .where('resource_id', '=', resource.id)
          .execute();
        await markChanged(trx, 'gateway');
      });
      await within(3000, async () => logs.some((l) => l.includes('gateway change not applied')));
      const line = logs.find((l) => l.includes('gateway change not applied'))!;
      const logged = JSON.parse(line);
      assert.equal(logged.policyFile, 'bad.xml');
      assert.equal(logged.line, 2);
      await within(2000, async () => logs.some((l) => l.includes('config.refuse')));
      const still = await call('contoso-gw', '/echo/b');
      assert.equal(still.status, 200);
      assert.equal(still.headers['x-policy'], 'v2', 'the old configuration keeps serving');
      // A good write afterwards is served again.
      await setGatewayPolicy(runtime.directory, 'contoso', 'contoso-gw', { xml: GLOBAL('v3') });
      await within(1000, async () => (await call('contoso-gw', '/echo/c')).headers['x-policy'] === 'v3');
    });

    it('a gateway added while running gets a front; a removed one loses it', async () => {
      await putGateway(runtime.directory, 'contoso', 'other-gw', {
        apis: [
          {
            name: 'open',
            path: '',
            serviceUrl: `http://127.0.0.1:${(backend.address() as { port: number }).port}`,
            subscriptionRequired: false,
            operations: [{ name: 'any', method: '*', urlTemplate: '/{*rest}' }],
          },
        ],
      });
      await within(2000, async () => front('other-gw') !== undefined);
      const res = await call('other-gw', '/hello', '');
      assert.equal(res.status, 200, res.text);
      assert.equal(JSON.parse(res.text).url, '/hello');
      await within(2000, async () =>
        Boolean(readRunInfo(dataDir)?.listeners?.some((l) => l.kind === 'gateway' && l.name === 'other-gw')),
      );
      await removeGateway(runtime.directory, 'contoso', 'other-gw');
      await within(2000, async () => front('other-gw') === undefined);
    });
  });
}
