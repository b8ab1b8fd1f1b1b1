/**
 * @module gateway/runtime/expression-view
 * The `context` a policy expression reads, over one request's `GatewayContext`. It is live: made once per
 * request, the first time an expression runs, and every member reads the request as it is at that moment
 * (a header set by an earlier policy, a variable, the backend's answer in `outbound`).
 */
import type {
  ApiModel,
  DeploymentModel,
  ExpressionContext,
  LastErrorModel,
  OperationModel,
  PolicyContext,
  ProductModel,
  RequestModel,
  ResponseModel,
  SubscriptionModel,
  UrlModel,
} from '../expressions/context.ts';
import type { GatewayContext } from './context.ts';
import type { HeaderMap } from './headers.ts';
import { RequestLocal } from './request-local.ts';

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

/**
 * `context.Request`. Classes with getters on the prototype rather than object literals with getters: a literal's
 * accessors are defined one by one at run time for every request, which cost more than the expression itself
 * (docs/performance.md, "Gateway").
 */
class RequestView implements RequestModel {
  readonly #ctx: GatewayContext;
  #href: string | undefined = undefined;
  #url: UrlModel | undefined = undefined;
  // Built on first read: most expressions never look at the original URL (its query is walked into a Map).
  #original: UrlModel | undefined = undefined;

  constructor(ctx: GatewayContext) {
    this.#ctx = ctx;
  }

  get Method(): string {
    return this.#ctx.request.method;
  }

  get Url(): UrlModel {
    // Rebuilt only when a policy replaced or changed the URL since the last read.
    const href = this.#ctx.request.url.href;
    if (this.#href !== href) {
      this.#href = href;
      this.#url = urlModel(this.#ctx.request.url);
    }
    return this.#url!;
  }

  get OriginalUrl(): UrlModel {
    this.#original ??= urlModel(this.#ctx.originalUrl);
    return this.#original;
  }

  get Headers(): HeaderMap {
    return this.#ctx.request.headers;
  }

  get IpAddress(): string {
    return this.#ctx.clientIp;
  }

  get MatchedParameters(): ReadonlyMap<string, string> {
    return this.#ctx.matchedParameters;
  }

  // The front buffers the body before the pipeline when an expression reads it (compile-gateway.ts).
  get Body(): { text: string } | null {
    const b = this.#ctx.request.body;
    return b.kind === 'bytes' ? { text: b.bytes.toString('utf8') } : b.kind === 'none' ? { text: '' } : null;
  }
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

/** `context`: each member made when first read, most never are. */
class PolicyView implements PolicyContext {
  readonly #ctx: GatewayContext;
  #request: RequestView | undefined = undefined;

  constructor(ctx: GatewayContext) {
    this.#ctx = ctx;
  }

  get Request(): RequestView {
    this.#request ??= new RequestView(this.#ctx);
    return this.#request;
  }

  get Response(): ResponseModel | null {
    return responseModel(this.#ctx);
  }

  get Variables(): ReadonlyMap<string, unknown> {
    return this.#ctx.variables;
  }

  get Subscription(): SubscriptionModel | null {
    const s = this.#ctx.subscription;
    return s
      ? { Id: s.id, Key: s.key, Name: s.name, PrimaryKey: s.primaryKey, SecondaryKey: s.secondaryKey }
      : null;
  }

  get Product(): ProductModel | null {
    const p = this.#ctx.product;
    return p ? { Id: p.id, Name: p.name } : null;
  }

  get Api(): ApiModel {
    const a = this.#ctx.api;
    return { Id: a.id, Name: a.name, Path: a.path };
  }

  get Operation(): OperationModel {
    const o = this.#ctx.operation;
    return { Id: o.id, Name: o.name, Method: o.method, UrlTemplate: o.urlTemplate };
  }

  get User(): null {
    return null;
  }

  get LastError(): LastErrorModel | null {
    return lastErrorModel(this.#ctx);
  }

  get Deployment(): DeploymentModel {
    return { Region: this.#ctx.gateway.region, ServiceName: this.#ctx.gateway.name };
  }

  get RequestId(): string {
    return this.#ctx.requestId;
  }

  get Timestamp(): number {
    return this.#ctx.timestamp.getTime();
  }
}

const views = new RequestLocal<ExpressionContext>();

/** The expression context of this request (made on first use). */
export function expressionView(ctx: GatewayContext, o: ViewOptions): ExpressionContext {
  let view = views.get(ctx);
  if (view) return view;
  view = { context: new PolicyView(ctx), now: o.now };
  views.set(ctx, view);
  return view;
}
