/**
 * @module easyauth/decide
 * What a front does with one request, as App Service's Easy Auth decides it — no socket, no I/O: `decide`
 * takes the request line, the raw headers and the caller's address, and the compiled front, and says forward
 * (with the headers to send), refuse (with the refusal), or answer `/.auth/me`. In order:
 *  1. client-sent identity headers stripped, hop-by-hop headers and method overrides dropped — on every request;
 *  2. one canonical path, or 400 (the same path decides and is forwarded);
 *  3. `platform.enabled: false` → forward;
 *  4. `/.auth/me` (under `httpSettings.routes.apiPrefix`); other routes there → 404;
 *  5. `excludedPaths` → forward anonymously;
 *  6. the token: only from one `Authorization: Bearer` header (two headers, or `access_token=` in the query → 401);
 *  7. validation (issuer, keys, audience ∪ clientId, time) → 401 when it fails; authorization checks
 *     (allowedApplications, allowedPrincipals) → 403;
 *  8. unauthenticated: `requireAuthentication: false` or AllowAnonymous → forward without principal;
 *     Return403 → 403, Return404 → 404, Return401 and RedirectToLoginPage → 401;
 *  9. Functions keys per route, when configured (401, empty body) — on every forward, whatever step 3–8 said;
 * 10. forward with `X-MS-CLIENT-PRINCIPAL`, `-ID`, `-NAME`, `-IDP`, `X-MS-TOKEN-AAD-ACCESS-TOKEN` and
 *     `X-Forwarded-For/-Proto/-Host`.
 * Synchronous whenever the issuer's keys are at hand (a token verified before, or a new one); a promise only
 * when keys must be fetched. The hot path allocates no closure: every step is a module function.
 */
import type { Claims, ValidationFailure, ValidationSuccess } from '../validator/validator.ts';
import type { Front } from './front.ts';
import { type CanonicalTarget, canonicalTarget } from './paths.ts';
import { pushIdentityHeaders } from './principal.ts';
import { type Refusal, refusalFromFailure } from './refusal.ts';
import { type PreparedHeaders, prepareHeaders } from './request-headers.ts';

/** What `decide` reads of a request: a plain object, so the decision can be tested without a socket. */
export interface FrontRequest {
  readonly method: string | undefined;
  /** The request target as received (path and query). */
  readonly url: string | undefined;
  /** Header names and values as received, flat (every duplicate and spelling). */
  readonly rawHeaders: readonly string[];
  readonly remoteAddress: string | undefined;
}

export interface ForwardDecision {
  readonly kind: 'forward';
  /** Path and query as sent upstream: the upstream's base path, then the canonical path, byte for byte. */
  readonly path: string;
  /** Flat name/value list to send. */
  readonly headers: string[];
  readonly matchPath: string;
  /** A token that failed where anonymous callers are let in: recorded (`token.ignore`), never a principal. */
  readonly ignored: Refusal | undefined;
}

export interface RefuseDecision {
  readonly kind: 'refuse';
  readonly refusal: Refusal;
  /** The canonical path, when the target had one (else the audit row takes the raw path). */
  readonly matchPath: string | undefined;
  readonly ignored: Refusal | undefined;
}

export interface MeDecision {
  readonly kind: 'me';
  readonly claims: Claims;
  readonly token: string;
}

export type Decision = ForwardDecision | RefuseDecision | MeDecision;

/** A refusal of the request itself (400) or of how it carries its token (401). */
export function requestRefusal(reason: string, message: string, status: 400 | 401 = 400): Refusal {
  return {
    status,
    reason,
    message,
    category: status === 400 ? 'request' : 'authentication',
    tokenPresented: true,
  };
}

function refuse(refusal: Refusal, matchPath: string | undefined, ignored?: Refusal): RefuseDecision {
  return { kind: 'refuse', refusal, matchPath, ignored };
}

export function decide(request: FrontRequest, front: Front): Decision | Promise<Decision> {
  const prepared = prepareHeaders(request.rawHeaders);
  if ('refused' in prepared) return refuse(requestRefusal('header_refused', prepared.refused), undefined);
  const target = canonicalTarget(request.url);
  if (!target.ok) return refuse(requestRefusal('path_ambiguous', target.message), undefined);
  if (!front.config.platform.enabled) return admit(request, front, prepared, target, undefined, '', false);
  const m = target.matchPath;
  if (m === front.apiPrefix || m.startsWith(front.apiPrefixSlash)) {
    if (m === front.mePath && (request.method === 'GET' || request.method === 'HEAD')) {
      const token = bearerToken(prepared.authorization);
      const auth = authenticate(front, prepared.authorization, target.hasAccessToken, token);
      return auth instanceof Promise ? auth.then((a) => me(a, token, m)) : me(auth, token, m);
    }
    return refuse(
      {
        status: 404,
        reason: 'auth_route_unknown',
        message: `${front.config.httpSettings.routes.apiPrefix}/me is served for bearer callers; browser login routes are not.`,
        category: 'request',
        tokenPresented: false,
      },
      m,
    );
  }
  if (front.excluded(m)) return admit(request, front, prepared, target, undefined, '', false);
  const token = bearerToken(prepared.authorization);
  const auth = authenticate(front, prepared.authorization, target.hasAccessToken, token);
  return auth instanceof Promise
    ? auth.then((a) => authenticated(request, front, prepared, target, a, token))
    : authenticated(request, front, prepared, target, auth, token);
}

function me(auth: ValidationSuccess | Refusal, token: string | undefined, matchPath: string): Decision {
  // Success means a token was read.
  return 'ok' in auth ? { kind: 'me', claims: auth.claims, token: token! } : refuse(auth, matchPath);
}

