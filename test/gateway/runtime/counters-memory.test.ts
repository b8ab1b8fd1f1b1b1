import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LanyardError } from '../../../src/errors/lanyard-error.ts';
import { countersFromEnv } from '../../../src/gateway/runtime/counters.ts';
import { createMemoryCounters } from '../../../src/gateway/runtime/counters-memory.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('memory counters', () => {
  it('slides: a call stops counting when its slot leaves the window, and Retry-After says when', async () => {
    const clock = { t: T0 };
    const c = createMemoryCounters({ now: () => clock.t });
    assert.deepEqual(await c.slidingHit('k', 2, 60_000, 1), { allowed: true, remaining: 1, retryAfterMs: 0 });
    clock.t += 30_000;
    assert.equal((await c.slidingHit('k', 2, 60_000, 1)).remaining, 0);
    clock.t += 1000;
    const refused = await c.slidingHit('k', 2, 60_000, 1);
    assert.deepEqual(refused, { allowed: false, remaining: 0, retryAfterMs: 29_000 });
    clock.t += 29_000;
    assert.equal((await c.slidingHit('k', 2, 60_000, 1)).allowed, true);
  });

  it('checks without counting for an amount of 0, and never lets an amount above the limit through', async () => {
    const c = createMemoryCounters({ now: () => T0 });
    for (let i = 0; i < 5; i++) assert.equal((await c.slidingHit('k', 1, 10_000, 0)).allowed, true);
    assert.equal((await c.slidingHit('k', 1, 10_000, 1)).allowed, true);
    assert.equal((await c.slidingHit('k', 1, 10_000, 0)).allowed, false);
    assert.equal((await c.slidingHit('big', 3, 10_000, 4)).allowed, false);
  });

  it('counts fixed windows from the anchor; a period of 0 never renews', async () => {
    const clock = { t: T0 + 90_000 };
    const c = createMemoryCounters({ now: () => clock.t });
    assert.equal((await c.fixedHit('q', 1, 60_000, 1, T0)).allowed, true);
    assert.deepEqual(await c.fixedHit('q', 1, 60_000, 1, T0), {
      allowed: false,
      remaining: 0,
      retryAfterMs: 30_000,
    });
    clock.t = T0 + 120_000;
    assert.equal((await c.fixedHit('q', 1, 60_000, 1, T0)).allowed, true);
    assert.equal((await c.fixedHit('life', 1, 0, 1)).allowed, true);
    clock.t += 10 * 365 * 86_400_000;
    assert.deepEqual(await c.fixedHit('life', 1, 0, 1), { allowed: false, remaining: 0, retryAfterMs: -1 });
  });

  it('holds at most maxKeys counters: expired ones go first, then the least recently used', async () => {
    const clock = { t: T0 };
    const c = createMemoryCounters({ now: () => clock.t, maxKeys: 2 });
    await c.slidingHit('a', 1, 10_000, 1);
    await c.slidingHit('b', 1, 10_000, 1);
    await c.slidingHit('a', 1, 10_000, 0); // a used more recently than b
    await c.slidingHit('c', 1, 10_000, 1);
    assert.equal(c.size(), 2);
    assert.equal((await c.slidingHit('a', 1, 10_000, 0)).allowed, false, 'a kept its count');
    assert.equal((await c.slidingHit('b', 1, 10_000, 0)).allowed, true, 'b was evicted and starts from 0');
    // Once their windows have passed, counters are swept rather than live ones evicted.
    clock.t += 20_000;
    await c.fixedHit('d', 1, 3_600_000, 1);
    await c.fixedHit('e', 1, 3_600_000, 1);
    assert.equal(c.size(), 2);
    assert.equal((await c.fixedHit('d', 1, 3_600_000, 0)).allowed, false);
  });
});

describe('countersFromEnv', () => {
  it('counts in memory without LANYARD_GATEWAY_REDIS', async () => {
    const c = countersFromEnv({}, 'contoso');
    assert.equal(c.store, 'memory');
    assert.equal((await c.slidingHit('k', 1, 1000, 1)).allowed, true);
    await c.close();
  });

  it('refuses a failure mode other than open or closed, and a URL that is not redis://', () => {
    const refused = (env: Record<string, string>, pattern: RegExp) =>
      assert.throws(
        () => countersFromEnv(env, 'contoso'),
        (err: unknown) =>
          err instanceof LanyardError && err.code === 'ERR_GATEWAY_COUNTERS' && pattern.test(err.message),
      );
    refused({ LANYARD_GATEWAY_REDIS_FAILURE: 'sometimes' }, /open or closed/);
    refused({ LANYARD_GATEWAY_REDIS: 'http://127.0.0.1:6379' }, /not redis:\/\/ or rediss:\/\//);
  });

  it('names the Redis store without its password', async () => {
    const c = countersFromEnv(
      { LANYARD_GATEWAY_REDIS: 'redis://user:s3cret@127.0.0.1:6379', LANYARD_GATEWAY_REDIS_FAILURE: 'OPEN' },
      'contoso',
    );
    assert.equal(c.store, 'redis://user:***@127.0.0.1:6379');
    await c.close();
  });
});
