/**
 * @module host/main-listener
 * The main HTTPS listener (default https://localhost:8443): health and the admin API today; the issuer and the
 * managed-identity endpoints join as more route groups on the same port. Its certificate comes from the local
 * CA in the data folder, for localhost, 127.0.0.1 and ::1, and any `<name>.localhost` gets a certificate of its
 * own through SNI. Request limits follow security.md §5.2.
 *
 * Host `localhost` (the default) binds 127.0.0.1 and, when the machine has IPv6, also ::1 on the same port:
 * clients resolve `localhost` to either, and a port left free on ::1 could be taken by another program that
 * would then receive our callers' tokens. Any other host is bound exactly as given; a non-loopback address
 * exposes the admin API to the network (still behind the admin token), so it is logged as a warning.
 */
import type { Server as HttpServer } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { ensureLocalCa } from '../crypto/local-ca.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import type { Logger } from '../http/logger.ts';
import { createRequestHandler, type RouteGroup } from '../http/route-group.ts';
import { issuerRoutes } from '../issuer/routes.ts';
import { adminRoutes } from './admin-api.ts';
import { healthRoutes } from './health.ts';
import { DEFAULT_HOST, DEFAULT_PORT } from './listener-defaults.ts';
import type { Runtime } from './runtime.ts';

const KEY_MAINTENANCE_MS = 3_600_000;

export { DEFAULT_HOST, DEFAULT_PORT };

/** security.md §5.2. */
export const LISTENER_LIMITS = {
  maxHeaderSize: 16 * 1024,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  /** A TLS handshake that has not finished by then is dropped (Node's default is 120 s). */
  handshakeTimeout: 10_000,
} as const;

export interface StartServerOptions {
  /** Default `localhost` (127.0.0.1 plus ::1 when available). */
  host?: string | undefined;
  /** Default 8443; 0 picks a free port (the result says which). */
  port?: number | undefined;
  adminToken: string;
  logger: Logger;
  /** More planes, tried after health and admin, e.g. `[issuerRoutes(runtime)]`. */
  routeGroups?: readonly RouteGroup[] | undefined;
  /** The tenant the `adfs` authority path stands for (default: the only tenant). */
  adfsTenant?: string | undefined;
  /** How long `close()` lets in-flight requests finish before cutting connections. Default 5 s. */
  shutdownGraceMs?: number | undefined;
}

export interface RunningServer {
  /** E.g. `https://localhost:8443`, with the port actually bound. */
  readonly url: string;
  readonly port: number;
  /** The addresses bound, e.g. `['127.0.0.1', '::1']`. */
  readonly addresses: readonly string[];
  /** The CA certificate that clients must trust (NODE_EXTRA_CA_CERTS). */
  readonly caCertPath: string;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), then closes every connection. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);
const NO_IPV6 = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EINVAL']);

