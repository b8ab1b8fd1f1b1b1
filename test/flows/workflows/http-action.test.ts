/**
 * The `Http` action executor against real servers on loopback: what is sent (method, queries, headers, body
 * encodings, the token), what is recorded (inputs without secrets, outputs for JSON, text and bytes, retry
 * history), the retry policies' waits, Retry-After, the asynchronous pattern, every limit (action timeout,
 * request timeout, response size) and cancel, and the dispatcher's name rules: `*.localhost` to loopback and
 * Azure's host names to Lanyard's listener, over TLS with the local CA.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import type { Agent } from 'undici';
import { ensureLocalCa, type LocalCa } from '../../../src/crypto/local-ca.ts';
import { DEFAULT_RETRY_POLICY } from '../../../src/flows/definition/retry.ts';
import type { ManagedIdentityAuthentication, RetryPolicy } from '../../../src/flows/definition/types.ts';
import {
  type HttpActionRequest,
  type HttpActionResult,
  type HttpActionServices,
  runHttpAction,
  sleep,
} from '../../../src/flows/workflows/http-action.ts';
import {
  isLocalhostName,
  localhostLookup,
  parseHostPort,
  workflowDispatcher,
} from '../../../src/flows/workflows/http-client.ts';
import { responseBody } from '../../../src/flows/workflows/http-message.ts';
import {
  exponentialWindow,
  retryAfterMs,
  retryWaitMs,
  waitBeforeRetry,
} from '../../../src/flows/workflows/http-retry.ts';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly9iYWNrZW5kIn0.c2lnbmF0dXJl';
const UAI =
  '/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly servername: string | false | null | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse, n: number, body: Buffer) => void;

interface TestServer {
  readonly origin: string;
  readonly port: number;
  readonly seen: Seen[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];

async function serve(handler: Handler, tls?: { key: string; cert: string }): Promise<TestServer> {
  const seen: Seen[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const servername = (req.socket as TLSSocket).servername;
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, servername });
      handler(req, res, seen.length, body);
    });
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const s: TestServer = {
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(s);
  return s;
}

function json(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

const dispatcher: Agent = workflowDispatcher();
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await dispatcher.destroy();
});

function fixed(count: number, ms: number): RetryPolicy {
  return { type: 'fixed', count, interval: { text: `PT${ms / 1000}S`, ms } };
}

function exponential(count: number, interval: number, min: number, max: number): RetryPolicy {
  const d = (ms: number) => ({ text: `PT${ms / 1000}S`, ms });
  return {
    type: 'exponential',
    count,
    interval: d(interval),
    minimumInterval: d(min),
    maximumInterval: d(max),
  };
}

function harness(over: Partial<HttpActionServices> = {}) {
  const sleeps: number[] = [];
  const tokens: ManagedIdentityAuthentication[] = [];
  const services: HttpActionServices = {
    token: async (auth) => {
      tokens.push(auth);
      return TOKEN;
    },
    dispatcher,
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      signal.throwIfAborted();
    },
    random: () => 0.5,
    now: () => Date.now(),
    requestTimeoutMs: 5_000,
    maxResponseBytes: 1024 * 1024,
    newGuid: randomUUID,
    ...over,
  };
  return { services, sleeps, tokens };
}

function action(uri: string, over: Partial<HttpActionRequest> = {}): HttpActionRequest {
  return {
    actionName: 'Call',
    method: 'GET',
    uri,
    retryPolicy: DEFAULT_RETRY_POLICY,
    operationOptions: [],
    workflowHeaders: {
      'x-ms-workflow-name': 'orders',
      'x-ms-workflow-run-id': '08585000000000000000000000000CU00',
      'User-Agent': 'azure-logic-apps/1.0 (workflow orders; version 1)',
    },
    ...over,
  };
}

async function run(
  request: HttpActionRequest,
  services: HttpActionServices,
  signal: AbortSignal = new AbortController().signal,
): Promise<HttpActionResult> {
  return runHttpAction(request, services, signal);
}

/** A port nothing listens on: one just closed. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Http action: a successful call', () => {
  it('records the inputs and the outputs of a JSON answer, and sends the workflow headers', async () => {
    const s = await serve((_req, res) =>
      json(res, 200, { id: 7, name: 'x' }, { 'x-ms-request-id': 'svc-1' }),
    );
    const { services, sleeps } = harness();
    const r = await run(action(`${s.origin}/items/7`, { headers: { Accept: 'application/json' } }), services);
    assert.equal(r.status, 'Succeeded');
    assert.equal(r.code, 'OK');
    assert.equal(r.error, undefined);
    assert.deepEqual(r.inputs, {
      method: 'GET',
      uri: `${s.origin}/items/7`,
      headers: { Accept: 'application/json' },
    });
    assert.equal(r.outputs?.statusCode, 200);
    assert.deepEqual(r.outputs?.body, { id: 7, name: 'x' });
    assert.equal(r.outputs?.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(r.outputs?.headers['x-ms-request-id'], 'svc-1');
    assert.deepEqual(r.retryHistory, []);
    assert.deepEqual(sleeps, []);
    const sent = s.seen[0]!;
    assert.equal(sent.method, 'GET');
    assert.equal(sent.headers['x-ms-workflow-name'], 'orders');
    assert.equal(sent.headers['user-agent'], 'azure-logic-apps/1.0 (workflow orders; version 1)');
    assert.match(String(sent.headers['x-ms-client-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(sent.headers.accept, 'application/json');
    assert.equal(sent.headers.authorization, undefined);
  });

  it('turns each kind of response body into what outputs.body holds', async () => {
    const bodies: Record<string, [string | undefined, Buffer]> = {
      '/text': ['text/plain; charset=utf-8', Buffer.from('plain text')],
      '/xml': ['application/xml', Buffer.from('<a>1</a>')],
      '/problem': ['application/problem+json', Buffer.from('{"title":"x"}')],
      '/png': ['image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255])],
      '/none': [undefined, Buffer.from([1, 2, 3])],
      '/bad-json': ['application/json', Buffer.from('{not json')],
      '/latin1': ['text/plain; charset=iso-8859-1', Buffer.from([0x63, 0x61, 0x66, 0xe9])],
      '/empty': ['application/json', Buffer.alloc(0)],
    };
    const s = await serve((req, res) => {
      const [type, bytes] = bodies[req.url!]!;
      res.writeHead(200, type ? { 'content-type': type } : {});
      res.end(bytes);
    });
    const { services } = harness();
    const body = async (p: string) => (await run(action(`${s.origin}${p}`), services)).outputs?.body;
    assert.equal(await body('/text'), 'plain text');
    assert.equal(await body('/xml'), '<a>1</a>');
    assert.deepEqual(await body('/problem'), { title: 'x' });
    assert.deepEqual(await body('/png'), { '$content-type': 'image/png', $content: 'iVBORwD/' });
    assert.deepEqual(await body('/none'), { '$content-type': 'application/octet-stream', $content: 'AQID' });
    assert.equal(await body('/bad-json'), '{not json');
    assert.equal(await body('/latin1'), 'café');
    const empty = await run(action(`${s.origin}/empty`), services);
    assert.equal(empty.status, 'Succeeded');
    assert.equal('body' in empty.outputs!, false);
  });

  it('sends HEAD and OPTIONS; a HEAD answer announcing a large body is not refused', async () => {
    const s = await serve((req, res) => {
      if (req.method === 'HEAD') {
        res.writeHead(200, {
          'content-length': String(10 * 1024 * 1024 * 1024),
          'content-type': 'text/plain',
        });
        res.end();
      } else {
        res.writeHead(204, { allow: 'GET, HEAD, OPTIONS' });
        res.end();
      }
    });
    const { services } = harness({ maxResponseBytes: 1000 });
    const head = await run(action(`${s.origin}/f`, { method: 'head' }), services);
    assert.equal(head.status, 'Succeeded');
    assert.equal(head.outputs?.body, undefined);
    assert.equal(head.inputs.method, 'HEAD');
    const options = await run(action(`${s.origin}/f`, { method: 'Options' }), services);
    assert.equal(options.status, 'Succeeded');
    assert.equal(options.code, 'NoContent');
    assert.equal(options.outputs?.headers.allow, 'GET, HEAD, OPTIONS');
    assert.deepEqual(
      s.seen.map((x) => x.method),
      ['HEAD', 'OPTIONS'],
    );
  });
});

describe('Http action: what is sent', () => {
  it('upper-cases the method, appends encoded queries, and stringifies header values', async () => {
    const s = await serve((_req, res) => json(res, 201, {}));
    const { services } = harness();
    const r = await run(
      action(`${s.origin}/items?existing=1`, {
        method: 'post',
        queries: { q: 'a b&c', n: 5, flag: true, 'the key': 'é' },
        headers: { 'X-Num': 42, 'X-Bool': false, 'X-Text': 'hi' },
      }),
      services,
    );
    assert.equal(r.code, 'Created');
    const sent = s.seen[0]!;
    assert.equal(sent.method, 'POST');
    assert.equal(sent.url, '/items?existing=1&q=a%20b%26c&n=5&flag=true&the%20key=%C3%A9');
    assert.equal(r.inputs.uri, `${s.origin}${sent.url}`);
    assert.equal(sent.headers['x-num'], '42');
    assert.equal(sent.headers['x-bool'], 'false');
    assert.deepEqual(r.inputs.headers, { 'X-Num': '42', 'X-Bool': 'false', 'X-Text': 'hi' });
    assert.equal(sent.body.length, 0);
    assert.equal(sent.headers['content-type'], undefined);
  });

  it('encodes each kind of body, with the content type it implies unless a header gives one', async () => {
    const s = await serve((_req, res) => json(res, 200, {}));
    const { services } = harness();
    const cases: {
      body: unknown;
      headers?: Record<string, string>;
      bytes: Buffer;
      type: string | undefined;
    }[] = [
      {
        body: { a: 1, b: [true] },
        bytes: Buffer.from('{"a":1,"b":[true]}'),
        type: 'application/json; charset=utf-8',
      },
      { body: [1, 'x'], bytes: Buffer.from('[1,"x"]'), type: 'application/json; charset=utf-8' },
      { body: 5, bytes: Buffer.from('5'), type: 'application/json; charset=utf-8' },
      { body: false, bytes: Buffer.from('false'), type: 'application/json; charset=utf-8' },
      { body: 'héllo {not json}', bytes: Buffer.from('héllo {not json}'), type: 'text/plain; charset=utf-8' },
      {
        body: { a: 1 },
        headers: { 'Content-Type': 'application/vnd.orders+json' },
        bytes: Buffer.from('{"a":1}'),
        type: 'application/vnd.orders+json',
      },
      {
        body: { '$content-type': 'image/png', $content: Buffer.from([0, 1, 2, 255]).toString('base64') },
        bytes: Buffer.from([0, 1, 2, 255]),
        type: 'image/png',
      },
      {
        body: {
          '$content-type': 'application/x-www-form-urlencoded',
          $formdata: [
            { key: 'grant', value: 'a b' },
            { key: 'n', value: 2 },
          ],
        },
        bytes: Buffer.from('grant=a%20b&n=2'),
        type: 'application/x-www-form-urlencoded',
      },
      { body: null, bytes: Buffer.alloc(0), type: undefined },
    ];
    for (const c of cases) {
      const before = s.seen.length;
      const r = await run(
        action(`${s.origin}/in`, {
          method: 'PUT',
          body: c.body,
          ...(c.headers ? { headers: c.headers } : {}),
        }),
        services,
      );
      assert.equal(r.status, 'Succeeded', JSON.stringify(r.error));
      const sent = s.seen[before]!;
      assert.deepEqual(sent.body, c.bytes, `body of ${JSON.stringify(c.body)}`);
      assert.equal(sent.headers['content-type'], c.type, `type of ${JSON.stringify(c.body)}`);
      assert.deepEqual(r.inputs.body, c.body);
    }
  });

  it('lets the action override a workflow header, and SuppressWorkflowHeaders sends none', async () => {
    const s = await serve((_req, res) => json(res, 200, {}));
    const { services } = harness();
    await run(action(`${s.origin}/a`, { headers: { 'user-agent': 'mine/1.0' } }), services);
    assert.equal(s.seen[0]!.headers['user-agent'], 'mine/1.0');
    assert.equal(s.seen[0]!.headers['x-ms-workflow-name'], 'orders');
    await run(action(`${s.origin}/b`, { operationOptions: ['SuppressWorkflowHeaders'] }), services);
    const quiet = s.seen[1]!.headers;
    assert.equal(quiet['x-ms-workflow-name'], undefined);
    assert.equal(quiet['x-ms-workflow-run-id'], undefined);
    assert.equal(quiet['x-ms-client-request-id'], undefined);
    assert.notEqual(quiet['user-agent'], 'azure-logic-apps/1.0 (workflow orders; version 1)');
  });

  it('refuses inputs that cannot make a request, saying which and why, and sends nothing', async () => {
    const s = await serve((_req, res) => json(res, 200, {}));
    const { services, tokens } = harness();
    const u = `${s.origin}/x`;
    const cases: [Partial<HttpActionRequest>, RegExp][] = [
      [{ method: 'TRACE' }, /TRACE.*GET, PUT, POST, PATCH, DELETE, HEAD, OPTIONS/],
      [{ method: 42 as unknown as string }, /'method' input is a number/],
      [{ uri: 'ftp://example.localhost/f' }, /uses 'ftp'.*http or https/],
      [{ uri: '/relative/path' }, /not an absolute URI/],
      [{ uri: `${u}/${'a'.repeat(2100)}` }, /at most 2048/],
      [{ queries: { big: 'b'.repeat(2040) } }, /with its queries .* at most 2048/],
      [{ uri: `http://user:pw@127.0.0.1:${s.port}/x` }, /user name or password/],
      [{ queries: 'a=1' }, /'queries' input is a string/],
      [{ queries: { a: null } }, /query parameter 'a' is null/],
      [{ headers: ['Accept'] }, /'headers' input is an array.*must be an object/],
      [{ headers: 'Accept: x' }, /'headers' input is a string/],
      [{ headers: { 'X-A': { b: 1 } } }, /header 'X-A' is an object/],
      [{ headers: { 'Content-Length': '5' } }, /'Content-Length' cannot be set.*computed/],
      [{ headers: { Host: 'other.localhost' } }, /'Host' cannot be set/],
      [{ headers: { 'x-a': '1', 'X-A': '2' } }, /'x-a' and 'X-A' are the same header/],
      [{ headers: { 'X-A': 'one\r\nX-Injected: two' } }, /line break/],
      [{ headers: { 'Bad Name': 'x' } }, /not a header name/],
      [
        { headers: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`x-h${i}`, '1'])) },
        /101 headers/,
      ],
      [{ headers: { 'X-Big': 'v'.repeat(17_000) } }, /bytes; at most 16384/],
      [{ body: { '$content-type': 'image/png', $content: 'not base64!' } }, /'\$content' is not base64/],
      [{ body: { '$content-type': 'image/png' } }, /no '\$content'.*\$multipart' bodies are not supported/],
      [{ cookie: { a: 1 } }, /'cookie' input is an object/],
      [{ authentication: { type: 'ManagedServiceIdentity', audience: '' } }, /audience is empty/],
    ];
    for (const [over, message] of cases) {
      const r = await run(action(u, over), services);
      assert.equal(r.status, 'Failed', JSON.stringify(over).slice(0, 100));
      assert.equal(r.code, 'InvalidHttpRequest');
      assert.equal(r.error?.code, 'InvalidHttpRequest');
      assert.match(r.error!.message, message);
      assert.equal(r.outputs, undefined);
    }
    assert.equal(s.seen.length, 0);
    assert.equal(tokens.length, 0);
  });
});

describe('Http action: managed identity', () => {
  const auth: ManagedIdentityAuthentication = {
    type: 'ManagedServiceIdentity',
    audience: 'api://backend',
    identity: UAI,
  };

  it('sends the token as a bearer, shows the authentication without it, and hands it out as a secret', async () => {
    const s = await serve((_req, res) => json(res, 200, { ok: true }));
    const { services, tokens } = harness();
    const r = await run(
      action(`${s.origin}/me`, { authentication: auth, headers: { 'X-A': '1' } }),
      services,
    );
    assert.equal(r.status, 'Succeeded');
    assert.equal(s.seen[0]!.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(tokens, [auth]);
    assert.deepEqual(r.inputs.authentication, {
      type: 'ManagedServiceIdentity',
      audience: 'api://backend',
      identity: UAI,
    });
    assert.deepEqual(r.inputs.headers, { 'X-A': '1' });
    assert.equal(JSON.stringify(r.inputs).includes(TOKEN), false);
    assert.equal(JSON.stringify(r.inputs).toLowerCase().includes('authorization'), false);
    assert.deepEqual(r.secrets, [TOKEN]);
  });

  it('keeps an Authorization header the action sets out of the inputs, and its value among the secrets', async () => {
    const s = await serve((_req, res) => json(res, 200, {}));
    const { services } = harness();
    const r = await run(
      action(`${s.origin}/basic`, { headers: { authorization: 'Basic dXNlcjpwYXNz', A: 'b' } }),
      services,
    );
    assert.equal(s.seen[0]!.headers.authorization, 'Basic dXNlcjpwYXNz');
    assert.deepEqual(r.inputs.headers, { A: 'b' });
    assert.deepEqual(r.secrets, ['Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz']);
  });

  it('refuses an Authorization header together with the authentication, before asking for a token', async () => {
    const s = await serve((_req, res) => json(res, 200, {}));
    const { services, tokens } = harness();
    const r = await run(
      action(`${s.origin}/x`, { authentication: auth, headers: { Authorization: 'Bearer other' } }),
      services,
    );
    assert.equal(r.status, 'Failed');
    assert.equal(r.code, 'InvalidHttpRequest');
    assert.match(
      r.error!.message,
      /both a ManagedServiceIdentity authentication and an 'Authorization' header/,
    );
    assert.equal(tokens.length, 0);
    assert.equal(s.seen.length, 0);
    assert.equal(JSON.stringify(r.inputs).includes('Bearer other'), false);
  });

  it('fails with the token service message, the audience and the identity when no token can be had', async () => {
    const s = await serve((_req, res) => json(res, 200, {}));
    const { services } = harness({
      token: async () => {
        throw new Error("The audience 'api://nope' is not an application in tenant contoso.");
      },
    });
    const system: ManagedIdentityAuthentication = { type: 'ManagedServiceIdentity', audience: 'api://nope' };
    const r = await run(action(`${s.origin}/x`, { authentication: system }), services);
    assert.equal(r.status, 'Failed');
    assert.equal(r.code, 'ManagedIdentityTokenFailed');
    assert.match(
      r.error!.message,
      /^The managed identity token for audience 'api:\/\/nope' could not be obtained/,
    );
    assert.match(
      r.error!.message,
      /system-assigned identity: The audience 'api:\/\/nope' is not an application in tenant contoso\. Check/,
    );
    assert.equal(s.seen.length, 0);
    const user = await run(action(`${s.origin}/x`, { authentication: auth }), services);
    assert.match(user.error!.message, new RegExp(`user-assigned identity '${UAI}'`));
  });

  it('says a 401 is about the token audience and a 403 about the role assignment', async () => {
    const s = await serve((req, res) =>
      json(res, req.url === '/401' ? 401 : 403, {
        error: { code: 'AuthorizationFailed', message: 'no access' },
      }),
    );
    const { services } = harness();
    const r401 = await run(action(`${s.origin}/401`, { authentication: auth }), services);
    assert.equal(r401.code, 'Unauthorized');
    assert.match(r401.error!.message, /did not accept the token for audience 'api:\/\/backend'/);
    const r403 = await run(action(`${s.origin}/403`, { authentication: auth }), services);
    assert.equal(r403.code, 'Forbidden');
    assert.match(r403.error!.message, /role assignment/);
    assert.match(r403.error!.message, /AuthorizationFailed/);
  });
});

describe('Http action: retries', () => {
  it('does not retry a 404; the answer is kept in outputs and the message says what came back', async () => {
    const s = await serve((_req, res) =>
      json(res, 404, { error: { code: 'NotFound', message: 'no order 9' } }),
    );
    const { services, sleeps } = harness();
    const r = await run(action(`${s.origin}/orders/9?sig=secret`), services);
    assert.equal(r.status, 'Failed');
    assert.equal(r.code, 'NotFound');
    assert.equal(r.outputs?.statusCode, 404);
    assert.deepEqual(r.outputs?.body, { error: { code: 'NotFound', message: 'no order 9' } });
    assert.equal(r.error?.code, 'NotFound');
    assert.match(
      r.error!.message,
      /GET http:\/\/127\.0\.0\.1:\d+\/orders\/9 returned 404 \(NotFound\)\. Check the uri/,
    );
    assert.match(r.error!.message, /no order 9/);
    assert.equal(r.error!.message.includes('sig=secret'), false);
    assert.equal(s.seen.length, 1);
    assert.deepEqual(sleeps, []);
    assert.deepEqual(r.retryHistory, []);
  });

  it('retries 503 and 429 with exponential waits, records each retried try, then succeeds', async () => {
    const answers = [503, 429, 200];
    const s = await serve((_req, res, n) =>
      json(res, answers[n - 1]!, { try: n }, { 'x-ms-request-id': `svc-${n}` }),
    );
    const { services, sleeps } = harness();
    const r = await run(
      action(`${s.origin}/flaky`, { retryPolicy: exponential(4, 10_000, 5_000, 3_600_000) }),
      services,
    );
    assert.equal(r.status, 'Succeeded');
    assert.deepEqual(r.outputs?.body, { try: 3 });
    // random 0.5: retry 1 waits in [max(0, 5 s), min(10 s, 1 h)], retry 2 in [max(10 s, 5 s), 20 s].
    assert.deepEqual(sleeps, [7_500, 15_000]);
    assert.deepEqual(
      r.retryHistory.map((h) => h.code),
      ['ServiceUnavailable', 'TooManyRequests'],
    );
    for (const [i, h] of r.retryHistory.entries()) {
      assert.equal(h.clientRequestId, s.seen[i]!.headers['x-ms-client-request-id']);
      assert.equal(h.serviceRequestId, `svc-${i + 1}`);
      assert.ok(Date.parse(h.startTime) <= Date.parse(h.endTime));
      assert.equal(h.error?.code, h.code);
    }
    assert.notEqual(r.retryHistory[0]!.clientRequestId, r.retryHistory[1]!.clientRequestId);
    assert.match(r.retryHistory[0]!.error!.message, /returned 503 \(ServiceUnavailable\)/);
  });

  it('waits within the exponential window for each retry, whatever the random number', () => {
    const d = DEFAULT_RETRY_POLICY as Extract<RetryPolicy, { type: 'exponential' }>;
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => exponentialWindow(d, n)),
      [
        { lowMs: 5_000, highMs: 7_500 },
        { lowMs: 7_500, highMs: 15_000 },
        { lowMs: 15_000, highMs: 30_000 },
        { lowMs: 30_000, highMs: 45_000 },
        { lowMs: 45_000, highMs: 45_000 },
      ],
    );
    assert.equal(retryWaitMs(d, 3, 0), 15_000);
    assert.equal(retryWaitMs(d, 3, 0.999999), 30_000);
    assert.equal(retryWaitMs(d, 3, 0.25), 18_750);
    // An interval shorter than the minimum: the minimum is waited.
    assert.equal(retryWaitMs(exponential(3, 5_000, 20_000, 60_000), 1, 0.7), 20_000);
    assert.equal(retryWaitMs(fixed(2, 9_000), 2, 0.9), 9_000);
    assert.equal(retryWaitMs({ type: 'none' }, 1, 0.5), 0);
  });

  it("with 'none', a 503 is not retried", async () => {
    const s = await serve((_req, res) => json(res, 503, { down: true }));
    const { services, sleeps } = harness();
    const r = await run(action(`${s.origin}/down`, { retryPolicy: { type: 'none' } }), services);
    assert.equal(r.status, 'Failed');
    assert.equal(r.code, 'ServiceUnavailable');
    assert.equal(r.outputs?.statusCode, 503);
    assert.equal(s.seen.length, 1);
    assert.deepEqual(sleeps, []);
    assert.deepEqual(r.retryHistory, []);
  });

  it('a fixed policy tries count + 1 times, waiting its interval, and retries 408', async () => {
    const s = await serve((_req, res, n) => json(res, n === 1 ? 408 : 500, { n }));
    const { services, sleeps } = harness();
    const r = await run(action(`${s.origin}/broken`, { retryPolicy: fixed(3, 5_000) }), services);
    assert.equal(r.status, 'Failed');
    assert.equal(r.code, 'InternalServerError');
    assert.equal(s.seen.length, 4);
    assert.deepEqual(sleeps, [5_000, 5_000, 5_000]);
    assert.deepEqual(
      r.retryHistory.map((h) => h.code),
      ['RequestTimeout', 'InternalServerError', 'InternalServerError'],
    );
    assert.deepEqual(r.outputs?.body, { n: 4 });
    assert.match(r.error!.message, /returned 500 \(InternalServerError\) after 4 tries/);
  });

  it('honours a longer Retry-After on 429 and 503, capped by the maximum interval, and ignores it on 500', async () => {
    const plan: Record<string, [number, string][]> = {
      '/429': [[429, '30']],
      '/503': [[503, '60']],
      '/500': [[500, '30']],
      '/short': [[429, '1']],
    };
    const s = await serve((req, res) => {
      const key = req.url!;
      const next = plan[key]!.shift();
      if (next) json(res, next[0], {}, { 'retry-after': next[1] });
      else json(res, 200, {});
    });
    const waits = async (p: string, policy: RetryPolicy) => {
      const { services, sleeps } = harness();
      const r = await run(action(`${s.origin}${p}`, { retryPolicy: policy }), services);
      assert.equal(r.status, 'Succeeded');
      return sleeps;
    };
    assert.deepEqual(await waits('/429', fixed(1, 5_000)), [30_000]);
    assert.deepEqual(await waits('/503', exponential(1, 10_000, 5_000, 20_000)), [20_000]);
    assert.deepEqual(await waits('/500', exponential(1, 10_000, 5_000, 20_000)), [7_500]);
    assert.deepEqual(await waits('/short', fixed(1, 5_000)), [5_000]);
    const now = Math.floor(Date.now() / 1000) * 1000;
    assert.equal(retryAfterMs(new Date(now + 10_000).toUTCString(), now), 10_000);
    assert.equal(retryAfterMs('soon', now), undefined);
    assert.equal(waitBeforeRetry(fixed(1, 5_000), 1, 0, 429, 5 * 86_400_000), 86_400_000);
  });

  it('retries a refused connection and then fails with ConnectionFailed, saying nothing listens', async () => {
    const port = await closedPort();
    const { services, sleeps } = harness();
    const r = await run(action(`http://127.0.0.1:${port}/x`, { retryPolicy: fixed(2, 5_000) }), services);
    assert.equal(r.status, 'Failed');
    assert.equal(r.code, 'ConnectionFailed');
    assert.equal(r.outputs, undefined);
    assert.deepEqual(sleeps, [5_000, 5_000]);
    assert.deepEqual(
      r.retryHistory.map((h) => h.code),
      ['ConnectionFailed', 'ConnectionFailed'],
    );
    assert.match(
      r.error!.message,
      /could not be sent after 3 tries: nothing accepted the connection .*connection refused/,
    );
  });

  it('does not follow a redirect: the 302 fails the action and the message names the Location', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    });
    const { services } = harness();
    const r = await run(action(`${s.origin}/old`), services);
    assert.equal(r.status, 'Failed');
    assert.equal(r.code, 'Redirect');
    assert.equal(r.outputs?.headers.location, '/elsewhere');
    assert.match(
      r.error!.message,
      /Redirects are not followed: call the uri in the Location header \(\/elsewhere\)/,
    );
    assert.equal(s.seen.length, 1);
  });
});

describe('Http action: limits and cancel', () => {
  it("times out as ActionTimedOut when the action's limit.timeout runs out during a request", async () => {
    const s = await serve(() => {});
    const { services } = harness();
    const started = Date.now();
    const r = await run(action(`${s.origin}/hang`, { timeoutMs: 300 }), services);
    assert.ok(Date.now() - started < 3_000, 'returned promptly');
    assert.equal(r.status, 'TimedOut');
    assert.equal(r.code, 'ActionTimedOut');
    assert.match(
      r.error!.message,
      /limit\.timeout of 0\.3 s; it stopped during the request GET .*\/hang \(try 1\)/,
    );
  });

  it('times out during a retry wait, keeping the last answer and the retried try', async () => {
    const s = await serve((_req, res) => json(res, 500, { boom: 1 }));
    const { services } = harness({ sleep });
    const started = Date.now();
    const r = await run(
      action(`${s.origin}/err`, { timeoutMs: 300, retryPolicy: fixed(1, 3_600_000) }),
      services,
    );
    assert.ok(Date.now() - started < 3_000, 'the hour-long wait was cut short');
    assert.equal(r.status, 'TimedOut');
    assert.equal(r.code, 'ActionTimedOut');
    assert.equal(r.outputs?.statusCode, 500);
    assert.equal(r.retryHistory.length, 1);
    assert.match(r.error!.message, /during the wait of 3600 s before retry 1/);
  });

  it('bounds a token service that never answers by the action timeout', async () => {
    const s = await serve((_req, res) => json(res, 200, {}));
    const { services } = harness({ token: () => new Promise<string>(() => {}) });
    const r = await run(
      action(`${s.origin}/x`, {
        timeoutMs: 200,
        authentication: { type: 'ManagedServiceIdentity', audience: 'api://slow' },
      }),
      services,
    );
    assert.equal(r.status, 'TimedOut');
    assert.match(r.error!.message, /getting the managed identity token for audience 'api:\/\/slow'/);
    assert.equal(s.seen.length, 0);
  });

  it('retries a request that passes requestTimeoutMs, and a last one that does is TimedOut/RequestTimedOut', async () => {
    const s = await serve((req, res, n) => {
      if (req.url === '/slow-once' && n > 1) json(res, 200, { ok: true });
    });
    const { services, sleeps } = harness({ requestTimeoutMs: 200 });
    const r = await run(action(`${s.origin}/slow-once`, { retryPolicy: fixed(1, 5_000) }), services);
    assert.equal(r.status, 'Succeeded');
    assert.deepEqual(sleeps, [5_000]);
    assert.equal(r.retryHistory[0]?.code, 'RequestTimedOut');
    assert.match(r.retryHistory[0]!.error!.message, /within 0\.2 s/);
    const last = await run(action(`${s.origin}/always-slow`, { retryPolicy: { type: 'none' } }), services);
    assert.equal(last.status, 'TimedOut');
    assert.equal(last.code, 'RequestTimedOut');
    assert.match(last.error!.message, /got no answer: no complete answer came within 0\.2 s/);
  });

  it('fails with ResponseTooLarge past maxResponseBytes, announced or streamed, and reads a body at the limit', async () => {
    const s = await serve((req, res) => {
      const size = req.url === '/exact' ? 1000 : 5000;
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(500, 1));
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(size) });
      res.end(Buffer.alloc(size, 97));
    });
    const { services } = harness({ maxResponseBytes: 1000 });
    for (const p of ['/announced', '/chunked']) {
      const r = await run(action(`${s.origin}${p}`, { retryPolicy: fixed(2, 5_000) }), services);
      assert.equal(r.status, 'Failed', p);
      assert.equal(r.code, 'ResponseTooLarge');
      assert.equal(r.outputs?.statusCode, 200);
      assert.equal(r.outputs?.body, undefined);
      assert.deepEqual(r.retryHistory, []);
      assert.match(r.error!.message, /larger than the 1000 bytes an Http action reads/);
    }
    const exact = await run(action(`${s.origin}/exact`), services);
    assert.equal(exact.status, 'Succeeded');
    assert.equal(exact.outputs?.body, 'a'.repeat(1000));
  });

  it('ends as Cancelled at once when the engine aborts, and sends nothing when already aborted', async () => {
    const s = await serve(() => {});
    const { services } = harness();
    const engine = new AbortController();
    setTimeout(() => engine.abort(), 100);
    const started = Date.now();
    const r = await run(action(`${s.origin}/hang`, { timeoutMs: 60_000 }), services, engine.signal);
    assert.ok(Date.now() - started < 3_000);
    assert.equal(r.status, 'Cancelled');
    assert.equal(r.code, 'ActionCancelled');
    assert.match(r.error!.message, /run was cancelled .*the request GET/);
    const before = s.seen.length;
    const again = await run(action(`${s.origin}/hang`), services, AbortSignal.abort());
    assert.equal(again.status, 'Cancelled');
    assert.equal(s.seen.length, before);
  });
});

describe('Http action: asynchronous pattern', () => {
  const auth: ManagedIdentityAuthentication = { type: 'ManagedServiceIdentity', audience: 'api://backend' };

  it('polls a 202 Location with GET and the token, honouring Retry-After, until the final answer', async () => {
    let polls = 0;
    const s = await serve((req, res) => {
      if (req.url === '/start') {
        res.writeHead(202, { location: '/status/1', 'retry-after': '3' });
        res.end();
      } else if (++polls === 1) {
        res.writeHead(202, { location: '/status/1' });
        res.end();
      } else json(res, 200, { done: true });
    });
    const { services, sleeps, tokens } = harness();
    const r = await run(
      action(`${s.origin}/start`, {
        method: 'POST',
        body: { job: 1 },
        headers: { 'X-Tenant': 'contoso' },
        authentication: auth,
      }),
      services,
    );
    assert.equal(r.status, 'Succeeded');
    assert.equal(r.code, 'OK');
    assert.deepEqual(r.outputs?.body, { done: true });
    assert.deepEqual(sleeps, [3_000, 20_000]);
    assert.deepEqual(
      s.seen.map((x) => `${x.method} ${x.url}`),
      ['POST /start', 'GET /status/1', 'GET /status/1'],
    );
    for (const poll of s.seen.slice(1)) {
      assert.equal(poll.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(poll.headers['x-tenant'], 'contoso');
      assert.equal(poll.headers['content-type'], undefined);
      assert.equal(poll.body.length, 0);
    }
    assert.equal(tokens.length, 1);
    assert.equal(r.inputs.method, 'POST');
  });

  it('takes the 202 as the answer with DisableAsyncPattern', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(202, { location: '/status/1' });
      res.end();
    });
    const { services, sleeps } = harness();
    const r = await run(action(`${s.origin}/start`, { operationOptions: ['DisableAsyncPattern'] }), services);
    assert.equal(r.status, 'Succeeded');
    assert.equal(r.code, 'Accepted');
    assert.equal(r.outputs?.headers.location, '/status/1');
    assert.equal(s.seen.length, 1);
    assert.deepEqual(sleeps, []);
  });

  it('sends no token or action headers to a Location on another origin', async () => {
    const other = await serve((_req, res) => json(res, 200, { elsewhere: true }));
    const s = await serve((_req, res) => {
      res.writeHead(202, { location: `${other.origin}/op/1` });
      res.end();
    });
    const { services } = harness();
    const r = await run(
      action(`${s.origin}/start`, { authentication: auth, headers: { 'X-Tenant': 'c' } }),
      services,
    );
    assert.equal(r.status, 'Succeeded');
    assert.deepEqual(r.outputs?.body, { elsewhere: true });
    const poll = other.seen[0]!;
    assert.equal(poll.headers.authorization, undefined);
    assert.equal(poll.headers['x-tenant'], undefined);
    assert.equal(poll.headers['x-ms-workflow-name'], 'orders');
  });

  it('retries a failing poll with the retry policy, and fails with the final answer', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/start') {
        res.writeHead(202, { location: '/status' });
        res.end();
      } else json(res, 500, { failed: 'the job' });
    });
    const { services, sleeps } = harness();
    const r = await run(action(`${s.origin}/start`, { retryPolicy: fixed(1, 5_000) }), services);
    assert.equal(r.status, 'Failed');
    assert.equal(r.code, 'InternalServerError');
    assert.deepEqual(sleeps, [20_000, 5_000]);
    assert.equal(r.retryHistory.length, 1);
    assert.match(
      r.error!.message,
      /GET http:\/\/127\.0\.0\.1:\d+\/status returned 500 \(InternalServerError\) after 2 tries/,
    );
  });

  it('stops polling after the polling limit when the action has no limit.timeout', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(202, { location: '/forever' });
      res.end();
    });
    const { services } = harness({ pollingLimitMs: 300, sleep: (_ms, signal) => sleep(10, signal) });
    const started = Date.now();
    const r = await run(action(`${s.origin}/start`), services);
    assert.ok(Date.now() - started < 3_000);
    assert.equal(r.status, 'TimedOut');
    assert.equal(r.code, 'ActionTimedOut');
    assert.equal(r.outputs?.statusCode, 202);
    assert.match(
      r.error!.message,
      /still running \(202 Accepted\) after 0\.3 s of polling.*DisableAsyncPattern/,
    );
    assert.ok(s.seen.length > 2);
  });

  it('fails a 202 whose Location is not an http(s) URI', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(202, { location: 'ftp://files.localhost/op' });
      res.end();
    });
    const { services } = harness();
    const r = await run(action(`${s.origin}/start`), services);
    assert.equal(r.status, 'Failed');
    assert.equal(r.code, 'InvalidLocationHeader');
    assert.equal(r.outputs?.statusCode, 202);
    assert.match(r.error!.message, /not an http\(s\) URI/);
  });
});

describe('Http action: the workflow dispatcher', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-http-action-'));
  let ca: LocalCa;
  before(async () => {
    ca = await ensureLocalCa({ dataDir: path.join(tmp, 'data') });
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('knows localhost names and answers lookups for them with loopback, in both forms', async () => {
    assert.equal(isLocalhostName('localhost'), true);
    assert.equal(isLocalhostName('App1.LOCALHOST.'), true);
    assert.equal(isLocalhostName('localhost.example.com'), false);
    assert.equal(isLocalhostName('notlocalhost'), false);
    const all = await new Promise((resolve) =>
      localhostLookup('a.b.localhost', { all: true }, (_e, address) => resolve(address)),
    );
    assert.deepEqual(all, [{ address: '127.0.0.1', family: 4 }]);
    const one = await new Promise((resolve) =>
      localhostLookup('a.localhost', {}, (_e, address, family) => resolve([address, family])),
    );
    assert.deepEqual(one, ['127.0.0.1', 4]);
    assert.deepEqual(parseHostPort('[::1]:8443'), { host: '::1', port: 8443 });
    assert.throws(() => parseHostPort('127.0.0.1'), /not host:port/);
  });

  it('sends *.localhost requests to loopback with their Host', async () => {
    const s = await serve((req, res) => json(res, 200, { host: req.headers.host }));
    const { services } = harness();
    const r = await run(action(`http://app1.localhost:${s.port}/hello`), services);
    assert.equal(r.status, 'Succeeded', r.error?.message);
    assert.deepEqual(r.outputs?.body, { host: `app1.localhost:${s.port}` });
  });

  it('verifies a local CA certificate for name.localhost over TLS, and refuses it without the CA, unretried', async () => {
    const cert = await ca.issueServerCertificate(['app1.localhost']);
    const s = await serve((_req, res) => json(res, 200, { secure: true }), {
      key: cert.keyPem,
      cert: cert.chainPem,
    });
    const trusting = workflowDispatcher({ caPem: ca.caCertPem });
    after(() => trusting.destroy());
    const { services } = harness({ dispatcher: trusting });
    const r = await run(action(`https://app1.localhost:${s.port}/x`), services);
    assert.equal(r.status, 'Succeeded', r.error?.message);
    assert.equal(s.seen[0]!.servername, 'app1.localhost');
    const untrusting = harness();
    const refused = await run(
      action(`https://app1.localhost:${s.port}/x`, { retryPolicy: fixed(2, 5_000) }),
      untrusting.services,
    );
    assert.equal(refused.status, 'Failed');
    assert.equal(refused.code, 'ConnectionFailed');
    assert.match(refused.error!.message, /TLS certificate of app1\.localhost:\d+ was not accepted.*local CA/);
    assert.deepEqual(untrusting.sleeps, []);
    assert.equal(s.seen.length, 1);
  });

  it("sends Azure's host names to the azureHostsTarget listener, with the original name as SNI and Host", async () => {
    const cert = await ca.issueServerCertificate(['myvault.vault.azure.net', 'management.azure.com']);
    const s = await serve(
      (req, res) => json(res, 200, { value: 'shh', host: req.headers.host, url: req.url }),
      { key: cert.keyPem, cert: cert.chainPem },
    );
    const toLanyard = workflowDispatcher({ caPem: ca.caCertPem, azureHostsTarget: `127.0.0.1:${s.port}` });
    after(() => toLanyard.destroy());
    const { services } = harness({ dispatcher: toLanyard });
    const r = await run(
      action('https://myvault.vault.azure.net/secrets/db?api-version=7.4', {
        authentication: { type: 'ManagedServiceIdentity', audience: 'https://vault.azure.net' },
      }),
      services,
    );
    assert.equal(r.status, 'Succeeded', r.error?.message);
    assert.deepEqual(r.outputs?.body, {
      value: 'shh',
      host: 'myvault.vault.azure.net',
      url: '/secrets/db?api-version=7.4',
    });
    assert.equal(s.seen[0]!.servername, 'myvault.vault.azure.net');
    assert.equal(s.seen[0]!.headers.authorization, `Bearer ${TOKEN}`);
    const arm = await run(
      action('https://management.azure.com/subscriptions?api-version=2022-12-01'),
      services,
    );
    assert.equal(arm.status, 'Succeeded', arm.error?.message);
    assert.equal(s.seen[1]!.servername, 'management.azure.com');
  });

  it('decodes response bodies without a server too', () => {
    assert.equal(responseBody(Buffer.alloc(0), 'text/plain'), undefined);
    assert.deepEqual(responseBody(Buffer.from('[1]'), 'text/json'), [1]);
  });
});
