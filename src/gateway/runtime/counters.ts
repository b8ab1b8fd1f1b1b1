/**
 * @module gateway/runtime/counters
 * `countersFromEnv(env, gateway)`: the rate-limit and quota counters a gateway plane uses, from its settings.
 *
 * - `LANYARD_GATEWAY_REDIS` unset: in memory (counters-memory.ts), per process — enough for one gateway process.
 * - `LANYARD_GATEWAY_REDIS=redis://127.0.0.1:6379`: in Redis (counters-redis.ts), shared by every process that
 *   serves the gateway.
 * - `LANYARD_GATEWAY_REDIS_FAILURE=closed|open` (default `closed`): what a hit does while Redis is unreachable —
 *   a 500 with the reason in `x-lanyard-hint`, or the call let through uncounted (a hint on the answer, one
 *   warning logged per outage).
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { Logger } from '../../http/logger.ts';
import type { Counters } from '../policy/services.ts';
import { createMemoryCounters } from './counters-memory.ts';
import { type CounterFailureMode, createRedisCounters } from './counters-redis.ts';

export const REDIS_ENV = 'LANYARD_GATEWAY_REDIS';
export const REDIS_FAILURE_ENV = 'LANYARD_GATEWAY_REDIS_FAILURE';

export interface GatewayCounters extends Counters {
  /** Where the counts live, for `lanyard status` and logs: `memory` or the Redis URL without its password. */
  readonly store: string;
  close(): Promise<void>;
}

export interface CountersFromEnvOptions {
  readonly now?: (() => number) | undefined;
  readonly logger?: Pick<Logger, 'warn' | 'info'> | undefined;
  /** Memory counters' bound on keys. */
  readonly maxKeys?: number | undefined;
}

export function countersFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  gateway: string,
  o: CountersFromEnvOptions = {},
): GatewayCounters {
  const url = env[REDIS_ENV]?.trim();
  const failureText = env[REDIS_FAILURE_ENV]?.trim().toLowerCase() || 'closed';
  if (failureText !== 'open' && failureText !== 'closed') {
    throw new LanyardError(
      'ERR_GATEWAY_COUNTERS',
      `${REDIS_FAILURE_ENV} is ${JSON.stringify(env[REDIS_FAILURE_ENV])}; it must be open or closed`,
      {
        hint: `${REDIS_FAILURE_ENV}=closed (the default) answers 500 while Redis is down; open lets calls through.`,
      },
    );
  }
  const failure: CounterFailureMode = failureText;
  if (!url) {
    const memory = createMemoryCounters({ now: o.now, maxKeys: o.maxKeys });
    return { ...memory, store: 'memory' };
  }
  const redis = createRedisCounters({ url, gateway, failure, now: o.now, logger: o.logger });
  const u = new URL(url);
  if (u.password) u.password = '***';
  return {
    slidingHit: redis.slidingHit,
    fixedHit: redis.fixedHit,
    close: redis.close,
    store: u.href,
  };
}
