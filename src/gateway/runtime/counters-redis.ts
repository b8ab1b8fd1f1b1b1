/**
 * @module gateway/runtime/counters-redis
 * The gateway's rate-limit and quota counters in Redis, so that every process serving one gateway counts
 * against the same limits (as APIM's units share theirs). Each hit is one Lua script (atomic in Redis, the same
 * arithmetic as counter-windows.ts): a sliding counter is a hash of slot → count, a fixed one a hash of window
 * index and count. Keys are `lanyard:gw:<gateway>:<policy's key>` and expire with their window (a quota that
 * never renews has no expiry). The time is the gateway's clock (`now`), passed to the script: processes on one
 * host agree, and tests move it.
 *
 * **Redis down.** The client (ioredis) reconnects by itself, with a backoff up to 2 s, for ever; while it is
 * down a hit fails at once (no offline queue; a command waits at most `commandTimeoutMs`). What the policy then
 * does is the `failure` setting:
 * - `closed` (the default): the hit rejects with `ERR_GATEWAY_COUNTERS`; the policy answers 500 with the reason
 *   in `x-lanyard-hint`. A limit that cannot be checked is not silently lifted.
 * - `open`: the call is let through uncounted; the answer carries `x-lanyard-hint` saying so, and one warning is
 *   logged per outage (and one line when Redis is back).
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { Logger } from '../../http/logger.ts';
import type { CounterResult, Counters } from '../policy/services.ts';
import { DEFAULT_ANCHOR_MS, SLOTS, slotMs } from './counter-windows.ts';

export type CounterFailureMode = 'open' | 'closed';

export interface RedisCountersOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  readonly url: string;
  /** The gateway's name: its keys live under `lanyard:gw:<gateway>:`. */
  readonly gateway: string;
  readonly failure?: CounterFailureMode | undefined;
  readonly now?: (() => number) | undefined;
  readonly logger?: Pick<Logger, 'warn' | 'info'> | undefined;
  /** How long one hit may wait for Redis (default 1,000 ms). */
  readonly commandTimeoutMs?: number | undefined;
}

export interface RedisCounters extends Counters {
  /** Resolves once connected (tests wait for it); rejects after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** KEYS[1] the counter; ARGV now, limit, slot ms, slots, amount → {allowed, total, retryAfterMs}. */
const SLIDING = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local g = tonumber(ARGV[3])
local slots = tonumber(ARGV[4])
local amount = tonumber(ARGV[5])
local current = math.floor(now / g)
local raw = redis.call('HGETALL', key)
local live = {}
local total = 0
for i = 1, #raw, 2 do
  local s = tonumber(raw[i])
  local n = tonumber(raw[i + 1])
  if s <= current - slots then
    redis.call('HDEL', key, raw[i])
  else
    total = total + n
    live[#live + 1] = { s, n }
  end
end
local need = amount
if need <= 0 then need = 1 end
if total + need <= limit then
  if amount > 0 then
    redis.call('HINCRBY', key, string.format('%d', current), amount)
    redis.call('PEXPIRE', key, (slots + 1) * g)
    total = total + amount
  end
  return { 1, total, 0 }
end
if need > limit then return { 0, total, slots * g } end
table.sort(live, function(a, b) return a[1] < b[1] end)
local excess = total + need - limit
local freed = 0
local wait = slots * g
for _, e in ipairs(live) do
  freed = freed + e[2]
  if freed >= excess then
    wait = (e[1] + slots) * g - now
    break
  end
end
if wait < 1 then wait = 1 end
return { 0, total, wait }
`;

/** KEYS[1] the counter; ARGV now, limit, period ms, anchor ms, amount → {allowed, count, retryAfterMs}. */
const FIXED = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local anchor = tonumber(ARGV[4])
local amount = tonumber(ARGV[5])
local index = 0
local ends = -1
if period > 0 then
  index = math.floor((now - anchor) / period)
  ends = anchor + (index + 1) * period
end
local w = redis.call('HGET', key, 'w')
local count = 0
if w and tonumber(w) == index then count = tonumber(redis.call('HGET', key, 'c')) or 0 end
local need = amount
if need <= 0 then need = 1 end
if count + need > limit then
  local wait = -1
  if period > 0 then
    wait = ends - now
    if wait < 1 then wait = 1 end
  end
  return { 0, count, wait }
end
if amount > 0 then
  redis.call('HSET', key, 'w', string.format('%d', index))
  redis.call('HSET', key, 'c', string.format('%d', count + amount))
  if period > 0 then
    local ttl = ends - now
    if ttl < 1000 then ttl = 1000 end
    redis.call('PEXPIRE', key, ttl)
  else
    redis.call('PERSIST', key)
  end
end
return { 1, count + amount, 0 }
`;

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const SCRIPTS = {
  sliding: { lua: SLIDING, sha: sha1(SLIDING) },
  fixed: { lua: FIXED, sha: sha1(FIXED) },
};

/** The URL without its password, for messages. */
export function safeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return '(not a URL)';
  }
}

