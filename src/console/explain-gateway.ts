/**
 * @module console/explain-gateway
 * `front: { kind: 'gateway', name, api? }` of the token explainer: the token checked by a gateway API's own
 * inbound policies, compiled and run by the gateway's policy machinery (compile-gateway.ts `compileInbound`)
 * on an in-process request to the API's first operation carrying `Authorization: Bearer <token>`, as API
 * Management would run them — the inbound section only: no backend call, no outbound, no on-error, no product
 * context. What each step did is read from the pipeline's trace (the steps run, the one that failed and its
 * refusal) and shown as the Easy Auth verdict's checks: each `validate-jwt` and `validate-azure-ad-token` as the
 * validator's stages (token, signature, lifetime, audience, issuer, claims), `check-header` as one check.
 *
 * Nothing outside is touched: rate limits and quotas count in a store thrown away after the run (and are
 * "not checked", as are managed-identity tokens and IP filters, whose outcome depends on more than the token);
 * `openid-config` URLs of Entra's login hosts naming a tenant of this Lanyard use its issuer's keys and names
 * in-process (the gateway plane fetches the same documents from this Lanyard); any other URL is fetched.
 */
import { decodeToken } from '../easyauth/explain.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { compileInbound } from '../gateway/compile-gateway.ts';
import type { ApiDefinition, GatewayDefinition, OperationDefinition } from '../gateway/model.ts';
import type { GatewayServices } from '../gateway/policy/services.ts';
import {
  createTokenServices,
  type OpenIdConfigKeys,
  type TokenServices,
} from '../gateway/policy/token-keys.ts';
import type { GatewayContext } from '../gateway/runtime/context.ts';
import { createMemoryCounters } from '../gateway/runtime/counters-memory.ts';
import { HeaderMap } from '../gateway/runtime/headers.ts';
import { GatewayRefusal } from '../gateway/runtime/refusal.ts';
import { showGateway } from '../gateway/store.ts';
import { newPipelineState } from '../http/pipeline.ts';
import { LocalKeySource, type TrustedKey } from '../validator/key-sources.ts';
import type { ConsoleDeps } from './deps.ts';
import type { ExplainCheck, FrontVerdict } from './verdicts.ts';

const ENTRA_HOSTS = new Set(['login.microsoftonline.com', 'login.windows.net', 'sts.windows.net']);

/** Policies a token check cannot answer for: left out of the run, shown as not checked. */
const NOT_CHECKED: Readonly<Record<string, string>> = {
  'rate-limit': 'Counts calls: an explanation counts nothing, so a real request may still get 429.',
  'rate-limit-by-key': 'Counts calls: an explanation counts nothing, so a real request may still get 429.',
  quota: 'Counts calls and bandwidth: an explanation counts nothing, so a real request may still get 403.',
  'quota-by-key':
    'Counts calls and bandwidth: an explanation counts nothing, so a real request may still get 403.',
  'authentication-managed-identity':
    "Gets the gateway's own token for the backend: not the caller's token, and not minted by an explanation.",
  'ip-filter': "Checks the caller's IP address, which a pasted token does not carry.",
};

/** The token policies' checks, in their order (validate-jwt: signature and lifetime, then aud, iss, claims). */
const STAGES = ['token', 'signature', 'lifetime', 'audience', 'issuer', 'claims'] as const;
const TOKEN_POLICIES = new Set(['validate-jwt', 'validate-azure-ad-token']);

function stageOf(reason: string, hint: string | undefined): (typeof STAGES)[number] {
  switch (reason) {
    case 'TokenSignatureInvalid':
    case 'TokenSignatureKeyNotFound':
      return 'signature';
    case 'TokenExpired':
      return 'lifetime';
    case 'TokenAudienceNotAllowed':
      return 'audience';
    case 'TokenIssuerNotAllowed':
      return 'issuer';
    case 'TokenClaimNotFound':
    case 'TokenClaimValueNotAllowed':
      return 'claims';
    case 'JwtInvalid':
      return /expir|not yet valid|lifetime/i.test(hint ?? '') ? 'lifetime' : 'token';
    default:
      return 'token';
  }
}

/**
 * An `openid-config` of Entra's login hosts naming a tenant here: this Lanyard's keys and the tenant's issuer
 * (v2.0 documents give the v2 issuer), without a fetch; anything else as the gateway would fetch it.
 */
