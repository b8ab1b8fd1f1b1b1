/**
 * What the rate-limit and quota tests share: a moving clock, one compiled pipeline run many times against the
 * same counters (as one gateway serves many requests), a backend double, and subscriptions.
 */
import type { Counters } from '../../../src/gateway/policy/services.ts';
import type { GatewayContext, GatewayResponse } from '../../../src/gateway/runtime/context.ts';
import { createMemoryCounters } from '../../../src/gateway/runtime/counters-memory.ts';
import { HeaderMap } from '../../../src/gateway/runtime/headers.ts';
import { compileDocuments, type Documents, newContext, type RequestInit } from '../policy-harness.ts';

/** The default global document with the backend call (APIM's default global policy forwards). */
export const FORWARDING_GLOBAL =
  '<policies><inbound/><backend><forward-request/></backend><outbound/><on-error/></policies>';

export function subscription(id: string): NonNullable<GatewayContext['subscription']> {
  return { id, name: id, key: `key-${id}`, primaryKey: `key-${id}`, secondaryKey: '', allowTracing: false };
}

export const PRODUCT = { id: 'starter', name: 'Starter' };

/** 2026-01-01T00:00:00Z: on a slot and an hour boundary, so waits come out whole. */
export const T0 = Date.parse('2026-01-01T00:00:00Z');

export interface Gateway {
  clock: { t: number };
  counters: Counters;
  /** Sends one request through the compiled documents. */
  send(r?: RequestInit): Promise<GatewayContext>;
}

export function gateway(
  docs: Documents,
  o: {
    counters?: Counters;
    clock?: { t: number };
    answer?: (ctx: GatewayContext) => Partial<GatewayResponse>;
  } = {},
): Gateway {
  const clock = o.clock ?? { t: T0 };
  const now = () => clock.t;
  const counters = o.counters ?? createMemoryCounters({ now });
  const answer = o.answer ?? ((): Partial<GatewayResponse> => ({}));
  const { pipeline } = compileDocuments(
    { global: FORWARDING_GLOBAL, ...docs },
    {
      services: {
        now,
        counters,
        backend: {
          async send(ctx) {
            const a = answer(ctx);
            return {
              status: a.status ?? 200,
              reason: a.reason ?? 'OK',
              headers: a.headers ?? new HeaderMap(),
              body: a.body ?? { kind: 'none' },
            };
          },
        },
      },
    },
  );
  return {
    clock,
    counters,
    async send(r = {}) {
      const ctx = newContext({ subscription: subscription('sub-1'), product: PRODUCT, ...r });
      await pipeline.run(ctx);
      return ctx;
    },
  };
}

export function header(ctx: GatewayContext, name: string): string | undefined {
  return ctx.response?.headers.get(name)?.join(',');
}
