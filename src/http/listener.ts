/**
 * @module http/listener
 * The one way Lanyard listens: plain HTTP or TLS, with the same limits everywhere (header size, headers and
 * request timeouts, keep-alive, TLS handshake, a cap on open connections), listen errors as `ERR_LISTEN` with
 * a hint, one request-log line per request, and a graceful close. The main listener, the managed-identity
 * endpoint and every Easy Auth front are built with it, so a limit is set, and tested, once (docs/security.md,
 * "Listener limits").
 *
 * Two protections Node does not give by default:
 *  - Slow headers. Node enforces `headersTimeout` only when its connection sweep runs (every 30 s unless told
 *    otherwise), so a client trickling one header byte a second stayed up to 40 s — longer with a long
 *    `requestTimeout`. The sweep runs every second here, and the request timeout is never below the headers one.
 *  - Connection floods. Past `maxConnections` open connections a new one is answered `503` with
 *    `Retry-After` and closed; past twice the cap the kernel connection is dropped unanswered.
 */
import http, { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import { LanyardError } from '../errors/lanyard-error.ts';
import type { Logger } from './logger.ts';

export interface ListenerLimits {
  /** Bytes of request line and headers; more is answered 431. */
  readonly maxHeaderSize: number;
  /** Milliseconds to receive the complete headers of a request, from its first byte. */
  readonly headersTimeout: number;
  /** Milliseconds to receive a complete request (headers and body). */
  readonly requestTimeout: number;
  /** Milliseconds an idle keep-alive connection stays open. */
  readonly keepAliveTimeout: number;
  /** Milliseconds to finish a TLS handshake. */
  readonly handshakeTimeout: number;
  /** Open connections served at once; the next ones get 503. */
  readonly maxConnections: number;
}

export const DEFAULT_LIMITS: ListenerLimits = Object.freeze({
  maxHeaderSize: 16 * 1024,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  handshakeTimeout: 10_000,
  maxConnections: 1024,
});

/** How often Node sweeps connections for the headers and request timeouts. */
const SWEEP_MS = 1_000;

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface RequestLogOptions {
  readonly logger: Logger;
  /** `info` for the main listener; `debug` where one line per request costs too much (proxies). */
  readonly level: 'info' | 'debug';
  /** Fields on every line, e.g. `{ group: 'identity' }` or `{ resource: 'orders' }`. */
  readonly fields?: Readonly<Record<string, unknown>> | undefined;
  /** The path as logged; default: the target without its query (which may carry secrets). */
  readonly path?: ((url: string) => string) | undefined;
}

export interface ListenerOptions {
  /** What the listener serves, in errors and logs: `main`, `managed-identity`, `Easy Auth front of orders`. */
  readonly name: string;
  /** An address, or `localhost`. */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** `both` (default): `localhost` binds 127.0.0.1 and, when the machine has it, ::1 on the same port. */
  readonly localhost?: 'both' | 'ipv4' | undefined;
  /** TLS when given. */
  readonly tls?: Pick<tls.TlsOptions, 'key' | 'cert' | 'SNICallback'> | undefined;
  readonly limits?: Partial<ListenerLimits> | undefined;
  readonly handler: RequestHandler;
  readonly onUpgrade?: UpgradeHandler | undefined;
  /**
   * A request the parser refused (too large, malformed, timed out), before any handler saw it. Default: a
   * short plain-text answer with the status below. Return true when the socket was answered.
   */
  readonly onClientError?: ((refusal: ClientRefusal, socket: Duplex) => boolean) | undefined;
  /** A request beyond the connection cap; default: 503 plain text. */
  readonly overloaded?: ((res: ServerResponse) => void) | undefined;
  readonly requestLog?: RequestLogOptions | undefined;
  /** Errors and warnings of the listener itself. */
  readonly logger?: Logger | undefined;
  /** How `close()` waits for in-flight requests before cutting connections. Default 5 s. */
  readonly shutdownGraceMs?: number | undefined;
  /** The flag or setting that moves the port, for the EADDRINUSE hint (e.g. `--identity-port`). */
  readonly portSetting?: string | undefined;
  /** Where the host comes from, for the bad-address hint (e.g. `--host`). */
  readonly hostSetting?: string | undefined;
}

export interface ClientRefusal {
  readonly status: 400 | 408 | 431;
  /** Stable reason: `headers_too_large`, `request_timeout`, `request_malformed`. */
  readonly reason: string;
  /** Node's parser code, e.g. HPE_HEADER_OVERFLOW. */
  readonly parserCode: string;
  readonly remoteAddress: string | undefined;
}

export interface Listener {
  readonly name: string;
  readonly port: number;
  /** The addresses bound, e.g. `['127.0.0.1', '::1']`. */
  readonly addresses: readonly string[];
  /** `http(s)://<host>:<port>` for the host given (`localhost` for wildcards, brackets for IPv6). */
  readonly origin: string;
  /** Open connections now, over all addresses. */
  connections(): number;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), then closes every connection. */
  close(): Promise<void>;
}

