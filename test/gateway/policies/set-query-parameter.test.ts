import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLoadError, policyDoc as doc, runPolicies } from '../policy-harness.ts';

const run = (inbound: string, backendUrl = 'http://backend.test/api/orders/42?x=1&keep=a%20b&x=2') =>
  runPolicies({ api: doc({ inbound }) }, { backendUrl });

describe('set-query-parameter', () => {
  it('override (the default) replaces every pair of the name; others keep the caller’s encoding', async () => {
    const ctx = await run(
      '<set-query-parameter name="x"><value>new value</value><value>2nd</value></set-query-parameter>',
    );
    assert.equal(ctx.request.url.search, '?keep=a%20b&x=new%20value&x=2nd');
    assert.equal(ctx.request.url.pathname, '/api/orders/42');
  });

  it('skip leaves a present parameter and adds an absent one; append adds after; delete removes all', async () => {
    assert.equal(
      (await run('<set-query-parameter name="x" exists-action="skip"><value>9</value></set-query-parameter>'))
        .request.url.search,
      '?x=1&keep=a%20b&x=2',
    );
    assert.equal(
      (
        await run(
          '<set-query-parameter name="api-key" exists-action="skip"><value>123</value></set-query-parameter>',
        )
      ).request.url.search,
      '?x=1&keep=a%20b&x=2&api-key=123',
    );
    assert.equal(
      (
        await run(
          '<set-query-parameter name="x" exists-action="append"><value>3</value></set-query-parameter>',
        )
      ).request.url.search,
      '?x=1&keep=a%20b&x=2&x=3',
    );
    assert.equal(
      (await run('<set-query-parameter name="x" exists-action="delete" />')).request.url.search,
      '?keep=a%20b',
    );
    assert.equal(
      (await run('<set-query-parameter name="x" exists-action="delete" />', 'http://b.test/p?x=1')).request
        .url.href,
      'http://b.test/p',
    );
  });

  it('name, action and values may be expressions; expressions read the URL as changed', async () => {
    const ctx = await runPolicies(
      {
        api: doc({
          inbound: `<set-query-parameter name="@(&quot;x-product&quot;)" exists-action="@(&quot;override&quot;)"><value>@(context.Api.Name)</value></set-query-parameter>
            <set-header name="X-Query"><value>@(context.Request.Url.Query.GetValueOrDefault("x-product", "none"))</value></set-header>`,
        }),
      },
      {},
    );
    assert.equal(ctx.request.url.searchParams.get('x-product'), 'Orders');
    assert.deepEqual(ctx.request.headers.get('x-query'), ['Orders']);
  });

  it('refuses a missing value (unless delete), a bad action, and the outbound section', () => {
    assertLoadError(
      { api: doc({ inbound: '<set-query-parameter name="x" />' }) },
      /exists-action="override" needs at least one <value>/,
    );
    assertLoadError(
      {
        api: doc({
          inbound:
            '<set-query-parameter name="x" exists-action="replace"><value>1</value></set-query-parameter>',
        }),
      },
      /one of override, skip, append, delete/,
    );
    assertLoadError(
      { api: doc({ outbound: '<set-query-parameter name="x"><value>1</value></set-query-parameter>' }) },
      /cannot stand in <outbound>/,
    );
    assertLoadError(
      { api: doc({ inbound: '<set-query-parameter name=""><value>1</value></set-query-parameter>' }) },
      /name is empty/,
    );
  });

  it('a URL past 16 KiB fails the request (500, on-error runs)', async () => {
    const ctx = await runPolicies(
      {
        api: doc({
          inbound:
            '<set-query-parameter name="big"><value>@("a".PadLeft(20000, \'a\'))</value></set-query-parameter>',
        }),
      },
      {},
    );
    assert.equal(ctx.response?.status, 500);
    assert.match(ctx.lastError?.message ?? '', /at most 16384/);
  });
});