export async function startServer(runtime: Runtime, options: StartServerOptions): Promise<RunningServer> {
  const host = (options.host ?? DEFAULT_HOST).trim().toLowerCase();
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LanyardError('ERR_USAGE', `Port ${port} is not a port number.`, {
      hint: 'Pass --port with a number from 1 to 65535, or 0 to pick a free port.',
    });
  }
  if (host === '')
    throw new LanyardError('ERR_USAGE', 'The host must not be empty.', {
      hint: 'Omit --host for localhost.',
    });
  const { logger } = options;

  const ca = await ensureLocalCa({ dataDir: runtime.dataDir, envelope: runtime.envelope });
  const certHosts = ['localhost', '127.0.0.1', '::1'];
  if (!certHosts.includes(host) && !isWildcard(host)) certHosts.push(host);
  const cert = await ca.issueServerCertificate(certHosts);

  // A key must be able to sign before the first token request; rotation is checked hourly afterwards.
  await runtime.keys.ensureReady();
  const keyTimer = setInterval(() => {
    runtime.keys.ensureReady().catch((err) => logger.error({ err }, 'signing-key maintenance failed'));
  }, KEY_MAINTENANCE_MS);
  keyTimer.unref();

  const handler = createRequestHandler(
    [
      healthRoutes(),
      adminRoutes(runtime, { adminToken: options.adminToken }),
      issuerRoutes({
        tokens: runtime.tokens,
        keys: runtime.keys,
        federation: runtime.federation,
        issuers: runtime.issuers,
        adfsTenant: options.adfsTenant,
      }),
      ...(options.routeGroups ?? []),
    ],
    logger,
  );
  const makeServer = () => {
    const server = https.createServer(
      {
        key: cert.keyPem,
        cert: cert.chainPem,
        SNICallback: ca.sniCallback(['*.localhost']),
        minVersion: 'TLSv1.2',
        maxHeaderSize: LISTENER_LIMITS.maxHeaderSize,
        headersTimeout: LISTENER_LIMITS.headersTimeout,
        requestTimeout: LISTENER_LIMITS.requestTimeout,
        keepAliveTimeout: LISTENER_LIMITS.keepAliveTimeout,
        handshakeTimeout: LISTENER_LIMITS.handshakeTimeout,
      },
      handler,
    );
    server.on('tlsClientError', (err) =>
      logger.debug({ code: (err as NodeJS.ErrnoException).code }, 'TLS handshake failed'),
    );
    return server;
  };

  const servers: HttpServer[] = [];
  const addresses: string[] = [];
  const closeAll = () => {
    clearInterval(keyTimer);
    return Promise.all(servers.map((s) => closeServer(s, options.shutdownGraceMs ?? 5_000)));
  };
  let boundPort = port;
  try {
    if (host === 'localhost') {
      const v4 = makeServer();
      await listen(v4, port, '127.0.0.1');
      servers.push(v4);
      addresses.push('127.0.0.1');
      boundPort = (v4.address() as net.AddressInfo).port;
      const v6 = makeServer();
      try {
        await listen(v6, boundPort, '::1');
        servers.push(v6);
        addresses.push('::1');
      } catch (err) {
        if (!NO_IPV6.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
        logger.debug('IPv6 loopback is not available; listening on 127.0.0.1 only');
      }
    } else {
      const server = makeServer();
      await listen(server, port, host);
      servers.push(server);
      const address = server.address() as net.AddressInfo;
      addresses.push(address.address);
      boundPort = address.port;
    }
  } catch (err) {
    await closeAll();
    throw listenError(err, host, port);
  }
  for (const server of servers) {
    server.on('error', (err) => logger.error({ err }, 'listener error'));
  }
  if (!LOOPBACK.has(host)) {
    logger.warn(
      { host },
      'listening beyond loopback: the admin API is reachable from the network (it still requires the admin token)',
    );
  }

  const urlHost =
    host === 'localhost' || isWildcard(host) ? 'localhost' : net.isIPv6(host) ? `[${host}]` : host;
  const url = `https://${urlHost}:${boundPort}`;
  logger.info({ url, addresses }, 'listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    port: boundPort,
    addresses,
    caCertPath: ca.caCertPath,
    close: () => {
      closing ??= closeAll().then(() => undefined);
      return closing;
    },
  };
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function listen(server: HttpServer, port: number, host: string): Promise<void> {
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

function closeServer(server: HttpServer, graceMs: number): Promise<void> {
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

function listenError(err: unknown, host: string, port: number): unknown {
  if (err instanceof LanyardError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const where = `${host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new LanyardError(
        'ERR_LISTEN',
        `Cannot listen on ${where}: port ${port} is in use; pass --port.`,
        {
          hint: 'Stop the program holding the port, or pass --port <number> (--port 0 picks a free port).',
          details: { host, port, code },
          cause: err,
        },
      );
    case 'EACCES':
      return new LanyardError('ERR_LISTEN', `Cannot listen on ${where}: permission denied.`, {
        hint: 'Ports below 1024 need privileges; use the default 8443 or another port above 1023.',
        details: { host, port, code },
        cause: err,
      });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new LanyardError(
        'ERR_LISTEN',
        `Cannot listen on ${where}: "${host}" is not an address of this machine.`,
        {
          hint: 'Omit --host to listen on localhost, or pass an address this machine has.',
          details: { host, port, code },
          cause: err,
        },
      );
    default:
      return new LanyardError('ERR_LISTEN', `Cannot listen on ${where} (${code || 'unknown error'}).`, {
        details: { host, port, code },
        cause: err,
      });
  }
}
