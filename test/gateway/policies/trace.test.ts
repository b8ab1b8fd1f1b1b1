import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLoadError, policyDoc as doc, runPolicies } from '../policy-harness.ts';

const TRACE = `<trace source="PetStore API" severity="information">
    <message>@((string)context.Variables["clientConnectionID"])</message>
    <metadata name="Operation Name" value="New-Order" />
    <metadata name="@(&quot;key&quot;)" value="{{secret}}" />
  </trace>`;

describe('trace', () => {
  it('adds an entry to a traced request: source, message, severity and metadata, secrets masked', async () => {
    const ctx = await runPolicies(
      { api: doc({ inbound: `<set-variable name="clientConnectionID" value="c-17" />${TRACE}` }) },
      { trace: true },
      { namedValues: { secret: { value: 'hunter2', secret: true } } },
    );
    const entry = ctx.trace?.find((e) => e.source === 'PetStore API');
    assert.ok(entry);
    assert.equal(entry.section, 'inbound');
    assert.equal(entry.message, 'c-17');
    assert.deepEqual(entry.data, {
      severity: 'information',
      metadata: { 'Operation Name': 'New-Order', key: '***' },
    });
    assert.doesNotMatch(JSON.stringify(ctx.trace), /hunter2/);
  });

  it('does nothing (evaluates nothing) when the request is not traced; severity defaults to verbose', async () => {
    const quiet = await runPolicies(
      {
        api: doc({
          inbound: '<trace source="s"><message>@(((string)null).Length.ToString())</message></trace>',
        }),
      },
      {},
    );
    assert.equal(quiet.trace, undefined);
    assert.equal(quiet.response, undefined);
    const traced = await runPolicies(
      { api: doc({ outbound: '<trace source="s"><message>done</message></trace>' }) },
      { trace: true, response: {} },
    );
    // The trace policy's own entry (each step also records one of its own, after it).
    const entry = traced.trace?.find((e) => e.source === 's');
    assert.deepEqual(entry?.data, { severity: 'verbose' });
    assert.equal(entry?.section, 'outbound');
  });

  it('refuses a missing source or message, a second message, an unknown severity, an expression source', () => {
    assertLoadError(
      { api: doc({ inbound: '<trace><message>x</message></trace>' }) },
      /needs the attribute "source"/,
    );
    assertLoadError(
      { api: doc({ inbound: '<trace source="s" />' }) },
      /api\.xml:1:\d+: <trace> needs a <message>/,
    );
    assertLoadError(
      { api: doc({ inbound: '<trace source="s"><message>a</message><message>b</message></trace>' }) },
      /<message> twice/,
    );
    assertLoadError(
      { api: doc({ inbound: '<trace source="s" severity="debug"><message>a</message></trace>' }) },
      /one of verbose, information, error/,
    );
    assertLoadError(
      { api: doc({ inbound: '<trace source="@(&quot;s&quot;)"><message>a</message></trace>' }) },
      /source does not take a policy expression/,
    );
    assertLoadError(
      { api: doc({ inbound: '<trace source="s"><message>a</message><metadata name="n" /></trace>' }) },
      /needs the attribute "value"/,
    );
  });
});
