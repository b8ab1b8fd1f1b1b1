import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SampleRequest } from '../../../src/gateway/policy/services.ts';
import { assertLoadError, bodyText, policyDoc as doc, fakeBackend, runPolicies } from '../policy-harness.ts';

describe('mock-response', () => {
  it('answers 200 with an empty body by default, without calling the backend', async () => {
    const b = fakeBackend();
    const ctx = await runPolicies(
      { global: doc({ backend: '<forward-request />' }), api: doc({ inbound: '<base /><mock-response />' }) },
      {},
      { services: { backend: b.backend } },
    );
    assert.equal(b.sent.length, 0);
    assert.equal(ctx.response?.status, 200);
    assert.equal(ctx.response?.body.kind, 'none');
    assert.equal(ctx.response?.headers.has('content-type'), false);
  });

  it('answers from the operation’s sample for the status and content type when there is one', async () => {
    const asked: SampleRequest[] = [];
    const operationSample = (r: SampleRequest) => {
      asked.push(r);
      return r.status === 404 ? undefined : { contentType: 'application/json', body: '{"id":42}' };
    };
    const ctx = await runPolicies(
      { api: doc({ inbound: "<mock-response status-code='201' content-type='application/json' />" }) },
      {},
      { services: { operationSample } },
    );
    assert.deepEqual(asked[0], {
      apiId: 'orders',
      operationId: 'get-order',
      status: 201,
      contentType: 'application/json',
    });
    assert.equal(ctx.response?.status, 201);
    assert.equal(ctx.response?.reason, 'Created');
    assert.deepEqual(ctx.response?.headers.get('content-type'), ['application/json']);
    assert.equal(bodyText(ctx), '{"id":42}');

    const none = await runPolicies(
      { api: doc({ inbound: '<mock-response status-code="@(404)" content-type="text/plain" />' }) },
      {},
      { services: { operationSample } },
    );
    assert.equal(none.response?.status, 404);
    assert.equal(none.response?.body.kind, 'none');
    assert.deepEqual(none.response?.headers.get('content-type'), ['text/plain']);
  });

  it('in on-error it replaces the failure answer', async () => {
    const ctx = await runPolicies({
      api: doc({
        inbound: '<set-header name="X-Bad"><value>@("a\\nb")</value></set-header>',
        'on-error': '<mock-response status-code="418" />',
      }),
    });
    assert.equal(ctx.response?.status, 418);
  });

  it('refuses a bad status code, the backend section and an empty content type', () => {
    assertLoadError({ api: doc({ inbound: '<mock-response status-code="abc" />' }) }, /status-code is "abc"/);
    assertLoadError({ api: doc({ inbound: '<mock-response status-code="600" />' }) }, /from 100 to 599/);
    assertLoadError({ api: doc({ backend: '<mock-response />' }) }, /cannot stand in <backend>/);
    assertLoadError(
      { api: doc({ inbound: '<mock-response content-type=" " />' }) },
      /content-type must be a media type/,
    );
  });
});
