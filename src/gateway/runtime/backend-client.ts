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
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import { type Dispatcher, Pool } from 'undici';
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

function requestBody(body: Body): Readable | Buffer | null {
  if (body.kind === 'none') return null;
  return body.kind === 'bytes' ? body.bytes : body.stream;
}

/** The backend's status and headers; its body streams on in `body`. */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: BackendBody;
}

/** Raised by the forward-request timer: the backend gave no status and headers in time. */
class BackendTimeout extends Error {}

const CALLER_GONE = () => new Error('the caller closed the connection');

/**
 * The backend's body. A Readable for whatever reads it (a policy, a discarded answer), which costs nothing
 * until read: chunks wait in its buffer. When the gateway writes the answer as it came, `relayTo` sends the
 * waiting chunks and from then on writes each one straight into the caller's response from the socket handler
 * — no pipe, no 'data' events, no end on a later tick — pausing the backend while the caller's socket is full.
 */
export class BackendBody extends Readable {
  #controller: Dispatcher.DispatchController;
  #sink: ServerResponse | undefined = undefined;
  #done = false;

  constructor(controller: Dispatcher.DispatchController) {
    super();
    this.#controller = controller;
  }

  override _read(): void {
    this.#controller.resume();
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    if (!this.#done) this.#controller.abort(err ?? CALLER_GONE());
    done(err);
  }

  /** A chunk from the backend. */
  chunk(chunk: Buffer): void {
    const sink = this.#sink;
    if (sink) {
      if (!sink.write(chunk)) {
        this.#controller.pause();
        sink.once('drain', () => {
          if (!this.#done) this.#controller.resume();
        });
      }
    } else if (!this.push(chunk)) this.#controller.pause();
  }

  /** The backend's body ended. */
  finish(): void {
    this.#done = true;
    if (this.#sink) this.#sink.end();
    else this.push(null);
  }

  /** The backend failed mid-body. */
  fail(err: Error): void {
    this.#done = true;
    if (this.#sink) this.#sink.destroy(err);
    else this.destroy(err);
  }

  /**
   * Writes the rest of the body into `res` and ends it. Falls back to `pipe` when something already started
   * reading the body as a stream.
   */
  relayTo(res: ServerResponse): void {
    const state = this.readableFlowing;
    if (state === true || this.destroyed || this.listenerCount('data') > 0) {
      this.once('error', () => res.destroy());
      this.pipe(res);
      return;
    }
    const waiting = this.readableLength > 0 ? (this.read() as Buffer | null) : null;
    if (waiting) res.write(waiting);
    if (this.#done) {
      res.end();
      return;
    }
    this.#sink = res;
    res.once('close', () => {
      if (!this.#done) this.#controller.abort(CALLER_GONE());
    });
    this.#controller.resume();
  }
}

/**
 * One backend call through `Pool.dispatch` (not `request`, whose signal, abort controller and body class cost
 * about a fifth of a forwarded request: docs/performance.md, "Gateway"). The promise settles at the status
 * line and headers; the body follows in a `BackendBody`. The timer of forward-request's `timeout` settles the
 * promise with a timeout even while the connection is still being made, and aborts the call when it starts.
 */
class BackendCall implements Dispatcher.DispatchHandler {
  controller: Dispatcher.DispatchController | undefined = undefined;
  body: BackendBody | undefined = undefined;
  settled = false;
  timer: NodeJS.Timeout | undefined = undefined;
  readonly resolve: (a: Answer) => void;
  readonly reject: (err: Error) => void;

  constructor(resolve: (a: Answer) => void, reject: (err: Error) => void, timeoutMs: number) {
    this.resolve = resolve;
    this.reject = reject;
    this.timer = setTimeout(() => this.#timeout(), timeoutMs);
  }

  #timeout(): void {
    this.timer = undefined;
    if (this.settled) return;
    const err = new BackendTimeout('the backend did not answer in time');
    this.controller?.abort(err);
    this.#fail(err);
  }

  #fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.reject(err);
  }

  onRequestStart(c: Dispatcher.DispatchController): void {
    this.controller = c;
    if (this.settled) c.abort(new BackendTimeout('the backend did not answer in time'));
  }

  onResponseStart(
    c: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // 1xx informational answers are not relayed.
    if (status < 200 || this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.body = new BackendBody(c);
    this.resolve({ status, headers, body: this.body });
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.body?.chunk(chunk);
  }

  onResponseEnd(): void {
    this.body?.finish();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.body) this.body.fail(err);
    else this.#fail(err);
  }
}

/** A flat header list (name, value, …) without Content-Length: a redirect that drops the body. */
function withoutContentLength(flat: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (flat[i]!.toLowerCase() !== 'content-length') out.push(flat[i]!, flat[i + 1]!);
  }
  return out;
}

/** The answer's headers as policies see them: without hop-by-hop ones and those its `Connection` names. */
function responseHeaders(raw: Record<string, string | string[] | undefined>): HeaderMap {
  const named = namedByConnection(raw.connection);
  return HeaderMap.fromParsed(raw, (name) => HOP_BY_HOP.has(name) || named?.has(name) === true);
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

  const call = (
    target: URL,
    method: string,
    headers: string[],
    body: Readable | Buffer | null,
    timeoutMs: number,
  ): Promise<Answer> =>
    new Promise<Answer>((resolve, reject) => {
      const handler = new BackendCall(resolve, reject, timeoutMs);
      poolFor(target).dispatch(
        {
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method: method as Dispatcher.HttpMethod,
          headers,
          body,
        },
        handler,
      );
    });

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
      const named = namedByConnection(ctx.request.headers.get('connection'));
      // A body a policy set gets its own Content-Length from undici.
      const dropLength = ctx.request.body.kind === 'bytes';
      const forwarded = ctx.request.headers.flatWithout(
        (name) =>
          NOT_FORWARDED.has(name) || named?.has(name) === true || (dropLength && name === 'content-length'),
      );
      forwarded.push('X-Forwarded-For', ctx.clientIp);
      try {
        let target = url;
        let method = ctx.request.method;
        let body = requestBody(ctx.request.body);
        let headers = forwarded;
        for (let hop = 0; ; hop++) {
          const r = await call(target, method, [...headers, 'host', target.host], body, options.timeoutMs);
          const location = r.headers.location;
          if (
            options.followRedirects &&
            hop < 5 &&
            [301, 302, 303, 307, 308].includes(r.status) &&
            typeof location === 'string'
          ) {
            r.body.resume();
            target = new URL(location, target);
            if (r.status === 303 || ((r.status === 301 || r.status === 302) && method === 'POST')) {
              method = 'GET';
              body = null;
              headers = withoutContentLength(headers);
            }
            continue;
          }
          const length = Number(r.headers['content-length']);
          const empty = method === 'HEAD' || r.status === 204 || r.status === 304;
          if (empty) r.body.resume();
          return {
            status: r.status,
            reason: '',
            headers: responseHeaders(r.headers),
            body: empty
              ? { kind: 'none' }
              : { kind: 'stream', stream: r.body, length: Number.isFinite(length) ? length : undefined },
          };
        }
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        const timedOut =
          err instanceof BackendTimeout ||
          code === 'UND_ERR_HEADERS_TIMEOUT' ||
          code === 'UND_ERR_CONNECT_TIMEOUT';
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
                hint: `The backend ${url.origin} could not be reached (${code || (err as Error).message}): is it running, and is the API's service URL right?`,
              },
        );
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
