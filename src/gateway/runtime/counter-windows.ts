/**
 * @module gateway/runtime/counter-windows
 * The window arithmetic both counter stores share (memory here; Redis runs the same steps in Lua in
 * counters-redis.ts), so a limit means the same thing whichever store counts it.
 *
 * **Sliding windows** (`rate-limit*`) are kept as `SLOTS` slots of `windowMs / SLOTS` each: the count is the
 * sum of the slots of the last `windowMs`. It is an approximation, not a log of every call: a call stops
 * counting when its slot leaves the window, between `windowMs - slot` and `windowMs` after it was made (a slot
 * is 3 s of a 60 s window), so a limit can let a few calls more through at the window's edge than an exact log
 * would, never fewer. What it buys: a fixed size per counter whatever `calls` is (10,000 calls cost 20
 * numbers, not 10,000 timestamps), and a Retry-After that is the time until enough slots have left.
 *
 * **Fixed windows** (`quota*`) are numbered from an anchor: window `floor((now - anchor) / period)`; a period of
 * 0 is one window for ever.
 */

/** Slots per sliding window. */
export const SLOTS = 20;

/** 0001-01-01T00:00:00Z, APIM's default `first-period-start`. */
export const DEFAULT_ANCHOR_MS = Date.parse('0001-01-01T00:00:00Z');

export function slotMs(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / SLOTS));
}

export interface SlidingDecision {
  readonly allowed: boolean;
  /** The count after the hit. */
  readonly total: number;
  readonly retryAfterMs: number;
}

/**
 * Decides one hit on the live slots (`[slot index, count]`, any order, only those still in the window): whether
 * `amount` (1 for a check with `amount` 0) fits under `limit`, and when it would if not.
 */
export function decideSliding(
  live: readonly (readonly [number, number])[],
  now: number,
  limit: number,
  windowMs: number,
  amount: number,
): SlidingDecision {
  const g = slotMs(windowMs);
  let total = 0;
  for (const [, n] of live) total += n;
  const need = amount > 0 ? amount : 1;
  if (total + need <= limit) {
    return { allowed: true, total: total + amount, retryAfterMs: 0 };
  }
  if (need > limit) return { allowed: false, total, retryAfterMs: SLOTS * g };
  // Free the oldest slots until the call fits: a slot leaves the window at (index + SLOTS) * g.
  const excess = total + need - limit;
  let freed = 0;
  let wait = SLOTS * g;
  for (const [s, n] of [...live].sort((a, b) => a[0] - b[0])) {
    freed += n;
    if (freed >= excess) {
      wait = (s + SLOTS) * g - now;
      break;
    }
  }
  return { allowed: false, total, retryAfterMs: Math.max(1, wait) };
}

/** The fixed window `now` falls in, and when it ends (Infinity for a period of 0). */
export function fixedWindow(
  now: number,
  periodMs: number,
  anchorMs: number,
): { index: number; endsAt: number } {
  if (periodMs <= 0) return { index: 0, endsAt: Number.POSITIVE_INFINITY };
  const index = Math.floor((now - anchorMs) / periodMs);
  return { index, endsAt: anchorMs + (index + 1) * periodMs };
}
