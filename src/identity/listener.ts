/**
 * @module identity/listener
 * The plain-HTTP loopback listener that serves the managed-identity endpoints. Loopback only: a workload
 * on this machine reaches it, nothing else does (clients are also moving towards refusing endpoints that are
 * neither loopback nor link-local). `lanyard up` runs one on a fixed port; `lanyard run` runs its own on a
 * free port for the program it starts.
 */
import http from 'node:http';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { AuditLog } from '../audit/audit-log.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import type { Logger } from '../http/logger.ts';
import { createIdentityHandler } from './endpoint.ts';
import type { ManagedIdentityService } from './mi-service.ts';

export const DEFAULT_IDENTITY_PORT = 41741;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export interface IdentityListenerOptions {
  service: ManagedIdentityService;
  audit: AuditLog;
  logger?: Logger | undefined;
  host?: string | undefined;
  /** 0 picks a free port. */
  port?: number | undefined;
  rateLimit?: number | undefined;
}

export interface IdentityListener {
  readonly port: number;
  readonly origin: string;
  /** The value of IDENTITY_ENDPOINT (and MSI_ENDPOINT). */
  readonly endpoint: string;
  /** The value of AZURE_POD_IDENTITY_AUTHORITY_HOST for a workload holding `secret`. */
  imdsAuthority(secret: string): string;
  close(): Promise<void>;
}

export async function startIdentityListener(o: IdentityListenerOptions): Promise<IdentityListener> {
  const host = o.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) {
    throw new LanyardError(
      'ERR_USAGE',
      `The managed-identity endpoint listens on loopback only, not on ${host}.`,
      {
        hint: 'Use 127.0.0.1 (the default). Workloads on other machines run their own `lanyard` beside them.',
      },
    );
  }
  const handler = createIdentityHandler({ service: o.service, audit: o.audit, rateLimit: o.rateLimit });
  const server = http.createServer(
    { maxHeaderSize: 16 * 1024, headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 },
    (req, res) => {
      const logger = o.logger;
      const started = logger ? performance.now() : 0;
      const fromCache = handler(req, res);
      if (!logger) return;
      // A token served from the cache repeats what the log (and the audit trail) already said when it was
      // minted: those lines are debug, the rest info. One synchronous log write costs more than the answer.
      const level = fromCache ? 'debug' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      // Never the query (resource and ids are harmless, but keep one rule) nor a secret carried in the path.
      const path = (req.url ?? '').split('?', 1)[0]!.replace(/\/w\/[0-9a-fA-F]+/, '/w/***');
      const method = req.method;
      res.once('close', () =>
        logger[level](
          {
            method,
            path,
            status: res.statusCode,
            ms: Math.round((performance.now() - started) * 10) / 10,
            group: 'identity',
            ...(fromCache ? { cached: true } : {}),
          },
          'request',
        ),
      );
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new LanyardError(
          'ERR_LISTEN',
          err.code === 'EADDRINUSE'
            ? `port ${o.port} is in use; pass --identity-port`
            : `Cannot listen on ${host}:${o.port}: ${err.message}`,
          {
            cause: err,
          },
        ),
      ),
    );
    server.listen(o.port ?? DEFAULT_IDENTITY_PORT, host === 'localhost' ? '127.0.0.1' : host, () =>
      resolve(),
    );
  });
  const port = (server.address() as net.AddressInfo).port;
  const origin = `http://${host === '::1' ? '[::1]' : host === 'localhost' ? '127.0.0.1' : host}:${port}`;
  return {
    port,
    origin,
    endpoint: `${origin}/msi/token`,
    imdsAuthority: (secret) => `${origin}/w/${secret.toLowerCase()}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}
