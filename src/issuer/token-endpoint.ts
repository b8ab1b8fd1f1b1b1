/**
 * @module issuer/token-endpoint
 * `POST /{tenant}/oauth2/token` (v1, `resource=`) and `/{tenant}/oauth2/v2.0/token` (v2,
 * `scope=<resource>/.default`), client-credentials grant, as one pipeline of named steps (`TOKEN_PIPELINE`;
 * `describe()` lists them, and docs/issuer.md shows the list). A request wrong in several ways is refused
 * by the first step it fails, so the order is part of what clients see. Any step may refuse by throwing an
 * AadstsError; `on-error` then audits it and answers in Entra's shape. The one audit step
 * (token-audit.ts) stands in `outbound` and `on-error`: each request leaves exactly one audit row.
 * MSAL's extra parameters (x-client-*, client-request-id, claims …) are accepted and ignored.
 */
import type { IncomingMessage } from 'node:http';
import type { Tenant } from '../directory/types.ts';
import { isLanyardError } from '../errors/lanyard-error.ts';
import { type RequestContext, readBoundedBody, sendJson } from '../http/http.ts';
import { definePipeline, newPipelineState, type Step } from '../http/pipeline.ts';
import { AadstsError } from './aadsts.ts';
import type { ClientAuthThrottle } from './auth-throttle.ts';
import { isAuthFailure } from './auth-throttle.ts';
import { type AssertionLimits, authenticateClient } from './client-auth.ts';
import type { FederationVerifier } from './federation.ts';
import { auditStep, refusalOf, transientRefusal } from './token-audit.ts';
import { type MintContext, TokenService } from './token-service.ts';

export const TOKEN_BODY_LIMIT = 16 * 1024;

/** Parameters that must not repeat: a second value would be ambiguous (which secret? which resource?). */
const SINGLE = [
  'grant_type',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'scope',
  'resource',
];

/** OIDC scopes MSAL may add; they name no resource. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/** Stands in until `read-form` runs; no step before it reads the form, and none writes to one. */
const EMPTY_FORM = new URLSearchParams();

const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Token answers, refusals included, must not be cached by anything on the way. */
const NO_CACHE: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'no-store, no-cache',
  Pragma: 'no-cache',
});

export interface TokenEndpointDeps {
  tokens: TokenService;
  federation: FederationVerifier;
  /** Finds the tenant a path names, `adfs` included. */
  resolveTenant: (pathTenant: string) => Promise<Tenant>;
  /** Throttles failed client authentications per client id and source address (security catalogue G105). */
  throttle?: ClientAuthThrottle | undefined;
  /** Longest client-assertion lifetimes accepted (client-auth.ts defaults when left out). */
  assertionLimits?: AssertionLimits | undefined;
}

/** One token request as its steps see it; each step fills in what it learns. */
export interface TokenRequest extends MintContext {
  readonly http: RequestContext;
  readonly deps: TokenEndpointDeps;
  readonly pathTenant: string;
  /** The endpoint called. */
  readonly version: 1 | 2;
  /** The answer's shape: the endpoint's, except AD FS's v1 path asked with `scope`, answered as v2. */
  shape: 1 | 2;
  headers: Readonly<Record<string, string>>;
  origin: string;
  form: URLSearchParams;
}

/**
 * The origin the client used, `https://<Host>`. It is echoed into documents and assertion audiences clients
 * trust: anything but a plain host[:port] is refused.
 */
export function requestOrigin(req: IncomingMessage): string {
  const host = req.headers.host ?? '';
  if (!HOST.test(host)) throw new AadstsError(900143, 'The request has no valid Host header.');
  return `https://${host.toLowerCase()}`;
}