function localOpenIdConfig(deps: ConsoleDeps, url: string, fetched: TokenServices): OpenIdConfigKeys {
  const local = new LocalKeySource(deps.keys);
  let resolved: Promise<OpenIdConfigKeys | { issuer: string }> | undefined;
  const resolve = () =>
    (resolved ??= (async () => {
      let u: URL | undefined;
      try {
        u = new URL(url);
      } catch {
        u = undefined;
      }
      const parts = u?.pathname.split('/').filter(Boolean) ?? [];
      if (u && ENTRA_HOSTS.has(u.host.toLowerCase()) && parts.length > 0) {
        const tenant = await deps.directory.findTenant(decodeURIComponent(parts[0]!));
        if (tenant) {
          const v2 = parts[1]?.toLowerCase() === 'v2.0';
          return { issuer: v2 ? deps.issuers.v2(tenant.id) : deps.issuers.v1(tenant.id) };
        }
      }
      return fetched.openIdConfig(url);
    })());
  let remote: OpenIdConfigKeys | undefined;
  return {
    description: url,
    get lastError() {
      return remote?.lastError;
    },
    async key(kid: string): Promise<TrustedKey | undefined> {
      const r = await resolve();
      if ('key' in r) {
        remote = r;
        return r.key(kid);
      }
      return local.key(kid);
    },
    keyNow: () => undefined,
    async issuer() {
      const r = await resolve();
      return typeof r.issuer === 'string' ? r.issuer : r.issuer();
    },
  };
}

function explainServices(deps: ConsoleDeps, definition: GatewayDefinition): GatewayServices {
  const now = () => deps.tokens.now().getTime();
  const fetched = createTokenServices({ now });
  const configs = new Map<string, OpenIdConfigKeys>();
  const tokens: TokenServices = {
    validator: fetched.validator,
    openIdConfig(url) {
      let c = configs.get(url);
      if (!c) {
        c = localOpenIdConfig(deps, url, fetched);
        configs.set(url, c);
      }
      return c;
    },
    azureAdDiscoveryUrl: fetched.azureAdDiscoveryUrl,
  };
  const backends = new Map(definition.backends.map((b) => [b.name, { url: b.url }]));
  const notHere = (what: string) => () => Promise.reject(new Error(`${what} is not done by an explanation`));
  return {
    now,
    tokens,
    // Counted in a store thrown away with this run: the gateway's own counters are not touched.
    counters: createMemoryCounters({ now }),
    backend: { send: notHere('a backend call') },
    managedIdentityToken: notHere('a managed-identity token'),
    backendEntity: (id) => backends.get(id),
  };
}

/** A path the operation's template matches: each `{name}` as its name, `{*rest}` empty. */
function samplePath(api: ApiDefinition, op: OperationDefinition): string {
  const rest = op.urlTemplate
    .split('?')[0]!
    .replace(/\{\*[^}]*\}/g, '')
    .replace(/\{([^}]*)\}/g, '$1');
  return `/${api.path}/${rest}`.replace(/\/{2,}/g, '/');
}

