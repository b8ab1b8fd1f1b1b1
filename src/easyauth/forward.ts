/**
 * @module easyauth/forward
 * Sends an accepted request to the app and streams the answer back, through one undici Pool per front
 * (keep-alive connections to the upstream). It uses `pool.dispatch` with a hand-written handler rather than
 * `request()` + `stream.pipeline`, which halves throughput (docs/performance.md): bodies stream both ways
 * with backpressure (a full client socket pauses the upstream read), the upstream request is aborted when the
 * client goes away, and hop-by-hop response headers (and those the upstream's `Connection` names) are dropped.
 * WebSocket upgrades are passed through the same pool: the 101 and both byte streams are relayed as they are.
 */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { type Dispatcher, Pool } from 'undici';
import { HOP_BY_HOP, namedByConnection } from '../http/hop-by-hop.ts';

export interface Upstream {
  readonly origin: string;
  /** Path prefix of the upstream URL ('' for none), prepended to every forwarded path. */
  readonly basePath: string;
  readonly pool: Pool;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  /** PEM of CAs an https upstream may chain to, besides the system's (the local CA). */
  ca?: readonly string[] | undefined;
  headersTimeoutMs?: number | undefined;
  bodyTimeoutMs?: number | undefined;
  connectTimeoutMs?: number | undefined;
  connections?: number | undefined;
}

export function openUpstream(url: string, options: UpstreamOptions = {}): Upstream {
  const u = new URL(url);
  const pool = new Pool(u.origin, {
    connections: options.connections ?? 128,
    pipelining: 1,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: options.headersTimeoutMs ?? 60_000,
    bodyTimeout: options.bodyTimeoutMs ?? 300_000,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    ...(u.protocol === 'https:' ? { connect: { ca: [...tls.rootCertificates, ...(options.ca ?? [])] } } : {}),
  });
  return {
    origin: u.origin,
    basePath: u.pathname === '/' ? '' : u.pathname.replace(/\/+$/, ''),
    pool,
    close: () => pool.close(),
  };
}

/** Response headers minus hop-by-hop ones (and those `Connection` names), as the flat list `writeHead` takes. */
function responseHeaders(headers: Record<string, string | string[] | undefined>): string[] {
  const named = namedByConnection(headers.connection);
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name)) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  return out;
}

/** Why the upstream could not answer, as a status: 504 for timeouts, 502 otherwise. */
export function upstreamFailureStatus(err: unknown): 502 | 504 {
  const code = (err as { code?: string }).code ?? '';
  return /TIMEOUT/i.test(code) ? 504 : 502;
}

export interface UpgradeRequest {
  /** Path and query as forwarded (canonical path, upstream base path already prepended). */
  path: string;
  headers: string[];
  /** The protocol asked for, e.g. `websocket`. */
  upgrade: string;
}

/** Called when the upstream fails before any response header was sent, with the context `forward` was given. */
export type UpstreamFailure<C> = (err: Error, res: ServerResponse, context: C) => void;

/**
 * The upstream answer of one request, relayed into `res`. One object with prototype methods instead of a handler
 * of closures per request, and a `drain` listener only while the client socket is full: a front forwards every
 * request through here.
 */
class Relay<C> implements Dispatcher.DispatchHandler {
  controller: Dispatcher.DispatchController | undefined = undefined;
  done = false;
  readonly res: ServerResponse;
  readonly onFailure: UpstreamFailure<C>;
  readonly context: C;

  constructor(res: ServerResponse, onFailure: UpstreamFailure<C>, context: C) {
    this.res = res;
    this.onFailure = onFailure;
    this.context = context;
    res.once('close', () => {
      if (!this.done) this.controller?.abort(new Error('the client closed the connection'));
    });
  }

  onRequestStart(c: Dispatcher.DispatchController): void {
    this.controller = c;
    if (this.res.destroyed) c.abort(new Error('the client closed the connection'));
  }

