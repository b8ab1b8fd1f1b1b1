/**
 * @module gateway/compile-gateway
 * A gateway's definition → what its front serves: APIs by path, operations by method and template, the
 * subscriptions by key hash, and one compiled pipeline per operation and product context. Everything that can
 * be wrong is found here, before a request: every policy document is parsed and every effective policy compiled
 * (each policy once, however many effective policies it takes part in). A failure throws and the caller keeps
 * serving what it had.
 */
import type { Pipeline } from '../http/pipeline.ts';
import type {
  ApiDefinition,
  GatewayDefinition,
  OperationDefinition,
  PolicySource,
  ProductDefinition,
} from './model.ts';
import { DEFAULT_GLOBAL_POLICY, type SubscriptionDefinition } from './model.ts';
import { hasCors, preflightPolicy } from './policies/cors.ts';
import { POLICIES, UNSUPPORTED } from './policies/registry.ts';
import { compileEffectivePolicy } from './policy/compile.ts';
import { composeScopes, type ScopeDocument } from './policy/compose.ts';
import type { CompiledPolicy } from './policy/contract.ts';
import type { NamedValue } from './policy/named-values.ts';
import { type ParsedElement, parsePolicyXml } from './policy/parse-xml.ts';
import type { GatewayServices } from './policy/services.ts';
import type { GatewayContext } from './runtime/context.ts';
import { expressionView } from './runtime/expression-view.ts';
import {
  apiPathLength,
  type CompiledTemplate,
  compileTemplate,
  matchTemplate,
  pathSegments,
} from './runtime/routing.ts';

export interface CompiledOperation {
  readonly definition: OperationDefinition;
  readonly template: CompiledTemplate;
  /** By product name; '' for requests with no product context. */
  readonly pipelines: ReadonlyMap<string, Pipeline<GatewayContext>>;
  /** What a CORS preflight runs (the `cors` policies alone), when the operation's policy has one. */
  readonly preflight: Pipeline<GatewayContext> | undefined;
  /** Whether a policy expression of its scopes reads `context.Request.Body`: the front buffers the body then. */
  readonly readsRequestBody: boolean;
}

export interface CompiledApi {
  readonly definition: ApiDefinition;
  readonly operations: readonly CompiledOperation[];
  /** Published products that hold this API. */
  readonly products: readonly ProductDefinition[];
  /**
   * The service URL without its query, fragment or trailing slashes, parsed once: a request's backend URL is
   * this, `/`, the rest of its path, and the caller's query.
   */
  readonly serviceBase: string;
}

export interface RouteMatch {
  readonly api: CompiledApi;
  readonly operation: CompiledOperation;
  readonly parameters: ReadonlyMap<string, string>;
  /** The path segments after the API's suffix (what goes to the backend). */
  readonly rest: readonly string[];
}

export interface CompiledGateway {
  readonly definition: GatewayDefinition;
  readonly apis: readonly CompiledApi[];
  readonly subscriptionsByKeyHash: ReadonlyMap<string, SubscriptionDefinition>;
  /** The API for a path: the longest matching suffix; undefined when none. */
  matchApi(path: string): { api: CompiledApi; segments: string[]; rest: string[] } | undefined;
  /** The operation of `api` for a method and the path after the API's suffix. */
  matchOperation(
    api: CompiledApi,
    method: string,
    rest: readonly string[],
  ): Omit<RouteMatch, 'api' | 'rest'> | undefined;
}

export interface CompileGatewayOptions {
  readonly services: GatewayServices;
}

function parse(source: PolicySource | undefined, label: string) {
  return source ? parsePolicyXml(source.xml, source.file ?? label).sections : undefined;
}

/** An expression that reads the request body (a false positive only costs buffering). */
const REQUEST_BODY = /Request\s*\.\s*Body\b/;

function compileOptions(definition: GatewayDefinition, o: CompileGatewayOptions) {
  const namedValues = new Map<string, NamedValue>(
    definition.namedValues.map((v) => [v.name, { value: v.value, secret: v.secret }]),
  );
  return {
    policies: POLICIES,
    unsupported: UNSUPPORTED,
    namedValues: (name: string) => namedValues.get(name),
    services: o.services,
    expressions: (ctx: GatewayContext) => expressionView(ctx, { now: o.services.now }),
    memo: new Map<ParsedElement, CompiledPolicy>(),
  };
}

const globalDocument = (definition: GatewayDefinition): ScopeDocument => ({
  scope: 'global',
  label: 'global',
  sections: parse(definition.policy ?? { xml: DEFAULT_GLOBAL_POLICY }, 'global policy'),
});

/**
 * The inbound section alone of one operation's effective policy (global → API → operation, no product
 * context), as its pipeline: what the console's token explainer runs (console/explain-gateway.ts) — no
 * backend call, no outbound, no on-error. `skip` leaves top-level inbound policies out (those whose outcome
 * an explanation cannot tell: counters, managed-identity tokens, the caller's IP); they are returned by name.
 */
