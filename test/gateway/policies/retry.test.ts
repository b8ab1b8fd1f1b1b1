import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_RETRY_WAIT_MS, retryWaitMs } from '../../../src/gateway/policies/retry.ts';
import { assertLoadError, policyDoc as doc, fakeBackend, runPolicies } from '../policy-harness.ts';

describe('retry', () => {
  it('runs its children once, then again while the condition holds, waiting the interval between attempts', async () => {
    let calls = 0;
    const b = fakeBackend(() => ({ status: ++calls < 3 ? 503 : 200 }));
    const waits: number[] = [];
    const ctx = await runPolicies(
      {
        global: doc({
          backend: `<retry condition="@(context.Response.StatusCode == 503)" count="5" interval="2">
            <forward-request /></retry>`,
        }),
      },
      {},
      { services: { backend: b.backend, sleep: async (ms) => void waits.push(ms) } },
    );
    assert.equal(b.sent.length, 3);
    assert.equal(ctx.response?.status, 200);
    assert.deepEqual(waits, [2000, 2000]);
  });

  it('stops after count retries (count + 1 runs) with the last outcome', async () => {
    const b = fakeBackend(() => ({ status: 500 }));
    const ctx = await runPolicies(
      {
        global: doc({
          backend:
            '<retry condition="@(context.Response.StatusCode >= 500)" count="2" interval="0" first-fast-retry="true"><forward-request /></retry>',
        }),
      },
      {},
      { services: { backend: b.backend, sleep: async () => assert.fail('interval 0 never waits') } },
    );
    assert.equal(b.sent.length, 3);
    assert.equal(ctx.response?.status, 500);
  });

  it('waits: fixed, linear with delta, exponential with max-interval, first-fast-retry', () => {
    const fixed = { interval: 10, firstFast: false };
    assert.deepEqual(
      [1, 2, 3].map((n) => retryWaitMs(n, fixed)),
      [10_000, 10_000, 10_000],
    );
    const linear = { interval: 10, delta: 5, firstFast: false };
    assert.deepEqual(
      [1, 2, 3].map((n) => retryWaitMs(n, linear)),
      [10_000, 15_000, 20_000],
    );
    const exponential = { interval: 10, delta: 10, maxInterval: 100, firstFast: false };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => retryWaitMs(n, exponential, () => 0.5)),
      [10_000, 20_000, 40_000, 80_000, 100_000, 100_000],
    );
    assert.equal(retryWaitMs(1, { ...exponential, firstFast: true }), 0);
    assert.equal(
      retryWaitMs(2, { ...exponential, firstFast: true }, () => 0.5),
      20_000,
    );
  });

  it('the waits of one retry stay within the bound: it stops before a wait would pass it', async () => {
    let runs = 0;
    const waits: number[] = [];
    await runPolicies(
      {
        api: doc({
          inbound:
            '<retry condition="@(true)" count="50" interval="3600"><set-variable name="x" value="@(context.Variables.Count)" /></retry>',
        }),
      },
      {},
      {
        services: {
          sleep: async (ms) => {
            waits.push(ms);
            runs++;
          },
        },
      },
    );
    assert.equal(runs, 0);
    assert.ok(waits.reduce((a, w) => a + w, 0) <= MAX_RETRY_WAIT_MS);
    const counted: number[] = [];
    await runPolicies(
      {
        api: doc({
          inbound:
            '<retry condition="@(true)" count="50" interval="50"><set-variable name="x" value="1" /></retry>',
        }),
      },
      {},
      { services: { sleep: async (ms) => void counted.push(ms) } },
    );
    assert.deepEqual(counted, [50_000, 50_000]);
  });

  it('a child that ends the pipeline ends the retry; a failing child goes to on-error', async () => {
    const b = fakeBackend();
    const ended = await runPolicies(
      {
        global: doc({ backend: '<forward-request />' }),
        api: doc({
          inbound:
            '<retry condition="@(true)" count="3" interval="0"><return-response><set-status code="202" reason="Accepted" /></return-response></retry><base />',
        }),
      },
      {},
      { services: { backend: b.backend } },
    );
    assert.equal(ended.response?.status, 202);
    assert.equal(b.sent.length, 0);
    const failed = await runPolicies({
      api: doc({
        inbound:
          '<retry condition="@(true)" count="3" interval="0"><set-header name="X-Bad"><value>@("a\\nb")</value></set-header></retry>',
      }),
    });
    assert.equal(failed.response?.status, 500);
    assert.equal(failed.lastError?.source, 'retry');
  });

  it('refuses missing required attributes, a count outside 1–50, and <wait> inside', () => {
    assertLoadError(
      { api: doc({ inbound: '<retry count="1" interval="1" />' }) },
      /needs the attribute "condition"/,
    );
    assertLoadError(
      { api: doc({ inbound: '<retry condition="true" interval="1" />' }) },
      /needs the attribute "count"/,
    );
    assertLoadError(
      { api: doc({ inbound: '<retry condition="true" count="1" />' }) },
      /needs the attribute "interval"/,
    );
    assertLoadError(
      { api: doc({ inbound: '<retry condition="true" count="51" interval="1" />' }) },
      /count is "51"; it must be a whole number from 1 to 50/,
    );
    assertLoadError(
      { api: doc({ inbound: '<retry condition="true" count="1" interval="1"><wait /></retry>' }) },
      /api\.xml:1:\d+: <retry> cannot hold <wait>/,
    );
    assertLoadError(
      {
        api: doc({
          inbound: '<retry condition="true" count="1" interval="1"><set-heder name="x" /></retry>',
        }),
      },
      /<set-heder> is not a policy/,
    );
  });
});
