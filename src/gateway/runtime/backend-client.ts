/**
 * @module gateway/runtime/backend-client
 * The backend call of `forward-request`: the request as the policies left it (method, URL, headers, body) sent
 * through a keep-alive undici Pool per backend origin, and the answer handed back with its body still streaming,
 * so `outbound` policies run before the first byte reaches the caller and a large body is never held in memory.
 *
 * Hop-by-hop headers are not forwarded either way; the backend gets `Host` of its own URL and the caller's
 * address appended to `X-Forwarded-For`, as API Management sends them. A backend that cannot be reached is a
 * `BackendConnectionFailure` (500), one that does not answer in time a `Timeout` (504): both run `on-error`.
 */
import type { Readable } from 'node:stream';
import tls from 'node:tls';
import { errors, Pool } from 'undici';
import { HOP_BY_HOP, namedByConnection } from '../../http/hop-by-hop.ts';
import type { BackendCallOptions, BackendClient } from '../policy/services.ts';
import type { Body, GatewayContext, GatewayResponse } from './context.ts';
import { HeaderMap } from './headers.ts';
import { GatewayRefusal } from './refusal.ts';

/** Not forwarded to the backend besides the hop-by-hop set: it gets the `Host` of its own URL. */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'host']);

export interface BackendClientOptions {
  /** PEM CAs an https backend may chain to besides the system's (the local CA). */
  readonly ca?: readonly string[] | undefined;
  /** Backend origins kept open at once; the least recently used pool is closed past it. */
  readonly maxOrigins?: number | undefined;
  readonly connectTimeoutMs?: number | undefined;
  readonly bodyTimeoutMs?: number | undefined;
}

export interface PooledBackendClient extends BackendClient {
  close(): Promise<void>;
}

function requestBody(body: Body): Readable | Buffer | undefined {
  if (body.kind === 'none') return undefined;
  return body.kind === 'bytes' ? body.bytes : body.stream;
}

function responseHeaders(raw: Record<string, string | string[] | undefined>): HeaderMap {
  const h = new HeaderMap();
  const named = namedByConnection(raw.connection);
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name)) continue;
    h.append(name, Array.isArray(value) ? value : [value]);
  }
  return h;
}

export function createBackendClient(o: BackendClientOptions = {}): PooledBackendClient {
  const pools = new Map<string, Pool>();
  const maxOrigins = o.maxOrigins ?? 64;
  const ca = o.ca ? [...tls.rootCertificates, ...o.ca] : undefined;

  const poolFor = (url: URL): Pool => {
    const origin = url.origin;
    let pool = pools.get(origin);
    if (pool) {
      // Most recently used last, so the first entry is the one to close.
      pools.delete(origin);
      pools.set(origin, pool);
      return pool;
    }
    pool = new Pool(origin, {
      connections: 128,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      bodyTimeout: o.bodyTimeoutMs ?? 300_000,
      ...(url.protocol === 'https:' && ca ? { connect: { ca } } : {}),
    });
    pools.set(origin, pool);
    if (pools.size > maxOrigins) {
      const [oldest, old] = pools.entries().next().value as [string, Pool];
      pools.delete(oldest);
      void old.close();
    }
    return pool;
  };

  return {
    async send(ctx: GatewayContext, options: BackendCallOptions): Promise<GatewayResponse> {
      const url = ctx.request.url;
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new GatewayRefusal({
          status: 500,
          source: 'forward-request',
          reason: 'BackendConnectionFailure',
          message: 'Internal server error',
          hint: `The backend URL ${url.protocol}//${url.host} is not http or https: check the API's service URL.`,
        });
      }
      const headers = new HeaderMap();
      const named = namedByConnection(ctx.request.headers.get('connection'));
      for (const [name, values] of ctx.request.headers) {
        const lower = name.toLowerCase();
        if (!NOT_FORWARDED.has(lower) && !named?.has(lower)) headers.append(name, values);
      }
      if (ctx.request.body.kind === 'bytes') headers.delete('content-length');
      headers.append('X-Forwarded-For', [ctx.clientIp]);
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), options.timeoutMs);
      try {
        let target = url;
        let method = ctx.request.method;
        let body = requestBody(ctx.request.body);
        for (let hop = 0; ; hop++) {
          const r = await poolFor(target).request({
            path: `${target.pathname}${target.search}`,
            method,
            headers: [...headers.flat(), 'host', target.host],
            body: body ?? null,
            signal: abort.signal,
            headersTimeout: options.timeoutMs,
          });
          const location = r.headers.location;
          if (
            options.followRedirects &&
            hop < 5 &&
            [301, 302, 303, 307, 308].includes(r.statusCode) &&
            typeof location === 'string'
          ) {
            r.body.resume();
            target = new URL(location, target);
            if (
              r.statusCode === 303 ||
              ((r.statusCode === 301 || r.statusCode === 302) && method === 'POST')
            ) {
              method = 'GET';
              body = undefined;
              headers.delete('content-length');
            }
            continue;
          }
          const length = Number(r.headers['content-length']);
          const empty = method === 'HEAD' || r.statusCode === 204 || r.statusCode === 304;
          if (empty) r.body.resume();
          return {
            status: r.statusCode,
            reason: '',
            headers: responseHeaders(r.headers),
            body: empty
              ? { kind: 'none' }
              : { kind: 'stream', stream: r.body, length: Number.isFinite(length) ? length : undefined },
          };
        }
      } catch (err) {
        const timedOut =
          abort.signal.aborted ||
          err instanceof errors.HeadersTimeoutError ||
          err instanceof errors.ConnectTimeoutError;
        throw new GatewayRefusal(
          timedOut
            ? {
                status: 504,
                source: 'forward-request',
                reason: 'Timeout',
                message: 'Gateway Timeout',
                hint: `The backend ${url.origin} did not answer within ${options.timeoutMs / 1000} s (forward-request timeout).`,
              }
            : {
                status: 500,
                source: 'forward-request',
                reason: 'BackendConnectionFailure',
                message: 'Internal server error',
                hint: `The backend ${url.origin} could not be reached (${(err as { code?: string }).code ?? (err as Error).message}): is it running, and is the API's service URL right?`,
              },
        );
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.close()));
    },
  };
}

/** Drains a body nobody will read (a replaced answer), so its connection goes back to the pool. */
export function discardBody(body: Body): void {
  if (body.kind === 'stream') body.stream.resume();
}
