/**
 * @module gateway/runtime/counters-memory
 * The gateway's rate-limit and quota counters in this process's memory: what one gateway process uses when no
 * Redis is configured (`countersFromEnv`). The window arithmetic is counter-windows.ts (sliding windows in 20
 * slots, fixed windows from an anchor), the same as Redis's.
 *
 * Bounded: at most `maxKeys` counters (default 100,000). A counter whose window has passed is dropped when it is
 * next read; when a new key would pass the bound, expired counters are swept (a bounded number per insert) and,
 * if none was, the least recently used counter goes. An evicted counter starts again from 0: under a flood of
 * distinct keys (`counter-key="@(context.Request.IpAddress)"` from many addresses) the oldest keys lose their
 * count rather than the process its memory.
 */
import type { CounterResult, Counters } from '../policy/services.ts';
import { DEFAULT_ANCHOR_MS, decideSliding, fixedWindow, SLOTS, slotMs } from './counter-windows.ts';

export interface MemoryCountersOptions {
  /** The clock (the gateway services' `now`; tests move it). */
  readonly now?: (() => number) | undefined;
  /** The most counters kept at once. */
  readonly maxKeys?: number | undefined;
}

type Entry =
  | { kind: 'sliding'; slots: Map<number, number>; expiresAt: number }
  | { kind: 'fixed'; window: number; count: number; expiresAt: number };

/** How many entries one insert at the bound looks at for expired ones. */
const SWEEP = 64;

export interface MemoryCounters extends Counters {
  /** Counters held now. */
  size(): number;
  close(): Promise<void>;
}

export function createMemoryCounters(o: MemoryCountersOptions = {}): MemoryCounters {
  const now = o.now ?? (() => Date.now());
  const maxKeys = Math.max(1, o.maxKeys ?? 100_000);
  const entries = new Map<string, Entry>();

  /** The entry, moved to the young end (Map order is the LRU order); undefined when missing or expired. */
  const get = (key: string, t: number): Entry | undefined => {
    const e = entries.get(key);
    if (!e) return undefined;
    entries.delete(key);
    if (e.expiresAt <= t) return undefined;
    entries.set(key, e);
    return e;
  };

  const put = (key: string, e: Entry, t: number): void => {
    if (!entries.has(key) && entries.size >= maxKeys) {
      let looked = 0;
      for (const [k, v] of entries) {
        if (looked++ >= SWEEP) break;
        if (v.expiresAt <= t) entries.delete(k);
      }
      if (entries.size >= maxKeys) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
    }
    entries.delete(key);
    entries.set(key, e);
  };

  return {
    async slidingHit(key, limit, windowMs, amount): Promise<CounterResult> {
      const t = now();
      const g = slotMs(windowMs);
      const current = Math.floor(t / g);
      const e = get(key, t);
      const slots = e?.kind === 'sliding' ? e.slots : new Map<number, number>();
      for (const s of slots.keys()) if (s <= current - SLOTS) slots.delete(s);
      const d = decideSliding([...slots], t, limit, windowMs, amount);
      if (d.allowed && amount > 0) {
        slots.set(current, (slots.get(current) ?? 0) + amount);
        put(key, { kind: 'sliding', slots, expiresAt: (current + SLOTS) * g }, t);
      }
      return { allowed: d.allowed, remaining: Math.max(0, limit - d.total), retryAfterMs: d.retryAfterMs };
    },

    async fixedHit(key, limit, periodMs, amount, anchorMs = DEFAULT_ANCHOR_MS): Promise<CounterResult> {
      const t = now();
      const w = fixedWindow(t, periodMs, anchorMs);
      const e = get(key, t);
      const count = e?.kind === 'fixed' && e.window === w.index ? e.count : 0;
      const need = amount > 0 ? amount : 1;
      if (count + need > limit) {
        return {
          allowed: false,
          remaining: Math.max(0, limit - count),
          retryAfterMs: Number.isFinite(w.endsAt) ? Math.max(1, w.endsAt - t) : -1,
        };
      }
      if (amount > 0)
        put(key, { kind: 'fixed', window: w.index, count: count + amount, expiresAt: w.endsAt }, t);
      return { allowed: true, remaining: Math.max(0, limit - count - amount), retryAfterMs: 0 };
    },

    size: () => entries.size,
    close: async () => {
      entries.clear();
    },
  };
}
