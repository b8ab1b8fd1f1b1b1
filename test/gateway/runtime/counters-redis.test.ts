/**
 * The Redis counters against the real Redis at 127.0.0.1:6379 (CI starts it; nothing is kept on disk): two
 * counter instances share a limit as two gateway processes would, keys live under the gateway's namespace with
 * a TTL, and a Redis restart in the middle shows fail-closed (500 with a hint) and fail-open (through, a hint,
 * one warning per outage), then recovery. Every test leaves Redis running, even when it fails.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createRedisCounters, type RedisCounters } from '../../../src/gateway/runtime/counters-redis.ts';
import { gateway, header, T0 } from '../policies/limits-helpers.ts';
import { bodyText, policyDoc } from '../policy-harness.ts';

const URL = 'redis://127.0.0.1:6379';

function redisUp(): boolean {
  try {
    return (
      execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping'], { encoding: 'utf8' }).trim() ===
      'PONG'
    );
  } catch {
    return false;
  }
}

async function waitFor(up: boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (redisUp() === up) return;
    await sleep(100);
  }
  throw new Error(`Redis is still ${up ? 'down' : 'up'} after 10 s`);
}

/** Starts Redis the way .ci/run does, when it is not running. */
async function startRedis(): Promise<void> {
  if (redisUp()) return;
  execFileSync('redis-server', [
    '--daemonize',
    'yes',
    '--bind',
    '127.0.0.1',
    '--port',
    '6379',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  await waitFor(true);
}

async function stopRedis(): Promise<void> {
  try {
    execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'shutdown', 'nosave'], { stdio: 'ignore' });
  } catch {
    // The server closes the connection as it goes.
  }
  await waitFor(false);
}

/** Runs `during` with Redis stopped; Redis is started again afterwards whatever happens. */
async function withRedisDown(during: () => Promise<void>): Promise<void> {
  await stopRedis();
  try {
    await during();
  } finally {
    await startRedis();
  }
}

after(startRedis);

const open: RedisCounters[] = [];
after(async () => {
  for (const c of open) await c.close();
});

function counters(
  name: string,
  clock: { t: number },
  o: Partial<Parameters<typeof createRedisCounters>[0]> = {},
) {
  const c = createRedisCounters({ url: URL, gateway: name, now: () => clock.t, ...o });
  open.push(c);
  return c;
}

const product = (inner: string) => ({ product: policyDoc({ inbound: `<base/>${inner}` }) });

describe('Redis counters', { concurrency: false }, () => {
  it('share one limit between two gateway processes, under lanyard:gw:<gateway>: with a TTL', async () => {
    await startRedis();
    const name = `test-${randomUUID()}`;
    const clock = { t: T0 };
    const doc = product('<rate-limit calls="3" renewal-period="60" remaining-calls-header-name="x-left"/>');
    const a = gateway(doc, { clock, counters: counters(name, clock) });
    const b = gateway(doc, { clock, counters: counters(name, clock) });
    assert.equal(header(await a.send(), 'x-left'), '2');
    assert.equal(header(await b.send(), 'x-left'), '1');
    assert.equal(header(await a.send(), 'x-left'), '0');
    const refused = await b.send();
    assert.equal(refused.response?.status, 429);
    assert.equal(
      bodyText(refused),
      '{"statusCode":429,"message":"Rate limit is exceeded. Try again in 60 seconds."}',
    );
    // Another gateway's counters are its own.
    const other = gateway(doc, { clock, counters: counters(`test-${randomUUID()}`, clock) });
    assert.equal((await other.send()).response?.status, 200);

    const inspect = new Redis(URL);
    try {
      const keys = await inspect.keys(`lanyard:gw:${name}:*`);
      assert.deepEqual(keys, [`lanyard:gw:${name}:s:rate-limit:sub-1:product=starter:w=60000`]);
      const ttl = await inspect.pttl(keys[0]!);
      assert.ok(ttl > 0 && ttl <= 63_000, `TTL ${ttl}`);
    } finally {
      inspect.disconnect();
    }

    // Quotas too: one fixed window shared by both.
    const q = product('<quota calls="1" renewal-period="3600"/>');
    const qa = gateway(q, { clock, counters: counters(name, clock) });
    const qb = gateway(q, { clock, counters: counters(name, clock) });
    assert.equal((await qa.send()).response?.status, 200);
    const quotaRefused = await qb.send();
    assert.equal(
      bodyText(quotaRefused),
      '{"statusCode":403,"message":"Out of call volume quota. Quota will be replenished in 01:00:00."}',
    );
  });

  it('fail-closed: answers 500 with a hint while Redis is down, and recovers when it is back', async () => {
    await startRedis();
    const clock = { t: T0 };
    const c = counters(`test-${randomUUID()}`, clock, { failure: 'closed' });
    await c.ready();
    const g = gateway(product('<rate-limit calls="5" renewal-period="60"/>'), { clock, counters: c });
    assert.equal((await g.send()).response?.status, 200);
    await withRedisDown(async () => {
      for (let i = 0; i < 2; i++) {
        const down = await g.send();
        assert.equal(down.response?.status, 500);
        assert.equal(bodyText(down), '{"statusCode":500,"message":"Internal server error"}');
        assert.match(
          header(down, 'x-lanyard-hint') ?? '',
          /Redis at redis:\/\/127\.0\.0\.1:6379 is down or unreachable.*fail closed.*LANYARD_GATEWAY_REDIS_FAILURE=open/,
        );
        assert.equal(down.lastError?.source, 'rate-limit');
        assert.equal(down.lastError?.reason, 'CountersUnavailable');
      }
    });
    await c.ready(10_000);
    const back = await g.send();
    assert.equal(back.response?.status, 200);
    assert.equal(header(back, 'x-lanyard-hint'), undefined);
  });

  it('fail-open: lets calls through uncounted with a hint, warns once per outage, and recovers', async () => {
    await startRedis();
    const clock = { t: T0 };
    const logged: { level: string; msg: string }[] = [];
    const logger = {
      warn: (_o: object, msg: string) => logged.push({ level: 'warn', msg }),
      info: (_o: object, msg: string) => logged.push({ level: 'info', msg }),
    };
    const c = counters(`test-${randomUUID()}`, clock, { failure: 'open', logger: logger as never });
    await c.ready();
    const g = gateway(product('<rate-limit-by-key calls="1" renewal-period="60" counter-key="k"/>'), {
      clock,
      counters: c,
    });
    assert.equal((await g.send()).response?.status, 200);
    assert.equal((await g.send()).response?.status, 429, 'the limit holds while Redis is up');
    await withRedisDown(async () => {
      for (let i = 0; i < 3; i++) {
        const through = await g.send();
        assert.equal(through.response?.status, 200);
        assert.match(
          header(through, 'x-lanyard-hint') ?? '',
          /cannot be reached; this call was let through uncounted/,
        );
      }
      assert.deepEqual(
        logged.map((l) => l.level),
        ['warn'],
      );
      assert.match(logged[0]!.msg, /fail-open/);
    });
    await c.ready(10_000);
    // Redis kept nothing (no disk): the count starts again, and the limit holds again.
    assert.equal((await g.send()).response?.status, 200);
    const limited = await g.send();
    assert.equal(limited.response?.status, 429);
    assert.equal(header(limited, 'x-lanyard-hint'), undefined);
    assert.deepEqual(
      logged.map((l) => l.level),
      ['warn', 'info'],
    );
    assert.match(logged[1]!.msg, /reachable again/);
  });
});
