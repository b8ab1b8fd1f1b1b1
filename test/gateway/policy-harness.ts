/**
 * Runs policy documents on one request without a listener: compile the scopes as the gateway does, make a
 * GatewayContext, run the pipeline. What a policy test needs to assert on is the context afterwards: the
 * request as it would go to the backend, the answer, the variables, LastError.
 */
import { Readable } from 'node:stream';
import { POLICIES, UNSUPPORTED } from '../../src/gateway/policies/registry.ts';
import { compileEffectivePolicy } from '../../src/gateway/policy/compile.ts';
import { composeScopes, type ScopeDocument, type ScopeKind } from '../../src/gateway/policy/compose.ts';
import type { NamedValue } from '../../src/gateway/policy/named-values.ts';
import { parsePolicyXml } from '../../src/gateway/policy/parse-xml.ts';
import type { Counters, GatewayServices } from '../../src/gateway/policy/services.ts';
import { createTokenServices } from '../../src/gateway/policy/token-keys.ts';
import type { GatewayContext, GatewayResponse } from '../../src/gateway/runtime/context.ts';
import { expressionView } from '../../src/gateway/runtime/expression-view.ts';
import { HeaderMap } from '../../src/gateway/runtime/headers.ts';
import { newPipelineState } from '../../src/http/pipeline.ts';

export type Documents = Partial<Record<ScopeKind, string>>;

export interface HarnessOptions {
  namedValues?: Record<string, string | NamedValue>;
  services?: Partial<GatewayServices>;
}

const noCounters: Counters = {
  slidingHit: () => Promise.reject(new Error('this test gave no counters')),
  fixedHit: () => Promise.reject(new Error('this test gave no counters')),
};

export function harnessServices(o: Partial<GatewayServices> = {}): GatewayServices {
  const now = o.now ?? (() => Date.now());
  return {
    now,
    // Real key sources and validator; tests that fetch discovery give their own (with their CA and rewrite).
    tokens: o.tokens ?? createTokenServices({ now }),
    managedIdentityToken:
      o.managedIdentityToken ?? (() => Promise.reject(new Error('this test gave no managed identity'))),
    counters: o.counters ?? noCounters,
    backend: o.backend ?? {
      send: () => Promise.reject(new Error('this test gave no backend')),
    },
  };
}

/** The scopes' documents compiled into one operation's pipeline (scopes in APIM's order, missing ones skipped). */
export function compileDocuments(docs: Documents, o: HarnessOptions = {}) {
  const scopes: ScopeDocument[] = (['global', 'product', 'api', 'operation'] as const)
    .filter((s) => docs[s] !== undefined || s === 'global')
    .map((s) => ({
      scope: s,
      label: s,
      sections:
        docs[s] !== undefined
          ? parsePolicyXml(docs[s]!, `${s}.xml`).sections
          : // APIM's default global policy forwards; tests that need no backend leave it out of `backend`.
            parsePolicyXml('<policies><inbound/><backend/><outbound/><on-error/></policies>').sections,
    }));
  const values = new Map(
    Object.entries(o.namedValues ?? {}).map(([k, v]) => [
      k,
      typeof v === 'string' ? { value: v, secret: false } : v,
    ]),
  );
  const services = harnessServices(o.services);
  return {
    services,
    pipeline: compileEffectivePolicy('test', composeScopes(scopes), {
      policies: POLICIES,
      unsupported: UNSUPPORTED,
      namedValues: (n) => values.get(n),
      services,
      expressions: (ctx) => expressionView(ctx, { now: services.now }),
    }),
  };
}

export interface RequestInit {
  method?: string;
  url?: string;
  backendUrl?: string;
  headers?: Record<string, string | string[]>;
  body?: string;
  ip?: string;
  response?: Partial<GatewayResponse> & { headers?: HeaderMap };
  subscription?: GatewayContext['subscription'];
  product?: GatewayContext['product'];
  trace?: boolean;
}

export function newContext(r: RequestInit = {}): GatewayContext {
  const headers = new HeaderMap();
  for (const [k, v] of Object.entries(r.headers ?? {})) headers.set(k, Array.isArray(v) ? v : [v]);
  const url = new URL(r.url ?? 'https://contoso.localhost/orders/42?x=1');
  return {
    pipeline: newPipelineState(false),
    requestId: '00000000-0000-4000-8000-000000000001',
    startedAt: performance.now(),
    timestamp: new Date(),
    clientIp: r.ip ?? '127.0.0.1',
    originalUrl: url,
    originalMethod: r.method ?? 'GET',
    gateway: { name: 'contoso', region: 'local' },
    api: { id: 'orders', name: 'Orders', path: 'orders' },
    operation: { id: 'get-order', name: 'Get order', method: 'GET', urlTemplate: '/{id}' },
    product: r.product,
    subscription: r.subscription,
    matchedParameters: new Map([['id', '42']]),
    request: {
      method: r.method ?? 'GET',
      url: new URL(r.backendUrl ?? 'http://backend.test/api/orders/42?x=1'),
      headers,
      body:
        r.body === undefined
          ? { kind: 'none' }
          : {
              kind: 'stream',
              stream: Readable.from([Buffer.from(r.body)]),
              length: Buffer.byteLength(r.body),
            },
    },
    response: r.response
      ? {
          status: r.response.status ?? 200,
          reason: r.response.reason ?? 'OK',
          headers: r.response.headers ?? new HeaderMap(),
          body: r.response.body ?? { kind: 'none' },
        }
      : undefined,
    variables: new Map(),
    lastError: undefined,
    trace: r.trace ? [] : undefined,
  };
}

/** Compiles and runs; resolves with the context after the pipeline. */
export async function runPolicies(docs: Documents, r: RequestInit = {}, o: HarnessOptions = {}) {
  const { pipeline } = compileDocuments(docs, o);
  const ctx = newContext(r);
  await pipeline.run(ctx);
  return ctx;
}

/** The answer's body as text (bytes bodies only). */
export function bodyText(ctx: GatewayContext): string | undefined {
  const b = ctx.response?.body;
  return b?.kind === 'bytes' ? b.bytes.toString('utf8') : undefined;
}