export function createRedisCounters(o: RedisCountersOptions): RedisCounters {
  let parsed: URL;
  try {
    parsed = new URL(o.url);
  } catch {
    parsed = new URL('invalid:');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new LanyardError(
      'ERR_GATEWAY_COUNTERS',
      `The counters' Redis URL ${safeRedisUrl(o.url)} is not redis:// or rediss://`,
      {
        hint: 'Set LANYARD_GATEWAY_REDIS=redis://127.0.0.1:6379 (or leave it unset to count in memory).',
      },
    );
  }
  const now = o.now ?? (() => Date.now());
  const failure = o.failure ?? 'closed';
  const where = safeRedisUrl(o.url);
  const prefix = `lanyard:gw:${o.gateway}:`;
  const client = new Redis(o.url, {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: o.commandTimeoutMs ?? 1000,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let outage = false;
  let closed = false;
  // Connection errors surface on the hits (and in the outage warning); the event itself only needs a listener.
  client.on('error', () => {});
  client.on('ready', () => {
    if (outage) {
      outage = false;
      o.logger?.info({ redis: where, gateway: o.gateway }, 'gateway counters: Redis is reachable again');
    }
  });

  const commandTimeoutMs = o.commandTimeoutMs ?? 1000;
  /** Until the first connection is made a hit waits for it (up to the command timeout), so start-up is no outage. */
  let connected = false;
  client.once('ready', () => {
    connected = true;
  });
  const firstConnection = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, commandTimeoutMs);
      function done() {
        clearTimeout(timer);
        client.off('ready', done);
        resolve();
      }
      client.once('ready', done);
    });

  const evaluate = async (script: { lua: string; sha: string }, key: string, args: number[]) => {
    if (!connected && client.status !== 'ready') await firstConnection();
    const argv = args.map((a) => String(a));
    try {
      return (await client.evalsha(script.sha, 1, prefix + key, ...argv)) as number[];
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return (await client.eval(script.lua, 1, prefix + key, ...argv)) as number[];
    }
  };

  const unavailable = (err: unknown, limit: number, amount: number): CounterResult => {
    const reason = err instanceof Error ? err.message : String(err);
    if (failure === 'closed') {
      throw new LanyardError(
        'ERR_GATEWAY_COUNTERS',
        `The rate-limit and quota counters in Redis (${where}) cannot be reached: ${reason}`,
        {
          hint: `Redis at ${where} is down or unreachable, and the counters fail closed (LANYARD_GATEWAY_REDIS_FAILURE=closed): start Redis, or set LANYARD_GATEWAY_REDIS_FAILURE=open to let calls through uncounted.`,
        },
      );
    }
    if (!outage) {
      outage = true;
      o.logger?.warn(
        { redis: where, gateway: o.gateway, reason },
        'gateway counters: Redis cannot be reached; rate limits and quotas are not applied until it is back (fail-open)',
      );
    }
    return {
      allowed: true,
      remaining: Math.max(0, limit - Math.max(amount, 0)),
      retryAfterMs: 0,
      unavailable: `Redis at ${where} cannot be reached; this call was let through uncounted (LANYARD_GATEWAY_REDIS_FAILURE=open).`,
    };
  };

  const succeeded = () => {
    if (outage) {
      outage = false;
      o.logger?.info({ redis: where, gateway: o.gateway }, 'gateway counters: Redis is reachable again');
    }
  };

  return {
    async slidingHit(key, limit, windowMs, amount) {
      try {
        const [ok, total, wait] = await evaluate(SCRIPTS.sliding, `s:${key}`, [
          now(),
          limit,
          slotMs(windowMs),
          SLOTS,
          amount,
        ]);
        succeeded();
        return {
          allowed: ok === 1,
          remaining: Math.max(0, limit - Number(total)),
          retryAfterMs: Number(wait),
        };
      } catch (err) {
        if (err instanceof LanyardError) throw err;
        return unavailable(err, limit, amount);
      }
    },

    async fixedHit(key, limit, periodMs, amount, anchorMs = DEFAULT_ANCHOR_MS) {
      try {
        const [ok, count, wait] = await evaluate(SCRIPTS.fixed, `f:${key}`, [
          now(),
          limit,
          periodMs,
          anchorMs,
          amount,
        ]);
        succeeded();
        return {
          allowed: ok === 1,
          remaining: Math.max(0, limit - Number(count)),
          retryAfterMs: Number(wait),
        };
      } catch (err) {
        if (err instanceof LanyardError) throw err;
        return unavailable(err, limit, amount);
      }
    },

    async ready(timeoutMs = 5000) {
      if (client.status === 'ready') return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          client.off('ready', onReady);
          reject(
            new LanyardError('ERR_GATEWAY_COUNTERS', `Redis at ${where} is not ready after ${timeoutMs} ms`),
          );
        }, timeoutMs);
        const onReady = () => {
          clearTimeout(timer);
          resolve();
        };
        client.once('ready', onReady);
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
