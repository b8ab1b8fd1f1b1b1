import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { masterKeyFromBytes } from '../../../src/crypto/master-key.ts';
import { createSecretHasher } from '../../../src/crypto/secret-hash.ts';
import { compileGateway } from '../../../src/gateway/compile-gateway.ts';
import { EXPRESSION_BODY_LIMIT, type GatewayFront, startGatewayFront } from '../../../src/gateway/front.ts';
import { DEFAULT_KEY_HEADER, DEFAULT_KEY_QUERY, type GatewayDefinition } from '../../../src/gateway/model.ts';
import { createBackendClient } from '../../../src/gateway/runtime/backend-client.ts';
import { createTraceStore, startTracing, stopTracing } from '../../../src/gateway/runtime/traces.ts';
import { harnessServices } from '../policy-harness.ts';

const hasher = createSecretHasher(masterKeyFromBytes(randomBytes(32)));
const KEYS = {
  all: 'key-all-0123456789',
  orders: 'key-orders-0123456789',
  gold: 'key-gold-0123456789',
  off: 'key-off-0123456789',
};

const BIG_CHUNKS = 128;
/** Set when the backend saw its big answer's connection go before it was done. */
let bigAborted = false;

/** A backend that answers with what it received. */
function echoServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url?.startsWith('/api/broken')) {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      if (req.url?.startsWith('/api/big')) {
        // BIG_CHUNKS chunks of 64 KiB, a turn of the event loop apart: some reach the gateway before its pipeline
        // is done, the rest after it relays; the caller reads slower than the backend writes (backpressure).
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.once('close', () => {
          if (!res.writableFinished) bigAborted = true;
        });
        // `?endless`: never ends, so only the caller going away ends it.
        const endless = req.url.includes('endless');
        let i = 0;
        const next = () => {
          if (res.destroyed) return;
          if (i === BIG_CHUNKS && !endless) return void res.end();
          const chunk = Buffer.alloc(64 * 1024, i++ % 251);
          if (res.write(chunk)) setImmediate(next);
          else res.once('drain', next);
        };
        next();
        return;
      }
      if (req.url?.startsWith('/api/slow')) {
        setTimeout(() => res.end('late'), 1500);
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const stamp = (name: string) =>
  `<policies><inbound><base/><set-header name="X-${name}"><value>yes</value></set-header></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/><set-header name="X-Failed"><value>@(context.LastError.Reason)</value></set-header></on-error></policies>`;

function definition(backend: string): GatewayDefinition {
  const sub = (
    name: string,
    scope: GatewayDefinition['subscriptions'][number]['scope'],
    key: string,
    state: 'active' | 'suspended' = 'active',
  ) => ({
    name,
    displayName: name,
    scope,
    state,
    primaryKeyHash: hasher.hash(key),
    secondaryKeyHash: hasher.hash(`${key}-2`),
    allowTracing: true,
  });
  const api = (name: string, path: string, subscriptionRequired: boolean) => ({
    name,
    displayName: name,
    path,
    serviceUrl: `${backend}/api`,
    protocols: ['https', 'http'] as const,
    subscriptionRequired,
    subscriptionKeyHeader: name === 'renamed' ? 'X-Api-Key' : DEFAULT_KEY_HEADER,
    subscriptionKeyQuery: DEFAULT_KEY_QUERY,
    policy: { xml: stamp(`Api-${name}`) },
    operations: [
      {
        name: 'get-one',
        displayName: 'Get one',
        method: 'GET',
        urlTemplate: '/items/{id}',
        policy: { xml: stamp('Op') },
      },
      { name: 'latest', displayName: 'Latest', method: 'GET', urlTemplate: '/items/latest' },
      { name: 'post', displayName: 'Post', method: 'POST', urlTemplate: '/items' },
      { name: 'broken', displayName: 'Broken', method: 'GET', urlTemplate: '/broken' },
      { name: 'big', displayName: 'Big', method: 'GET', urlTemplate: '/big' },
      {
        name: 'inspect',
        displayName: 'Inspect',
        method: 'POST',
        urlTemplate: '/inspect',
        policy: {
          xml: '<policies><inbound><base/><set-header name="X-Body-Kind"><value>@(context.Request.Body.As<string>(true).StartsWith("{") ? "json" : "other")</value></set-header></inbound></policies>',
        },
      },
      {
        name: 'slow',
        displayName: 'Slow',
        method: 'GET',
        urlTemplate: '/slow',
        policy: { xml: '<policies><backend><forward-request timeout="1"/></backend></policies>' },
      },
    ],
  });
  return {
    resourceId: 'r1',
    tenantId: 't1',
    name: 'contoso',
    policy: {
      xml: `<policies><inbound><set-header name="X-Global"><value>yes</value></set-header></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`,
    },
    apis: [
      api('orders', 'orders', true),
      api('open', 'public/v1', true),
      api('free', 'free', false),
      api('renamed', 'renamed', true),
      {
        ...api('web', 'web', true),
        policy: {
          xml: '<policies><inbound><cors><allowed-origins><origin>https://app.example</origin></allowed-origins><allowed-methods><method>GET</method><method>POST</method></allowed-methods><allowed-headers><header>content-type</header></allowed-headers></cors><base/></inbound></policies>',
        },
      },
    ],
    products: [
      {
        name: 'gold',
        displayName: 'Gold',
        subscriptionRequired: true,
        published: true,
        apis: ['orders'],
        policy: { xml: stamp('Product-gold') },
      },
      {
        name: 'starter',
        displayName: 'Starter',
        subscriptionRequired: false,
        published: true,
        apis: ['open'],
      },
    ],
    subscriptions: [
      sub('all', { kind: 'all' }, KEYS.all),
      sub('orders-only', { kind: 'api', name: 'orders' }, KEYS.orders),
      sub('gold-sub', { kind: 'product', name: 'gold' }, KEYS.gold),
      sub('suspended', { kind: 'all' }, KEYS.off, 'suspended'),
    ],
    namedValues: [],
    backends: [],
  };
}

describe('gateway front', () => {
  let backend: http.Server;
  let front: GatewayFront;
  const client = createBackendClient();
  const traces = createTraceStore(10);
  let backendUrl: string;

  before(async () => {
    backend = await echoServer();
    backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    const services = harnessServices({ backend: client });
    front = await startGatewayFront({
      compiled: compileGateway(definition(backendUrl), { services }),
      services,
      hashKey: (k) => hasher.hash(k),
      host: '127.0.0.1',
      port: 0,
      traces,
    });
  });
  // Each part closed on its own: a failed `before` must not leave the backend holding the process open.
  after(async () => {
    await front?.close();
    await client.close();
    backend?.close();
  });

  const call = async (path: string, init: RequestInit = {}) => {
    const r = await fetch(`${front.url}${path}`, init);
    const text = await r.text();
    return { status: r.status, headers: r.headers, text, json: () => JSON.parse(text) };
  };

  it('builds backend URLs on the service URL without its query, fragment or trailing slashes', () => {
    const services = harnessServices({ backend: client });
    const base = (serviceUrl: string) => {
      const d = definition('http://unused');
      const api = { ...d.apis[0]!, serviceUrl };
      return compileGateway({ ...d, apis: [api] }, { services }).apis[0]!.serviceBase;
    };
    assert.equal(base('http://h.test/base/?code=x#f'), 'http://h.test/base');
    assert.equal(base('https://h.test'), 'https://h.test');
    assert.equal(base('https://h.test//'), 'https://h.test');
    assert.equal(base('http://u:p@h.test:8080/a/b'), 'http://u:p@h.test:8080/a/b');
  });

  it('answers an unmatched path or operation with APIM 404 and a hint', async () => {
    for (const path of ['/nothing/here', '/orders/unknown']) {
      const r = await call(path, { headers: { [DEFAULT_KEY_HEADER]: KEYS.all } });
      assert.equal(r.status, 404);
      assert.deepEqual(r.json(), { statusCode: 404, message: 'Resource not found' });
      assert.ok(r.headers.get('x-lanyard-hint'));
    }
  });

  it('refuses a missing, unknown or suspended key with the exact APIM bodies, after on-error ran', async () => {
    const missing = await call('/orders/items/1');
    assert.equal(missing.status, 401);
    assert.deepEqual(missing.json(), {
      statusCode: 401,
      message:
        'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.',
    });
    assert.equal(missing.headers.get('x-failed'), 'SubscriptionKeyNotFound');
    assert.match(
      missing.headers.get('x-lanyard-hint') ?? '',
      /Ocp-Apim-Subscription-Key header or the subscription-key query/,
    );
    for (const key of ['wrong', KEYS.off]) {
      const r = await call('/orders/items/1', { headers: { [DEFAULT_KEY_HEADER]: key } });
      assert.equal(r.status, 401);
      assert.deepEqual(r.json(), {
        statusCode: 401,
        message:
          'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.',
      });
    }
    // A key for another API is as invalid as an unknown one.
    const other = await call('/free/items/1', { headers: { [DEFAULT_KEY_HEADER]: KEYS.orders } });
    assert.equal(other.status, 401);
  });

  it('forwards with a valid key: path under the service URL, policies of every scope, key and XFF forwarded', async () => {
    const r = await call('/orders/items/42?x=1', { headers: { [DEFAULT_KEY_HEADER]: KEYS.all } });
    assert.equal(r.status, 200);
    const seen = r.json();
    assert.equal(seen.url, '/api/items/42?x=1');
    assert.equal(seen.headers['x-global'], 'yes');
    assert.equal(seen.headers['x-api-orders'], 'yes');
    assert.equal(seen.headers['x-op'], 'yes');
    assert.equal(seen.headers['x-product-gold'], undefined, 'no product context for an all-APIs key');
    assert.equal(seen.headers[DEFAULT_KEY_HEADER.toLowerCase()], KEYS.all);
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.match(seen.headers.host, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(r.headers.getSetCookie(), ['a=1', 'b=2']);
  });

  it('gives a product key its product policies, and an API key none', async () => {
    const gold = (await call('/orders/items/1', { headers: { [DEFAULT_KEY_HEADER]: KEYS.gold } })).json();
    assert.equal(gold.headers['x-product-gold'], 'yes');
    const api = (
      await call('/orders/items/1', { headers: { [DEFAULT_KEY_HEADER]: `${KEYS.orders}-2` } })
    ).json();
    assert.equal(api.headers['x-product-gold'], undefined);
    assert.equal(api.headers['x-api-orders'], 'yes');
  });

  it('reads the key from the query when the header is absent, and from a renamed header', async () => {
    assert.equal((await call(`/orders/items/1?subscription-key=${KEYS.all}`)).status, 200);
    assert.equal((await call('/renamed/items/1', { headers: { 'X-Api-Key': KEYS.all } })).status, 200);
    assert.equal(
      (await call('/renamed/items/1', { headers: { [DEFAULT_KEY_HEADER]: KEYS.all } })).status,
      401,
    );
  });

  it('serves an open product and an API without subscription with no key', async () => {
    const open = await call('/public/v1/items/7');
    assert.equal(open.status, 200);
    assert.equal(open.json().url, '/api/items/7');
    assert.equal((await call('/free/items/latest')).status, 200);
  });

  it('matches literal templates before parameters and streams a POST body', async () => {
    const body = 'x'.repeat(200_000);
    const r = await call('/free/items', { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
    assert.equal(r.json().body.length, body.length);
  });

  it('answers 504 for a slow backend and 500 for one that is down, through on-error', async () => {
    const slow = await call('/free/slow');
    assert.equal(slow.status, 504);
    assert.equal(slow.headers.get('x-failed'), 'Timeout');
    const services = harnessServices({ backend: client });
    const down = await startGatewayFront({
      compiled: compileGateway(definition('http://127.0.0.1:9'), { services }),
      services,
      hashKey: (k) => hasher.hash(k),
      host: '127.0.0.1',
      port: 0,
    });
    try {
      const r = await fetch(`${down.url}/free/items/1`);
      assert.equal(r.status, 500);
      assert.equal(r.headers.get('x-failed'), 'BackendConnectionFailure');
      assert.deepEqual(await r.json(), { statusCode: 500, message: 'Internal server error' });
      assert.match(r.headers.get('x-lanyard-hint') ?? '', /could not be reached/);
    } finally {
      await down.close();
    }
  });

  it('answers a CORS preflight with the cors policy alone, with no subscription key', async () => {
    const ok = await call('/web/items/1', {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(ok.status, 200, ok.headers.get('x-lanyard-hint') ?? ok.text);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example');
    const foreign = await call('/web/items/1', {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    // An API without cors has nothing to answer a preflight with.
    const none = await call('/orders/items/1', {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(none.status, 404);
    // The actual request still needs its key.
    assert.equal((await call('/web/items/1', { headers: { Origin: 'https://app.example' } })).status, 401);
  });

  it('does not forward hop-by-hop headers, nor those the Connection header names', async () => {
    const seen = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = http.request(
        `${front.url}/free/items/1`,
        {
          headers: {
            Connection: 'keep-alive, X-Drop-Me',
            'X-Drop-Me': 'secret',
            'Keep-Alive': 'timeout=5',
            'X-Keep': 'yes',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()).headers));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(seen['x-drop-me'], undefined);
    assert.equal(seen['keep-alive'], undefined);
    assert.equal(seen['x-keep'], 'yes');
  });

  it('ends the caller’s connection when the backend’s body breaks off, and keeps serving', async () => {
    await assert.rejects(async () => {
      const r = await fetch(`${front.url}/free/broken`);
      await r.text();
    });
    assert.equal((await call('/free/items/1')).status, 200);
  });

  it('relays a large streamed answer whole, and stops the backend when the caller goes away', async () => {
    const r = await fetch(`${front.url}/free/big`);
    assert.equal(r.status, 200);
    const reader = r.body!.getReader();
    let bytes = 0;
    let sum = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      for (let i = 0; i < value.length; i++) sum += value[i]!;
      // A slow reader: the gateway must pause the backend rather than buffer the whole answer.
      if (bytes % (1024 * 1024) < value.length) await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(bytes, BIG_CHUNKS * 64 * 1024);
    let expected = 0;
    for (let c = 0; c < BIG_CHUNKS; c++) expected += 64 * 1024 * (c % 251);
    assert.equal(sum, expected);

    bigAborted = false;
    const controller = new AbortController();
    const partial = await fetch(`${front.url}/free/big?endless`, { signal: controller.signal });
    await partial.body!.getReader().read();
    controller.abort();
    for (let i = 0; i < 100 && !bigAborted; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(bigAborted, true, 'the backend saw its connection closed');
    assert.equal((await call('/free/items/1')).status, 200);
  });

  it('buffers the body for an expression that reads it, still sends it on, and refuses one past the bound', async () => {
    const r = await call('/free/inspect', {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    const seen = r.json();
    assert.equal(seen.headers['x-body-kind'], 'json');
    assert.equal(seen.body, '{"a":1}');
    assert.equal(seen.headers['content-length'], '7');
    const big = await call('/free/inspect', { method: 'POST', body: 'x'.repeat(EXPRESSION_BODY_LIMIT + 1) });
    assert.equal(big.status, 413);
    assert.deepEqual(big.json(), { statusCode: 413, message: 'Request entity too large' });
    // An operation whose policies do not read the body streams it (no bound).
    const streamed = await call('/free/items', {
      method: 'POST',
      body: 'y'.repeat(EXPRESSION_BODY_LIMIT + 1),
    });
    assert.equal(streamed.status, 200);
  });

  it('traces every request while tracing is on for the gateway, and stops when it is off or expires', async () => {
    assert.equal((await call('/free/items/1')).headers.get('apim-trace-id'), null);
    startTracing(traces, 'Contoso', 5);
    const on = await call('/free/items/1');
    assert.ok(
      traces.byId.get(on.headers.get('apim-trace-id') ?? ''),
      'a request with no subscription is traced',
    );
    stopTracing(traces, 'contoso');
    assert.equal((await call('/free/items/1')).headers.get('apim-trace-id'), null);
    startTracing(traces, 'contoso', 5, Date.now() - 10 * 60_000);
    assert.equal((await call('/free/items/1')).headers.get('apim-trace-id'), null, 'expired');
  });

  it('traces a request that asks with a subscription allowed to trace', async () => {
    const r = await call('/orders/items/3', {
      headers: { [DEFAULT_KEY_HEADER]: KEYS.all, 'Ocp-Apim-Trace': 'true' },
    });
    const id = r.headers.get('apim-trace-id');
    assert.ok(id);
    const trace = traces.byId.get(id);
    assert.ok(trace?.steps.some((s) => s.startsWith('backend/global/forward-request')));
    assert.equal(trace?.status, 200);
    const forward = trace?.entries.find((e) => e.source === 'global/forward-request[1]');
    assert.equal(forward?.message, 'done');
    assert.equal(typeof forward?.data?.durationMs, 'number');
    assert.equal(forward?.section, 'backend');
    // A failing step is traced with its reason, and the trace keeps no key or token.
    const slow = await call('/free/slow', {
      headers: { [DEFAULT_KEY_HEADER]: KEYS.all, 'Ocp-Apim-Trace': 'true' },
    });
    const failed = traces.byId.get(slow.headers.get('apim-trace-id') ?? '');
    assert.match(
      failed?.entries.find((e) => e.message.startsWith('failed'))?.message ?? '',
      /^failed \(Timeout: Gateway Timeout\)$/,
    );
    assert.equal(JSON.stringify(failed).includes(KEYS.all), false);
  });
});
