/**
 * @module gateway/policies/retry
 * `<retry condition count interval max-interval? delta? first-fast-retry?>…policies…</retry>` (every
 * section): runs its child policies once, then again while `condition` is true, at most `count` more times.
 * The condition is evaluated after each run (so it can read `context.Response` of the attempt just made).
 *
 * The wait before retry n (1-based), in seconds, as APIM computes it:
 * - `interval` alone: `interval` every time;
 * - with `delta`: linear, `interval + (n − 1) × delta`;
 * - with `delta` and `max-interval`: exponential, `interval + (2^(n−1) − 1) × delta × r` (r drawn from
 *   0.8–1.2), never above `max-interval` (interval = delta = 10, max 100: 10, 20, 40, 80, 100, 100 …);
 * - `first-fast-retry="true"`: retry 1 waits nothing.
 * `max-interval` also caps the first two forms.
 *
 * Bounds: `count` 1–50, each interval attribute 0–3600 s; the waits of one `retry` add up to at most
 * `MAX_RETRY_WAIT_MS` (120 s) — when the next wait would pass it, the retry stops there with the last
 * attempt's outcome. A child that fails ends the retry (the failure goes to `on-error`); a child that ends the
 * pipeline (`return-response`) ends it too. Waits go through `GatewayServices.sleep`.
 */
import { bool, int, readAttributes, resolve } from '../policy/attributes.ts';
import { ALL_SECTIONS, definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';

export const MAX_RETRY_WAIT_MS = 120_000;

const defaultSleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** The wait before retry `n` (1-based) in milliseconds. */
export function retryWaitMs(
  n: number,
  o: { interval: number; delta?: number | undefined; maxInterval?: number | undefined; firstFast: boolean },
  random: () => number = Math.random,
): number {
  if (n === 1 && o.firstFast) return 0;
  let seconds: number;
  if (o.delta === undefined) seconds = o.interval;
  else if (o.maxInterval === undefined) seconds = o.interval + (n - 1) * o.delta;
  else seconds = o.interval + (2 ** (n - 1) - 1) * o.delta * (0.8 + 0.4 * random());
  if (o.maxInterval !== undefined) seconds = Math.min(seconds, o.maxInterval);
  return Math.round(seconds * 1000);
}

export const retry = definePolicy({
  name: 'retry',
  sections: ALL_SECTIONS,
  compile(element, cc) {
    const a = readAttributes(
      element,
      {
        condition: bool({ required: true, expressions: true }),
        count: int({ required: true, expressions: true, min: 1, max: 50 }),
        interval: int({ required: true, expressions: true, min: 0, max: 3600 }),
        'max-interval': int({ expressions: true, min: 0, max: 3600 }),
        delta: int({ expressions: true, min: 0, max: 3600 }),
        'first-fast-retry': bool({ expressions: true }),
      },
      cc,
    );
    const wait = element.children.find((c) => c.name === 'wait');
    if (wait) throw new PolicyLoadError(wait.position, '<retry> cannot hold <wait>');
    const body = cc.compileBlock(element.children);
    const sleep = cc.services.sleep ?? defaultSleep;
    return {
      async run(ctx) {
        const view = () => cc.expressions(ctx);
        const count = resolve(a.count, view);
        const timing = {
          interval: resolve(a.interval, view),
          delta: a.delta ? resolve(a.delta, view) : undefined,
          maxInterval: a['max-interval'] ? resolve(a['max-interval'], view) : undefined,
          firstFast: a['first-fast-retry'] ? resolve(a['first-fast-retry'], view) : false,
        };
        let waited = 0;
        for (let attempt = 0; ; attempt++) {
          const pending = body.run(ctx);
          if (pending !== undefined) await pending;
          if (ctx.pipeline.ended || attempt >= count) return;
          if (!resolve(a.condition, view)) return;
          const ms = retryWaitMs(attempt + 1, timing);
          if (waited + ms > MAX_RETRY_WAIT_MS) return;
          waited += ms;
          if (ms > 0) await sleep(ms);
        }
      },
    };
  },
});
