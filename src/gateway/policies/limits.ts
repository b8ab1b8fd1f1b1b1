/**
 * @module gateway/policies/limits
 * What `rate-limit`, `rate-limit-by-key`, `quota` and `quota-by-key` share: the counter keys, the header and
 * variable attributes, APIM's refusals (429 and 403 with `Retry-After`), and what a counter failure becomes.
 *
 * **Counter keys.** The counters are the gateway's own (`lanyard:gw:<gateway>:` in Redis), so every key below
 * is already the gateway's. Each key names the policy, the window, and who is counted:
 * - `rate-limit:<subscription>:<scope>:w=<ms>` (+ `:api=<id>`, `:op=<id>` for nested `<api>`/`<operation>`):
 *   per subscription and per scope the policy stands in (`global`, `product=<id>`, `api=<id>`,
 *   `operation=<api>/<id>`), so a product's limit and an API's limit never share a count;
 * - `quota:<calls|kb>:<subscription>:<scope>:p=<ms>` likewise;
 * - `rate-limit-by-key:w=<ms>:<counter-key>` and `quota-by-key:<calls|kb>:p=<ms>@<anchor>:<counter-key>`: one
 *   counter per key value across every scope, as APIM has it (two policies with the same key and window share it).
 * Ids and key values are percent-encoded; a key value longer than 200 characters is replaced by its SHA-256.
 */
import { hash } from 'node:crypto';
import { LanyardError } from '../../errors/lanyard-error.ts';
import { type Dynamic, readAttributes, str } from '../policy/attributes.ts';
import type { ScopeKind } from '../policy/compose.ts';
import type { CompileContext } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import type { ParsedElement } from '../policy/parse-xml.ts';
import type { CounterResult } from '../policy/services.ts';
import type { GatewayContext } from '../runtime/context.ts';
import { atEndOfOutbound } from '../runtime/deferred.ts';
import { HeaderMap } from '../runtime/headers.ts';
import { GatewayRefusal } from '../runtime/refusal.ts';
import { RequestLocal } from '../runtime/request-local.ts';

/** A limit a deferred increment must not refuse: the call has been served. */
export const NO_LIMIT = Number.MAX_SAFE_INTEGER;

export const HEADER_ATTRIBUTES = {
  'retry-after-header-name': str(),
  'retry-after-variable-name': str(),
  'remaining-calls-header-name': str(),
  'remaining-calls-variable-name': str(),
  'total-calls-header-name': str(),
} as const;

export interface HeaderSettings {
  readonly retryAfterHeader: string;
  readonly retryAfterVariable: string | undefined;
  readonly remainingHeader: string | undefined;
  readonly remainingVariable: string | undefined;
  readonly totalHeader: string | undefined;
}

const constantText = (d: Dynamic<string> | undefined): string | undefined =>
  d?.kind === 'constant' ? d.value : undefined;

/** The header and variable attributes (no expressions there, as in APIM); header names checked at load. */
export function headerSettings(
  element: ParsedElement,
  a: { readonly [K in keyof typeof HEADER_ATTRIBUTES]: Dynamic<string> | undefined },
): HeaderSettings {
  for (const name of [
    'retry-after-header-name',
    'remaining-calls-header-name',
    'total-calls-header-name',
  ] as const) {
    const value = constantText(a[name]);
    if (value === undefined) continue;
    try {
      HeaderMap.check(value);
    } catch (err) {
      throw new PolicyLoadError(element.valuePositions.get(name) ?? element.position, (err as Error).message);
    }
  }
  return {
    retryAfterHeader: constantText(a['retry-after-header-name']) || 'Retry-After',
    retryAfterVariable: constantText(a['retry-after-variable-name']) || undefined,
    remainingHeader: constantText(a['remaining-calls-header-name']) || undefined,
    remainingVariable: constantText(a['remaining-calls-variable-name']) || undefined,
    totalHeader: constantText(a['total-calls-header-name']) || undefined,
  };
}

/** One part of a counter key: percent-encoded, long values hashed. */
export function keyPart(value: string): string {
  if (value.length > 200) return `sha256=${hash('sha256', value, 'hex')}`;
  return encodeURIComponent(value);
}

/** Which scope document the policy stands in, for its counter key. */
export function scopeLabel(ctx: GatewayContext, scope: ScopeKind): string {
  switch (scope) {
    case 'global':
      return 'global';
    case 'product':
      return `product=${keyPart(ctx.product?.id ?? '')}`;
    case 'api':
      return `api=${keyPart(ctx.api.id)}`;
    case 'operation':
      return `operation=${keyPart(ctx.api.id)}/${keyPart(ctx.operation.id)}`;
  }
}

/** Whole seconds to wait, rounded up (at least 1 when there is anything to wait). */
export function retrySeconds(ms: number): number {
  return ms <= 0 ? 0 : Math.max(1, Math.ceil(ms / 1000));
}

