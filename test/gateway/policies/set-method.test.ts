import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLoadError, policyDoc as doc, fakeBackend, runPolicies } from '../policy-harness.ts';

describe('set-method', () => {
  it('changes the method the backend gets; expressions read the new one; the original stays known', async () => {
    const b = fakeBackend();
    const ctx = await runPolicies(
      {
        global: doc({ backend: '<forward-request />' }),
        api: doc({
          inbound: `<base /><set-method>post</set-method>
            <set-header name="X-Method"><value>@(context.Request.Method)</value></set-header>`,
        }),
      },
      {},
      { services: { backend: b.backend } },
    );
    assert.equal(b.sent[0]?.method, 'POST');
    assert.deepEqual(ctx.request.headers.get('x-method'), ['POST']);
    assert.equal(ctx.originalMethod, 'GET');
  });

  it('takes an expression; a computed value that is not a method fails the request', async () => {
    const ok = await runPolicies({
      api: doc({
        inbound: '<set-method>@(context.Request.Headers.GetValueOrDefault("X-M", "PUT"))</set-method>',
      }),
    });
    assert.equal(ok.request.method, 'PUT');
    const bad = await runPolicies(
      {
        api: doc({
          inbound: '<set-method>@(context.Request.Headers.GetValueOrDefault("X-M", "PUT"))</set-method>',
        }),
      },
      { headers: { 'X-M': 'GET /evil' } },
    );
    assert.equal(bad.response?.status, 500);
    assert.equal(bad.request.method, 'GET');
  });

  it('refuses an empty or invalid method, attributes, and sections other than inbound and on-error', () => {
    assertLoadError({ api: doc({ inbound: '<set-method></set-method>' }) }, /needs a method/);
    assertLoadError(
      { api: doc({ inbound: '<set-method>GET POST</set-method>' }) },
      /api\.xml:1:\d+: <set-method> "GET POST" is not an HTTP method/,
    );
    assertLoadError(
      { api: doc({ inbound: '<set-method verb="x">GET</set-method>' }) },
      /has no attribute "verb"/,
    );
    assertLoadError({ api: doc({ outbound: '<set-method>GET</set-method>' }) }, /cannot stand in <outbound>/);
  });
});
