import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderMap } from '../../../src/gateway/runtime/headers.ts';
import {
  assertLoadError,
  bodyText,
  compileDocuments,
  policyDoc as doc,
  fakeBackend,
  newContext,
  runPolicies,
} from '../policy-harness.ts';

describe('return-response', () => {
  it('inbound: answers 401 with the header and body its children set; the rest of inbound and the backend are skipped', async () => {
    const b = fakeBackend();
    const ctx = await runPolicies(
      {
        global: doc({ backend: '<forward-request />' }),
        api: doc({
          inbound: `<base /><return-response>
              <set-status code="401" reason="Unauthorized" />
              <set-header name="WWW-Authenticate" exists-action="override"><value>Bearer error="invalid_token"</value></set-header>
              <set-body>@("no entry for " + context.Request.Method)</set-body>
            </return-response>
            <set-header name="X-After"><value>never</value></set-header>`,
          outbound: '<set-header name="X-Outbound"><value>ran</value></set-header>',
        }),
      },
      { headers: { Authorization: 'Bearer x' } },
      { services: { backend: b.backend } },
    );
    assert.equal(b.sent.length, 0);
    assert.equal(ctx.response?.status, 401);
    assert.equal(ctx.response?.reason, 'Unauthorized');
    assert.deepEqual(ctx.response?.headers.get('www-authenticate'), ['Bearer error="invalid_token"']);
    assert.equal(bodyText(ctx), 'no entry for GET');
    // The children shaped the answer, not the backend request.
    assert.equal(ctx.request.headers.has('www-authenticate'), false);
    assert.equal(ctx.request.headers.has('x-after'), false);
    // The pipeline's rule for every early end: outbound runs on the answer.
    assert.deepEqual(ctx.response?.headers.get('x-outbound'), ['ran']);
  });

  it('<return-response/> alone is 200 OK, no headers, no body; inside choose it ends the section too', async () => {
    const ctx = await runPolicies({
      api: doc({
        inbound: `<choose><when condition="@(true)"><return-response /></when></choose>
          <set-header name="X-After"><value>never</value></set-header>`,
      }),
    });
    assert.equal(ctx.response?.status, 200);
    assert.equal(ctx.response?.reason, 'OK');
    assert.equal(ctx.response?.headers.size, 0);
    assert.equal(ctx.response?.body.kind, 'none');
    assert.equal(ctx.request.headers.has('x-after'), false);
  });

  it('response-variable-name: starts from the stored response (copied) and the children change it', async () => {
    const { pipeline } = compileDocuments({
      api: doc({
        inbound:
          '<return-response response-variable-name="saved"><set-status code="203" reason="Changed" /></return-response>',
      }),
    });
    const headers = new HeaderMap();
    headers.set('X-From', ['send-request']);
    const saved = {
      status: 200,
      reason: 'OK',
      headers,
      body: { kind: 'bytes' as const, bytes: Buffer.from('stored') },
    };
    const ctx = newContext();
    ctx.variables.set('saved', saved);
    await pipeline.run(ctx);
    assert.equal(ctx.response?.status, 203);
    assert.deepEqual(ctx.response?.headers.get('x-from'), ['send-request']);
    assert.equal(bodyText(ctx), 'stored');
    assert.equal(saved.status, 200);

    const missing = newContext();
    await pipeline.run(missing);
    assert.equal(missing.response?.status, 500);
    assert.match(missing.lastError?.message ?? '', /"saved" is not set/);
  });

  it('on-error: replaces the failure answer', async () => {
    const ctx = await runPolicies({
      api: doc({
        inbound: '<set-header name="X-Bad"><value>@("a\\nb")</value></set-header>',
        'on-error': `<return-response><set-status code="502" reason="Bad Gateway" />
          <set-header name="Content-Type"><value>text/plain</value></set-header>
          <set-body>@(context.LastError.Source)</set-body></return-response>`,
      }),
    });
    assert.equal(ctx.response?.status, 502);
    assert.equal(bodyText(ctx), 'set-header');
    assert.deepEqual(ctx.response?.headers.get('content-type'), ['text/plain']);
  });

  it('refuses other children, a second set-status, and an expression for the variable name', () => {
    assertLoadError(
      { api: doc({ inbound: '<return-response><set-variable name="a" value="b" /></return-response>' }) },
      /cannot hold <set-variable>/,
    );
    assertLoadError(
      {
        api: doc({
          inbound:
            '<return-response><set-status code="200" reason="a" /><set-status code="201" reason="b" /></return-response>',
        }),
      },
      /api\.xml:1:\d+: <return-response> holds <set-status> twice/,
    );
    assertLoadError(
      { api: doc({ inbound: '<return-response response-variable-name="@(&quot;x&quot;)" />' }) },
      /response-variable-name does not take a policy expression/,
    );
  });
});
