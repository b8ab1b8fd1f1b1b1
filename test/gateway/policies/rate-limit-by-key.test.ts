import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLoadError, bodyText, policyDoc } from '../policy-harness.ts';
import { gateway, header } from './limits-helpers.ts';

const api = (inner: string) => ({ api: policyDoc({ inbound: `<base/>${inner}` }) });

describe('rate-limit-by-key', () => {
  it('keeps one counter per key: two caller IPs are limited apart', async () => {
    const g = gateway(
      api(
        '<rate-limit-by-key calls="2" renewal-period="60" counter-key="@(context.Request.IpAddress)" remaining-calls-header-name="x-left"/>',
      ),
    );
    const a = '10.0.0.1';
    const b = '10.0.0.2';
    assert.equal(header(await g.send({ ip: a }), 'x-left'), '1');
    assert.equal(header(await g.send({ ip: a }), 'x-left'), '0');
    const refused = await g.send({ ip: a });
    assert.equal(refused.response?.status, 429);
    assert.equal(
      bodyText(refused),
      '{"statusCode":429,"message":"Rate limit is exceeded. Try again in 60 seconds."}',
    );
    assert.equal(refused.lastError?.source, 'rate-limit-by-key');
    assert.equal(refused.lastError?.reason, 'RateLimitExceeded');
    const other = await g.send({ ip: b });
    assert.equal(other.response?.status, 200);
    assert.equal(header(other, 'x-left'), '1');
    // Calls without a subscription are limited too: the key is all that counts.
    assert.equal((await g.send({ ip: b, subscription: undefined })).response?.status, 200);
    assert.equal((await g.send({ ip: b, subscription: undefined })).response?.status, 429);
  });

  it('evaluates increment-condition at the end of outbound: only the answers it accepts are counted', async () => {
    let status = 500;
    const g = gateway(
      api(
        '<rate-limit-by-key calls="2" renewal-period="60" counter-key="k" increment-condition="@(context.Response.StatusCode == 200)" remaining-calls-variable-name="left"/>',
      ),
      { answer: () => ({ status }) },
    );
    for (let i = 0; i < 4; i++) {
      const ctx = await g.send();
      assert.equal(ctx.response?.status, 500, 'backend errors are not counted');
      assert.equal(ctx.variables.get('left'), 2);
    }
    status = 200;
    assert.equal((await g.send()).variables.get('left'), 2);
    assert.equal((await g.send()).variables.get('left'), 1);
    const refused = await g.send();
    assert.equal(refused.response?.status, 429);
  });

  it('counts increment-count per call, and takes expressions for calls, renewal-period and the count', async () => {
    const g = gateway(
      api(
        '<rate-limit-by-key calls="5" renewal-period="60" counter-key="k" increment-count="2" remaining-calls-variable-name="left"/>',
      ),
    );
    assert.equal((await g.send()).variables.get('left'), 3);
    assert.equal((await g.send()).variables.get('left'), 1);
    assert.equal((await g.send()).response?.status, 429);

    const e = gateway(
      api(
        '<rate-limit-by-key calls="@(1 + 1)" renewal-period="@(&quot;30&quot;)" counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;x-tenant&quot;, &quot;none&quot;))" increment-count="@(1)" retry-after-variable-name="wait"/>',
      ),
    );
    const t1 = { headers: { 'x-tenant': 't1' } };
    await e.send(t1);
    await e.send(t1);
    // The expression count is deferred: the third call is checked against the two counted at the end.
    const refused = await e.send(t1);
    assert.equal(refused.response?.status, 429);
    assert.equal(refused.variables.get('wait'), 30);
    assert.equal((await e.send({ headers: { 'x-tenant': 't2' } })).response?.status, 200);
  });

  it('shares one counter per key value across scopes', async () => {
    const g = gateway({
      global:
        '<policies><inbound><rate-limit-by-key calls="3" renewal-period="60" counter-key="shared"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>',
      api: policyDoc({
        inbound: '<base/><rate-limit-by-key calls="3" renewal-period="60" counter-key="shared"/>',
      }),
    });
    // Each call passes both policies: two counts per call on the one counter.
    assert.equal((await g.send()).response?.status, 200);
    const second = await g.send();
    assert.equal(second.response?.status, 429);
    assert.equal(second.lastError?.scope, 'api');
  });

  it('is refused at load where APIM refuses it', () => {
    assertLoadError(
      api('<rate-limit-by-key calls="1" renewal-period="60"/>'),
      /needs the attribute "counter-key"/,
    );
    assertLoadError(
      api('<rate-limit-by-key calls="1" renewal-period="0" counter-key="k"/>'),
      /renewal-period/,
    );
    assertLoadError(
      api(
        '<rate-limit-by-key calls="1" renewal-period="60" counter-key="k" retry-after-header-name="@(&quot;x&quot;)"/>',
      ),
      /does not take a policy expression/,
    );
    assertLoadError(
      {
        api: policyDoc({
          outbound: '<base/><rate-limit-by-key calls="1" renewal-period="60" counter-key="k"/>',
        }),
      },
      /cannot stand in <outbound>/,
    );
  });
});