  onResponseStart(
    c: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    // 1xx informational answers (100 Continue, 103 Early Hints) are not relayed; Node sends its own 100.
    if (statusCode < 200) return;
    try {
      this.res.writeHead(statusCode, statusMessage || STATUS_CODES[statusCode], responseHeaders(headers));
    } catch (err) {
      c.abort(err as Error);
    }
  }

  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    // Backpressure: a full client socket pauses the upstream read until it drains.
    if (!this.res.write(chunk)) {
      c.pause();
      this.res.once('drain', () => {
        if (!this.done) c.resume();
      });
    }
  }

  onResponseEnd(): void {
    this.done = true;
    this.res.end();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.done = true;
    if (!this.res.headersSent && !this.res.destroyed) this.onFailure(err, this.res, this.context);
    else this.res.destroy(err);
  }
}

/**
 * Forwards one request and pipes the response into `res`. `onFailure(err, res, context)` is called when the
 * upstream fails before any response header was sent (the caller answers 502/504); after that the client
 * connection is cut. Positional arguments and a context rather than a request object and a closure: this runs
 * for every request a front forwards.
 */
export function forward<C>(
  upstream: Upstream,
  method: string,
  /** Path and query as forwarded (canonical path, upstream base path already prepended). */
  path: string,
  headers: string[],
  /** The client request, streamed as the body when it has one. */
  body: IncomingMessage | null,
  res: ServerResponse,
  onFailure: UpstreamFailure<C>,
  context: C,
): void {
  upstream.pool.dispatch(
    { origin: upstream.origin, method: method as Dispatcher.HttpMethod, path, headers, body },
    new Relay(res, onFailure, context),
  );
}

/**
 * Relays a WebSocket (or other) upgrade: the upstream's 101 and then both byte streams. A non-101 answer is
 * relayed with `Connection: close` and the socket ended after it. `sockets` tracks live tunnels for shutdown.
 */
export function forwardUpgrade(
  upstream: Upstream,
  request: UpgradeRequest,
  client: Duplex,
  head: Buffer,
  sockets: Set<Duplex>,
  onFailure: (err: Error) => void,
): void {
  let answered = false;
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      if (client.destroyed) c.abort(new Error('the client closed the connection'));
    },
    onRequestUpgrade(_c, statusCode, headers, socket) {
      answered = true;
      let out = `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Switching Protocols'}\r\n`;
      for (const [name, value] of Object.entries(headers)) {
        for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
          out += `${name}: ${v}\r\n`;
      }
      client.write(`${out}\r\n`);
      if (head.length > 0) socket.write(head);
      sockets.add(client);
      sockets.add(socket);
      const teardown = () => {
        sockets.delete(client);
        sockets.delete(socket);
        client.destroy();
        socket.destroy();
      };
      socket.on('error', teardown).on('close', teardown);
      client.on('error', teardown).on('close', teardown);
      socket.pipe(client);
      client.pipe(socket);
    },
    onResponseStart(_c, statusCode, headers, statusMessage) {
      if (statusCode < 200) return;
      answered = true;
      const all = responseHeaders(headers);
      let out = `HTTP/1.1 ${statusCode} ${statusMessage || STATUS_CODES[statusCode] || ''}\r\n`;
      for (let i = 0; i < all.length; i += 2) {
        if (all[i]!.toLowerCase() !== 'content-length') out += `${all[i]}: ${all[i + 1]}\r\n`;
      }
      // No length: the body runs until the connection closes.
      client.write(`${out}connection: close\r\n\r\n`);
    },
    onResponseData(c, chunk) {
      if (!client.write(chunk)) {
        c.pause();
        client.once('drain', () => c.resume());
      }
    },
    onResponseEnd() {
      client.end();
    },
    onResponseError(_c, err) {
      if (!answered && !client.destroyed) onFailure(err);
      else client.destroy();
    },
  };
  upstream.pool.dispatch(
    {
      origin: upstream.origin,
      method: 'GET',
      path: request.path,
      headers: request.headers,
      upgrade: request.upgrade,
    },
    handler,
  );
}
