/**
 * The examples of API Management's reference pages for the four policies, loaded as written there (an
 * expression with `&&` and `<` inside an attribute included) and run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gateway } from './limits-helpers.ts';

const RATE_LIMIT = `<policies>
    <inbound>
        <base />
        <rate-limit calls="20" renewal-period="90" remaining-calls-variable-name="remainingCallsPerSubscription"/>
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`;

const RATE_LIMIT_BY_KEY = `<policies>
    <inbound>
        <base />
        <rate-limit-by-key calls="10"
              renewal-period="60"
              increment-condition="@(context.Response.StatusCode == 200)"
              counter-key="@(context.Request.IpAddress)"
              remaining-calls-variable-name="remainingCallsPerIP"/>
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`;

const QUOTA = `<policies>
    <inbound>
        <base />
        <quota calls="10000" bandwidth="40000" renewal-period="3600" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`;

const QUOTA_BY_KEY = `<policies>
    <inbound>
        <base />
        <quota-by-key calls="10000" bandwidth="40000" renewal-period="3600"
                      increment-condition="@(context.Response.StatusCode >= 200 && context.Response.StatusCode < 400)"
                      counter-key="@(context.Request.IpAddress)" />
    </inbound>
    <outbound>
        <base />
    </outbound>
</policies>`;

describe('the reference examples', () => {
  it('rate-limit at an API: 20 calls per 90 s per subscription, the calls left in a variable', async () => {
    const g = gateway({ api: RATE_LIMIT });
    for (let i = 0; i < 20; i++)
      assert.equal((await g.send()).variables.get('remainingCallsPerSubscription'), 19 - i);
    assert.equal((await g.send()).response?.status, 429);
  });

  it('rate-limit-by-key: 10 successful calls per minute per caller address', async () => {
    const g = gateway({ api: RATE_LIMIT_BY_KEY });
    for (let i = 0; i < 10; i++) assert.equal((await g.send({ ip: '192.0.2.1' })).response?.status, 200);
    assert.equal((await g.send({ ip: '192.0.2.1' })).response?.status, 429);
    assert.equal((await g.send({ ip: '192.0.2.2' })).variables.get('remainingCallsPerIP'), 10);
  });

  it('quota at a product and quota-by-key load and count', async () => {
    const q = gateway({ product: QUOTA });
    assert.equal((await q.send()).response?.status, 200);
    const k = gateway({ api: QUOTA_BY_KEY }, { answer: () => ({ status: 404 }) });
    assert.equal((await k.send()).response?.status, 404);
    // The key the policy counts under (docs/gateway.md, "Counter keys"): a 404 is not counted, a 200 is.
    const key = `quota-by-key:p=3600000@${Date.parse('0001-01-01T00:00:00Z')}:127.0.0.1:calls`;
    assert.equal((await k.counters.fixedHit(key, 1, 3_600_000, 0)).allowed, true);
    const ok = gateway({ api: QUOTA_BY_KEY }, { counters: k.counters, clock: k.clock });
    assert.equal((await ok.send()).response?.status, 200);
    assert.equal((await k.counters.fixedHit(key, 1, 3_600_000, 0)).allowed, false);
  });
});
