/**
 * @module gateway/policy/compile
 * The effective policy of one operation → the pipeline its requests run: each policy compiled once by its
 * module into a named step (`api orders/set-header[2]`), in the phase of its section. A policy that fails —
 * a refusal or an error — sets `context.LastError` (source, reason, message, scope, section, path, policy id)
 * and, unless `on-error` changes it, the answer the caller gets: the refusal's status and APIM's JSON body, or
 * 500 for anything else. The pipeline then skips to `on-error`, as APIM does.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import { definePipeline, type Pipeline, type Step } from '../../http/pipeline.ts';
import type { ExpressionContext } from '../expressions/index.ts';
import { type GatewayContext, traceStep } from '../runtime/context.ts';
import { runDeferred } from '../runtime/deferred.ts';
import { HeaderMap } from '../runtime/headers.ts';
import { GatewayRefusal } from '../runtime/refusal.ts';
import type { ValueContext } from './attributes.ts';
import type { EffectivePolicy, ScopeKind } from './compose.ts';
import type { CompileContext, CompiledPolicy, PolicyDefinition } from './contract.ts';
import type { Section } from './element.ts';
import { PolicyLoadError } from './errors.ts';
import type { ParsedElement } from './parse-xml.ts';
import type { GatewayServices } from './services.ts';

export interface CompileOptions extends ValueContext {
  /** The policy modules by element name (`policies/registry.ts`). */
  readonly policies: ReadonlyMap<string, PolicyDefinition>;
  /** Policies APIM has and Lanyard refuses on purpose, with the reason shown. */
  readonly unsupported?: ReadonlyMap<string, string> | undefined;
  readonly services: GatewayServices;
  readonly expressions: (ctx: GatewayContext) => ExpressionContext;
  /**
   * Policies compiled so far, by element: a scope's document takes part in many effective policies (every
   * operation, with and without each product) and each of its policies is compiled once.
   */
  readonly memo?: Map<ParsedElement, CompiledPolicy> | undefined;
}

const PHASE_OF: Readonly<Record<Section, 'inbound' | 'backend' | 'outbound' | 'onError'>> = {
  inbound: 'inbound',
  backend: 'backend',
  outbound: 'outbound',
  'on-error': 'onError',
};

function definitionFor(element: ParsedElement, section: Section, scope: ScopeKind, o: CompileOptions) {
  const definition = o.policies.get(element.name);
  if (!definition) {
    const why = o.unsupported?.get(element.name);
    if (why !== undefined) {
      throw new PolicyLoadError(element.position, `<${element.name}> is not supported by Lanyard: ${why}`);
    }
    const near = [...o.policies.keys()].filter((n) => closeTo(n, element.name));
    throw new PolicyLoadError(
      element.position,
      `<${element.name}> is not a policy`,
      near.length
        ? `Did you mean ${near.map((n) => `<${n}>`).join(' or ')}?`
        : 'docs/gateway.md lists the policies.',
    );
  }
  if (!definition.sections.includes(section)) {
    throw new PolicyLoadError(
      element.position,
      `<${element.name}> cannot stand in <${section}>`,
      `It belongs in ${definition.sections.map((s) => `<${s}>`).join(', ')}.`,
    );
  }
  if (definition.scopes && !definition.scopes.includes(scope)) {
    throw new PolicyLoadError(
      element.position,
      `<${element.name}> cannot stand in a ${scope} policy`,
      `It belongs in ${definition.scopes.join(', ')} policies.`,
    );
  }
  return definition;
}

/** Names one edit apart (a typo) or sharing the part before the first dash. */
function closeTo(a: string, b: string): boolean {
  if (a.split('-')[0] === b.split('-')[0]) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return a.slice(i + 1) === b.slice(i + 1) || a.slice(i) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i);
}

function compileElement(
  element: ParsedElement,
  section: Section,
  scope: ScopeKind,
  o: CompileOptions,
): CompiledPolicy {
  const known = o.memo?.get(element);
  if (known) return known;
  const definition = definitionFor(element, section, scope, o);
  const cc: CompileContext = {
    section,
    scope,
    namedValues: o.namedValues,
    services: o.services,
    expressions: o.expressions,
    compileBlock: (children) => compileBlock(children, section, scope, o),
  };
  const compiled = definition.compile(element, cc);
  o.memo?.set(element, compiled);
  return compiled;
}

/** Child policies in order; stops after one that ended the pipeline (`return-response` inside `choose`). */
function compileBlock(
  children: readonly ParsedElement[],
  section: Section,
  scope: ScopeKind,
  o: CompileOptions,
): CompiledPolicy {
  const compiled = children.map((c) => compileElement(c, section, scope, o));
  return { run: (ctx) => runFrom(compiled, 0, ctx) };
}

/**
 * Runs `policies[i…]` in order, synchronously until one returns a promise: most policies finish without
 * waiting, and a promise per policy is a measurable share of a gateway request (docs/performance.md).
 */
function runFrom(
  policies: readonly CompiledPolicy[],
  i: number,
  ctx: GatewayContext,
): undefined | Promise<void> {
  for (; i < policies.length; i++) {
    if (ctx.pipeline.ended) return;
    const pending = policies[i]!.run(ctx);
    if (pending !== undefined) {
      const next = i + 1;
      return pending.then(() => runFrom(policies, next, ctx));
    }
  }
  return;
}