async function explainApi(
  deps: ConsoleDeps,
  definition: GatewayDefinition,
  api: ApiDefinition,
  token: string,
): Promise<FrontVerdict & { notes: string[] }> {
  const resource = `${definition.name}/${api.name}`;
  const op = api.operations[0];
  if (!op) {
    return {
      resource,
      accepted: false,
      status: 404,
      reason: 'ResourceNotFound',
      message: `API ${api.name} has no operation: the gateway answers every request 404.`,
      hint: 'Add an operation (`method: "*"`, `urlTemplate: "/{*rest}"` takes every request).',
      checks: [],
      notes: [],
    };
  }
  const { pipeline, skipped } = compileInbound(definition, api, op, {
    services: explainServices(deps, definition),
    skip: (policy) => policy in NOT_CHECKED,
  });
  const method = op.method === '*' ? 'GET' : op.method;
  const url = new URL(`https://${definition.name.toLowerCase()}.localhost${samplePath(api, op)}`);
  const ctx: GatewayContext = {
    pipeline: newPipelineState(true),
    requestId: 'explain',
    startedAt: performance.now(),
    timestamp: new Date(deps.tokens.now().getTime()),
    clientIp: '127.0.0.1',
    originalUrl: url,
    originalMethod: method,
    gateway: { name: definition.name, region: 'local' },
    api: { id: api.name, name: api.displayName, path: api.path },
    operation: { id: op.name, name: op.displayName, method: op.method, urlTemplate: op.urlTemplate },
    product: undefined,
    subscription: undefined,
    matchedParameters: new Map(),
    request: {
      method,
      url: new URL(url.pathname, 'http://backend.invalid'),
      headers: HeaderMap.fromRaw(['Host', url.host, 'Authorization', `Bearer ${token}`]),
      body: { kind: 'none' },
    },
    response: undefined,
    variables: new Map(),
    lastError: undefined,
    trace: [],
  };
  await pipeline.run(ctx);

  const state = ctx.pipeline;
  const ran = new Set((state.trace ?? []).filter((s) => s.startsWith('inbound/')).map((s) => s.slice(8)));
  const err = state.error;
  const refusal = err instanceof GatewayRefusal ? err : undefined;
  const failedStep = state.failedPhase === 'inbound' ? state.failedStep : undefined;
  const hint = refusal?.hint;
  const decoded = decodeToken(token, deps.tokens.now().getTime()).claims ?? {};
  const steps = pipeline.describe().inbound.filter((s) => s !== 'authorization/subscription-key');
  const tokenSteps = steps.filter((s) => TOKEN_POLICIES.has(policyOf(s)));
  const checks: ExplainCheck[] = [];
  if (api.subscriptionRequired) {
    checks.push({
      name: 'subscription',
      status: 'not-checked',
      message: `API ${api.name} also needs a subscription key (header ${api.subscriptionKeyHeader}): a request without one is refused 401 before its policies run. Not part of the token.`,
    });
  }
  for (const step of steps) {
    const policy = policyOf(step);
    const failedHere = step === failedStep;
    if (TOKEN_POLICIES.has(policy)) {
      const prefix = tokenSteps.length > 1 ? `${step}: ` : '';
      const failedAt = failedHere
        ? STAGES.indexOf(refusal ? stageOf(refusal.reason, hint) : 'token')
        : ran.has(step)
          ? STAGES.length
          : -1;
      STAGES.forEach((stage, i) => {
        const name = `${prefix}${stage}`;
        if (i < failedAt) checks.push({ name, status: 'passed' });
        else if (i > failedAt || failedAt === -1) checks.push({ name, status: 'not-checked' });
        else {
          checks.push({
            name,
            status: 'failed',
            code: refusal?.reason ?? ctx.lastError?.reason,
            message: ctx.lastError?.message ?? (err instanceof Error ? err.message : undefined),
            ...(stage === 'audience' && decoded.aud !== undefined ? { actual: decoded.aud } : {}),
            ...(stage === 'issuer' && decoded.iss !== undefined ? { actual: decoded.iss } : {}),
            ...(hint ? { fix: hint } : {}),
          });
        }
      });
      continue;
    }
    if (failedHere || policy === 'check-header') {
      checks.push(
        failedHere
          ? {
              name: step,
              status: 'failed',
              code: ctx.lastError?.reason,
              message: ctx.lastError?.message,
              ...(hint ? { fix: hint } : {}),
            }
          : { name: step, status: ran.has(step) ? 'passed' : 'not-checked' },
      );
    }
  }
  for (const s of skipped) {
    checks.push({ name: s.step, status: 'not-checked', message: NOT_CHECKED[s.policy] });
  }
  // A policy that answered by itself (return-response, mock-response): the request never reaches the backend.
  const answered = !ctx.lastError && state.ended ? ctx.response?.status : undefined;
  if (answered !== undefined && answered >= 400) {
    const last = [...ran].at(-1) ?? 'inbound';
    checks.push({
      name: last,
      status: 'failed',
      message: `A policy answered ${answered} itself: the request does not reach the backend.`,
    });
  }
  const accepted = !ctx.lastError && (answered === undefined || answered < 400);
  const status = ctx.lastError ? (ctx.response?.status ?? 500) : (answered ?? 200);
  return {
    resource,
    accepted,
    status,
    ...(ctx.lastError
      ? {
          reason: ctx.lastError.reason,
          message: ctx.lastError.message,
          ...(hint ? { hint } : {}),
        }
      : {}),
    checks,
    notes: [
      `Run as ${method} ${url.pathname} (operation ${op.name}) with the token in Authorization: the inbound policies of the global, API and operation scopes, without a product's; backend, outbound and on-error policies are not run.`,
    ],
  };
}

/** `global/validate-jwt[1]` → `validate-jwt`. */
function policyOf(step: string): string {
  return (step.split('/').at(-1) ?? '').replace(/\[\d+\]$/, '');
}

/** The verdict of each API of the gateway (or the one named) on a request carrying the token. */
export async function explainGateway(
  deps: ConsoleDeps,
  tenantRef: string,
  name: string,
  apiName: string | undefined,
  token: string,
): Promise<FrontVerdict[]> {
  const tenant = await deps.directory.getTenant(tenantRef);
  const resource = await deps.directory.getResource(tenant.id, name);
  if (resource.kind !== 'gateway') {
    throw new LanyardError(
      'ERR_VALIDATION',
      `Resource "${resource.name}" is of kind ${resource.kind}, not a gateway.`,
    );
  }
  const { definition } = await showGateway(deps.directory, tenant.id, resource.name);
  let apis = definition.apis;
  if (apiName !== undefined) {
    apis = apis.filter((a) => a.name.toLowerCase() === apiName.toLowerCase());
    if (apis.length === 0) {
      throw new LanyardError('ERR_NOT_FOUND', `Gateway ${definition.name} has no API "${apiName}".`, {
        hint: `Its APIs: ${definition.apis.map((a) => a.name).join(', ') || 'none'}.`,
        details: { kind: 'api', ref: apiName },
      });
    }
  }
  if (apis.length === 0) {
    throw new LanyardError(
      'ERR_VALIDATION',
      `Gateway ${definition.name} has no API to explain a token against.`,
      {
        hint: 'Add an API with its policy (`POST …/gateways/:gateway/apis`, or under the gateway in lanyard.yaml).',
      },
    );
  }
  const verdicts: FrontVerdict[] = [];
  for (const api of apis) verdicts.push(await explainApi(deps, definition, api, token));
  return verdicts;
}
