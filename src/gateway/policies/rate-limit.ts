/**
 * @module gateway/policies/rate-limit
 * `<rate-limit calls renewal-period retry-after-header-name retry-after-variable-name remaining-calls-header-name
 * remaining-calls-variable-name total-calls-header-name>` with nested `<api name|id calls renewal-period>` and
 * `<operation name|id calls renewal-period/>` (inbound; product, API and operation scopes): at most `calls` calls
 * per subscription in a sliding window of `renewal-period` seconds (1–300). Each nested `<api>` matching the
 * request's API, and each `<operation>` in it matching its operation, is a limit of its own, counted apart
 * (APIM applies them independently); a call is refused when any of them is full, and then counted in none.
 *
 * Refused: 429 `{"statusCode":429,"message":"Rate limit is exceeded. Try again in N seconds."}` with
 * `Retry-After: N` (or the header `retry-after-header-name` names), `LastError.Reason` `RateLimitExceeded`.
 * Allowed: the remaining-calls and total-calls headers go on the answer; `remaining-calls-variable-name` holds
 * the calls left (the fewest of its limits). No attribute takes a policy expression (as in APIM).
 *
 * Without a subscription (an open product, an API that needs no key) the policy does nothing: APIM applies it
 * only to calls made with a subscription key. Counter keys: limits.ts.
 */
import { int, onlyChildren, readAttributes } from '../policy/attributes.ts';
import { definePolicy } from '../policy/contract.ts';
import type { ParsedElement } from '../policy/parse-xml.ts';
import type { CounterResult } from '../policy/services.ts';
import {
  failedOpenHeaders,
  HEADER_ATTRIBUTES,
  headerSettings,
  headersOnAnswer,
  hit,
  keyPart,
  matchesTarget,
  rateLimitRefusal,
  scopeLabel,
  targets,
} from './limits.ts';

const WINDOW = {
  calls: int({ required: true, min: 0 }),
  'renewal-period': int({ required: true, min: 1, max: 300 }),
};

interface Limit {
  readonly calls: number;
  readonly windowMs: number;
}

interface Target extends Limit {
  readonly id: string | undefined;
  readonly name: string | undefined;
}

function limitOf(attributes: Record<string, { kind: string; value?: unknown } | undefined>): Limit {
  const calls = attributes.calls as { value: number };
  const period = attributes['renewal-period'] as { value: number };
  return { calls: calls.value, windowMs: period.value * 1000 };
}

function target(element: ParsedElement, cc: Parameters<typeof targets>[1]): Target {
  const t = targets(element, cc, WINDOW);
  return { id: t.id, name: t.name, ...limitOf(t.attributes) };
}

export const rateLimit = definePolicy({
  name: 'rate-limit',
  sections: ['inbound'],
  scopes: ['product', 'api', 'operation'],
  compile(element, cc) {
    const a = readAttributes(element, { ...WINDOW, ...HEADER_ATTRIBUTES }, cc);
    const h = headerSettings(element, a);
    onlyChildren(element, ['api']);
    const apis = element.children.map((api) => {
      onlyChildren(api, ['operation']);
      return {
        ...target(api, cc),
        operations: api.children.map((op) => {
          onlyChildren(op, []);
          return target(op, cc);
        }),
      };
    });
    const own: Limit = limitOf(a);
    return {
      async run(ctx) {
        const subscription = ctx.subscription;
        if (!subscription) return;
        const base = `rate-limit:${keyPart(subscription.id)}:${scopeLabel(ctx, cc.scope)}`;
        const checks: { key: string; limit: Limit }[] = [{ key: `${base}:w=${own.windowMs}`, limit: own }];
        for (const api of apis) {
          if (!matchesTarget(api, ctx.api)) continue;
          const apiKey = `${base}:api=${keyPart(ctx.api.id)}`;
          checks.push({ key: `${apiKey}:w=${api.windowMs}`, limit: api });
          for (const op of api.operations) {
            if (!matchesTarget(op, ctx.operation)) continue;
            checks.push({ key: `${apiKey}:op=${keyPart(ctx.operation.id)}:w=${op.windowMs}`, limit: op });
          }
        }
        const counters = cc.services.counters;
        if (checks.length > 1) {
          // Several limits: none is counted unless all have room (a full API limit does not use up the product's).
          for (const c of checks) {
            const r = await hit('rate-limit', () =>
              counters.slidingHit(c.key, c.limit.calls, c.limit.windowMs, 0),
            );
            if (!r.allowed) throw rateLimitRefusal(ctx, 'rate-limit', h, c.limit.calls, r);
          }
        }
        const results: CounterResult[] = [];
        let fewest: { remaining: number; calls: number } | undefined;
        for (const c of checks) {
          const r = await hit('rate-limit', () =>
            counters.slidingHit(c.key, c.limit.calls, c.limit.windowMs, 1),
          );
          if (!r.allowed) throw rateLimitRefusal(ctx, 'rate-limit', h, c.limit.calls, r);
          results.push(r);
          if (!fewest || r.remaining < fewest.remaining)
            fewest = { remaining: r.remaining, calls: c.limit.calls };
        }
        const left = fewest ?? { remaining: own.calls, calls: own.calls };
        if (h.remainingVariable) ctx.variables.set(h.remainingVariable, left.remaining);
        const headers: [string, string][] = [];
        if (h.remainingHeader) headers.push([h.remainingHeader, String(left.remaining)]);
        if (h.totalHeader) headers.push([h.totalHeader, String(left.calls)]);
        headersOnAnswer(ctx, [...headers, ...failedOpenHeaders(results)]);
      },
    };
  },
});