/** The answer a failure leaves for the caller unless `on-error` sets another. */
function failureResponse(err: unknown): {
  status: number;
  reason: string;
  source: string;
  message: string;
  headers: HeaderMap;
  body: Buffer;
} {
  const headers = new HeaderMap();
  headers.set('Content-Type', ['application/json; charset=utf-8']);
  if (err instanceof GatewayRefusal) {
    for (const [k, v] of Object.entries(err.headers)) headers.set(k, [v]);
    if (err.hint) headers.set('x-lanyard-hint', [HeaderMap.printable(err.hint)]);
    return {
      status: err.status,
      reason: err.reason,
      source: err.source,
      message: err.message,
      headers,
      body: err.body(),
    };
  }
  const message =
    err instanceof LanyardError && err.code !== 'ERR_INTERNAL' ? err.message : 'Internal server error';
  const reason =
    err instanceof LanyardError && err.code === 'ERR_GATEWAY_EXPRESSION_EVALUATION'
      ? 'ExpressionValueEvaluationFailure'
      : 'PolicyFailure';
  return {
    status: 500,
    reason,
    source: 'policy',
    message,
    headers,
    body: Buffer.from(JSON.stringify({ statusCode: 500, message: 'Internal server error' })),
  };
}

function step(
  name: string,
  policy: CompiledPolicy,
  meta: { source: string; scope: string; section: Section; path: string; id: string },
): Step<GatewayContext> {
  const fail = (ctx: GatewayContext, err: unknown): void => {
    // The first failure is the one APIM reports; a failure inside on-error keeps it.
    if (ctx.lastError !== undefined) return;
    const f = failureResponse(err);
    ctx.lastError = {
      source: err instanceof GatewayRefusal ? f.source : meta.source,
      reason: f.reason,
      message: f.message,
      scope: meta.scope,
      section: meta.section,
      path: meta.path,
      policyId: meta.id,
    };
    ctx.response = {
      status: f.status,
      reason: '',
      headers: f.headers,
      body: { kind: 'bytes', bytes: f.body },
    };
  };
  const traced = (ctx: GatewayContext) => {
    const started = performance.now();
    const before = new Set(ctx.variables.keys());
    return (err: unknown) => traceOutcome(ctx, name, started, before, err);
  };
  return {
    name,
    // Synchronous when the policy is: no promise for a policy that does not wait.
    run(ctx) {
      const done = ctx.trace !== undefined ? traced(ctx) : undefined;
      let pending: undefined | Promise<void> | void;
      try {
        pending = policy.run(ctx);
      } catch (err) {
        done?.(err);
        fail(ctx, err);
        throw err;
      }
      if (pending === undefined) {
        done?.(undefined);
        return;
      }
      return pending.then(
        () => done?.(undefined),
        (err: unknown) => {
          done?.(err);
          fail(ctx, err);
          throw err;
        },
      );
    },
  };
}

/**
 * One trace entry per step: what ran, how long it took, what it decided (done, or the failure's reason and
 * message) and which variables it set — by name only: a value may be a token or a secret.
 */
function traceOutcome(
  ctx: GatewayContext,
  name: string,
  started: number,
  before: Set<string>,
  err: unknown,
): void {
  const set = [...ctx.variables.keys()].filter((k) => !before.has(k));
  const ms = Math.round((performance.now() - started) * 1000) / 1000;
  const failure =
    err === undefined
      ? undefined
      : err instanceof GatewayRefusal
        ? `${err.reason}: ${err.message}`
        : err instanceof LanyardError
          ? `${err.code}: ${err.message}`
          : 'internal error';
  traceStep(ctx, name, failure ? `failed (${failure})` : 'done', {
    durationMs: ms,
    ...(set.length ? { variablesSet: set } : {}),
    ...(ctx.response ? { status: ctx.response.status } : {}),
  });
}

const DEFERRED: Step<GatewayContext> = { name: 'gateway/deferred', run: runDeferred };

const ACCESS_CHECK: CompiledPolicy = {
  run(ctx) {
    if (ctx.accessRefusal) throw ctx.accessRefusal;
  },
};

/** Compiles the effective policy of one operation; `name` labels the pipeline (e.g. `orders/get-order`). */
export function compileEffectivePolicy(
  name: string,
  effective: EffectivePolicy,
  o: CompileOptions,
): Pipeline<GatewayContext> {
  const spec: Record<'inbound' | 'backend' | 'outbound' | 'onError', Step<GatewayContext>[]> = {
    // The subscription check, decided before the pipeline was chosen (it picks the product context), fails
    // here so that on-error sees it as APIM's does.
    inbound: [
      step('authorization/subscription-key', ACCESS_CHECK, {
        source: 'authorization',
        scope: 'global',
        section: 'inbound',
        path: '',
        id: '',
      }),
    ],
    backend: [],
    outbound: [],
    onError: [],
  };
  for (const section of ['inbound', 'backend', 'outbound', 'on-error'] as const) {
    for (const p of effective[section]) {
      const compiled = compileElement(p.element, section, p.scope, o);
      spec[PHASE_OF[section]].push(
        step(`${p.scopeLabel}/${p.path}`, compiled, {
          source: p.element.name,
          scope: p.scope,
          section,
          path: p.path,
          id: p.element.attributes.get('id') ?? '',
        }),
      );
    }
  }
  // What policies left for the end of outbound (deferred counter increments, remaining-calls headers).
  spec.outbound.push(DEFERRED);
  spec.onError.push(DEFERRED);
  return definePipeline(name, spec);
}
