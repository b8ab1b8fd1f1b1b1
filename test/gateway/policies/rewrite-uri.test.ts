import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLoadError, policyDoc as doc, runPolicies } from '../policy-harness.ts';

// The API `orders` (path suffix) has the service URL http://backend.test/api/orders; the caller asked for
// /orders/42?x=1, so the backend URL starts as http://backend.test/api/orders/42?x=1.
const run = (inbound: string, r: Parameters<typeof runPolicies>[1] = {}) =>
  runPolicies({ api: doc({ inbound }) }, r);

describe('rewrite-uri', () => {
  it('replaces the operation path relative to the service URL, filling {params}; unmatched query parameters follow', async () => {
    const ctx = await run('<rewrite-uri template="/v2/US/hardware/{id}?City=city" />');
    assert.equal(ctx.request.url.href, 'http://backend.test/api/orders/v2/US/hardware/42?City=city&x=1');
  });

  it('APIM’s clean-URL example loads as written (an & in the attribute) and fills both parameters', async () => {
    const ctx = await runPolicies(
      {
        api: '<policies><inbound><base /><rewrite-uri template="/v2/US/hardware/{storenumber}&{ordernumber}?City=city&State=state" /></inbound><outbound><base /></outbound></policies>',
      },
      {
        url: 'https://contoso.localhost/orders/12/34',
        backendUrl: 'http://backend.test/api/orders/12/34',
        operation: { id: 'o', name: 'o', method: 'GET', urlTemplate: '/{storenumber}/{ordernumber}' },
        matchedParameters: { storenumber: '12', ordernumber: '34' },
      },
    );
    assert.equal(
      ctx.request.url.href,
      'http://backend.test/api/orders/v2/US/hardware/12&34?City=city&State=state',
    );
  });

  it('APIM’s example: /get?a=b&c=d with the template /get?a={b} → /put?c=d, or /put without copying', async () => {
    const r = {
      url: 'https://contoso.localhost/orders/get?a=b&c=d',
      backendUrl: 'http://backend.test/svc/get?a=b&c=d',
      operation: { id: 'get', name: 'get', method: 'GET', urlTemplate: '/get?a={b}' },
      matchedParameters: {},
    };
    assert.equal(
      (await run('<rewrite-uri template="/put" />', r)).request.url.href,
      'http://backend.test/svc/put?c=d',
    );
    assert.equal(
      (await run('<rewrite-uri template="/put" copy-unmatched-params="false" />', r)).request.url.href,
      'http://backend.test/svc/put',
    );
    // A query-template parameter is available to the template by its name.
    assert.equal(
      (await run('<rewrite-uri template="/items/{b}" />', r)).request.url.href,
      'http://backend.test/svc/items/b?c=d',
    );
  });

  it('encodes parameter values: a / or .. can never leave the base; {*rest} keeps its slashes', async () => {
    for (const id of ['..', '.', '%2e%2e']) {
      const dots = await run('<rewrite-uri template="/v2/{id}/x" />', {
        matchedParameters: { id: decodeURIComponent(id) },
      });
      assert.equal(dots.response?.status, 500, id);
      assert.equal(dots.request.url.pathname, '/api/orders/42', id);
    }
    const slash = await run('<rewrite-uri template="/v2/{id}" />', { matchedParameters: { id: 'a/b c' } });
    assert.equal(slash.request.url.pathname, '/api/orders/v2/a%2Fb%20c');
    const rest = await run('<rewrite-uri template="/files/{path}" />', {
      url: 'https://contoso.localhost/orders/f/a/b',
      backendUrl: 'http://backend.test/api/orders/f/a/b',
      operation: { id: 'f', name: 'f', method: 'GET', urlTemplate: '/f/{*path}' },
      matchedParameters: { path: 'a/b' },
    });
    assert.equal(rest.request.url.href, 'http://backend.test/api/orders/files/a/b');
  });

  it('finds the operation path however the front encoded it, and keeps a trailing slash', async () => {
    const semi = await run('<set-backend-service base-url="https://other.test/v9" />', {
      url: 'https://contoso.localhost/orders/a;b',
      backendUrl: 'http://backend.test/api/orders/a%3Bb',
      matchedParameters: { id: 'a;b' },
    });
    assert.equal(semi.request.url.href, 'https://other.test/v9/a%3Bb');
    const slash = await run('<set-backend-service base-url="https://other.test/v9" />', {
      url: 'https://contoso.localhost/orders/42/',
      backendUrl: 'http://backend.test/api/orders/42/',
    });
    assert.equal(slash.request.url.href, 'https://other.test/v9/42/');
    const root = await run('<rewrite-uri template="/v2" />', {
      url: 'https://contoso.localhost/orders',
      backendUrl: 'http://backend.test/api/orders',
    });
    assert.equal(root.request.url.href, 'http://backend.test/api/orders/v2');
  });

  it('composes with set-backend-service in either order, and with set-query-parameter', async () => {
    const a =
      await run(`<rewrite-uri template="/v2/{id}" /><set-backend-service base-url="https://other.test/base/" />
      <set-query-parameter name="y" exists-action="append"><value>2</value></set-query-parameter>`);
    assert.equal(a.request.url.href, 'https://other.test/base/v2/42?x=1&y=2');
    const b = await run(
      '<set-backend-service base-url="https://other.test/base" /><rewrite-uri template="/v2/{id}" />',
    );
    assert.equal(b.request.url.href, 'https://other.test/base/v2/42?x=1');
  });

  it('a template expression gives the path and query as is; an unknown {param} fails the request', async () => {
    const e = await run(
      '<rewrite-uri template="@(&quot;/by-method/&quot; + context.Request.Method)" copy-unmatched-params="false" />',
    );
    assert.equal(e.request.url.href, 'http://backend.test/api/orders/by-method/GET');
    const unknown = await run('<rewrite-uri template="/v2/{nope}" />');
    assert.equal(unknown.response?.status, 500);
    assert.match(
      unknown.lastError?.message ?? '',
      /names \{nope\}, which operation Get order does not match/,
    );
  });

  it('refuses an absolute template, a fragment, a stray brace, a missing template and other sections', () => {
    assertLoadError(
      { api: doc({ inbound: '<rewrite-uri template="https://evil.test/x" />' }) },
      /api\.xml:1:\d+: <rewrite-uri> template is an absolute URL/,
    );
    assertLoadError({ api: doc({ inbound: '<rewrite-uri template="/a#b" />' }) }, /holds a fragment/);
    assertLoadError(
      { api: doc({ inbound: '<rewrite-uri template="/a/{b" />' }) },
      /not around a parameter name/,
    );
    assertLoadError({ api: doc({ inbound: '<rewrite-uri />' }) }, /needs the attribute "template"/);
    assertLoadError({ api: doc({ backend: '<rewrite-uri template="/a" />' }) }, /cannot stand in <backend>/);
    assertLoadError(
      { api: doc({ inbound: '<rewrite-uri template="/a" copy-unmatched-params="maybe" />' }) },
      /true or false/,
    );
  });
});
