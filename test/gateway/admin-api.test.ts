/**
 * @module test/gateway/admin-api
 * The gateway's admin routes on a started host (real HTTPS, admin token): a gateway made on a resource of kind
 * gateway, an API, an operation, a product with its API, a subscription (keys in the 201 and in `…/keys`
 * only), a secret named value (never in an answer), a backend and a policy at the operation scope — a policy
 * that does not load refused with its position and nothing stored. A request through the running front that
 * asks for a trace leaves one the admin API returns by its `Apim-Trace-Id`, and `lanyard gateway trace` (the
 * real CLI, in its own process) prints it from the running host; once the host stops it says none runs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import type { RunningGateways } from '../../src/gateway/plane.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../host/harness.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The real CLI in its own process, without blocking this one's event loop (the host it asks runs here). */
function lanyard(
  dataDir: string,
  ...args: string[]
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LANYARD_DATA_DIR: dataDir,
      LANYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    };
    for (const name of ['LANYARD_STORE', 'LANYARD_TENANT', 'LANYARD_MASTER_KEY']) delete env[name];
    const child = spawn(process.execPath, ['bin/lanyard.js', ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const G = '/admin/tenants/contoso/gateways/apim';
const OP_POLICY = `<policies>
  <inbound><base /><set-header name="X-Op" exists-action="override"><value>{{greeting}}</value></set-header></inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>`;

describe('gateway admin API', () => {
  let server: TestServer;
  let backend: http.Server;
  let backendUrl: string;
  let agent: Agent;
  let keys: { primaryKey: string; secondaryKey: string };

  before(async () => {
    backend = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url, op: req.headers['x-op'] ?? null }));
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    backendUrl = `http://127.0.0.1:${(backend.address() as { port: number }).port}`;
    server = await startTestServer('sqlite');
    agent = new Agent({ connect: { ca: server.ca } });
    assert.equal((await server.call('POST', '/admin/tenants', { body: { name: 'contoso' } })).status, 201);
    const r = await server.call('POST', '/admin/tenants/contoso/resources', {
      body: { name: 'apim', kind: 'gateway' },
    });
    assert.equal(r.status, 201, r.text);
  });
  after(async () => {
    await agent?.close();
    await server?.cleanup();
    await new Promise((r) => backend?.close(r));
  });

  it('creates a gateway and its objects; keys only where meant', async () => {
    const gw = await server.call('POST', '/admin/tenants/contoso/gateways', { body: { resource: 'apim' } });
    assert.equal(gw.status, 201, gw.text);
    assert.equal(gw.json.name, 'apim');
    const again = await server.call('POST', '/admin/tenants/contoso/gateways', {
      body: { resource: 'apim' },
    });
    assert.equal(again.status, 409);

    const api = await server.call('POST', `${G}/apis`, {
      body: { name: 'orders', path: 'orders', serviceUrl: backendUrl, protocols: ['https'] },
    });
    assert.equal(api.status, 201, api.text);
    const op = await server.call('POST', `${G}/apis/orders/operations`, {
      body: { name: 'get-order', method: 'GET', urlTemplate: '/orders/{id}' },
    });
    assert.equal(op.status, 201, op.text);
    assert.equal((await server.call('POST', `${G}/products`, { body: { name: 'starter' } })).status, 201);
    const added = await server.call('PUT', `${G}/products/starter/apis/orders`);
    assert.deepEqual(added.json.apis, ['orders']);

    const sub = await server.call('POST', `${G}/subscriptions`, {
      body: { name: 'dev', scope: 'product:starter', allowTracing: true },
    });
    assert.equal(sub.status, 201, sub.text);
    assert.match(sub.json.primaryKey, /^[0-9a-f]{32}$/);
    keys = { primaryKey: sub.json.primaryKey, secondaryKey: sub.json.secondaryKey };
    const listed = await server.call('GET', `${G}/subscriptions`);
    assert.deepEqual(listed.json, [
      { name: 'dev', displayName: 'dev', scope: 'product:starter', state: 'active', allowTracing: true },
    ]);
    assert.ok(!listed.text.includes(keys.primaryKey));
    assert.ok(!(await server.call('GET', `${G}/subscriptions/dev`)).text.includes(keys.primaryKey));
    assert.deepEqual((await server.call('POST', `${G}/subscriptions/dev/keys`)).json, {
      name: 'dev',
      ...keys,
    });

    const secret = await server.call('PUT', `${G}/named-values/greeting`, {
      body: { value: 'hello-secret', secret: true },
    });
    assert.equal(secret.status, 201, secret.text);
    assert.deepEqual(secret.json, { name: 'greeting', secret: true });
    assert.ok(!(await server.call('GET', `${G}/named-values`)).text.includes('hello-secret'));
    assert.equal(
      (await server.call('POST', `${G}/backends`, { body: { name: 'b1', url: backendUrl } })).status,
      201,
    );
    assert.equal((await server.call('GET', `${G}/backends/b1`)).json.url, backendUrl);
  });

  it('refuses a policy that does not load, with its position, and stores nothing', async () => {
    const bad = await server.call('PUT', `${G}/apis/orders/operations/get-order/policy`, {
      body: {
        xml: '<policies>\n  <inbound>\n    <no-such-policy />\n  </inbound>\n</policies>',
        file: 'op.xml',
      },
    });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.json.error.code, 'ERR_GATEWAY_POLICY');
    assert.match(bad.json.error.message, /op\.xml:3:5/);
    const shown = await server.call('GET', `${G}/apis/orders/operations/get-order/policy`);
    assert.equal(shown.json.xml, undefined);
    const good = await server.call('PUT', `${G}/apis/orders/operations/get-order/policy`, {
      body: { xml: OP_POLICY },
    });
    assert.equal(good.status, 200, good.text);
    assert.equal(good.json.xml, OP_POLICY);
  });

  it('refuses an unknown gateway and a delete of an API still in use', async () => {
    const r = await server.call('GET', '/admin/tenants/contoso/gateways/nope/apis');
    assert.equal(r.status, 404);
    const inUse = await server.call('DELETE', `${G}/apis/orders`);
    assert.equal(inUse.status, 409);
    assert.equal(inUse.json.error.code, 'ERR_IN_USE');
  });

  it('returns the trace a running front kept, through the admin API and lanyard gateway trace', async () => {
    const running = () => server.host.planes.get('gateway') as RunningGateways;
    let front: { url: string } | undefined;
    for (let i = 0; i < 100 && !front; i++) {
      front = running()
        ?.fronts()
        .find((f) => f.name === 'apim');
      // The front runs the operation's policy once the change has reached it.
      if (front) {
        const probe = await request(`https://127.0.0.1:${new URL(front.url).port}/orders/orders/1`, {
          dispatcher: agent,
          headers: { 'ocp-apim-subscription-key': keys.primaryKey },
        });
        const body = (await probe.body.json()) as { op: string | null };
        if (body.op !== 'hello-secret') front = undefined;
      }
      if (!front) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(front, 'the gateway has a front serving the operation policy');
    const res = await request(`https://127.0.0.1:${new URL(front.url).port}/orders/orders/7`, {
      dispatcher: agent,
      headers: { 'ocp-apim-subscription-key': keys.primaryKey, 'ocp-apim-trace': 'true' },
    });
    await res.body.text();
    assert.equal(res.statusCode, 200);
    const id = res.headers['apim-trace-id'] as string;
    assert.ok(id, 'the answer names its trace');

    const trace = await server.call('GET', `${G}/traces/${id}`);
    assert.equal(trace.status, 200, trace.text);
    assert.equal(trace.json.operation, 'get-order');
    assert.equal(trace.json.path, '/orders/orders/7');
    assert.ok(!trace.text.includes('hello-secret'), 'a secret named value is not in a trace');
    assert.equal((await server.call('GET', `${G}/traces/not-a-trace`)).status, 404);

    const shown = await lanyard(server.dataDir, 'gateway', 'trace', id, '--gateway', 'apim', '-o', 'json');
    assert.equal(shown.status, 0, shown.stderr);
    const printed = JSON.parse(shown.stdout) as { id: string; operation: string };
    assert.equal(printed.id, id);
    assert.equal(printed.operation, 'get-order');
    const table = await lanyard(server.dataDir, 'gateway', 'trace', id, '--gateway', 'apim');
    assert.match(table.stdout, /operation +get-order/);
    const missing = await lanyard(server.dataDir, 'gateway', 'trace', 'nope', '--gateway', 'apim');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /ERR_NOT_FOUND/);

    // trace --on: every request is traced, with no Ocp-Apim-Trace header; --off stops it.
    const on = await lanyard(
      server.dataDir,
      'gateway',
      'trace',
      '--on',
      '--minutes',
      '5',
      '--gateway',
      'apim',
      '-o',
      'json',
    );
    assert.equal(on.status, 0, on.stderr);
    assert.ok(Date.parse((JSON.parse(on.stdout) as { tracingUntil: string }).tracingUntil) > Date.now());
    const plain = async () => {
      const r = await request(`https://127.0.0.1:${new URL(front!.url).port}/orders/orders/8`, {
        dispatcher: agent,
        headers: { 'ocp-apim-subscription-key': keys.primaryKey },
      });
      await r.body.text();
      return r.headers['apim-trace-id'];
    };
    const tracedId = await plain();
    assert.ok(tracedId, 'traced while tracing is on');
    assert.equal((await server.call('GET', `${G}/traces/${tracedId}`)).json.path, '/orders/orders/8');
    assert.equal((await lanyard(server.dataDir, 'gateway', 'trace', '--off', '--gateway', 'apim')).status, 0);
    assert.equal(await plain(), undefined, 'not traced once it is off');
    assert.equal((await server.call('PUT', `${G}/tracing/0`)).status, 400);
    const usage = await lanyard(server.dataDir, 'gateway', 'trace', '--gateway', 'apim');
    assert.equal(usage.status, 1);
    assert.match(usage.stderr, /Give a trace id, or --on, or --off/);

    await server.host.close();
    const stopped = await lanyard(server.dataDir, 'gateway', 'trace', id, '--gateway', 'apim');
    assert.equal(stopped.status, 1);
    assert.match(stopped.stderr, /No running Lanyard serves/);
  });
});
