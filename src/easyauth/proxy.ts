/**
 * @module easyauth/proxy
 * The Easy Auth front of one app: an HTTPS listener (certificate from the local CA for `<resource>.localhost`,
 * `localhost` and 127.0.0.1) that authenticates each request as App Service does and forwards accepted ones to
 * the app's `upstream`. Pipeline, in order (resource-protocols.md §1.3, security.md §1, §3):
 *  1. bounded input (16 KiB of headers → 431; Node's strict parser refuses smuggling shapes);
 *  2. client-sent identity headers stripped, hop-by-hop headers and method overrides dropped — on every request;
 *  3. one canonical path, or 400 (the same path decides and is forwarded);
 *  4. `platform.enabled: false` → pass through;
 *  5. `/.auth/me` (under `httpSettings.routes.apiPrefix`);
 *  6. `excludedPaths` → forward anonymously;
 *  7. the token: only from one `Authorization: Bearer` header (two headers, or `access_token=` in the query → 401);
 *  8. validation (issuer, keys, audience ∪ clientId, time) → 401 when it fails; authorization checks
 *     (allowedApplications, allowedPrincipals) → 403;
 *  9. unauthenticated: `requireAuthentication: false` or AllowAnonymous → forward without principal;
 *     Return403 → 403, Return404 → 404, Return401 and RedirectToLoginPage → 401;
 * 10. Functions keys per route, when configured (401, empty body);
 * 11. forward with `X-MS-CLIENT-PRINCIPAL`, `-ID`, `-NAME`, `-IDP`, `X-MS-TOKEN-AAD-ACCESS-TOKEN` and
 *     `X-Forwarded-For/-Proto/-Host`.
 * Every refusal is an audit event (plane `easyauth`) with its reason — never the token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { AuditEvent } from '../audit/audit-log.ts';
import { ensureLocalCa } from '../crypto/local-ca.ts';
import { isLanyardError, LanyardError } from '../errors/lanyard-error.ts';
import type { Logger } from '../http/logger.ts';
import {
  type Claims,
  TokenValidator,
  type ValidationFailure,
  type ValidationResult,
} from '../validator/validator.ts';
import { type EasyAuthConfig, type EasyAuthConfigInput, frontUrl, parseEasyAuthConfig } from './config.ts';
import type { EasyAuthDeps } from './deps.ts';
import {
  forward,
  forwardUpgrade,
  openUpstream,
  rawResponse,
  type Upstream,
  upstreamFailureStatus,
} from './forward.ts';
import { createFunctionKeyGate, type FunctionKeyGate } from './function-keys.ts';
import { canonicalTarget, pathMatcher } from './paths.ts';
import { buildEasyAuthPolicy, type EasyAuthPolicy } from './policy.ts';
import { authMeBody, pushIdentityHeaders } from './principal.ts';
import { AZURE_DENIED_BODY, type Refusal, refusalFromFailure, wwwAuthenticate } from './refusal.ts';
import { prepareHeaders } from './request-headers.ts';
import { listEasyAuthConfigs, resolveClientId } from './store.ts';

/** security.md §5.2, with room for streamed uploads. */
export const FRONT_LIMITS = {
  maxHeaderSize: 16 * 1024,
  maxTokenBytes: 16 * 1024,
  headersTimeout: 10_000,
  requestTimeout: 300_000,
  keepAliveTimeout: 5_000,
  handshakeTimeout: 10_000,
} as const;

export interface StartEasyAuthOptions {
  /** The resource's tenant (name, id or domain); needed only when several tenants have a resource of that name. */
  tenant?: string | undefined;
  /** Overrides `config.listen.port` (0 picks a free port). */
  port?: number | undefined;
  /** Overrides `config.listen.host`. */
  host?: string | undefined;
  /** Request lines (method, path without query, status, ms) at debug level, failures at warn. */
  logger?: Logger | undefined;
  /** How long close() lets in-flight requests finish. Default 2 s. */
  shutdownGraceMs?: number | undefined;
}

