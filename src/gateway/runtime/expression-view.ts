/**
 * @module gateway/runtime/expression-view
 * The `context` a policy expression reads, over one request's `GatewayContext`. It is live: made once per
 * request, the first time an expression runs, and every member reads the request as it is at that moment
 * (a header set by an earlier policy, a variable, the backend's answer in `outbound`).
 */
import type {
  ExpressionContext,
  LastErrorModel,
  PolicyContext,
  RequestModel,
  ResponseModel,
  UrlModel,
} from '../expressions/context.ts';
import type { GatewayContext } from './context.ts';

const DEFAULT_PORT: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

export function urlModel(url: URL): UrlModel {
  const query = new Map<string, string[]>();
  for (const [k, v] of url.searchParams) {
    const values = query.get(k);
    if (values) values.push(v);
    else query.set(k, [v]);
  }
  return {
    Scheme: url.protocol.replace(/:$/, ''),
    Host: url.hostname,
    Port: url.port ? Number(url.port) : (DEFAULT_PORT[url.protocol] ?? 0),
    Path: url.pathname,
    QueryString: url.search,
    Query: query,
  };
}

function requestModel(ctx: GatewayContext): RequestModel {
  let cachedHref: string | undefined;
  let cachedModel: UrlModel | undefined;
  // Built on first read: most expressions never look at the original URL (its query is walked into a Map).
  let original: UrlModel | undefined;
  return {
    get Method() {
      return ctx.request.method;
    },
    get Url() {
      // Rebuilt only when a policy replaced or changed the URL since the last read.
      const href = ctx.request.url.href;
      if (cachedHref !== href) {
        cachedHref = href;
        cachedModel = urlModel(ctx.request.url);
      }
      return cachedModel!;
    },
    get OriginalUrl() {
      original ??= urlModel(ctx.originalUrl);
      return original;
    },
    get Headers() {
      return ctx.request.headers;
    },
    IpAddress: ctx.clientIp,
    MatchedParameters: ctx.matchedParameters,
    // The front buffers the body before the pipeline when an expression reads it (compile-gateway.ts).
    get Body() {
      const b = ctx.request.body;
      return b.kind === 'bytes'
        ? { text: b.bytes.toString('utf8') }
        : b.kind === 'none'
          ? { text: '' }
          : null;
    },
  };
}

function responseModel(ctx: GatewayContext): ResponseModel | null {
  const r = ctx.response;
  if (!r) return null;
  return { StatusCode: r.status, StatusReason: r.reason, Headers: r.headers };
}

function lastErrorModel(ctx: GatewayContext): LastErrorModel | null {
  const e = ctx.lastError;
  if (!e) return null;
  return {
    Source: e.source,
    Reason: e.reason,
    Message: e.message,
    Scope: e.scope,
    Section: e.section,
    Path: e.path,
    PolicyId: e.policyId,
  };
}

export interface ViewOptions {
  readonly now: () => number;
}

const views = new WeakMap<GatewayContext, ExpressionContext>();

/** The expression context of this request (made on first use). */
export function expressionView(ctx: GatewayContext, o: ViewOptions): ExpressionContext {
  let view = views.get(ctx);
  if (view) return view;
  const request = requestModel(ctx);
  const s = ctx.subscription;
  const context: PolicyContext = {
    Request: request,
    get Response() {
      return responseModel(ctx);
    },
    Variables: ctx.variables,
    Subscription: s
      ? { Id: s.id, Key: s.key, Name: s.name, PrimaryKey: s.primaryKey, SecondaryKey: s.secondaryKey }
      : null,
    Product: ctx.product ? { Id: ctx.product.id, Name: ctx.product.name } : null,
    Api: { Id: ctx.api.id, Name: ctx.api.name, Path: ctx.api.path },
    Operation: {
      Id: ctx.operation.id,
      Name: ctx.operation.name,
      Method: ctx.operation.method,
      UrlTemplate: ctx.operation.urlTemplate,
    },
    User: null,
    get LastError() {
      return lastErrorModel(ctx);
    },
    Deployment: { Region: ctx.gateway.region, ServiceName: ctx.gateway.name },
    RequestId: ctx.requestId,
    Timestamp: ctx.timestamp.getTime(),
  };
  view = { context, now: o.now };
  views.set(ctx, view);
  return view;
}