/** Sockets beyond the cap: their requests are answered 503 and closed. */
const overCap = new WeakSet<object>();
/** Extra fields a handler adds to its request's log line (`logField`). */
const LOG_FIELDS = Symbol('lanyard.logFields');
/** A handler lowers its request's log line to debug (a cached answer, already logged when made). */
const LOG_QUIET = Symbol('lanyard.logQuiet');

type Annotated = ServerResponse & { [LOG_FIELDS]?: Record<string, unknown>; [LOG_QUIET]?: boolean };

/** Adds a field to this request's log line (e.g. which route group answered). */
export function logField(res: ServerResponse, name: string, value: unknown): void {
  // Only where the listener logs requests (it gives the response its fields object first): a property added
  // to some responses and not others gives Node's own code on every response two shapes to handle.
  const fields = (res as Annotated)[LOG_FIELDS];
  if (fields) fields[name] = value;
}

/** Logs this request at debug instead of the listener's level; call it before the handler returns. */
export function logQuietly(res: ServerResponse): void {
  (res as Annotated)[LOG_QUIET] = true;
}

const NO_IPV6 = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EINVAL']);

export async function startListener(o: ListenerOptions): Promise<Listener> {
  const limits: ListenerLimits = { ...DEFAULT_LIMITS, ...o.limits };
  const host = o.host.trim().toLowerCase();
  if (host === '') {
    throw new LanyardError('ERR_USAGE', `The ${o.name} listener's host must not be empty.`, {
      hint: `Omit ${o.hostSetting ?? 'the host'} for localhost.`,
    });
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
    throw new LanyardError('ERR_USAGE', `Port ${o.port} is not a port number.`, {
      hint: `Use a number from 1 to 65535${o.portSetting ? ` for ${o.portSetting}` : ''}, or 0 to pick a free port.`,
    });
  }
  const handler = wrapHandler(o, limits);
  const servers: Server[] = [];
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    if (sockets.size >= limits.maxConnections) overCap.add(socket);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const makeServer = (): Server => {
    const common = {
      maxHeaderSize: limits.maxHeaderSize,
      headersTimeout: limits.headersTimeout,
      // Node requires requestTimeout ≥ headersTimeout (0 = none); a shorter one would end the headers wait early.
      requestTimeout: Math.max(limits.requestTimeout, limits.headersTimeout),
      keepAliveTimeout: limits.keepAliveTimeout,
      connectionsCheckingInterval: SWEEP_MS,
    };
    const server = o.tls
      ? https.createServer(
          { ...common, ...o.tls, minVersion: 'TLSv1.2', handshakeTimeout: limits.handshakeTimeout },
          handler,
        )
      : http.createServer(common, handler);
    // The hard bound: the kernel connection is dropped unanswered past twice the cap.
    server.maxConnections = limits.maxConnections * 2;
    server.on(o.tls ? 'secureConnection' : 'connection', track);
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => clientError(o, err, socket));
    if (o.onUpgrade) {
      const onUpgrade = o.onUpgrade;
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (overCap.has(req.socket)) {
          socket.end(rawResponse(503, ['retry-after', '1'], 'Service Unavailable'));
          return;
        }
        onUpgrade(req, socket, head);
      });
    }
    if (o.tls) {
      server.on('tlsClientError', (err: NodeJS.ErrnoException) =>
        o.logger?.debug({ listener: o.name, code: err.code }, 'TLS handshake failed'),
      );
    }
    return server;
  };

  const addresses: string[] = [];
  let port = o.port;
  try {
    if (host === 'localhost') {
      const v4 = makeServer();
      await listen(v4, o.port, '127.0.0.1');
      servers.push(v4);
      addresses.push('127.0.0.1');
      port = (v4.address() as net.AddressInfo).port;
      if ((o.localhost ?? 'both') === 'both') {
        // A port left free on ::1 could be taken by another program that would then receive our callers' tokens.
        const v6 = makeServer();
        try {
          await listen(v6, port, '::1');
          servers.push(v6);
          addresses.push('::1');
        } catch (err) {
          if (!NO_IPV6.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
          o.logger?.debug(
            { listener: o.name },
            'IPv6 loopback is not available; listening on 127.0.0.1 only',
          );
        }
      }
    } else {
      const server = makeServer();
      await listen(server, o.port, host);
      servers.push(server);
      const address = server.address() as net.AddressInfo;
      addresses.push(address.address);
      port = address.port;
    }
  } catch (err) {
    await Promise.all(servers.map((s) => closeServer(s, 0)));
    throw listenError(err, o, host);
  }
  for (const server of servers) {
    server.on('error', (err) => o.logger?.error({ err, listener: o.name }, 'listener error'));
  }
  const urlHost =
    host === 'localhost' || host === '0.0.0.0' || host === '::'
      ? 'localhost'
      : net.isIPv6(host)
        ? `[${host}]`
        : host;
  let closing: Promise<void> | undefined;
  return {
    name: o.name,
    port,
    addresses,
    origin: `${o.tls ? 'https' : 'http'}://${urlHost}:${port}`,
    connections: () => sockets.size,
    close() {
      if (!closing) {
        closing = Promise.all(servers.map((s) => closeServer(s, o.shutdownGraceMs ?? 5_000))).then(
          () => undefined,
        );
        // Connections with no response in flight (never sent a request, or trickling one) end now; Node's
        // closeIdleConnections only ends those idle between two requests. One with a response in flight ends
        // when that response has been written, rather than idling as keep-alive until the grace period.
        // `_httpMessage` is the response the server is writing on that socket, if any.
        for (const socket of sockets) {
          const res = (socket as net.Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
          if (!res) socket.destroy();
          else res.once('finish', () => socket.end());
        }
      }
      return closing;
    },
  };
}

function wrapHandler(o: ListenerOptions, limits: ListenerLimits): RequestHandler {
  const inner = o.handler;
  const overloaded =
    o.overloaded ??
    ((res: ServerResponse) => {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end('Service Unavailable');
    });
  const refuseOverCap = (req: IncomingMessage, res: ServerResponse) => {
    res.shouldKeepAlive = false;
    res.setHeader('retry-after', '1');
    res.setHeader('connection', 'close');
    overloaded(res);
    o.logger?.warn(
      { listener: o.name, limit: limits.maxConnections, remote: req.socket.remoteAddress },
      'connection cap reached; request refused with 503',
    );
  };
  const log = o.requestLog;
  if (!log) {
    return (req, res) => {
      if (overCap.has(req.socket)) refuseOverCap(req, res);
      else inner(req, res);
    };
  }
  const pathOf = log.path ?? ((url: string) => url.split('?', 1)[0]!.slice(0, 512));
  return (req, res) => {
    if (overCap.has(req.socket)) {
      refuseOverCap(req, res);
      return;
    }
    // No listener and no clock read unless a line can be written at some level.
    if (!log.logger.isLevelEnabled(log.level) && !log.logger.isLevelEnabled('debug')) {
      inner(req, res);
      return;
    }
    const started = performance.now();
    const method = req.method;
    const url = req.url ?? '';
    (res as Annotated)[LOG_FIELDS] = {};
    inner(req, res);
    // Decided after the handler ran: a handler may lower its line to debug (logQuietly), and then, with debug
    // off, the request costs no listener at all (the managed-identity endpoint's cached answers).
    const r = res as Annotated;
    const level = r[LOG_QUIET] ? 'debug' : log.level;
    if (!log.logger.isLevelEnabled(level)) return;
    res.once('close', () => {
      log.logger[level](
        {
          ...log.fields,
          method,
          path: pathOf(url),
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 10) / 10,
          ...r[LOG_FIELDS],
          ...(res.writableFinished ? {} : { aborted: true }),
        },
        'request',
      );
    });
  };
}