export interface EasyAuthFront {
  /** `https://<resource>.localhost:<port>`: what callers use (the certificate names it). */
  readonly url: string;
  /** `https://127.0.0.1:<port>` (or the listen address): the same listener, for clients that cannot resolve *.localhost. */
  readonly loopbackUrl: string;
  readonly port: number;
  readonly resource: { id: string; name: string; tenantId: string };
  readonly upstream: string;
  /** The config in effect (defaults filled in, clientId resolved). */
  readonly config: EasyAuthConfig;
  close(): Promise<void>;
}

type Forwarded = {
  kind: 'forward';
  path: string;
  headers: string[];
  matchPath: string;
  code: string | undefined;
  functionsKey: string | undefined;
};
type Decision =
  | Forwarded
  | { kind: 'refuse'; refusal: Refusal; matchPath?: string | undefined }
  | { kind: 'me'; claims: Claims; token: string };

/** `f(value)`, now when `value` is at hand, later when it is a promise: the fast path takes no async hop. */
function then<T, U>(value: T | Promise<T>, f: (v: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

async function findResource(runtime: EasyAuthDeps, name: string, tenant: string | undefined) {
  if (tenant !== undefined) return runtime.directory.getResource(tenant, name);
  const found = [];
  for (const t of await runtime.directory.listTenants()) {
    try {
      found.push(await runtime.directory.getResource(t.id, name));
    } catch (err) {
      if (!isLanyardError(err) || err.code !== 'ERR_NOT_FOUND') throw err;
    }
  }
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    throw new LanyardError('ERR_NOT_FOUND', `Resource "${name}" was not found in any tenant.`, {
      hint: 'Create it (`lanyard resource create --name … --kind app`) or declare it in lanyard.yaml.',
    });
  }
  throw new LanyardError('ERR_USAGE', `Several tenants have a resource named "${name}"; name the tenant.`);
}

function requestRefusal(reason: string, message: string, status: 400 | 401 = 400): Refusal {
  return {
    status,
    reason,
    message,
    category: status === 400 ? 'request' : 'authentication',
    tokenPresented: true,
  };
}

/** Starts the Easy Auth front of `resourceName` with `config` (validated here; defaults filled in). */
export async function startEasyAuth(
  runtime: EasyAuthDeps,
  resourceName: string,
  input: EasyAuthConfigInput | EasyAuthConfig,
  options: StartEasyAuthOptions = {},
): Promise<EasyAuthFront> {
  const resource = await findResource(runtime, resourceName, options.tenant);
  if (resource.kind !== 'app') {
    throw new LanyardError(
      'ERR_VALIDATION',
      `Resource "${resource.name}" is of kind ${resource.kind}; Easy Auth fronts resources of kind app.`,
    );
  }
  const config = parseEasyAuthConfig(structuredClone(input), `The Easy Auth config of ${resource.name}`);
  const registration = config.identityProviders.azureActiveDirectory.registration;
  registration.clientId = await resolveClientId(runtime.directory, resource.tenantId, registration.clientId);
  const ctx: EasyAuthPolicy = await buildEasyAuthPolicy(runtime, resource.tenantId, config);
  const policy = { ...ctx.policy, maxTokenBytes: FRONT_LIMITS.maxTokenBytes };
  const validator = new TokenValidator({ now: () => runtime.tokens.now().getTime() });
  const gate: FunctionKeyGate | undefined = config.functions
    ? createFunctionKeyGate(config.functions, runtime.hasher)
    : undefined;
  const excluded = pathMatcher(config.globalValidation.excludedPaths);
  const apiPrefix = config.httpSettings.routes.apiPrefix.toLowerCase();
  const aad = config.identityProviders.azureActiveDirectory;
  const name = resource.name.toLowerCase();
  const realm = `${name}.localhost`;
  const logger = options.logger;

  const ca = await ensureLocalCa({ dataDir: runtime.dataDir, envelope: runtime.envelope });
  const upstream: Upstream = openUpstream(config.upstream, { ca: [ca.caCertPem] });
  await runtime.keys.ensureReady();

  const audit = async (
    refusal: Refusal,
    req: IncomingMessage,
    matchPath: string | undefined,
    action = 'request.refuse',
  ): Promise<void> => {
    const claims = refusal.claims;
    const actor = claims ? String(claims.appid ?? claims.azp ?? claims.oid ?? '') || undefined : undefined;
    const event: AuditEvent = {
      plane: 'easyauth',
      action,
      outcome: 'failure',
      tenantId: resource.tenantId,
      actor,
      target: resource.name,
      reason: refusal.reason,
      details: {
        status: refusal.status,
        method: req.method,
        // The path only: a query may carry a Functions key.
        path: matchPath ?? (req.url ?? '').split('?', 1)[0]!.slice(0, 512),
        message: refusal.message,
        ...(refusal.hint ? { hint: refusal.hint } : {}),
        ...(refusal.expected === undefined ? {} : { expected: refusal.expected }),
        ...(refusal.actual === undefined ? {} : { actual: refusal.actual }),
        ...(claims?.oid === undefined ? {} : { oid: claims.oid }),
        remote: req.socket.remoteAddress,
      },
    };
    try {
      await runtime.audit.record(event);
    } catch (err) {
      logger?.error({ err, reason: refusal.reason }, 'easy auth audit write failed');
    }
  };

  const refusalBody = (refusal: Refusal): string => {
    if (refusal.category === 'function_key') return '';
    if (refusal.category === 'request') {
      return config.diagnostics === 'full' ? `Bad Request: ${refusal.message}.` : 'Bad Request';
    }
    return refusal.status === 404 ? 'Not Found' : AZURE_DENIED_BODY;
  };

  const refusalHeaders = (refusal: Refusal): string[] => {
    const headers = ['content-type', 'text/plain; charset=utf-8', 'cache-control', 'no-store'];
    const www = wwwAuthenticate(refusal, realm, config);
    if (www !== undefined) headers.push('www-authenticate', www);
    return headers;
  };

  type Authenticated =
    | { ok: true; claims: Claims; token: string; cached: boolean }
    | { ok: false; refusal: Refusal };

  /** The scheme and token of an Authorization header; `Bearer <token>` is read without a regex. */
  const bearerOf = (header: string): { scheme: string | undefined; token: string | undefined } => {
    const h = header.trim();
    if (h.length > 7 && h.charCodeAt(6) === 32 && h.slice(0, 6).toLowerCase() === 'bearer') {
      return { scheme: 'Bearer', token: h.slice(7).trim() };
    }
    const m = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?: +(.*))?$/.exec(h);
    const scheme = m?.[1];
    return { scheme, token: scheme?.toLowerCase() === 'bearer' ? (m?.[2]?.trim() ?? '') : undefined };
  };

  /**
   * The caller, from the one Authorization header. Synchronous whenever the issuer's keys are at hand — a token
   * verified before (callers reuse a token for its lifetime) or a new one — a promise when keys must be fetched.
   */
  const authenticate = (
    authorization: string[],
    hasAccessToken: boolean,
  ): Authenticated | Promise<Authenticated> => {
    if (authorization.length > 1) {
      return {
        ok: false,
        refusal: requestRefusal(
          'token_ambiguous',
          `The request has ${authorization.length} Authorization headers; send exactly one.`,
          401,
        ),
      };
    }
    if (hasAccessToken) {
      return {
        ok: false,
        refusal: requestRefusal(
          'token_ambiguous',
          'A token was sent in the query (access_token=); Easy Auth accepts it only in the Authorization header.',
          401,
        ),
      };
    }
    const header = authorization[0];
    const { scheme, token } =
      header === undefined ? { scheme: undefined, token: undefined } : bearerOf(header);
    const refused = (failure: ValidationFailure): Authenticated => {
      if (failure.reason === 'token_missing' && header !== undefined && scheme?.toLowerCase() !== 'bearer') {
        // A bare token (no scheme) parses as one long "scheme": never echo it into the header or the audit log.
        const shown = scheme !== undefined && scheme.length <= 24 && /^[A-Za-z][A-Za-z0-9-]*$/.test(scheme);
        failure = {
          ...failure,
          message: shown
            ? `The Authorization header uses the ${JSON.stringify(scheme)} scheme; Easy Auth reads only Bearer tokens.`
            : 'The Authorization header does not start with a Bearer scheme (a bare token?); Easy Auth reads only "Bearer <token>".',
        };
      }
      const refusal = refusalFromFailure(failure, ctx, config);
      if (header !== undefined) refusal.tokenPresented = true;
      return { ok: false, refusal };
    };
    if (!aad.enabled) {
      return refused({
        ok: false,
        reason: 'token_missing',
        status: 401,
        message:
          'The Entra provider is disabled in this config (identityProviders.azureActiveDirectory.enabled: false).',
      });
    }
    const settle = (result: ValidationResult): Authenticated =>
      result.ok ? { ok: true, claims: result.claims, token: token!, cached: result.cached } : refused(result);
    const known = token ? validator.validateNow(token, policy) : undefined;
    if (known) return settle(known);
    return validator.validate(token || undefined, policy).then(settle);
  };

  const decide = (req: IncomingMessage): Decision | Promise<Decision> => {
    const prepared = prepareHeaders(req.rawHeaders);
    if ('refused' in prepared) {
      return { kind: 'refuse', refusal: requestRefusal('header_refused', prepared.refused) };
    }
    const target = canonicalTarget(req.url);
    if (!target.ok) return { kind: 'refuse', refusal: requestRefusal('path_ambiguous', target.message) };
    const forwardAs = (principal?: { claims: Claims; token: string; cached: boolean }): Forwarded => {
      const headers = prepared.forward;
      if (principal) pushIdentityHeaders(headers, principal.claims, principal.token, principal.cached);
      headers.push(
        'x-forwarded-for',
        req.socket.remoteAddress ?? '',
        'x-forwarded-proto',
        'https',
        'x-forwarded-host',
        prepared.host ?? realm,
      );
      return {
        kind: 'forward',
        path: `${upstream.basePath}${target.path}${target.query === '' ? '' : `?${target.query}`}`,
        headers,
        matchPath: target.matchPath,
        code: target.code,
        functionsKey: prepared.functionsKey,
      };
    };
    if (!config.platform.enabled) return forwardAs();
    const m = target.matchPath;
    if (m === apiPrefix || m.startsWith(`${apiPrefix}/`)) {
      if (m === `${apiPrefix}/me` && (req.method === 'GET' || req.method === 'HEAD')) {
        return then(
          authenticate(prepared.authorization, target.hasAccessToken),
          (auth): Decision =>
            auth.ok
              ? { kind: 'me', claims: auth.claims, token: auth.token }
              : { kind: 'refuse', refusal: auth.refusal, matchPath: m },
        );
      }
      return {
        kind: 'refuse',
        refusal: {
          status: 404,
          reason: 'auth_route_unknown',
          message: `${config.httpSettings.routes.apiPrefix}/me is served for bearer callers; browser login routes are not.`,
          category: 'request',
          tokenPresented: false,
        },
        matchPath: m,
      };
    }
    if (excluded(m)) return forwardAs();
    return then(authenticate(prepared.authorization, target.hasAccessToken), (auth) => {
      if (auth.ok) return forwardAs(auth);
      const refusal = auth.refusal;
      if (refusal.category === 'authorization') return { kind: 'refuse', refusal, matchPath: m };
      const action = config.globalValidation.unauthenticatedClientAction;
      if (
        refusal.reason !== 'token_ambiguous' &&
        (!config.globalValidation.requireAuthentication || action === 'AllowAnonymous')
      ) {
        // Anonymous is allowed; a token that failed is not a principal, so none is injected (and it is recorded).
        if (refusal.tokenPresented) return audit(refusal, req, m, 'token.ignore').then(() => forwardAs());
        return forwardAs();
      }
      if (action === 'Return403') refusal.status = 403;
      else if (action === 'Return404') refusal.status = 404;
      else refusal.status = 401;
      return { kind: 'refuse', refusal, matchPath: m };
    });
  };

  const badGateway = (res: ServerResponse, matchPath: string) => (err: Error) => {
    const status = upstreamFailureStatus(err);
    const code = (err as { code?: string }).code ?? err.name;
    logger?.warn({ resource: resource.name, code, path: matchPath }, 'easy auth upstream failed');
    const body =
      config.diagnostics === 'full'
        ? `Lanyard Easy Auth could not get an answer from ${config.upstream} (${code}).`
        : 'Bad Gateway';
    if (!res.headersSent) {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    }
    res.end(body);
  };

  const checkKeys = (decision: Forwarded): Refusal | undefined => {
    if (!gate) return undefined;
    const result = gate.check(decision.matchPath, decision.functionsKey, decision.code);
    if (result.ok) return undefined;
    return {
      status: 401,
      reason: result.reason,
      message: result.message,
      category: 'function_key',
      tokenPresented: false,
    };
  };

  /** Answers one request; synchronous when the decision is (a known token), else a promise. */
  const handle = (req: IncomingMessage, res: ServerResponse): void | Promise<void> =>
    then(decide(req), (decision) => respond(decision, req, res));

  const respond = (decision: Decision, req: IncomingMessage, res: ServerResponse): void | Promise<void> => {
    if (decision.kind === 'me') {
      const body = JSON.stringify(authMeBody(decision.claims, decision.token));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const refusal = decision.kind === 'refuse' ? decision.refusal : checkKeys(decision);
    if (refusal) {
      return audit(refusal, req, decision.matchPath).then(() => {
        const body = refusalBody(refusal);
        res.writeHead(refusal.status, [
          ...refusalHeaders(refusal),
          'content-length',
          String(Buffer.byteLength(body)),
        ]);
        res.end(req.method === 'HEAD' ? undefined : body);
      });
    }
    const d = decision as Forwarded;
    const hasBody =
      req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
    forward(
      upstream,
      { method: req.method ?? 'GET', path: d.path, headers: d.headers, body: hasBody ? req : null },
      res,
      badGateway(res, d.matchPath),
    );
  };

  const sockets = new Set<Duplex>();
  const handleUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const decision = await decide(req);
    let refusal: Refusal | undefined =
      decision.kind === 'refuse'
        ? decision.refusal
        : decision.kind === 'forward'
          ? checkKeys(decision)
          : undefined;
    if (
      !refusal &&
      (decision.kind !== 'forward' || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket')
    ) {
      refusal = requestRefusal('upgrade_refused', 'only WebSocket upgrades are passed through');
    }
    if (refusal) {
      await audit(refusal, req, decision.kind === 'me' ? undefined : decision.matchPath);
      socket.end(rawResponse(refusal.status, refusalHeaders(refusal), refusalBody(refusal)));
      return;
    }
    const d = decision as Forwarded;
    forwardUpgrade(
      upstream,
      { method: 'GET', path: d.path, headers: d.headers, upgrade: 'websocket' },
      socket,
      head,
      sockets,
      (err) => {
        socket.end(
          rawResponse(
            upstreamFailureStatus(err),
            ['content-type', 'text/plain; charset=utf-8'],
            'Bad Gateway',
          ),
        );
      },
    );
  };

  const certHosts = [realm, 'localhost', '127.0.0.1'];
  let host = options.host ?? config.listen.host;
  if (host === 'localhost') host = '127.0.0.1';
  if (!certHosts.includes(host) && net.isIP(host) && host !== '0.0.0.0' && host !== '::')
    certHosts.push(host);
  const cert = await ca.issueServerCertificate(certHosts);
  const server = https.createServer(
    {
      key: cert.keyPem,
      cert: cert.chainPem,
      SNICallback: ca.sniCallback([realm, `*.${realm}`]),
      minVersion: 'TLSv1.2',
      maxHeaderSize: FRONT_LIMITS.maxHeaderSize,
      headersTimeout: FRONT_LIMITS.headersTimeout,
      requestTimeout: FRONT_LIMITS.requestTimeout,
      keepAliveTimeout: FRONT_LIMITS.keepAliveTimeout,
      handshakeTimeout: FRONT_LIMITS.handshakeTimeout,
    },
    (req, res) => {
      // The request line is logged at debug: no listener, no clock read, unless that level is on.
      const started = logger?.isLevelEnabled('debug') ? performance.now() : -1;
      if (logger && started >= 0) {
        res.once('close', () =>
          logger.debug(
            {
              resource: resource.name,
              method: req.method,
              path: (req.url ?? '').split('?', 1)[0]!.slice(0, 512),
              status: res.statusCode,
              ms: Math.round((performance.now() - started) * 10) / 10,
            },
            'easy auth request',
          ),
        );
      }
      const failed = (err: unknown) => {
        logger?.error({ err, resource: resource.name }, 'easy auth request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Internal Server Error');
      };
      try {
        handle(req, res)?.catch(failed);
      } catch (err) {
        failed(err);
      }
    },
  );
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    handleUpgrade(req, socket, head).catch((err: unknown) => {
      logger?.error({ err, resource: resource.name }, 'easy auth upgrade failed');
      socket.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const code = err.code ?? '';
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    socket.end(
      rawResponse(
        status,
        ['content-type', 'text/plain; charset=utf-8'],
        status === 431 ? 'Request Header Fields Too Large' : 'Bad Request',
      ),
    );
    const reason =
      status === 431 ? 'headers_too_large' : status === 408 ? 'request_timeout' : 'request_malformed';
    runtime.audit
      .record({
        plane: 'easyauth',
        action: 'request.refuse',
        outcome: 'failure',
        tenantId: resource.tenantId,
        target: resource.name,
        reason,
        details: { status, parser: code, remote: (socket as net.Socket).remoteAddress },
      })
      .catch((e: unknown) => logger?.error({ err: e }, 'easy auth audit write failed'));
  });
  server.on('tlsClientError', (err) =>
    logger?.debug({ code: (err as NodeJS.ErrnoException).code }, 'easy auth TLS handshake failed'),
  );

  const port = options.port ?? config.listen.port;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await upstream.close();
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new LanyardError(
      'ERR_LISTEN',
      `The Easy Auth front of ${resource.name} cannot listen on ${host}:${port} (${code}).`,
      {
        hint:
          code === 'EADDRINUSE'
            ? 'Choose another easyAuth.listen.port, or 0 for a free one.'
            : 'Check easyAuth.listen.host.',
        details: { host, port, code },
        cause: err,
      },
    );
  }
  server.on('error', (err) => logger?.error({ err, resource: resource.name }, 'easy auth listener error'));
  const bound = (server.address() as net.AddressInfo).port;
  const hostForUrl =
    host === '0.0.0.0' || host === '::' ? '127.0.0.1' : net.isIPv6(host) ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: frontUrl(resource.name, bound),
    loopbackUrl: `https://${hostForUrl}:${bound}`,
    port: bound,
    resource: { id: resource.id, name: resource.name, tenantId: resource.tenantId },
    upstream: config.upstream,
    config,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 2_000);
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          server.closeIdleConnections();
          for (const s of sockets) s.destroy();
        });
        await upstream.pool.destroy();
      })();
      return closing;
    },
  };
}

/** Starts the front of every stored Easy Auth config (what `lanyard up` serves); all or none. */
export async function startEasyAuthFronts(
  runtime: EasyAuthDeps,
  options: Pick<StartEasyAuthOptions, 'logger'> = {},
): Promise<EasyAuthFront[]> {
  const fronts: EasyAuthFront[] = [];
  try {
    for (const stored of await listEasyAuthConfigs(runtime.store.db)) {
      fronts.push(
        await startEasyAuth(runtime, stored.resourceName, stored.config, {
          tenant: stored.tenantId,
          logger: options.logger,
        }),
      );
    }
  } catch (err) {
    await Promise.all(fronts.map((f) => f.close()));
    throw err;
  }
  return fronts;
}