/** RFC 6749 §2.3.1: `Basic base64(urlencode(client_id) ":" urlencode(client_secret))`. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0)
    throw new AadstsError(900143, 'The Authorization header is not valid HTTP Basic client authentication.');
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    throw new AadstsError(900143, 'The Authorization header is not valid HTTP Basic client authentication.');
  }
}

/** The resource a request names: v1 `resource`; v2 the single `<resource>/.default` scope. */
function requestedResource(form: URLSearchParams, version: 1 | 2): string {
  if (version === 1) {
    const resource = form.get('resource');
    if (!resource)
      throw new AadstsError(900144, "The request body must contain the following parameter: 'resource'.");
    return resource;
  }
  const scope = form.get('scope');
  if (!scope)
    throw new AadstsError(900144, "The request body must contain the following parameter: 'scope'.");
  const scopes = scope.split(/\s+/).filter((s) => s !== '' && !OIDC_SCOPES.has(s));
  if (scopes.length !== 1) {
    throw new AadstsError(
      70011,
      `The provided value for the input parameter 'scope' is not valid. The scope ${scope} names ${scopes.length} resources; request one at a time.`,
    );
  }
  const only = scopes[0]!;
  if (!only.endsWith('/.default')) {
    throw new AadstsError(
      1002012,
      `The provided value for scope ${only} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      `Lanyard: request ${only.replace(/\/[^/]*$/, '')}/.default.`,
    );
  }
  return only.slice(0, -'/.default'.length);
}

/** Every URL a certificate assertion's `aud` may name for this tenant (the endpoint, by any tenant name). */
function assertionAudiences(origin: string, pathTenant: string, tenant: Tenant): string[] {
  const names = new Set([pathTenant, tenant.id, ...tenant.domains]);
  const out: string[] = [];
  for (const n of names) out.push(`${origin}/${n}/oauth2/v2.0/token`, `${origin}/${n}/oauth2/token`);
  return out;
}

/** The answer's headers; a body not read to its end (too large, wrong type) is dropped, never drained. */
const answerHeaders = (ctx: TokenRequest) =>
  ctx.http.req.complete ? ctx.headers : { ...ctx.headers, Connection: 'close' };

const noCache: Step<TokenRequest> = {
  name: 'no-cache',
  run(ctx) {
    ctx.headers = NO_CACHE;
  },
};

const checkHost: Step<TokenRequest> = {
  name: 'check-host',
  run(ctx) {
    ctx.origin = requestOrigin(ctx.http.req);
  },
};

/** A form body of at most TOKEN_BODY_LIMIT bytes, refused as soon as it passes the limit. */
const readForm: Step<TokenRequest> = {
  name: 'read-form',
  async run(ctx) {
    const req = ctx.http.req;
    const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      throw new AadstsError(
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
        'Lanyard: send the parameters as a form (Content-Type: application/x-www-form-urlencoded).',
      );
    }
    let body: Buffer;
    try {
      body = await readBoundedBody(req, TOKEN_BODY_LIMIT);
    } catch (err) {
      if (isLanyardError(err) && err.code === 'ERR_REQUEST_TOO_LARGE') {
        throw new AadstsError(900143, `The request body is larger than ${TOKEN_BODY_LIMIT} bytes.`);
      }
      throw new AadstsError(900143, 'The request body could not be read.');
    }
    ctx.form = new URLSearchParams(body.toString('utf8'));
  },
};

const rejectDuplicateParams: Step<TokenRequest> = {
  name: 'reject-duplicate-params',
  run(ctx) {
    for (const name of SINGLE) {
      if (ctx.form.getAll(name).length > 1) {
        throw new AadstsError(900143, `The request body contains the parameter '${name}' more than once.`);
      }
    }
  },
};

const resolveTenant: Step<TokenRequest> = {
  name: 'resolve-tenant',
  async run(ctx) {
    ctx.tenant = await ctx.deps.resolveTenant(ctx.pathTenant);
  },
};

const checkGrant: Step<TokenRequest> = {
  name: 'check-grant',
  run(ctx) {
    const grant = ctx.form.get('grant_type');
    if (!grant)
      throw new AadstsError(900144, "The request body must contain the following parameter: 'grant_type'.");
    if (grant !== 'client_credentials') {
      throw new AadstsError(
        70003,
        `The app requested an unsupported grant type '${grant}'.`,
        'Lanyard issues app-only tokens: use grant_type=client_credentials (managed identities use their own endpoint).',
      );
    }
  },
};

/** Names the resource (`resource` or `scope`); whether the tenant has it is `resolve-resource`'s question. */
const readScope: Step<TokenRequest> = {
  name: 'read-scope',
  run(ctx) {
    const form = ctx.form;
    // AD FS's `/adfs/oauth2/token` takes `scope` as well as `resource`, and MSAL (the `adfs` authority that
    // @azure/identity uses to skip instance discovery) sends `scope`: answer it as the v2 endpoint would.
    if (
      ctx.version === 1 &&
      ctx.pathTenant.toLowerCase() === 'adfs' &&
      !form.has('resource') &&
      form.has('scope')
    ) {
      ctx.shape = 2;
    }
    ctx.target = requestedResource(form, ctx.shape);
  },
};

/** A client secret (body or HTTP Basic, not both), a certificate assertion or a federated assertion. */
const authenticate: Step<TokenRequest> = {
  name: 'authenticate-client',
  async run(ctx) {
    const form = ctx.form;
    const basic = basicCredentials(ctx.http.req.headers.authorization);
    if (basic && (form.has('client_secret') || form.has('client_assertion'))) {
      throw new AadstsError(
        90014,
        'The client authenticated twice: HTTP Basic and credentials in the body. Use one.',
      );
    }
    if (basic && form.has('client_id') && form.get('client_id') !== basic.id) {
      throw new AadstsError(
        90014,
        'The client_id in the body differs from the one in the Authorization header.',
      );
    }
    const tenant = ctx.tenant!;
    ctx.actor = basic?.id ?? form.get('client_id') ?? undefined;
    const throttle = ctx.deps.throttle;
    const source = ctx.http.req.socket.remoteAddress;
    const now = ctx.tokens.now();
    throttle?.attempt(ctx.actor, source, now);
    const auth = await authenticateClient(
      tenant,
      {
        clientId: ctx.actor,
        clientSecret: basic?.secret ?? form.get('client_secret') ?? undefined,
        clientAssertion: form.get('client_assertion') ?? undefined,
        clientAssertionType: form.get('client_assertion_type') ?? undefined,
      },
      {
        directory: ctx.tokens.lookups,
        federation: ctx.deps.federation,
        audiences: assertionAudiences(ctx.origin, ctx.pathTenant, tenant),
        now,
        limits: ctx.deps.assertionLimits,
      },
    ).catch((err: unknown) => {
      if (!isAuthFailure(err)) throttle?.succeeded(ctx.actor, source, now);
      throw err;
    });
    throttle?.succeeded(ctx.actor, source, now);
    ctx.client = auth.client;
    ctx.acr = auth.acr;
    ctx.actor = auth.client.clientId;
    ctx.via = `${ctx.via} ${auth.method}`;
  },
};

const sendToken: Step<TokenRequest> = {
  name: 'send-token',
  run(ctx) {
    const issued = ctx.issued!;
    // The v1 endpoint answers with strings, and echoes the resource as requested.
    const body =
      ctx.shape === 2
        ? {
            token_type: 'Bearer',
            expires_in: issued.expiresIn,
            ext_expires_in: issued.expiresIn,
            access_token: issued.accessToken,
          }
        : {
            token_type: 'Bearer',
            expires_in: String(issued.expiresIn),
            ext_expires_in: String(issued.expiresIn),
            expires_on: String(issued.expiresOn),
            not_before: String(issued.notBefore),
            resource: ctx.target,
            access_token: issued.accessToken,
          };
    sendJson(ctx.http.res, 200, body, answerHeaders(ctx));
  },
};

/** Entra's error JSON; MSAL and @azure/identity understand no other, and retry AADSTS90033. */
const sendError: Step<TokenRequest> = {
  name: 'send-error',
  run(ctx) {
    const { error, failedStep, failedPhase } = ctx.pipeline;
    if (!(error instanceof AadstsError)) {
      ctx.http.logger.error(
        { err: error, step: `${failedPhase}/${failedStep}` },
        'unexpected error while issuing a token',
      );
    }
    const refusal = refusalOf(ctx);
    sendJson(
      ctx.http.res,
      refusal.status,
      refusal.toBody(ctx.tokens.now(), ctx.http.req.headers['client-request-id']?.toString()),
      refusal.headers ? { ...answerHeaders(ctx), ...refusal.headers } : answerHeaders(ctx),
    );
  },
};

export const TOKEN_PIPELINE = definePipeline<TokenRequest>('token', {
  inbound: [
    noCache,
    checkHost,
    readForm,
    rejectDuplicateParams,
    resolveTenant,
    checkGrant,
    readScope,
    authenticate,
    TokenService.resolveResource,
  ],
  backend: [TokenService.issueToken],
  outbound: [auditStep, sendToken],
  onError: [auditStep, sendError],
});

/** Answers one token request. Never rejects. */
export async function handleTokenRequest(
  http: RequestContext,
  pathTenant: string,
  version: 1 | 2,
  deps: TokenEndpointDeps,
): Promise<void> {
  const ctx: TokenRequest = {
    pipeline: newPipelineState(),
    http,
    deps,
    tokens: deps.tokens,
    audit: deps.tokens.audit,
    pathTenant,
    version,
    shape: version,
    headers: NO_HEADERS,
    origin: '',
    form: EMPTY_FORM,
    tenant: undefined,
    actor: undefined,
    target: undefined,
    via: version === 2 ? 'oauth2/v2.0/token' : 'oauth2/token',
    client: undefined,
    acr: '1',
    lifetimeSeconds: undefined,
    resource: undefined,
    roles: [],
    issued: undefined,
    audited: false,
    refusal: undefined,
  };
  try {
    await TOKEN_PIPELINE.run(ctx);
  } catch (err) {
    // An on-error step failed, most likely the refusal's audit write (the store is down): still answer.
    const { error, failedPhase, failedStep } = ctx.pipeline;
    if (!(error instanceof AadstsError) && ctx.pipeline.step !== 'send-error') {
      http.logger.error(
        { err: error, step: `${failedPhase}/${failedStep}` },
        'unexpected error while issuing a token',
      );
    }
    http.logger.error({ err, step: `on-error/${ctx.pipeline.step}` }, 'a token request failed in on-error');
    sendJson(
      http.res,
      503,
      transientRefusal().toBody(deps.tokens.now()),
      http.req.complete ? NO_CACHE : { ...NO_CACHE, Connection: 'close' },
    );
  }
}
