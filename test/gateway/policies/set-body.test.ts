import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_POLICY_BODY } from '../../../src/gateway/policies/message.ts';
import { HeaderMap } from '../../../src/gateway/runtime/headers.ts';
import { assertLoadError, bodyText, policyDoc as doc, fakeBackend, runPolicies } from '../policy-harness.ts';

describe('set-body', () => {
  it('inbound: replaces the backend request’s body with bytes and drops its Content-Length', async () => {
    const b = fakeBackend();
    const ctx = await runPolicies(
      {
        global: doc({ backend: '<forward-request />' }),
        api: doc({ inbound: '<base /><set-body>{"hello": "wörld"}</set-body>' }),
      },
      {
        method: 'POST',
        body: 'original',
        headers: { 'Content-Length': '8', 'Content-Type': 'application/json' },
      },
      { services: { backend: b.backend } },
    );
    assert.equal(b.sent[0]?.body, '{"hello": "wörld"}');
    assert.equal(ctx.request.headers.has('content-length'), false);
    assert.deepEqual(ctx.request.headers.get('content-type'), ['application/json']);
  });

  it('outbound: replaces the answer’s body; an expression’s value is written as C# ToString writes it', async () => {
    const headers = new HeaderMap();
    headers.set('Content-Length', ['5']);
    const ctx = await runPolicies(
      { api: doc({ outbound: '<set-body>@(context.Response.StatusCode == 200)</set-body>' }) },
      { response: { status: 200, headers, body: { kind: 'bytes', bytes: Buffer.from('hello') } } },
    );
    assert.equal(bodyText(ctx), 'True');
    assert.equal(ctx.response?.headers.has('content-length'), false);
  });

  it('keeps whitespace of literal text, takes CDATA, and substitutes named values', async () => {
    const ctx = await runPolicies(
      { api: doc({ outbound: '<set-body>  line 1\n  {{who}} <![CDATA[<b>bold</b>]]></set-body>' }) },
      { response: {} },
      { namedValues: { who: 'Contoso' } },
    );
    assert.equal(bodyText(ctx), '  line 1\n  Contoso <b>bold</b>');
  });

  it('a computed body past the bound fails the request', async () => {
    const ctx = await runPolicies(
      // 2-byte characters: within the expression's string budget, past the body's byte bound.
      { api: doc({ outbound: `<set-body>@("é".PadLeft(${MAX_POLICY_BODY / 2 + 1}, 'é'))</set-body>` }) },
      { response: {} },
    );
    assert.equal(ctx.response?.status, 500);
    assert.match(ctx.lastError?.message ?? '', /at most 1048576/);
  });

  it('refuses Liquid clearly, other templates, element content and unknown attributes', () => {
    assertLoadError(
      { api: doc({ inbound: '<set-body template="liquid">{{body.x}}</set-body>' }) },
      /api\.xml:1:\d+: <set-body template="liquid"> is not supported by Lanyard: there is no Liquid engine/,
      /policy expression/,
      { namedValues: { 'body.x': 'x' } },
    );
    assertLoadError(
      { api: doc({ inbound: '<set-body template="mustache">x</set-body>' }) },
      /only template APIM knows is liquid/,
    );
    assertLoadError(
      { api: doc({ inbound: '<set-body><soap:Envelope/></set-body>' }) },
      /holds the element <soap:Envelope>; a body is text/,
      /CDATA/,
    );
    assertLoadError(
      { api: doc({ inbound: '<set-body xsi-nil="maybe">x</set-body>' }) },
      /one of blank, null/,
    );
  });
});
