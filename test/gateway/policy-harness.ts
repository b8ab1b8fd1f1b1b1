/**
 * Runs policy documents on one request without a listener: compile the scopes as the gateway does, make a
 * GatewayContext, run the pipeline. What a policy test needs to assert on is the context afterwards: the
 * request as it would go to the backend, the answer, the variables, LastError.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { finishPreflight, hasCors, isPreflight, preflightPolicy } from '../../src/gateway/policies/cors.ts';
import { POLICIES, UNSUPPORTED } from '../../src/gateway/policies/registry.ts';
import { compileEffectivePolicy } from '../../src/gateway/policy/compile.ts';
import { composeScopes, type ScopeDocument, type ScopeKind } from '../../src/gateway/policy/compose.ts';
import { PolicyLoadError } from '../../src/gateway/policy/errors.ts';
import type { NamedValue } from '../../src/gateway/policy/named-values.ts';
import { parsePolicyXml } from '../../src/gateway/policy/parse-xml.ts';
import type { GatewayServices } from '../../src/gateway/policy/services.ts';
import { createTokenServices } from '../../src/gateway/policy/token-keys.ts';
import type { GatewayContext, GatewayResponse } from '../../src/gateway/runtime/context.ts';
import { createMemoryCounters } from '../../src/gateway/runtime/counters-memory.ts';
import { expressionView } from '../../src/gateway/runtime/expression-view.ts';
import { HeaderMap } from '../../src/gateway/runtime/headers.ts';
import { newPipelineState } from '../../src/http/pipeline.ts';

export type Documents = Partial<Record<ScopeKind, string>>;

export interface HarnessOptions {
  namedValues?: Record<string, string | NamedValue>;
  services?: Partial<GatewayServices>;
}

export function harnessServices(o: Partial<GatewayServices> = {}): GatewayServices {
  const now = o.now ?? (() => Date.now());
  return {
    now,
    // Real key sources and validator; tests that fetch discovery give their own (with their CA and rewrite).
    tokens: o.tokens ?? createTokenServices({ now }),
    managedIdentityToken:
      o.managedIdentityToken ?? (() => Promise.reject(new Error('this test gave no managed identity'))),
    // Real counters, in memory, on the test's clock; Redis tests give their own.
    counters: o.counters ?? createMemoryCounters({ now }),
    backend: o.backend ?? {
      send: () => Promise.reject(new Error('this test gave no backend')),
    },
    ...(o.backendEntity ? { backendEntity: o.backendEntity } : {}),
    ...(o.operationSample ? { operationSample: o.operationSample } : {}),
    ...(o.sleep ? { sleep: o.sleep } : {}),
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
  const effective = composeScopes(scopes);
  const options = {
    policies: POLICIES,
    unsupported: UNSUPPORTED,
    namedValues: (n: string) => values.get(n),
    services,
    expressions: (ctx: GatewayContext) => expressionView(ctx, { now: services.now }),
  };
  return {
    services,
    effective,
    pipeline: compileEffectivePolicy('test', effective, options),
    // What the front runs for a CORS preflight: the effective inbound's cors policies alone.
    preflight: compileEffectivePolicy('test preflight', preflightPolicy(effective), options),
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
  /** The operation matched (default: GET /{id}, id = 42) and the API's path suffix (default `orders`). */
  operation?: GatewayContext['operation'];
  matchedParameters?: Record<string, string>;
  apiPath?: string;
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
    api: { id: 'orders', name: 'Orders', path: r.apiPath ?? 'orders' },
    operation: r.operation ?? { id: 'get-order', name: 'Get order', method: 'GET', urlTemplate: '/{id}' },
    product: r.product,
    subscription: r.subscription,
    matchedParameters: new Map(Object.entries(r.matchedParameters ?? { id: '42' })),
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

/**
 * Compiles and runs; resolves with the context after the pipeline. A CORS preflight to a policy with `cors`
 * runs the preflight pipeline instead, as the front does.
 */
export async function runPolicies(docs: Documents, r: RequestInit = {}, o: HarnessOptions = {}) {
  const { pipeline, preflight, effective } = compileDocuments(docs, o);
  const ctx = newContext(r);
  if (isPreflight(ctx.originalMethod, ctx.request.headers) && hasCors(effective)) {
    await preflight.run(ctx);
    finishPreflight(ctx);
    return ctx;
  }
  await pipeline.run(ctx);
  return ctx;
}

/** The answer's body as text (bytes bodies only). */
export function bodyText(ctx: GatewayContext): string | undefined {
  const b = ctx.response?.body;
  return b?.kind === 'bytes' ? b.bytes.toString('utf8') : undefined;
}

/** A document with the given sections' contents. */
export function policyDoc(
  sections: Partial<Record<'inbound' | 'backend' | 'outbound' | 'on-error', string>>,
): string {
  return `<policies>${Object.entries(sections)
    .map(([s, body]) => `<${s}>${body}</${s}>`)
    .join('')}</policies>`;
}

/** Asserts the documents are refused at load with a message matching `pattern` (and the hint, if given). */
export function assertLoadError(
  docs: Documents,
  pattern: RegExp,
  hint?: RegExp,
  o: HarnessOptions = {},
): void {
  assert.throws(
    () => compileDocuments(docs, o),
    (err: unknown) => {
      assert.ok(err instanceof PolicyLoadError, String(err));
      assert.match(err.message, pattern);
      if (hint) assert.match(err.hint ?? '', hint);
      return true;
    },
  );
}

/** A backend double for `<forward-request/>`: answers `status` with `body`, recording what it was sent. */
export function fakeBackend(answer: (ctx: GatewayContext) => Partial<GatewayResponse> = () => ({})) {
  const sent: { method: string; url: string; body: string | undefined }[] = [];
  return {
    sent,
    backend: {
      async send(ctx: GatewayContext) {
        const b = ctx.request.body;
        sent.push({
          method: ctx.request.method,
          url: ctx.request.url.href,
          body: b.kind === 'bytes' ? b.bytes.toString('utf8') : undefined,
        });
        const a = answer(ctx);
        return {
          status: a.status ?? 200,
          reason: a.reason ?? 'OK',
          headers: a.headers ?? new HeaderMap(),
          body: a.body ?? { kind: 'none' as const },
        };
      },
    },
  };
}
