import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLoadError, policyDoc as doc, runPolicies } from '../policy-harness.ts';

describe('set-variable', () => {
  it('stores a constant as a string and an expression with its type, for later policies and sections', async () => {
    const ctx = await runPolicies(
      {
        api: doc({
          inbound: `<set-variable name="tier" value="gold" />
            <set-variable name="isPost" value="@(context.Request.Method == &quot;POST&quot;)" />
            <set-variable name="count" value="@(context.Request.Url.Path.Length)" />`,
          outbound: `<set-header name="X-Post"><value>@(((bool)context.Variables["isPost"]) ? "yes" : "no")</value></set-header>`,
        }),
      },
      { method: 'POST', response: {} },
    );
    assert.equal(ctx.variables.get('tier'), 'gold');
    assert.equal(ctx.variables.get('isPost'), true);
    assert.equal(typeof ctx.variables.get('count'), 'number');
    assert.deepEqual(ctx.response?.headers.get('x-post'), ['yes']);
  });

  it('a later set-variable replaces the value; named values are substituted in the constant', async () => {
    const ctx = await runPolicies(
      {
        api: doc({ inbound: '<set-variable name="v" value="1" /><set-variable name="v" value="{{two}}" />' }),
      },
      {},
      { namedValues: { two: '2' } },
    );
    assert.equal(ctx.variables.get('v'), '2');
  });

  it('refuses an expression name, a missing value, an empty name and a type a variable cannot hold', () => {
    assertLoadError(
      { api: doc({ inbound: '<set-variable name="@(&quot;x&quot;)" value="1" />' }) },
      /name does not take a policy expression/,
    );
    assertLoadError({ api: doc({ inbound: '<set-variable name="x" />' }) }, /needs the attribute "value"/);
    assertLoadError(
      { api: doc({ inbound: '<set-variable name=" " value="1" />' }) },
      /name must be 1–256 characters/,
    );
    assertLoadError(
      {
        api: doc({
          inbound:
            '<set-variable name="jwt" value="@(context.Request.Headers.GetValueOrDefault(&quot;Authorization&quot;, &quot;&quot;).AsJwt())" />',
        }),
      },
      /api\.xml:1:\d+: <set-variable> cannot store a value of type Jwt/,
      /ToString/,
    );
    assertLoadError(
      { api: doc({ inbound: '<set-variable name="x" value="1"><value/></set-variable>' }) },
      /cannot hold <value>/,
      /holds no elements/,
    );
  });
});
