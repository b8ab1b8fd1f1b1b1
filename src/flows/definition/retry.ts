/**
 * @module flows/definition/retry
 * `retryPolicy` of an `Http` action, checked and made explicit: `none`, `fixed` (count and interval),
 * `exponential` (count, interval, optional minimum and maximum), or the default policy when absent or
 * `default`. Counts are 1–90 and intervals PT5S–P1D, Azure's limits.
 */

import { parseDuration } from './duration.ts';
import { canonicalMembers } from './members.ts';
import { invalid } from './problems.ts';
import type { Duration, RetryPolicy } from './types.ts';

const MIN_INTERVAL: Duration = { text: 'PT5S', ms: 5_000 };
const MAX_INTERVAL: Duration = { text: 'P1D', ms: 86_400_000 };

/**
 * Azure's default: four exponential retries. Its documentation gives both "intervals scale by 7.5 seconds, capped
 * between 5 and 45 seconds" and an illustration with PT7S and PT1H; the prose is taken, as it describes the waits.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  type: 'exponential',
  count: 4,
  interval: { text: 'PT7.5S', ms: 7_500 },
  minimumInterval: MIN_INTERVAL,
  maximumInterval: { text: 'PT45S', ms: 45_000 },
};

const TYPES = ['none', 'fixed', 'exponential', 'default'] as const;
const KEYS: Record<(typeof TYPES)[number], readonly string[]> = {
  none: ['type'],
  default: ['type'],
  fixed: ['type', 'count', 'interval'],
  exponential: ['type', 'count', 'interval', 'minimumInterval', 'maximumInterval'],
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function interval(raw: unknown, path: string, key: string): Duration {
  const at = `${path}.${key}`;
  if (typeof raw !== 'string')
    throw invalid(at, 'retry-policy', 'must be an ISO 8601 duration such as "PT10S"');
  const d = parseDuration(raw);
  if (!d) throw invalid(at, 'duration', `'${raw}' is not an ISO 8601 duration (such as "PT10S" or "P1D")`);
  if (d.ms < MIN_INTERVAL.ms || d.ms > MAX_INTERVAL.ms)
    throw invalid(at, 'retry-policy', `'${raw}' is outside the allowed range PT5S to P1D`);
  return d;
}

export function normalizeRetryPolicy(value: unknown, path: string): RetryPolicy {
  if (value === undefined) return DEFAULT_RETRY_POLICY;
  const raw = canonicalMembers(value, KEYS.exponential, path);
  if (!isRecord(raw))
    throw invalid(
      path,
      'retry-policy',
      'must be an object such as { "type": "fixed", "count": 3, "interval": "PT10S" }',
    );
  const typeText = raw.type;
  const type = TYPES.find((t) => typeof typeText === 'string' && t === typeText.toLowerCase());
  if (type === undefined)
    throw invalid(
      `${path}.type`,
      'retry-policy',
      `'${String(typeText)}' is not a retry policy type; use one of ${TYPES.join(', ')}`,
    );
  for (const key of Object.keys(raw)) {
    if (!KEYS[type].includes(key))
      throw invalid(`${path}.${key}`, 'retry-policy', `a '${type}' retry policy takes no '${key}'`);
  }
  if (type === 'none') return { type: 'none' };
  if (type === 'default') return DEFAULT_RETRY_POLICY;
  const count = raw.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 90)
    throw invalid(`${path}.count`, 'retry-policy', `must be a whole number of retries from 1 to 90`);
  if (raw.interval === undefined)
    throw invalid(`${path}.interval`, 'retry-policy', `a '${type}' retry policy needs an interval`);
  const base = interval(raw.interval, path, 'interval');
  if (type === 'fixed') return { type: 'fixed', count, interval: base };
  const minimumInterval =
    raw.minimumInterval === undefined ? MIN_INTERVAL : interval(raw.minimumInterval, path, 'minimumInterval');
  const maximumInterval =
    raw.maximumInterval === undefined ? MAX_INTERVAL : interval(raw.maximumInterval, path, 'maximumInterval');
  if (minimumInterval.ms > maximumInterval.ms)
    throw invalid(
      path,
      'retry-policy',
      `minimumInterval ${minimumInterval.text} is longer than maximumInterval ${maximumInterval.text}`,
    );
  return { type: 'exponential', count, interval: base, minimumInterval, maximumInterval };
}