function clientError(o: ListenerOptions, err: NodeJS.ErrnoException, socket: Duplex): void {
  const code = err.code ?? '';
  if (code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const refusal: ClientRefusal = {
    status,
    reason: status === 431 ? 'headers_too_large' : status === 408 ? 'request_timeout' : 'request_malformed',
    parserCode: code,
    remoteAddress: (socket as net.Socket).remoteAddress,
  };
  o.logger?.debug({ listener: o.name, ...refusal }, 'request refused by the HTTP parser');
  if (o.onClientError?.(refusal, socket)) return;
  socket.end(
    rawResponse(status, ['content-type', 'text/plain; charset=utf-8'], STATUS_CODES[status] ?? 'Bad Request'),
  );
}

/** A whole HTTP/1.1 response as text, for sockets no `ServerResponse` owns (parser refusals, upgrades). */
export function rawResponse(status: number, headers: readonly string[], body = ''): string {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host });
  });
}

function closeServer(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function listenError(err: unknown, o: ListenerOptions, host: string): unknown {
  if (err instanceof LanyardError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const where = `${host}:${o.port}`;
  const details = { listener: o.name, host, port: o.port, code };
  const portSetting = o.portSetting ?? 'the port setting';
  const movePort = portSetting.startsWith('--') ? `pass ${portSetting}` : `change ${portSetting}`;
  switch (code) {
    case 'EADDRINUSE':
      return new LanyardError(
        'ERR_LISTEN',
        `The ${o.name} listener cannot listen on ${where}: port ${o.port} is in use; ${movePort}.`,
        {
          hint: `Stop the program holding the port, or change ${portSetting} (0 picks a free port).`,
          details,
          cause: err,
        },
      );
    case 'EACCES':
      return new LanyardError(
        'ERR_LISTEN',
        `The ${o.name} listener cannot listen on ${where}: permission denied.`,
        {
          hint: `Ports below 1024 need privileges; change ${portSetting} to a port above 1023.`,
          details,
          cause: err,
        },
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new LanyardError(
        'ERR_LISTEN',
        `The ${o.name} listener cannot listen on ${where}: "${host}" is not an address of this machine.`,
        {
          hint: `Change ${o.hostSetting ?? 'the host setting'} to localhost or an address this machine has.`,
          details,
          cause: err,
        },
      );
    default:
      return new LanyardError(
        'ERR_LISTEN',
        `The ${o.name} listener cannot listen on ${where} (${code || 'unknown error'}).`,
        { details, cause: err },
      );
  }
}
