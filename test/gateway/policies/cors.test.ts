import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderMap } from '../../../src/gateway/runtime/headers.ts';
import { assertLoadError, policyDoc as doc, fakeBackend, runPolicies } from '../policy-harness.ts';

const CORS = `<cors allow-credentials="true">
    <allowed-origins><origin>http://localhost:8080/</origin><origin>https://app.contoso.com</origin></allowed-origins>
    <allowed-methods preflight-result-max-age="300"><method>GET</method><method>POST</method><method>PATCH</method></allowed-methods>
    <allowed-headers><header>content-type</header><header>x-zumo-auth</header></allowed-headers>
    <expose-headers><header>x-request-id</header></expose-headers>
  </cors>`;

const preflight = (origin: string, method = 'PATCH', headers = 'Content-Type, X-Zumo-Auth') => ({
  method: 'OPTIONS',
  headers: {
    Origin: origin,
    'Access-Control-Request-Method': method,
    'Access-Control-Request-Headers': headers,
  },
});

// Every scope stamps the request; the global one would refuse everything (a 401 from return-response).
const scoped = {
  global: doc({
    inbound:
      '<set-variable name="global-ran" value="yes" /><return-response><set-status code="401" reason="Unauthorized" /></return-response>',
    backend: '<forward-request />',
  }),
  api: doc({ inbound: `${CORS}<base />` }),
  operation: doc({ inbound: '<set-variable name="operation-ran" value="yes" /><base />' }),
};