/** A wait as .NET's `TimeSpan.ToString()` writes it: `hh:mm:ss`, with `d.` in front past a day. */
export function timeSpanText(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d > 0 ? `${d}.` : ''}${p(h)}:${p(m)}:${p(s)}`;
}

/** A counter that could not be reached (fail-closed): APIM's 500 body, the reason in the hint. */
export function countersFailure(err: unknown, source: string): unknown {
  if (err instanceof LanyardError && err.code === 'ERR_GATEWAY_COUNTERS') {
    return new GatewayRefusal({
      status: 500,
      source,
      reason: 'CountersUnavailable',
      message: 'Internal server error',
      hint: err.hint ?? err.message,
    });
  }
  return err;
}

/** Calls the counter, turning an unreachable one into the refusal `countersFailure` makes. */
export async function hit(source: string, call: () => Promise<CounterResult>): Promise<CounterResult> {
  try {
    return await call();
  } catch (err) {
    throw countersFailure(err, source);
  }
}

/** Headers for the caller's answer, set at the end of outbound (on whatever answer the request ends with). */
export function headersOnAnswer(ctx: GatewayContext, headers: readonly (readonly [string, string])[]): void {
  if (headers.length === 0) return;
  atEndOfOutbound(ctx, (c) => {
    const h = c.response?.headers;
    if (!h) return;
    for (const [name, value] of headers) h.set(name, [value]);
  });
}

/** The hint a fail-open answer carries. */
export function failedOpenHeaders(results: readonly CounterResult[]): [string, string][] {
  const note = results.find((r) => r.unavailable)?.unavailable;
  return note ? [['x-lanyard-hint', HeaderMap.printable(note)]] : [];
}

/** Counter keys a `quota-by-key` has incremented for this request (APIM counts one key once per request). */
const counted = new RequestLocal<Set<string>>();

/** True the first time `key` is seen for this request. */
export function firstTimeThisRequest(ctx: GatewayContext, key: string): boolean {
  let set = counted.get(ctx);
  if (!set) {
    set = new Set();
    counted.set(ctx, set);
  }
  if (set.has(key)) return false;
  set.add(key);
  return true;
}

/** The 429 of a rate limit: APIM's message, `Retry-After` (or its renamed header), the variables set. */
export function rateLimitRefusal(
  ctx: GatewayContext,
  source: string,
  h: HeaderSettings,
  calls: number,
  result: CounterResult,
): GatewayRefusal {
  const seconds = retrySeconds(result.retryAfterMs);
  if (h.retryAfterVariable) ctx.variables.set(h.retryAfterVariable, seconds);
  if (h.remainingVariable) ctx.variables.set(h.remainingVariable, 0);
  const headers: Record<string, string> = { [h.retryAfterHeader]: String(seconds) };
  if (h.remainingHeader) headers[h.remainingHeader] = '0';
  if (h.totalHeader) headers[h.totalHeader] = String(calls);
  return new GatewayRefusal({
    status: 429,
    source,
    reason: 'RateLimitExceeded',
    message: `Rate limit is exceeded. Try again in ${seconds} seconds.`,
    headers,
  });
}

/** The 403 of a quota: APIM's message for calls or bandwidth, with `Retry-After` while the quota renews. */
export function quotaRefusal(
  source: string,
  what: 'calls' | 'bandwidth',
  result: CounterResult,
): GatewayRefusal {
  const head = what === 'calls' ? 'Out of call volume quota.' : 'Out of bandwidth quota.';
  if (result.retryAfterMs < 0) {
    // A quota that never renews (renewal-period 0): nothing will replenish it.
    return new GatewayRefusal({
      status: 403,
      source,
      reason: 'QuotaExceeded',
      message: head,
      hint: 'The quota has renewal-period="0": it never renews.',
    });
  }
  const seconds = retrySeconds(result.retryAfterMs);
  return new GatewayRefusal({
    status: 403,
    source,
    reason: 'QuotaExceeded',
    message: `${head} Quota will be replenished in ${timeSpanText(seconds)}.`,
    headers: { 'Retry-After': String(seconds) },
  });
}

/** `<api name|id …>` / `<operation name|id …>` matches the request's API / operation (`id` wins when both). */
export function targets(
  element: ParsedElement,
  cc: CompileContext,
  extra: Parameters<typeof readAttributes>[1],
): {
  id: string | undefined;
  name: string | undefined;
  attributes: Record<string, Dynamic<unknown> | undefined>;
} {
  // readAttributes passes `id` by (every policy takes one); here it names the API or operation.
  const a = readAttributes(element, { name: str(), ...extra }, cc) as Record<
    string,
    Dynamic<unknown> | undefined
  >;
  const id = element.attributes.get('id')?.trim();
  const name = constantText(a.name as Dynamic<string> | undefined);
  if (!id && !name) {
    throw new PolicyLoadError(element.position, `<${element.name}> needs the attribute "name" or "id"`);
  }
  return { id: id || undefined, name: name || undefined, attributes: a };
}

export function matchesTarget(
  t: { id: string | undefined; name: string | undefined },
  actual: { id: string; name: string },
) {
  return t.id !== undefined ? t.id === actual.id : t.name === actual.name;
}
