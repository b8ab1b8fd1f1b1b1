/**
 * @module flows/workflows/http-retry
 * When an `Http` action tries again and how long it waits first (docs/flows.md, "Http actions", "Retries"): 408, 429 and
 * 5xx answers and requests that got no answer are retried, other answers are not; the wait is the retry policy's
 * (`fixed`: its interval; `exponential`: a random time in a window that doubles with each retry, as Azure
 * documents it), lengthened by a `Retry-After` a 429 or 503 asks for. Pure: the random number comes in.
 */
import type { RetryPolicy } from '../definition/types.ts';

const DAY_MS = 86_400_000;

/** How many retries the policy allows after the first try. */
export function retriesAllowed(policy: RetryPolicy): number {
  return policy.type === 'none' ? 0 : policy.count;
}

/** Answers worth sending again: the service may give another one later. */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * The window retry `n` (1 for the first retry) of an exponential policy waits in, Azure's formula: from
 * `max(2^(n-2) × interval, minimumInterval)` (the lower term 0 for the first retry) to
 * `min(2^(n-1) × interval, maximumInterval)`. When the bounds cross (an interval shorter than the minimum),
 * the minimum wins: it is the least the author asked to wait.
 */
export function exponentialWindow(
  policy: Extract<RetryPolicy, { type: 'exponential' }>,
  n: number,
): { lowMs: number; highMs: number } {
  const interval = policy.interval.ms;
  const min = policy.minimumInterval.ms;
  const max = policy.maximumInterval.ms;
  const lower = n <= 1 ? 0 : 2 ** (n - 2) * interval;
  const lowMs = Math.min(Math.max(lower, min), max);
  const highMs = Math.max(Math.min(2 ** (n - 1) * interval, max), lowMs);
  return { lowMs, highMs };
}

/** The wait before retry `n` (1-based), in whole milliseconds; `random` is in [0, 1). */
export function retryWaitMs(policy: RetryPolicy, n: number, random: number): number {
  if (policy.type === 'none') return 0;
  if (policy.type === 'fixed') return policy.interval.ms;
  const { lowMs, highMs } = exponentialWindow(policy, n);
  const r = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0;
  return Math.round(lowMs + r * (highMs - lowMs));
}

/** The longest `Retry-After` honoured: an exponential policy's maximum interval, else a day. */
export function retryAfterCapMs(policy: RetryPolicy): number {
  return policy.type === 'exponential' ? policy.maximumInterval.ms : DAY_MS;
}

/**
 * A `Retry-After` header as milliseconds from `nowMs`: delay-seconds (`120`) or an HTTP date; undefined when
 * absent or unreadable. A date in the past is 0.
 */
export function retryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * The wait before retry `n` after an answer with `status`: the policy's, or the `Retry-After` of a 429 or 503
 * when that is longer, capped by retryAfterCapMs.
 */
export function waitBeforeRetry(
  policy: RetryPolicy,
  n: number,
  random: number,
  status: number | undefined,
  retryAfter: number | undefined,
): number {
  const wait = retryWaitMs(policy, n, random);
  if (retryAfter === undefined || (status !== 429 && status !== 503)) return wait;
  return Math.max(wait, Math.min(retryAfter, retryAfterCapMs(policy)));
}
