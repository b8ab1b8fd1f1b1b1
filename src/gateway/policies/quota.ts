/**
 * @module gateway/policies/quota
 * `<quota calls bandwidth renewal-period>` with nested `<api name|id calls bandwidth renewal-period>` and
 * `<operation name|id calls bandwidth renewal-period/>` (inbound; product scope): at most `calls` calls and/or
 * `bandwidth` kilobytes per subscription in fixed windows of `renewal-period` seconds (0: one window for ever).
 * Each matching nested `<api>`/`<operation>` is a quota of its own, counted apart. No attribute takes a policy
 * expression (as in APIM).
 *
 * Windows: APIM counts them from the subscription's start; Lanyard's subscriptions have no start time, so they
 * are counted from 0001-01-01T00:00:00Z (quota-by-key's default `first-period-start`): a 3600 s quota renews on
 * the hour. Bandwidth is the request's and the answer's body bytes, counted at the end of outbound (a streamed
 * body of unknown length counts 0): a call is refused once the kilobytes already used reach the quota.
 *
 * Refused: 403 `{"statusCode":403,"message":"Out of call volume quota. Quota will be replenished in
 * hh:mm:ss."}` (or `Out of bandwidth quota. …`), `Retry-After` in seconds, `LastError.Reason` `QuotaExceeded`;
 * a quota that never renews says only `Out of call volume quota.` and sends no Retry-After. Without a
 * subscription the policy does nothing (APIM applies it only to calls made with a subscription key).
 */
import { int, onlyChildren, readAttributes } from '../policy/attributes.ts';
import { definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import type { ParsedElement } from '../policy/parse-xml.ts';
import type { CounterResult, Counters } from '../policy/services.ts';
import type { Body, GatewayContext } from '../runtime/context.ts';
import { DEFAULT_ANCHOR_MS } from '../runtime/counter-windows.ts';
import { atEndOfOutbound } from '../runtime/deferred.ts';
import {
  failedOpenHeaders,
  headersOnAnswer,
  hit,
  keyPart,
  matchesTarget,
  NO_LIMIT,
  quotaRefusal,
  scopeLabel,
  targets,
} from './limits.ts';

const QUOTA = {
  calls: int({ min: 0 }),
  bandwidth: int({ min: 0 }),
  'renewal-period': int({ required: true, min: 0 }),
};

export interface QuotaLimit {
  readonly calls: number | undefined;
  /** Bytes (the attribute is kilobytes). */
  readonly bytes: number | undefined;
  readonly periodMs: number;
}

const constantNumber = (d: unknown): number | undefined =>
  (d as { kind: string; value: number } | undefined)?.kind === 'constant'
    ? (d as { value: number }).value
    : undefined;

export function quotaLimit(element: ParsedElement, attributes: Record<string, unknown>): QuotaLimit {
  const calls = constantNumber(attributes.calls);
  const kb = constantNumber(attributes.bandwidth);
  if (calls === undefined && kb === undefined) {
    throw new PolicyLoadError(element.position, `<${element.name}> needs "calls", "bandwidth" or both`);
  }
  return {
    calls,
    bytes: kb === undefined ? undefined : kb * 1024,
    periodMs: (constantNumber(attributes['renewal-period']) ?? 0) * 1000,
  };
}

function bodyBytes(body: Body | undefined, contentLength: string | undefined): number {
  if (!body) return 0;
  if (body.kind === 'bytes') return body.bytes.length;
  if (body.kind === 'stream') {
    if (body.length !== undefined) return body.length;
    const n = Number(contentLength);
    return Number.isFinite(n) && n >= 0 ? n : 0;
  }
  return 0;
}

/** The request's and the answer's body bytes, as far as they are known at the end of outbound. */
export function exchangedBytes(ctx: GatewayContext): number {
  return (
    bodyBytes(ctx.request.body, ctx.request.headers.get('content-length')?.[0]) +
    bodyBytes(ctx.response?.body, ctx.response?.headers.get('content-length')?.[0])
  );
}

/**
 * Checks (and, for calls, counts `callAmount`) one quota; leaves the bandwidth count for the end of outbound
 * (unless `countBytes` is false). A `callAmount` of 0 only checks that a call fits (counted later, or already).
 */
export async function applyQuota(
  ctx: GatewayContext,
  counters: Counters,
  source: string,
  key: string,
  limit: QuotaLimit,
  anchorMs: number,
  callAmount: number,
  countBytes = true,
): Promise<CounterResult[]> {
  const results: CounterResult[] = [];
  if (limit.bytes !== undefined) {
    const bytesKey = `${key}:bytes`;
    const r = await hit(source, () => counters.fixedHit(bytesKey, limit.bytes!, limit.periodMs, 0, anchorMs));
    if (!r.allowed) throw quotaRefusal(source, 'bandwidth', r);
    results.push(r);
    if (countBytes)
      atEndOfOutbound(ctx, async (c) => {
        const n = exchangedBytes(c);
        if (n <= 0) return;
        try {
          await counters.fixedHit(bytesKey, NO_LIMIT, limit.periodMs, n, anchorMs);
        } catch {
          // The answer is decided; a count that cannot be made is dropped.
        }
      });
  }
  if (limit.calls !== undefined) {
    const calls = limit.calls;
    const r = await hit(source, () =>
      counters.fixedHit(`${key}:calls`, calls, limit.periodMs, callAmount, anchorMs),
    );
    if (!r.allowed) throw quotaRefusal(source, 'calls', r);
    results.push(r);
  }
  return results;
}

export const quota = definePolicy({
  name: 'quota',
  sections: ['inbound'],
  scopes: ['product'],
  compile(element, cc) {
    const own = quotaLimit(element, readAttributes(element, QUOTA, cc));
    onlyChildren(element, ['api']);
    const apis = element.children.map((api) => {
      onlyChildren(api, ['operation']);
      const t = targets(api, cc, QUOTA);
      return {
        ...t,
        limit: quotaLimit(api, t.attributes),
        operations: api.children.map((op) => {
          onlyChildren(op, []);
          const o = targets(op, cc, QUOTA);
          return { ...o, limit: quotaLimit(op, o.attributes) };
        }),
      };
    });
    return {
      async run(ctx) {
        const subscription = ctx.subscription;
        if (!subscription) return;
        const base = `quota:${keyPart(subscription.id)}:${scopeLabel(ctx, cc.scope)}`;
        const checks: { key: string; limit: QuotaLimit }[] = [
          { key: `${base}:p=${own.periodMs}`, limit: own },
        ];
        for (const api of apis) {
          if (!matchesTarget(api, ctx.api)) continue;
          const apiKey = `${base}:api=${keyPart(ctx.api.id)}`;
          checks.push({ key: `${apiKey}:p=${api.limit.periodMs}`, limit: api.limit });
          for (const op of api.operations) {
            if (!matchesTarget(op, ctx.operation)) continue;
            checks.push({
              key: `${apiKey}:op=${keyPart(ctx.operation.id)}:p=${op.limit.periodMs}`,
              limit: op.limit,
            });
          }
        }
        const results: CounterResult[] = [];
        for (const c of checks) {
          results.push(
            ...(await applyQuota(ctx, cc.services.counters, 'quota', c.key, c.limit, DEFAULT_ANCHOR_MS, 1)),
          );
        }
        headersOnAnswer(ctx, failedOpenHeaders(results));
      },
    };
  },
});
