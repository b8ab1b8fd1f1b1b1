import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderMap } from '../../../src/gateway/runtime/headers.ts';
import { assertLoadError, policyDoc as doc, runPolicies } from '../policy-harness.ts';

describe('set-status', () => {
  it('sets the code and reason of the answer in outbound', async () => {
    const ctx = await runPolicies(
      { api: doc({ outbound: '<set-status code="202" reason="Accepted later" />' }) },
      { response: { status: 200, headers: new HeaderMap() } },
    );
    assert.equal(ctx.response?.status, 202);
    assert.equal(ctx.response?.reason, 'Accepted later');
  });

  it('in on-error it replaces the failure answer’s status; expressions allowed for both', async () => {
    const ctx = await runPolicies({
      api: doc({
        inbound: '<set-header name="X-Bad"><value>@("a\\nb")</value></set-header>',
        'on-error':
          '<set-status code="@(context.LastError.Reason == &quot;PolicyFailure&quot; ? 503 : 500)" reason="@(context.LastError.Source)" />',
      }),
    });
    assert.equal(ctx.response?.status, 503);
    assert.equal(ctx.response?.reason, 'set-header');
  });

  it('refuses a missing or out-of-range code, a missing reason, a reason with a line break', () => {
    assertLoadError({ api: doc({ outbound: '<set-status reason="x" />' }) }, /needs the attribute "code"/);
    assertLoadError({ api: doc({ outbound: '<set-status code="200" />' }) }, /needs the attribute "reason"/);
    assertLoadError(
      { api: doc({ outbound: '<set-status code="99" reason="x" />' }) },
      /api\.xml:1:\d+: <set-status> code is "99"; it must be a whole number from 100 to 599/,
    );
    assertLoadError(
      { api: doc({ outbound: '<set-status code="200" reason="{{r}}" />' }) },
      /reason must be one line/,
      undefined,
      {
        namedValues: { r: 'a\nb' },
      },
    );
  });
});
