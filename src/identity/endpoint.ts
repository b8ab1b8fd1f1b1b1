/**
 * @module identity/endpoint
 * The managed-identity token endpoints, plain HTTP on loopback like Azure's (docs/protocols.md, "Managed-identity endpoint: App Service protocol" and the two sections after it):
 *
 *   App Service   GET|POST /msi/token?resource=…[&api-version=2019-08-01][&client_id|object_id|principal_id|mi_res_id]
 *                 header X-IDENTITY-HEADER (2019) or `secret` (2017 / MSI_SECRET); answers `{access_token,
 *                 expires_on, resource, token_type, client_id}`, errors `{statusCode, message, correlationId}`.
 *   IMDS          GET [/w/<secret>]/metadata/identity/oauth2/token?resource=…[&client_id|object_id|msi_res_id]
 *                 header `Metadata: true`; the workload is named by the path (AZURE_POD_IDENTITY_AUTHORITY_HOST
 *                 carries it, lower-cased by MSAL, hence hex) or by X-IDENTITY-HEADER; errors `{error, error_description}`.
 *                 An endpoint bound to one workload (`lanyard run --imds`) serves only the plain path, as that workload.
 *
 * Defences (docs/security.md, "Managed-identity endpoint defences"; catalogue D): requests that went through a
 * proxy (any X-Forwarded-*, Forwarded, Via, X-Real-IP, True-Client-IP, CF-Connecting-IP and the like), from a
 * browser (Origin) or to a foreign Host (DNS rebinding) are refused; the query is bounded and parameters may not
 * repeat; secrets are compared through their keyed hash; each workload is rate limited.
 * Every refusal is audited — never with the secret.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditLog } from '../audit/audit-log.ts';
import { type IdentitySelector, type ManagedIdentityService, MiError, type MiToken } from './mi-service.ts';
import type { Workload } from './workloads.ts';

export const MAX_QUERY_BYTES = 4096;
const MAX_FORM_BYTES = 4096;

type Protocol = 'appservice' | 'imds';

interface Refusal {
  status: number;
  /** App Service `message`, IMDS `error_description`. */
  message: string;
  /** IMDS `error`. */
  error: string;
  reason: string;
}

class Refused extends Error {
  readonly r: Refusal;
  constructor(r: Refusal) {
    super(r.message);
    this.r = r;
  }
}

const refuse = (status: number, error: string, reason: string, message: string) =>
  new Refused({ status, error, reason, message });

/** Per-workload token bucket: 20 requests/s, bursts of 40 (docs/security.md, "Limits"), then 429 with Retry-After. */
class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #rate: number;
  readonly #burst: number;
  constructor(rate: number, burst: number) {
    this.#rate = rate;
    this.#burst = burst;
  }
  take(key: string): boolean {
    const now = Date.now();
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size > 10_000) this.#buckets.clear();
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(key, b);
    }
    b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#rate);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

export interface IdentityEndpointOptions {
  service: ManagedIdentityService;
  audit: AuditLog;
  /** Requests per second per workload (default 20; 0 disables, for benchmarks). */
  rateLimit?: number | undefined;
  burst?: number | undefined;
  /**
   * The secret of the one workload this endpoint serves (`lanyard run --imds`): every request acts as that
   * workload and names none, since @azure/identity 3.x keeps only the origin of AZURE_POD_IDENTITY_AUTHORITY_HOST.
   * Only the plain IMDS path is served then (no App Service path, no `/w/<secret>`), still with every other check.
   */
  boundSecret?: string | undefined;
}

interface Route {
  protocol: Protocol;
  /** Secret carried in the IMDS path (`/w/<hex>/metadata/…`). */
  pathSecret?: string | undefined;
}

const APP_SERVICE_ROUTE: Route = { protocol: 'appservice' };
const IMDS_ROUTE: Route = { protocol: 'imds' };

