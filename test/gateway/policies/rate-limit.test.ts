import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLoadError, bodyText, policyDoc } from '../policy-harness.ts';
import { gateway, header, subscription } from './limits-helpers.ts';

const product = (inner: string) => ({ product: policyDoc({ inbound: `<base/>${inner}` }) });

describe('rate-limit', () => {
  it('counts down the remaining calls, then answers 429 with APIM body, Retry-After and LastError', async () => {
    const g = gateway(
      product(
        '<rate-limit calls="3" renewal-period="60" remaining-calls-header-name="x-remaining" remaining-calls-variable-name="left" total-calls-header-name="x-total"/>',
      ),
    );
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      const ctx = await g.send();
      assert.equal(ctx.response?.status, 200);
      seen.push(header(ctx, 'x-remaining'));
      assert.equal(header(ctx, 'x-total'), '3');
      assert.equal(ctx.variables.get('left'), 2 - i);
    }
    assert.deepEqual(seen, ['2', '1', '0']);
    g.clock.t += 1000;
    const refused = await g.send();
    assert.equal(refused.response?.status, 429);
    assert.equal(
      bodyText(refused),
      '{"statusCode":429,"message":"Rate limit is exceeded. Try again in 59 seconds."}',
    );
    assert.equal(header(refused, 'Retry-After'), '59');
    assert.equal(header(refused, 'x-remaining'), '0');
    assert.equal(header(refused, 'x-total'), '3');
    assert.equal(refused.lastError?.source, 'rate-limit');
    assert.equal(refused.lastError?.reason, 'RateLimitExceeded');
    assert.equal(refused.lastError?.section, 'inbound');
  });

  it('renews as the window slides past the calls', async () => {
    const g = gateway(product('<rate-limit calls="2" renewal-period="10"/>'));
    await g.send();
    g.clock.t += 5000;
    await g.send();
    assert.equal((await g.send()).response?.status, 429);
    // The first call leaves the window 10 s after it was made; the second one is still in it.
    g.clock.t += 5000;
    assert.equal((await g.send()).response?.status, 200);
    const again = await g.send();
    assert.equal(again.response?.status, 429);
    assert.equal(header(again, 'Retry-After'), '5');
  });

  it('takes a renamed Retry-After header and a retry-after variable that on-error can read', async () => {
    const g = gateway({
      product: policyDoc({
        inbound:
          '<base/><rate-limit calls="1" renewal-period="30" retry-after-header-name="x-retry" retry-after-variable-name="wait"/>',
        'on-error':
          '<base/><set-header name="x-wait" exists-action="override"><value>@(context.Variables.GetValueOrDefault<int>("wait").ToString())</value></set-header>',
      }),
    });
    await g.send();
    const refused = await g.send();
    assert.equal(refused.response?.status, 429);
    assert.equal(header(refused, 'x-retry'), '30');
    assert.equal(header(refused, 'Retry-After'), undefined);
    assert.equal(refused.variables.get('wait'), 30);
    assert.equal(header(refused, 'x-wait'), '30');
  });

  it('counts each subscription apart and leaves calls without a subscription alone', async () => {
    const g = gateway(product('<rate-limit calls="1" renewal-period="60"/>'));
    assert.equal((await g.send()).response?.status, 200);
    assert.equal((await g.send()).response?.status, 429);
    assert.equal((await g.send({ subscription: subscription('sub-2') })).response?.status, 200);
    for (let i = 0; i < 3; i++) {
      const open = await g.send({ subscription: undefined });
      assert.equal(open.response?.status, 200);
    }
  });

  it('applies nested api and operation limits on their own, matched by id or name', async () => {
    const g = gateway(
      product(
        '<rate-limit calls="10" renewal-period="60" remaining-calls-header-name="x-remaining"><api name="Orders" calls="3" renewal-period="60"><operation id="get-order" calls="2" renewal-period="60"/></api><api id="other" calls="1" renewal-period="60"/></rate-limit>',
      ),
    );
    const first = await g.send();
    // The fewest calls left among the limits that apply: the operation's.
    assert.equal(header(first, 'x-remaining'), '1');
    await g.send();
    const third = await g.send();
    assert.equal(third.response?.status, 429);
    // Another operation of the API: the operation's limit does not apply, the API's (3) has 1 left.
    const post = { id: 'create-order', name: 'Create order', method: 'POST', urlTemplate: '/' };
    assert.equal((await g.send({ operation: post })).response?.status, 200);
    assert.equal((await g.send({ operation: post })).response?.status, 429);
  });

  it('keeps the counts of a product and of an API policy apart', async () => {
    const g = gateway({
      product: policyDoc({ inbound: '<base/><rate-limit calls="2" renewal-period="60"/>' }),
      api: policyDoc({ inbound: '<base/><rate-limit calls="2" renewal-period="60"/>' }),
    });
    // Each call counts once in each scope's counter: two calls fit both.
    assert.equal((await g.send()).response?.status, 200);
    assert.equal((await g.send()).response?.status, 200);
    assert.equal((await g.send()).response?.status, 429);
  });

  it('is refused at load where APIM refuses it', () => {
    assertLoadError(product('<rate-limit calls="1" renewal-period="301"/>'), /renewal-period/);
    assertLoadError(
      product('<rate-limit calls="@(1)" renewal-period="60"/>'),
      /does not take a policy expression/,
    );
    assertLoadError(product('<rate-limit calls="1"/>'), /needs the attribute "renewal-period"/);
    assertLoadError(
      { global: policyDoc({ inbound: '<rate-limit calls="1" renewal-period="60"/>' }) },
      /cannot stand in a global policy/,
    );
    assertLoadError(
      { api: policyDoc({ outbound: '<base/><rate-limit calls="1" renewal-period="60"/>' }) },
      /cannot stand in <outbound>/,
    );
    assertLoadError(
      product('<rate-limit calls="1" renewal-period="60"><api calls="1" renewal-period="60"/></rate-limit>'),
      /needs the attribute "name" or "id"/,
    );
    assertLoadError(
      product('<rate-limit calls="1" renewal-period="60" retry-after-header-name="bad header"/>'),
      /header/i,
    );
  });
});
