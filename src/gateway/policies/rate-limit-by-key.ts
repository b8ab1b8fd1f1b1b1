/**
 * @module gateway/policies/rate-limit-by-key
 * `<rate-limit-by-key calls renewal-period counter-key increment-condition increment-count
 * retry-after-header-name retry-after-variable-name remaining-calls-header-name remaining-calls-variable-name
 * total-calls-header-name/>` (inbound; every scope): at most `calls` counted calls per value of `counter-key` in a
 * sliding window of `renewal-period` seconds (1–300). One counter per key value (and window) across every
 * scope and policy, as in APIM. `calls`, `renewal-period`, `counter-key`, `increment-condition` and
 * `increment-count` take policy expressions; the header and variable names do not.
 *
 * When the call is counted: with neither `increment-condition` nor an `increment-count` expression, in inbound
 * (by `increment-count`, default 1). With either, APIM evaluates them at the end of outbound, once the answer is
 * known (`@(context.Response.StatusCode == 200)`): the policy then checks in inbound that the key has room for a
 * call, and counts at the end of outbound (or of on-error) if the condition holds — a call served meanwhile is
 * counted even past the limit. A deferred count that fails (an expression error, Redis gone) is dropped: the
 * answer has already been decided.
 *
 * Refusal and headers as `rate-limit` (429 `RateLimitExceeded`, limits.ts).
 */
import { bool, int, readAttributes, resolve, str } from '../policy/attributes.ts';
import { definePolicy } from '../policy/contract.ts';
import { atEndOfOutbound } from '../runtime/deferred.ts';
import {
  failedOpenHeaders,
  HEADER_ATTRIBUTES,
  headerSettings,
  headersOnAnswer,
  hit,
  keyPart,
  NO_LIMIT,
  rateLimitRefusal,
} from './limits.ts';

export const rateLimitByKey = definePolicy({
  name: 'rate-limit-by-key',
  sections: ['inbound'],
  compile(element, cc) {
    const a = readAttributes(
      element,
      {
        calls: int({ required: true, min: 0, expressions: true }),
        'renewal-period': int({ required: true, min: 1, max: 300, expressions: true }),
        'counter-key': str({ required: true, expressions: true }),
        'increment-condition': bool({ expressions: true }),
        'increment-count': int({ min: 0, expressions: true }),
        ...HEADER_ATTRIBUTES,
      },
      cc,
    );
    const h = headerSettings(element, a);
    const condition = a['increment-condition'];
    const count = a['increment-count'];
    const deferred = condition?.kind === 'expression' || count?.kind === 'expression';
    return {
      async run(ctx) {
        const view = () => cc.expressions(ctx);
        const calls = resolve(a.calls, view);
        const windowMs = resolve(a['renewal-period'], view) * 1000;
        const key = `rate-limit-by-key:w=${windowMs}:${keyPart(resolve(a['counter-key'], view))}`;
        const counters = cc.services.counters;
        let amount = 0;
        if (!deferred) {
          const counted = condition === undefined || resolve(condition, view);
          amount = counted ? (count ? resolve(count, view) : 1) : 0;
        }
        const r = await hit('rate-limit-by-key', () => counters.slidingHit(key, calls, windowMs, amount));
        if (!r.allowed) throw rateLimitRefusal(ctx, 'rate-limit-by-key', h, calls, r);
        if (deferred) {
          atEndOfOutbound(ctx, async () => {
            try {
              if (condition && !resolve(condition, view)) return;
              const n = count ? resolve(count, view) : 1;
              if (n > 0) await counters.slidingHit(key, NO_LIMIT, windowMs, n);
            } catch {
              // The answer is decided; a count that cannot be made is dropped (module header).
            }
          });
        }
        if (h.remainingVariable) ctx.variables.set(h.remainingVariable, r.remaining);
        const headers: [string, string][] = [];
        if (h.remainingHeader) headers.push([h.remainingHeader, String(r.remaining)]);
        if (h.totalHeader) headers.push([h.totalHeader, String(calls)]);
        headersOnAnswer(ctx, [...headers, ...failedOpenHeaders([r])]);
      },
    };
  },
});
