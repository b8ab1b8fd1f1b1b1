/**
 * @module gateway/runtime/context
 * One request through a gateway, as its policies read and change it. It is the pipeline context of the
 * compiled policies (http/pipeline.ts): `request` is what will be sent to the backend (method, URL, headers,
 * body), `response` what the caller will get, `variables` APIM's `context.Variables`, `lastError` APIM's
 * `context.LastError` while `on-error` runs. Policy expressions see it through `expressionView` (built once per
 * request, only when an expression runs).
 */
import type { Readable } from 'node:stream';
import type { PipelineContext } from '../../http/pipeline.ts';
import type { HeaderMap } from './headers.ts';
import type { GatewayRefusal } from './refusal.ts';

/** A body: the caller's or the backend's stream, untouched, or bytes a policy set. */
export type Body =
  | { readonly kind: 'stream'; readonly stream: Readable; readonly length: number | undefined }
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  | { readonly kind: 'none' };

export interface GatewayRequest {
  method: string;
  /** The backend URL: the API's service URL + what follows the API's path, as rewritten by policies. */
  url: URL;
  headers: HeaderMap;
  body: Body;
}

export interface GatewayResponse {
  status: number;
  reason: string;
  headers: HeaderMap;
  body: Body;
}

/** APIM's `context.LastError`. */
export interface LastError {
  readonly source: string;
  readonly reason: string;
  readonly message: string;
  readonly scope: string;
  readonly section: string;
  readonly path: string;
  readonly policyId: string;
}

export interface ApiInfo {
  readonly id: string;
  readonly name: string;
  /** The API's path suffix on the gateway (`orders`), without slashes. */
  readonly path: string;
}

export interface OperationInfo {
  readonly id: string;
  readonly name: string;
  readonly method: string;
  readonly urlTemplate: string;
}

export interface ProductInfo {
  readonly id: string;
  readonly name: string;
}

export interface SubscriptionInfo {
  readonly id: string;
  readonly name: string;
  /** The key the caller sent (never logged; traces mask it). */
  readonly key: string;
  readonly primaryKey: string;
  readonly secondaryKey: string;
  /** Whether the subscription may ask for a trace (`Ocp-Apim-Trace: true`). */
  readonly allowTracing: boolean;
}

/** One step of a trace: what a policy saw and decided. Tokens appear as their claims, secrets masked. */
export interface TraceEntry {
  readonly section: string;
  readonly source: string;
  readonly elapsedMs: number;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>> | undefined;
}

export interface GatewayContext extends PipelineContext {
  readonly requestId: string;
  /** `performance.now()` when the request arrived. */
  readonly startedAt: number;
  readonly timestamp: Date;
  readonly clientIp: string;
  /** The URL the caller used. */
  readonly originalUrl: URL;
  /** The caller's method, before any policy changed `request.method`. */
  readonly originalMethod: string;
  readonly gateway: { readonly name: string; readonly region: string };
  readonly api: ApiInfo;
  readonly operation: OperationInfo;
  readonly product: ProductInfo | undefined;
  readonly subscription: SubscriptionInfo | undefined;
  /** `{param}` values of the operation's URL template. */
  readonly matchedParameters: ReadonlyMap<string, string>;
  request: GatewayRequest;
  /** Set by the backend call, `return-response`, `mock-response` or a refusal. */
  response: GatewayResponse | undefined;
  readonly variables: Map<string, unknown>;
  lastError: LastError | undefined;
  /** Set when the subscription key was refused: the pipeline's first step throws it, then on-error runs. */
  readonly accessRefusal?: GatewayRefusal | undefined;
  /** Entries of the trace, when this request is traced. */
  readonly trace: TraceEntry[] | undefined;
  /** Per-request state of the modules that keep some (runtime/request-local.ts); made on first use. */
  locals?: Map<object, unknown> | undefined;
}

export function traceStep(
  ctx: GatewayContext,
  source: string,
  message: string,
  data?: Readonly<Record<string, unknown>>,
): void {
  ctx.trace?.push({
    section: ctx.pipeline.phase,
    source,
    elapsedMs: Math.round((performance.now() - ctx.startedAt) * 1000) / 1000,
    message,
    ...(data === undefined ? {} : { data }),
  });
}
