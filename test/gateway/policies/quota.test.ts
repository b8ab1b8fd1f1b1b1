import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLoadError, bodyText, policyDoc } from '../policy-harness.ts';
import { gateway, header, subscription, T0 } from './limits-helpers.ts';

const product = (inner: string) => ({ product: policyDoc({ inbound: `<base/>${inner}` }) });
const api = (inner: string) => ({ api: policyDoc({ inbound: `<base/>${inner}` }) });
const bytes = (n: number) => ({ body: { kind: 'bytes' as const, bytes: Buffer.alloc(n, 'a') } });

describe('quota', () => {
  it('answers 403 with the time until the window renews, then renews', async () => {
    const g = gateway(product('<quota calls="2" renewal-period="3600"/>'));
    g.clock.t = T0 + 10 * 60_000;
    assert.equal((await g.send()).response?.status, 200);
    assert.equal((await g.send()).response?.status, 200);
    const refused = await g.send();
    assert.equal(refused.response?.status, 403);
    assert.equal(
      bodyText(refused),
      '{"statusCode":403,"message":"Out of call volume quota. Quota will be replenished in 00:50:00."}',
    );
    assert.equal(header(refused, 'Retry-After'), '3000');
    assert.equal(refused.lastError?.source, 'quota');
    assert.equal(refused.lastError?.reason, 'QuotaExceeded');
    // Another subscription has its own quota; the next hour renews this one.
    assert.equal((await g.send({ subscription: subscription('sub-2') })).response?.status, 200);
    g.clock.t = T0 + 60 * 60_000;
    assert.equal((await g.send()).response?.status, 200);
  });

  it('writes a wait past a day as TimeSpan does, and a quota that never renews without a time', async () => {
    const days = gateway(product('<quota calls="1" renewal-period="172800"/>'));
    await days.send();
    assert.match(bodyText(await days.send()) ?? '', /Quota will be replenished in 2\.00:00:00\./);
    const never = gateway(product('<quota calls="1" renewal-period="0"/>'));
    await never.send();
    const refused = await never.send();
    assert.equal(refused.response?.status, 403);
    assert.equal(bodyText(refused), '{"statusCode":403,"message":"Out of call volume quota."}');
    assert.equal(header(refused, 'Retry-After'), undefined);
  });

  it('counts bandwidth in kilobytes of the request and the answer, at the end of outbound', async () => {
    const g = gateway(product('<quota bandwidth="2" renewal-period="3600"/>'), { answer: () => bytes(1500) });
    assert.equal((await g.send()).response?.status, 200);
    // 1,500 bytes used of 2,048: one more call fits, and uses the rest.
    assert.equal((await g.send({ body: 'x'.repeat(100) })).response?.status, 200);
    const refused = await g.send();
    assert.equal(refused.response?.status, 403);
    assert.match(
      bodyText(refused) ?? '',
      /^\{"statusCode":403,"message":"Out of bandwidth quota\. Quota will be replenished in 01:00:00\."\}$/,
    );
  });

  it('does nothing without a subscription, and applies nested api limits apart', async () => {
    const g = gateway(
      product(
        '<quota calls="5" renewal-period="3600"><api name="Orders" calls="1"  renewal-period="3600"/></quota>',
      ),
    );
    assert.equal((await g.send()).response?.status, 200);
    assert.equal((await g.send()).response?.status, 403);
    for (let i = 0; i < 3; i++)
      assert.equal((await g.send({ subscription: undefined })).response?.status, 200);
  });

  it('is refused at load where APIM refuses it', () => {
    assertLoadError(api('<quota calls="1" renewal-period="60"/>'), /cannot stand in a api policy/);
    assertLoadError(product('<quota renewal-period="60"/>'), /needs "calls", "bandwidth" or both/);
    assertLoadError(
      product('<quota calls="@(1)" renewal-period="60"/>'),
      /does not take a policy expression/,
    );
  });
});

describe('quota-by-key', () => {
  it('keeps one quota per key value, from first-period-start', async () => {
    const g = gateway(
      api(
        '<quota-by-key calls="1" renewal-period="600" counter-key="@(context.Request.IpAddress)" first-period-start="2025-12-31T23:55:00Z"/>',
      ),
    );
    assert.equal((await g.send({ ip: '10.0.0.1' })).response?.status, 200);
    const refused = await g.send({ ip: '10.0.0.1' });
    assert.equal(refused.response?.status, 403);
    // Windows of 10 minutes from 23:55: this one ends at 00:05.
    assert.equal(
      bodyText(refused),
      '{"statusCode":403,"message":"Out of call volume quota. Quota will be replenished in 00:05:00."}',
    );
    assert.equal(refused.lastError?.source, 'quota-by-key');
    assert.equal((await g.send({ ip: '10.0.0.2' })).response?.status, 200);
    g.clock.t = T0 + 5 * 60_000;
    assert.equal((await g.send({ ip: '10.0.0.1' })).response?.status, 200);
  });

  it('counts only the answers increment-condition accepts, and a key once per request', async () => {
    let status = 404;
    const g = gateway(
      {
        global:
          '<policies><inbound><quota-by-key calls="2" renewal-period="3600" counter-key="k" increment-condition="@(context.Response.StatusCode &lt; 400)"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>',
        api: policyDoc({
          inbound:
            '<base/><quota-by-key calls="2" renewal-period="3600" counter-key="k" increment-condition="@(context.Response.StatusCode &lt; 400)"/>',
        }),
      },
      { answer: () => ({ status }) },
    );
    for (let i = 0; i < 3; i++) assert.equal((await g.send()).response?.status, 404);
    status = 200;
    // Two policies, one key: each request counts once.
    assert.equal((await g.send()).response?.status, 200);
    assert.equal((await g.send()).response?.status, 200);
    assert.equal((await g.send()).response?.status, 403);
  });

  it('is refused at load where APIM refuses it', () => {
    assertLoadError(api('<quota-by-key calls="1" renewal-period="60" counter-key="k"/>'), /at least 300/);
    assertLoadError(
      api('<quota-by-key calls="1" renewal-period="300"/>'),
      /needs the attribute "counter-key"/,
    );
    assertLoadError(
      api('<quota-by-key calls="1" renewal-period="300" counter-key="k" first-period-start="tomorrow"/>'),
      /first-period-start/,
    );
    assertLoadError(
      api('<quota-by-key calls="@(1)" renewal-period="300" counter-key="k"/>'),
      /does not take a policy expression/,
    );
  });
});