describe('cors', () => {
  it('preflight: answered by cors alone across scopes — no other policy runs, nothing reaches the backend', async () => {
    const b = fakeBackend();
    const ctx = await runPolicies(scoped, preflight('http://localhost:8080'), {
      services: { backend: b.backend },
    });
    assert.equal(b.sent.length, 0);
    assert.equal(ctx.variables.size, 0);
    assert.equal(ctx.response?.status, 200);
    const h = ctx.response?.headers;
    assert.deepEqual(h?.get('access-control-allow-origin'), ['http://localhost:8080']);
    assert.deepEqual(h?.get('access-control-allow-credentials'), ['true']);
    assert.deepEqual(h?.get('access-control-allow-methods'), ['GET, POST, PATCH']);
    assert.deepEqual(h?.get('access-control-allow-headers'), ['content-type, x-zumo-auth']);
    assert.deepEqual(h?.get('access-control-max-age'), ['300']);
    assert.deepEqual(h?.get('vary'), ['Origin']);
  });

  it('the same request without preflight headers runs the whole pipeline (the global 401)', async () => {
    const ctx = await runPolicies(scoped, { headers: { Origin: 'http://localhost:8080' } });
    assert.equal(ctx.response?.status, 401);
    assert.equal(ctx.variables.get('global-ran'), 'yes');
    assert.equal(ctx.response?.headers.has('access-control-allow-origin'), false);
  });

  it('preflight that does not match (origin, method or header): an empty 200 without CORS headers', async () => {
    for (const r of [
      preflight('https://evil.test'),
      preflight('https://app.contoso.com', 'DELETE'),
      preflight('https://app.contoso.com', 'PATCH', 'X-Other'),
    ]) {
      const ctx = await runPolicies({ api: doc({ inbound: CORS }) }, r);
      assert.equal(ctx.response?.status, 200);
      assert.equal(ctx.response?.headers.size, 0, JSON.stringify(r));
      assert.equal(ctx.response?.body.kind, 'none');
    }
  });

  it('terminate-unmatched-request="false": an unmatched preflight goes to the next cors of inbound', async () => {
    const docs = {
      global: doc({
        inbound: `<cors terminate-unmatched-request="false"><allowed-origins><origin>https://a.test</origin></allowed-origins><allowed-headers><header>*</header></allowed-headers></cors>`,
      }),
      api: doc({
        inbound: `<base /><cors><allowed-origins><origin>*</origin></allowed-origins><allowed-methods><method>*</method></allowed-methods><allowed-headers><header>*</header></allowed-headers></cors>`,
      }),
    };
    const fromB = await runPolicies(docs, preflight('https://b.test', 'DELETE', 'X-Anything'));
    assert.deepEqual(fromB.response?.headers.get('access-control-allow-origin'), ['*']);
    assert.deepEqual(fromB.response?.headers.get('access-control-allow-methods'), ['DELETE']);
    assert.deepEqual(fromB.response?.headers.get('access-control-allow-headers'), ['X-Anything']);
    const fromA = await runPolicies(docs, preflight('https://a.test', 'POST', 'X-Anything'));
    assert.deepEqual(fromA.response?.headers.get('access-control-allow-origin'), ['https://a.test']);
    assert.deepEqual(fromA.response?.headers.get('access-control-allow-methods'), ['GET, POST']);
  });

  it('actual request: the backend’s answer gets Allow-Origin, Credentials, Expose-Headers; only the first cors applies', async () => {
    const b = fakeBackend(() => {
      const headers = new HeaderMap();
      headers.set('X-Request-Id', ['r1']);
      headers.set('Vary', ['Accept-Encoding']);
      return { status: 200, headers };
    });
    const ctx = await runPolicies(
      {
        global: doc({ backend: '<forward-request />' }),
        api: doc({
          inbound: `${CORS}<cors><allowed-origins><origin>*</origin></allowed-origins><allowed-headers><header>*</header></allowed-headers></cors>`,
        }),
      },
      { method: 'POST', headers: { Origin: 'https://app.contoso.com' } },
      { services: { backend: b.backend } },
    );
    assert.equal(b.sent.length, 1);
    const h = ctx.response?.headers;
    assert.deepEqual(h?.get('access-control-allow-origin'), ['https://app.contoso.com']);
    assert.deepEqual(h?.get('access-control-allow-credentials'), ['true']);
    assert.deepEqual(h?.get('access-control-expose-headers'), ['x-request-id']);
    assert.deepEqual(h?.get('vary'), ['Accept-Encoding, Origin']);
  });

  it('actual request that does not match: an empty 200 by default; with terminate false it goes on without headers', async () => {
    const b = fakeBackend();
    const stopped = await runPolicies(
      { global: doc({ backend: '<forward-request />' }), api: doc({ inbound: CORS }) },
      { headers: { Origin: 'https://evil.test' } },
      { services: { backend: b.backend } },
    );
    assert.equal(b.sent.length, 0);
    assert.equal(stopped.response?.status, 200);
    assert.equal(stopped.response?.headers.size, 0);
    const passed = await runPolicies(
      {
        global: doc({ backend: '<forward-request />' }),
        api: doc({
          inbound: CORS.replace(
            '<cors allow-credentials="true">',
            '<cors terminate-unmatched-request="false">',
          ),
        }),
      },
      { headers: { Origin: 'https://evil.test' } },
      { services: { backend: b.backend } },
    );
    assert.equal(b.sent.length, 1);
    assert.equal(passed.response?.headers.has('access-control-allow-origin'), false);
    // No Origin: not cross-origin, cors does nothing.
    const plain = await runPolicies(
      { global: doc({ backend: '<forward-request />' }), api: doc({ inbound: CORS }) },
      {},
      { services: { backend: b.backend } },
    );
    assert.equal(b.sent.length, 2);
    assert.equal(plain.response?.headers.has('access-control-allow-origin'), false);
  });

  it('refuses what APIM refuses, and credentials with the origin *', () => {
    const cors = (inner: string, attrs = '') => ({ api: doc({ inbound: `<cors${attrs}>${inner}</cors>` }) });
    const headers = '<allowed-headers><header>*</header></allowed-headers>';
    assertLoadError(cors(headers), /<cors> needs <allowed-origins>/);
    assertLoadError(
      cors('<allowed-origins><origin>*</origin></allowed-origins>'),
      /<cors> needs <allowed-headers>/,
      /header>\*/,
    );
    assertLoadError(
      cors(`<allowed-origins></allowed-origins>${headers}`),
      /<allowed-origins> needs at least one <origin>/,
    );
    assertLoadError(
      cors(`<allowed-origins><origin>not a url</origin></allowed-origins>${headers}`),
      /api\.xml:1:\d+: <origin> "not a url" is not an origin/,
    );
    assertLoadError(
      cors(`<allowed-origins><origin>*</origin><origin>https://a.test</origin></allowed-origins>${headers}`),
      /\* stands alone/,
    );
    assertLoadError(
      cors(`<allowed-origins><origin>*</origin></allowed-origins>${headers}`, ' allow-credentials="true"'),
      /browsers refuse credentials/,
    );
    assertLoadError(
      cors(
        `<allowed-origins><origin>*</origin></allowed-origins><allowed-methods><method>GET POST</method></allowed-methods>${headers}`,
      ),
      /not an HTTP method/,
    );
    assertLoadError(
      cors(`<allowed-origins><origin>*</origin></allowed-origins>${headers}${headers}`),
      /holds <allowed-headers> twice/,
    );
    assertLoadError(
      cors(`<allowed-origins><origin>*</origin></allowed-origins>${headers}`, ' terminate="x"'),
      /has no attribute "terminate"/,
    );
    assertLoadError(
      {
        api: doc({
          outbound: `<cors><allowed-origins><origin>*</origin></allowed-origins>${headers}</cors>`,
        }),
      },
      /cannot stand in <outbound>/,
    );
  });
});
