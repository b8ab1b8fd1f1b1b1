import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyLoadError } from '../../../src/gateway/policy/errors.ts';
import { HeaderMap } from '../../../src/gateway/runtime/headers.ts';
import { bodyText, compileDocuments, runPolicies } from '../policy-harness.ts';

const doc = (sections: Partial<Record<'inbound' | 'backend' | 'outbound' | 'on-error', string>>) =>
  `<policies>${Object.entries(sections)
    .map(([s, body]) => `<${s}>${body}</${s}>`)
    .join('')}</policies>`;

function refused(docs: Parameters<typeof compileDocuments>[0], pattern: RegExp, hint?: RegExp): void {
  assert.throws(
    () => compileDocuments(docs),
    (err: unknown) => {
      assert.ok(err instanceof PolicyLoadError, String(err));
      assert.match(err.message, pattern);
      if (hint) assert.match(err.hint ?? '', hint);
      return true;
    },
  );
}

describe('compiled policies', () => {
  it('set-header: override, append, skip and delete on the backend request; outbound on the answer', async () => {
    const ctx = await runPolicies(
      {
        api: doc({
          inbound: `<set-header name="X-A" exists-action="override"><value>1</value><value>2</value></set-header>
            <set-header name="x-b" exists-action="append"><value>new</value></set-header>
            <set-header name="X-C" exists-action="skip"><value>ignored</value></set-header>
            <set-header name="Ocp-Apim-Subscription-Key" exists-action="delete" />
            <set-header name="Set-Cookie"><value>a=1</value><value>b=2</value></set-header>`,
          outbound: '<set-header name="X-Out"><value>@(context.Request.Method)</value></set-header>',
        }),
      },
      {
        method: 'POST',
        headers: { 'X-B': 'old', 'X-C': 'kept', 'Ocp-Apim-Subscription-Key': 'k' },
        response: { status: 200, headers: new HeaderMap() },
      },
    );
    const h = ctx.request.headers;
    assert.deepEqual(h.get('x-a'), ['1,2']);
    assert.deepEqual(h.get('X-B'), ['old', 'new']);
    assert.deepEqual(h.get('x-c'), ['kept']);
    assert.equal(h.has('ocp-apim-subscription-key'), false);
    assert.deepEqual(h.get('set-cookie'), ['a=1', 'b=2']);
    assert.deepEqual(ctx.response?.headers.get('x-out'), ['POST']);
  });

  it('choose: the first true when, else otherwise; conditions read headers case-insensitively', async () => {
    const policy = doc({
      inbound: `<choose>
        <when condition="@(context.Request.Headers.GetValueOrDefault(&quot;x-tier&quot;, &quot;&quot;) == &quot;gold&quot;)"><set-header name="X-Route"><value>gold</value></set-header></when>
        <when condition="@(context.Request.Method == "POST")"><set-header name="X-Route"><value>post</value></set-header></when>
        <otherwise><set-header name="X-Route"><value>other</value></set-header></otherwise>
      </choose>`,
    });
    const route = async (r: Parameters<typeof runPolicies>[1]) =>
      (await runPolicies({ api: policy }, r)).request.headers.joined('x-route');
    assert.equal(await route({ headers: { 'X-Tier': 'gold' }, method: 'POST' }), 'gold');
    assert.equal(await route({ method: 'POST' }), 'post');
    assert.equal(await route({}), 'other');
  });

  it('a failing policy sets LastError and a 500 answer, skips the rest, and on-error runs', async () => {
    const ctx = await runPolicies({
      api: doc({
        inbound: `<set-header name="X-1"><value>ok</value></set-header>
          <set-header name="X-Bad" id="bad-one"><value>@(context.Request.Headers.GetValueOrDefault("missing", "a") + "\\r\\nInjected: 1")</value></set-header>
          <set-header name="X-Never"><value>no</value></set-header>`,
        'on-error':
          '<set-header name="X-Error-Reason"><value>@(context.LastError.Reason + "|" + context.LastError.PolicyId + "|" + context.LastError.Path)</value></set-header>',
      }),
    });
    assert.equal(ctx.request.headers.has('x-never'), false);
    assert.equal(ctx.response?.status, 500);
    assert.deepEqual(JSON.parse(bodyText(ctx)!), { statusCode: 500, message: 'Internal server error' });
    assert.equal(ctx.lastError?.section, 'inbound');
    assert.equal(ctx.lastError?.scope, 'api');
    assert.deepEqual(ctx.response?.headers.get('x-error-reason'), ['PolicyFailure|bad-one|set-header[2]']);
  });

  it('refuses unknown policies, misplaced ones, unknown attributes and bad constants, with positions', () => {
    refused(
      { api: doc({ inbound: '<set-heder name="a"/>' }) },
      /api\.xml:1:\d+: <set-heder> is not a policy/,
      /<set-header>/,
    );
    refused(
      { api: doc({ inbound: '<log-to-eventhub logger-id="x">a</log-to-eventhub>' }) },
      /not supported by Lanyard: there is no Event Hubs/,
    );
    refused(
      { api: doc({ inbound: '<set-header name="a" exist-action="override"/>' }) },
      /has no attribute "exist-action"/,
      /exists-action/,
    );
    refused(
      { api: doc({ inbound: '<set-header name="a" exists-action="replace"/>' }) },
      /one of override, skip, append, delete/,
    );
    refused({ api: doc({ inbound: '<set-header exists-action="skip"/>' }) }, /needs the attribute "name"/);
    refused({ api: doc({ inbound: '<set-header name="Content-Length"/>' }) }, /cannot change Content-Length/);
    refused(
      { api: doc({ inbound: '<choose><when condition="@(context.Request.Method.Length)"/></choose>' }) },
      /condition|bool/,
    );
    refused({ api: doc({ inbound: '<choose><otherwise/></choose>' }) }, /at least one <when/);
    refused({ api: doc({ inbound: '<set-header name="a"><val>1</val></set-header>' }) }, /cannot hold <val>/);
  });

  it('expressions read the backend URL as the policies before them left it', async () => {
    const ctx = await runPolicies({
      api: doc({
        inbound: `<set-header name="X-Before"><value>@(context.Request.Url.Query.GetValueOrDefault("v", "none"))</value></set-header>
          <set-query-parameter name="v" exists-action="override"><value>2</value></set-query-parameter>
          <set-header name="X-After"><value>@(context.Request.Url.Query.GetValueOrDefault("v", "none"))</value></set-header>`,
      }),
    });
    assert.deepEqual(ctx.request.headers.get('x-before'), ['none']);
    assert.deepEqual(ctx.request.headers.get('x-after'), ['2']);
  });

  it('substitutes named values before compiling, expressions included', async () => {
    const ctx = await runPolicies(
      { api: doc({ inbound: '<set-header name="X-{{suffix}}"><value>{{greeting}}</value></set-header>' }) },
      {},
      { namedValues: { suffix: 'Tenant', greeting: '@(context.Api.Name + "!")' } },
    );
    assert.deepEqual(ctx.request.headers.get('x-tenant'), ['Orders!']);
  });
});