export function compileInbound(
  definition: GatewayDefinition,
  api: ApiDefinition,
  op: OperationDefinition,
  o: CompileGatewayOptions & { readonly skip?: ((policy: string) => boolean) | undefined },
): { pipeline: Pipeline<GatewayContext>; skipped: { step: string; policy: string }[] } {
  const options = compileOptions(definition, o);
  const effective = composeScopes([
    globalDocument(definition),
    { scope: 'api', label: `api ${api.name}`, sections: parse(api.policy, `api ${api.name}`) },
    {
      scope: 'operation',
      label: `operation ${op.name}`,
      sections: parse(op.policy, `api ${api.name}, operation ${op.name}`),
    },
  ]);
  const skipped: { step: string; policy: string }[] = [];
  const inbound = effective.inbound.filter((p) => {
    if (!o.skip?.(p.element.name)) return true;
    skipped.push({ step: `${p.scopeLabel}/${p.path}`, policy: p.element.name });
    return false;
  });
  const pipeline = compileEffectivePolicy(
    `${api.name}/${op.name} (inbound)`,
    { inbound, backend: [], outbound: [], 'on-error': [] },
    options,
  );
  return { pipeline, skipped };
}

export function compileGateway(definition: GatewayDefinition, o: CompileGatewayOptions): CompiledGateway {
  const options = compileOptions(definition, o);
  const global = globalDocument(definition);
  const productDocs = new Map<string, ScopeDocument>(
    definition.products.map((p) => [
      p.name,
      { scope: 'product', label: `product ${p.name}`, sections: parse(p.policy, `product ${p.name}`) },
    ]),
  );

  const apis = definition.apis.map((api): CompiledApi => {
    const apiDoc: ScopeDocument = {
      scope: 'api',
      label: `api ${api.name}`,
      sections: parse(api.policy, `api ${api.name}`),
    };
    const products = definition.products.filter((p) => p.published && p.apis.includes(api.name));
    const operations = api.operations.map((op): CompiledOperation => {
      const label = `api ${api.name}, operation ${op.name}`;
      const opDoc: ScopeDocument = {
        scope: 'operation',
        label: `operation ${op.name}`,
        sections: parse(op.policy, label),
      };
      const pipelines = new Map<string, Pipeline<GatewayContext>>();
      const effective = composeScopes([global, apiDoc, opDoc]);
      pipelines.set('', compileEffectivePolicy(`${api.name}/${op.name}`, effective, options));
      const preflight = hasCors(effective)
        ? compileEffectivePolicy(`${api.name}/${op.name} (preflight)`, preflightPolicy(effective), options)
        : undefined;
      for (const p of products) {
        const withProduct = composeScopes([global, productDocs.get(p.name)!, apiDoc, opDoc]);
        pipelines.set(
          p.name,
          compileEffectivePolicy(`${api.name}/${op.name} (product ${p.name})`, withProduct, options),
        );
      }
      let template: CompiledTemplate;
      try {
        template = compileTemplate(op.urlTemplate);
      } catch (err) {
        throw new TypeError(`${label}: ${(err as Error).message}`);
      }
      const readsRequestBody = [definition.policy, api.policy, op.policy, ...products.map((p) => p.policy)]
        .concat(definition.namedValues.map((v) => ({ xml: v.value })))
        .some((source) => source !== undefined && REQUEST_BODY.test(source.xml));
      return { definition: op, template, pipelines, preflight, readsRequestBody };
    });
    // More literal segments first: `/orders/latest` before `/orders/{id}`.
    operations.sort((a, b) => b.template.literals - a.template.literals);
    const service = new URL(api.serviceUrl);
    service.search = '';
    service.hash = '';
    service.pathname = service.pathname.replace(/\/+$/, '');
    return { definition: api, operations, products, serviceBase: service.href.replace(/\/$/, '') };
  });
  // Products' documents are compiled even when no API uses the product yet: their errors show now.
  for (const [name, doc] of productDocs) {
    if (!apis.some((a) => a.products.some((p) => p.name === name))) {
      compileEffectivePolicy(`product ${name}`, composeScopes([global, doc]), options);
    }
  }

  const byPathLength = [...apis].sort(
    (a, b) =>
      b.definition.path.split('/').filter(Boolean).length -
      a.definition.path.split('/').filter(Boolean).length,
  );
  const subscriptionsByKeyHash = new Map<string, SubscriptionDefinition>();
  for (const s of definition.subscriptions) {
    subscriptionsByKeyHash.set(s.primaryKeyHash, s);
    subscriptionsByKeyHash.set(s.secondaryKeyHash, s);
  }

  return {
    definition,
    apis,
    subscriptionsByKeyHash,
    matchApi(path) {
      const segments = pathSegments(path);
      for (const api of byPathLength) {
        const n = apiPathLength(api.definition.path, segments);
        if (n !== undefined) return { api, segments, rest: segments.slice(n) };
      }
      return undefined;
    },
    matchOperation(api, method, rest) {
      for (const operation of api.operations) {
        const m = operation.definition.method;
        if (m !== '*' && m !== method) continue;
        const parameters = matchTemplate(operation.template, rest);
        if (parameters) return { operation, parameters };
      }
      return undefined;
    },
  };
}
