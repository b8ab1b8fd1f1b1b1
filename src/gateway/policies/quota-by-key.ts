/**
 * @module gateway/policies/quota-by-key
 * `<quota-by-key calls bandwidth renewal-period counter-key increment-condition increment-count
 * first-period-start/>` (inbound; every scope): at most `calls` counted calls and/or `bandwidth` kilobytes per
 * value of `counter-key` in fixed windows of `renewal-period` seconds (0: one window for ever; otherwise at
 * least 300), counted from `first-period-start` (`yyyy-MM-ddTHH:mm:ssZ`, default 0001-01-01T00:00:00Z). One
 * counter per key value across every scope; a key that several policies would count is counted once per request.
 * `counter-key`, `increment-condition` and `increment-count` take policy expressions; the rest do not.
 *
 * When the call is counted: as `rate-limit-by-key` — in inbound, unless `increment-condition` or an
 * `increment-count` expression defers it to the end of outbound (the policy then only checks in inbound that
 * a call fits). Bandwidth, refusals and messages as `quota` (403 `QuotaExceeded`).
 */
import { bool, int, readAttributes, resolve, str } from '../policy/attributes.ts';
import { definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import { DEFAULT_ANCHOR_MS } from '../runtime/counter-windows.ts';
import { atEndOfOutbound } from '../runtime/deferred.ts';
import { failedOpenHeaders, firstTimeThisRequest, headersOnAnswer, keyPart, NO_LIMIT } from './limits.ts';
import { applyQuota, quotaLimit } from './quota.ts';

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

export const quotaByKey = definePolicy({
  name: 'quota-by-key',
  sections: ['inbound'],
  compile(element, cc) {
    const a = readAttributes(
      element,
      {
        calls: int({ min: 0 }),
        bandwidth: int({ min: 0 }),
        'renewal-period': int({ required: true, min: 0 }),
        'counter-key': str({ required: true, expressions: true }),
        'increment-condition': bool({ expressions: true }),
        'increment-count': int({ min: 0, expressions: true }),
        'first-period-start': str(),
      },
      cc,
    );
    const limit = quotaLimit(element, a);
    if (limit.periodMs > 0 && limit.periodMs < 300_000) {
      throw new PolicyLoadError(
        element.valuePositions.get('renewal-period') ?? element.position,
        '<quota-by-key> renewal-period must be 0 (never renews) or at least 300 seconds',
      );
    }
    let anchorMs = DEFAULT_ANCHOR_MS;
    const start = a['first-period-start'];
    if (start?.kind === 'constant') {
      const m = ISO.exec(start.value.trim());
      const ms = m ? Date.parse(start.value.trim()) : Number.NaN;
      if (!m || Number.isNaN(ms)) {
        throw new PolicyLoadError(
          element.valuePositions.get('first-period-start') ?? element.position,
          `<quota-by-key> first-period-start is ${JSON.stringify(start.value)}; it must read yyyy-MM-ddTHH:mm:ssZ`,
        );
      }
      anchorMs = ms;
    }
    const condition = a['increment-condition'];
    const count = a['increment-count'];
    const deferred = condition?.kind === 'expression' || count?.kind === 'expression';
    return {
      async run(ctx) {
        const view = () => cc.expressions(ctx);
        const key = `quota-by-key:p=${limit.periodMs}@${anchorMs}:${keyPart(resolve(a['counter-key'], view))}`;
        const counters = cc.services.counters;
        let amount = 0;
        if (!deferred && firstTimeThisRequest(ctx, `${key}:calls`)) {
          const counted = condition === undefined || resolve(condition, view);
          amount = counted ? (count ? resolve(count, view) : 1) : 0;
        }
        // A key several policies count is counted once per request (calls and bandwidth alike).
        const countBytes = limit.bytes !== undefined && firstTimeThisRequest(ctx, `${key}:bytes`);
        const results = await applyQuota(
          ctx,
          counters,
          'quota-by-key',
          key,
          limit,
          anchorMs,
          amount,
          countBytes,
        );
        if (deferred && limit.calls !== undefined) {
          atEndOfOutbound(ctx, async () => {
            try {
              if (condition && !resolve(condition, view)) return;
              if (!firstTimeThisRequest(ctx, `${key}:calls`)) return;
              const n = count ? resolve(count, view) : 1;
              if (n > 0) await counters.fixedHit(`${key}:calls`, NO_LIMIT, limit.periodMs, n, anchorMs);
            } catch {
              // The answer is decided; a count that cannot be made is dropped.
            }
          });
        }
        headersOnAnswer(ctx, failedOpenHeaders(results));
      },
    };
  },
});