/** Matches the path leniently where real clients differ: case, trailing `/`, doubled `/` (Pod Identity). */
export function matchIdentityPath(rawPath: string): Route | undefined {
  // The exact forms Lanyard hands out, without any normalising work (the hot path).
  if (rawPath === '/msi/token') return APP_SERVICE_ROUTE;
  if (rawPath === '/metadata/identity/oauth2/token') return IMDS_ROUTE;
  const path = rawPath
    .replace(/\/{2,}/g, '/')
    .replace(/\/$/, '')
    .toLowerCase();
  if (path === '/msi/token') return APP_SERVICE_ROUTE;
  if (path === '/metadata/identity/oauth2/token') return IMDS_ROUTE;
  const m = /^\/w\/([0-9a-f]{64})\/metadata\/identity\/oauth2\/token$/.exec(path);
  if (m) return { protocol: 'imds', pathSecret: m[1] };
  return undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const LOOPBACK_HOST =
  /^(?:localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|169\.254\.169\.254)(?::\d{1,5})?$/i;

function readForm(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        req.pause();
        reject(
          refuse(
            400,
            'invalid_request',
            'body_too_large',
            `The request body is larger than ${MAX_FORM_BYTES} bytes.`,
          ),
        );
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const ID_PARAMS: Record<Protocol, Record<string, 'client_id' | 'object_id' | 'mi_res_id'>> = {
  appservice: {
    client_id: 'client_id',
    clientid: 'client_id',
    object_id: 'object_id',
    principal_id: 'object_id',
    mi_res_id: 'mi_res_id',
  },
  imds: { client_id: 'client_id', object_id: 'object_id', msi_res_id: 'mi_res_id', mi_res_id: 'mi_res_id' },
};

function parseParams(
  protocol: Protocol,
  params: URLSearchParams,
): { resource: string; selector: IdentitySelector } {
  const names = new Set<string>();
  for (const name of params.keys()) {
    if (names.has(name)) {
      throw refuse(
        400,
        'invalid_request',
        'duplicate_parameter',
        `The parameter '${name}' appears more than once.`,
      );
    }
    names.add(name);
  }
  const resource = params.get('resource');
  if (!resource) {
    throw refuse(
      400,
      'invalid_request',
      'resource_missing',
      'The request must name the resource: add resource=<App ID URI or appId> to the query.',
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (resource.length > 1024 || /[\u0000-\u001f\u007f\s]/.test(resource)) {
    throw refuse(
      400,
      'invalid_request',
      'resource_invalid',
      'The resource parameter is not a valid identifier.',
    );
  }
  const ids = Object.entries(ID_PARAMS[protocol]).filter(([name]) => params.has(name));
  if (ids.length > 1) {
    throw refuse(
      400,
      'invalid_request',
      'several_identities',
      `Name at most one identity: the request has ${ids.map(([n]) => n).join(' and ')}.`,
    );
  }
  const [idParam] = ids;
  const selector: IdentitySelector = idParam
    ? { by: idParam[1], value: params.get(idParam[0]) ?? '' }
    : { by: 'system' };
  if (selector.by !== 'system' && (selector.value === '' || selector.value.length > 512)) {
    throw refuse(
      400,
      'invalid_request',
      'identity_invalid',
      `The ${idParam?.[0]} parameter is empty or too long.`,
    );
  }
  return { resource, selector };
}

/**
 * Headers a proxy, load balancer or CDN adds to say whom it relayed for (docs/security.md, "Managed-identity
 * endpoint defences"). Any `X-Forwarded-*` header counts too. Node lower-cases header names, so every spelling
 * of these matches.
 */
const PROXY_HEADERS = new Set([
  'forwarded',
  'via',
  'x-real-ip',
  'x-original-forwarded-for',
  'true-client-ip',
  'cf-connecting-ip',
  'x-client-ip',
  'x-cluster-client-ip',
]);

/** The first header in `headers` that marks the request as relayed by a proxy, or undefined. */
function proxyHeader(headers: IncomingMessage['headers']): string | undefined {
  for (const name in headers) {
    if (PROXY_HEADERS.has(name) || name.startsWith('x-forwarded-')) return name;
  }
  return undefined;
}

/**
 * What every request must pass before its secret is even looked at: the method, no proxy on the way, no browser,
 * a loopback Host, and for IMDS the Metadata header. Throws the refusal.
 */
function checkRequest(req: IncomingMessage, protocol: Protocol, method: string): void {
  const allowPost = protocol === 'appservice';
  if (method !== 'GET' && !(allowPost && method === 'POST')) {
    throw refuse(
      405,
      'invalid_request',
      'method',
      `The ${method} method is not allowed here; use GET${allowPost ? ' or POST' : ''}.`,
    );
  }
  const headers = req.headers;
  // Anything a proxy adds means the request did not come straight from the workload (SSRF through a proxy).
  const proxied = proxyHeader(headers);
  if (proxied !== undefined) {
    throw refuse(
      400,
      'invalid_request',
      'proxied',
      `Requests carrying ${proxied} are refused: the endpoint answers local callers only, never through a proxy.`,
    );
  }
  if (headers.origin !== undefined) {
    throw refuse(
      403,
      'invalid_request',
      'browser_origin',
      'Requests from a browser (with an Origin header) are refused.',
    );
  }
  const host = headers.host ?? '';
  if (!LOOPBACK_HOST.test(host)) {
    throw refuse(
      403,
      'invalid_request',
      'host',
      `The Host header "${host.slice(0, 100)}" is not a loopback address; the endpoint answers local callers only.`,
    );
  }
  // IMDS requires `Metadata: true` (any case); @azure/identity's probe sends neither header nor query.
  if (protocol === 'imds' && (header(req, 'metadata') ?? '').toLowerCase() !== 'true') {
    throw refuse(400, 'invalid_request', 'metadata_header', 'Required metadata header not specified');
  }
}

/** A GET target already parsed and found valid once: repeated requests (every SDK refresh) skip the parsing. */
interface ParsedTarget {
  protocol: Protocol;
  resource: string;
  selector: IdentitySelector;
}

const PARSED_LIMIT = 1_000;

/** The 200 body of each protocol. IMDS's carries `expires_in`, so it changes every second. */
function tokenBody(protocol: Protocol, token: MiToken, requested: string): string {
  if (protocol === 'imds') {
    const expiresIn = String(token.expiresOn - Math.floor(Date.now() / 1000));
    return JSON.stringify({
      access_token: token.accessToken,
      refresh_token: '',
      client_id: token.clientId,
      expires_in: expiresIn,
      expires_on: String(token.expiresOn),
      ext_expires_in: expiresIn,
      not_before: String(token.notBefore),
      resource: requested,
      token_type: 'Bearer',
    });
  }
  return JSON.stringify({
    access_token: token.accessToken,
    expires_on: String(token.expiresOn),
    resource: requested,
    token_type: 'Bearer',
    client_id: token.clientId,
  });
}

/** Answers a request; returns true when it was answered at once from the token cache (the hot path). */
export type IdentityHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createIdentityHandler(o: IdentityEndpointOptions): IdentityHandler {
  const limiter = new RateLimiter(o.rateLimit ?? 20, o.burst ?? 40);
  const limited = (o.rateLimit ?? 20) > 0;
  const bound = o.boundSecret !== undefined;

  const send = (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => {
    const text = JSON.stringify(body);
    const head: Record<string, string | number> = {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
    };
    if (headers) Object.assign(head, headers);
    res.writeHead(status, head);
    res.end(text);
  };

  /** Refusals in the source's shape; App Service's carry a correlation id, as Azure's do. */
  const sendRefusal = (
    res: ServerResponse,
    protocol: Protocol,
    r: Refusal,
    extra?: Record<string, string>,
  ) => {
    if (protocol === 'imds') {
      send(res, r.status, { error: r.error, error_description: r.message }, extra);
      return;
    }
    const correlationId = randomUUID();
    send(
      res,
      r.status,
      { statusCode: r.status, message: r.message, correlationId },
      { ...extra, 'X-CORRELATION-ID': correlationId },
    );
  };

  const sendOk = (res: ServerResponse, body: Buffer) => {
    res.writeHead(200, [
      'Content-Type',
      'application/json; charset=utf-8',
      'Content-Length',
      String(body.length),
      'Cache-Control',
      'no-store',
    ]);
    res.end(body);
  };

  // Targets are cached only for GETs whose path carries no secret (IMDS `/w/<secret>`): no secret kept as a key.
  const parsed = new Map<string, ParsedTarget>();
  const remember = (url: string, target: ParsedTarget) => {
    if (parsed.size >= PARSED_LIMIT) parsed.clear();
    parsed.set(url, target);
  };
  /** App Service bodies of cached tokens, per requested form; they go when the token leaves the cache. */
  const bodies = new WeakMap<MiToken, Map<string, Buffer>>();

  /**
   * The hot path: a GET seen before, for a token in the cache. Every check still runs; nothing awaits, nothing
   * reads the store, and the App Service body is ready-made. Anything unusual (a refusal, a miss, the
   * once-a-second version check) returns false and the full path below answers.
   */
  const fast = (req: IncomingMessage, res: ServerResponse, target: ParsedTarget): boolean => {
    try {
      checkRequest(req, target.protocol, 'GET');
    } catch {
      return false;
    }
    const secret = o.boundSecret ?? header(req, 'x-identity-header') ?? header(req, 'secret');
    if (!secret) return false;
    const hit = o.service.peek(secret, target.selector, target.resource);
    if (!hit || (limited && !limiter.take(hit.workload.id))) return false;
    if (target.protocol === 'imds') {
      sendOk(res, Buffer.from(tokenBody('imds', hit.token, target.resource)));
      return true;
    }
    let forms = bodies.get(hit.token);
    if (!forms) {
      forms = new Map();
      bodies.set(hit.token, forms);
    }
    let body = forms.get(target.resource);
    if (!body) {
      body = Buffer.from(tokenBody('appservice', hit.token, target.resource));
      if (forms.size < 16) forms.set(target.resource, body);
    }
    sendOk(res, body);
    return true;
  };

  return (req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET') {
      const target = parsed.get(url);
      if (target && fast(req, res, target)) return true;
    }
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const found = matchIdentityPath(rawPath);
    // A bound endpoint serves its workload over plain IMDS only: nothing else may name another workload.
    const route = bound && (found?.protocol !== 'imds' || found.pathSecret) ? undefined : found;
    if (!route) {
      // Unknown /metadata/* paths answer 404 (keeps clients off IMDSv2 detection); so does everything else.
      send(res, 404, { error: 'not_found', error_description: 'Nothing is served at this path.' });
      return false;
    }
    const protocol = route.protocol;
    let workload: Workload | undefined;
    let target: string | undefined;
    void (async () => {
      try {
        if (q !== -1 && url.length - q - 1 > MAX_QUERY_BYTES) {
          throw refuse(
            400,
            'invalid_request',
            'query_too_large',
            `The query string is longer than ${MAX_QUERY_BYTES} bytes.`,
          );
        }
        const method = req.method ?? 'GET';
        checkRequest(req, protocol, method);
        const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
        if (method === 'POST') {
          const type = (header(req, 'content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
          const body = await readForm(req);
          if (type === 'application/x-www-form-urlencoded') {
            for (const [k, v] of new URLSearchParams(body)) params.append(k, v);
          }
        }
        const secret =
          o.boundSecret ?? route.pathSecret ?? header(req, 'x-identity-header') ?? header(req, 'secret');
        if (!secret) {
          throw refuse(
            401,
            'invalid_request',
            'secret_missing',
            protocol === 'imds'
              ? 'The workload is not identified: use the AZURE_POD_IDENTITY_AUTHORITY_HOST Lanyard gave the process.'
              : 'The X-IDENTITY-HEADER header is missing: send the value of IDENTITY_HEADER.',
          );
        }
        workload = await o.service.authenticate(secret);
        if (!workload) {
          throw refuse(
            401,
            'invalid_request',
            'secret_invalid',
            'The identity header is not valid: unknown, revoked or expired. Ask Lanyard for a new one (`lanyard run` or `lanyard workload issue`).',
          );
        }
        if (limited && !limiter.take(workload.id)) {
          const r = {
            status: 429,
            error: 'too_many_requests',
            reason: 'rate_limited',
            message: 'Too many token requests from this workload; retry after a second.',
          };
          await audit(r);
          sendRefusal(res, protocol, r, { 'Retry-After': '1' });
          return;
        }
        const { resource, selector } = parseParams(protocol, params);
        target = resource;
        // A token served from the cache is not audited again: the issuer audited it when it was minted.
        const token = await o.service.token(
          workload,
          selector,
          resource,
          protocol === 'imds' ? 'mi imds' : 'mi appservice',
        );
        if (method === 'GET' && !route.pathSecret) remember(url, { protocol, resource, selector });
        sendOk(res, Buffer.from(tokenBody(protocol, token, resource)));
      } catch (err) {
        let r: Refusal;
        if (err instanceof Refused) r = err.r;
        else if (err instanceof MiError && err.kind === 'identity_not_found') {
          r = {
            status: 400,
            error: 'invalid_request',
            reason: 'identity_not_found',
            message:
              protocol === 'imds'
                ? `Identity not found. ${err.message}`
                : `Unable to load the proper Managed Identity. ${err.message}`,
          };
        } else if (err instanceof MiError && err.aadsts) {
          r = {
            status: 400,
            error: err.aadsts.error,
            reason: `AADSTS${err.aadsts.code}`,
            message: `AADSTS${err.aadsts.code}: ${err.aadsts.message}${err.aadsts.hint ? ` ${err.aadsts.hint}` : ''}`,
          };
        } else {
          r = {
            status: 500,
            error: 'server_error',
            reason: 'internal',
            message: 'Lanyard failed to issue the token; see its log.',
          };
          o.audit
            .record({
              plane: 'identity',
              action: 'mi.error',
              outcome: 'failure',
              details: { message: (err as Error).message },
            })
            .catch(() => {});
        }
        // The issuer already audited AADSTS refusals; the endpoint audits its own.
        if (!r.reason.startsWith('AADSTS')) await audit(r).catch(() => {});
        if (!res.headersSent) sendRefusal(res, protocol, r);
      }
    })();
    return false;

    function audit(r: Refusal) {
      return o.audit.record({
        plane: 'identity',
        action: 'mi.refuse',
        outcome: 'failure',
        tenantId: workload?.tenantId,
        actor: workload ? `workload:${workload.id}` : undefined,
        target,
        reason: r.reason,
        details: { protocol, status: r.status, resource: workload?.resourceName, message: r.message },
      });
    }
  };
}