/** After validation: forward with the principal, anonymously, or refuse as the config says. */
function authenticated(
  request: FrontRequest,
  front: Front,
  prepared: PreparedHeaders,
  target: CanonicalTarget,
  auth: ValidationSuccess | Refusal,
  token: string | undefined,
): Decision {
  if ('ok' in auth) return admit(request, front, prepared, target, auth.claims, token!, auth.cached);
  const m = target.matchPath;
  if (auth.category === 'authorization') return refuse(auth, m);
  const { requireAuthentication, unauthenticatedClientAction: action } = front.config.globalValidation;
  if (auth.reason !== 'token_ambiguous' && (!requireAuthentication || action === 'AllowAnonymous')) {
    // Anonymous is allowed; a token that failed is not a principal, so none is injected (and it is recorded).
    return admit(
      request,
      front,
      prepared,
      target,
      undefined,
      '',
      false,
      auth.tokenPresented ? auth : undefined,
    );
  }
  auth.status = action === 'Return403' ? 403 : action === 'Return404' ? 404 : 401;
  return refuse(auth, m);
}

/** Forward — unless a Functions route needs a key the request does not bring. */
function admit(
  request: FrontRequest,
  front: Front,
  prepared: PreparedHeaders,
  target: CanonicalTarget,
  claims: Claims | undefined,
  token: string,
  cached: boolean,
  ignored?: Refusal,
): Decision {
  const m = target.matchPath;
  if (front.gate) {
    const result = front.gate.check(m, prepared.functionsKey, target.code);
    if (!result.ok) {
      return refuse(
        {
          status: 401,
          reason: result.reason,
          message: result.message,
          category: 'function_key',
          tokenPresented: false,
        },
        m,
        ignored,
      );
    }
  }
  const headers = prepared.forward;
  if (claims) pushIdentityHeaders(headers, claims, token, cached);
  headers.push(
    'x-forwarded-for',
    request.remoteAddress ?? '',
    'x-forwarded-proto',
    'https',
    'x-forwarded-host',
    prepared.host ?? front.realm,
  );
  return {
    kind: 'forward',
    path: `${front.upstream.basePath}${target.path}${target.query === '' ? '' : `?${target.query}`}`,
    headers,
    matchPath: m,
    ignored,
  };
}

/** The token of the one Authorization header, when it is `Bearer <token>`; undefined otherwise. */
function bearerToken(authorization: readonly string[]): string | undefined {
  return authorization.length === 1 ? tokenOf(authorization[0]!) : undefined;
}

/** The token of a `Bearer <token>` header ('' for a bare `Bearer`); undefined for another scheme. */
function tokenOf(header: string): string | undefined {
  const h = header.trim();
  // `Bearer <token>` is read without a regex: every authenticated request comes this way.
  if (h.length > 7 && h.charCodeAt(6) === 32 && h.slice(0, 6).toLowerCase() === 'bearer') {
    return h.slice(7).trim();
  }
  const scheme = schemeOf(h);
  return scheme?.toLowerCase() === 'bearer' ? h.slice(scheme.length).trim() : undefined;
}

/** The auth-scheme of a (trimmed) Authorization header, when it has the shape `scheme [ value]`. */
function schemeOf(h: string): string | undefined {
  return /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?: +(.*))?$/.exec(h)?.[1];
}

/**
 * The caller, from the one Authorization header: the validator's success, or the refusal. Synchronous whenever
 * the issuer's keys are at hand — a token verified before (callers reuse a token for its lifetime) or a new one
 * — a promise when keys must be fetched.
 */
function authenticate(
  front: Front,
  authorization: readonly string[],
  hasAccessToken: boolean,
  token: string | undefined,
): ValidationSuccess | Refusal | Promise<ValidationSuccess | Refusal> {
  if (authorization.length > 1) {
    return requestRefusal(
      'token_ambiguous',
      `The request has ${authorization.length} Authorization headers; send exactly one.`,
      401,
    );
  }
  if (hasAccessToken) {
    return requestRefusal(
      'token_ambiguous',
      'A token was sent in the query (access_token=); Easy Auth accepts it only in the Authorization header.',
      401,
    );
  }
  const header = authorization[0];
  if (!front.config.identityProviders.azureActiveDirectory.enabled) {
    return refused(front, header, {
      ok: false,
      reason: 'token_missing',
      status: 401,
      message:
        'The Entra provider is disabled in this config (identityProviders.azureActiveDirectory.enabled: false).',
    });
  }
  if (token) {
    const known = front.validator.validateNow(token, front.policy);
    if (known) return known.ok ? known : refused(front, header, known);
  }
  return front.validator
    .validate(token || undefined, front.policy)
    .then((result) => (result.ok ? result : refused(front, header, result)));
}

function refused(front: Front, header: string | undefined, failure: ValidationFailure): Refusal {
  if (failure.reason === 'token_missing' && header !== undefined) {
    const scheme = schemeOf(header.trim());
    if (scheme?.toLowerCase() !== 'bearer') {
      // A bare token (no scheme) parses as one long "scheme": never echo it into the header or the audit log.
      const shown = scheme !== undefined && scheme.length <= 24 && /^[A-Za-z][A-Za-z0-9-]*$/.test(scheme);
      failure = {
        ...failure,
        message: shown
          ? `The Authorization header uses the ${JSON.stringify(scheme)} scheme; Easy Auth reads only Bearer tokens.`
          : 'The Authorization header does not start with a Bearer scheme (a bare token?); Easy Auth reads only "Bearer <token>".',
      };
    }
  }
  const refusal = refusalFromFailure(failure, front.ctx, front.config);
  if (header !== undefined) refusal.tokenPresented = true;
  return refusal;
}
