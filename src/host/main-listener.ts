/**
 * @module host/main-listener
 * The main HTTPS listener (default https://localhost:8443): health, the admin API, and the route groups of
 * every registered plane (host/planes.ts; today the issuer's discovery, JWKS and token endpoints). Its certificate comes from the local
 * CA in the data folder, for localhost, 127.0.0.1 and ::1, and any `<name>.localhost` gets a certificate of its
 * own through SNI. Its limits are the listener factory's defaults (src/http/listener.ts).
 *
 * Host `localhost` (the default) binds 127.0.0.1 and, when the machine has IPv6, also ::1 on the same port:
 * clients resolve `localhost` to either, and a port left free on ::1 could be taken by another program that
 * would then receive our callers' tokens. Any other host is bound exactly as given; a non-loopback address
 * exposes the admin API to the network (still behind the admin token), so it is logged as a warning.
 */
import { ensureLocalCa } from '../crypto/local-ca.ts';
import { constantTimeEqual } from '../crypto/secret-hash.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { sendJson } from '../http/http.ts';
import { DEFAULT_LIMITS, type Listener, type ListenerLimits, startListener } from '../http/listener.ts';
import type { Logger } from '../http/logger.ts';
import { createRequestHandler, type RouteGroup } from '../http/route-group.ts';
import { AZURE_HOST_PATTERNS } from '../net/azure-hosts.ts';
import type { Plane } from '../plane/contract.ts';
import { adminRoutes } from './admin-api.ts';
import { healthRoutes } from './health.ts';
import { DEFAULT_HOST, DEFAULT_PORT } from './listener-defaults.ts';
import { PLANES } from './planes.ts';
import type { Runtime } from './runtime.ts';

const KEY_MAINTENANCE_MS = 3_600_000;

export { DEFAULT_HOST, DEFAULT_PORT };

/** The main listener's limits: the defaults of every listener (docs/security.md, "Listener limits"). */
export const LISTENER_LIMITS: ListenerLimits = DEFAULT_LIMITS;

export interface StartServerOptions {
  /** Default `localhost` (127.0.0.1 plus ::1 when available). */
  host?: string | undefined;
  /** Default 8443; 0 picks a free port (the result says which). */
  port?: number | undefined;
  adminToken: string;
  logger: Logger;
  /** More route groups, tried after the planes' own. */
  routeGroups?: readonly RouteGroup[] | undefined;
  /** The tenant the `adfs` authority path stands for (default: the only tenant). */
  adfsTenant?: string | undefined;
  /** How long `close()` lets in-flight requests finish before cutting connections. Default 5 s. */
  shutdownGraceMs?: number | undefined;
  /** The planes whose routes it serves (default: the registry, host/planes.ts). */
  planes?: readonly Plane<Runtime>[] | undefined;
  /** Overrides of the listener limits (tests shorten the timeouts and the connection cap). */
  limits?: Partial<ListenerLimits> | undefined;
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

export async function startServer(runtime: Runtime, options: StartServerOptions): Promise<RunningServer> {
  const host = (options.host ?? DEFAULT_HOST).trim().toLowerCase();
  const port = options.port ?? DEFAULT_PORT;
  const { logger } = options;
  if (host === '')
    throw new LanyardError('ERR_USAGE', 'The host must not be empty.', {
      hint: 'Omit --host for localhost.',
    });

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

  // The issuer plane also reads `adfsTenant` (IssuerDeps), and the console signs people in with the admin token
  // (ConsoleDeps: a check, not the token): settings of this listener, not of the runtime.
  const adminToken = options.adminToken;
  const routeDeps = {
    ...runtime,
    adfsTenant: options.adfsTenant,
    isAdminToken: (token: string) => constantTimeEqual(token, adminToken),
  };
  const handler = createRequestHandler(
    [
      healthRoutes(),
      adminRoutes(runtime, { adminToken: options.adminToken, planes: options.planes }),
      ...(options.planes ?? PLANES).flatMap((plane: Plane<Runtime>) => plane.routes?.(routeDeps) ?? []),
      ...(options.routeGroups ?? []),
    ],
    logger,
  );
  let listener: Listener;
  try {
    listener = await startListener({
      name: 'main',
      host,
      port,
      // Azure's own names too, for programs that hard-code them (`lanyard run --azure-hosts`, net/azure-hosts.ts).
      tls: {
        key: cert.keyPem,
        cert: cert.chainPem,
        SNICallback: ca.sniCallback(['*.localhost', '*.vault.localhost', ...AZURE_HOST_PATTERNS]),
      },
      limits: { ...LISTENER_LIMITS, ...options.limits },
      handler,
      overloaded: (res) =>
        sendJson(
          res,
          503,
          new LanyardError('ERR_OVERLOADED', 'Too many open connections; try again shortly.', {
            hint: 'Reuse connections (keep-alive) rather than opening one per request.',
          }).toJSON(),
        ),
      requestLog: { logger, level: 'info' },
      logger,
      shutdownGraceMs: options.shutdownGraceMs ?? 5_000,
      portSetting: '--port',
      hostSetting: '--host',
    });
  } catch (err) {
    clearInterval(keyTimer);
    throw err;
  }
  if (!LOOPBACK.has(host)) {
    logger.warn(
      { host },
      'listening beyond loopback: the admin API is reachable from the network (it still requires the admin token)',
    );
  }
  // The factory's origin already names a wildcard or localhost binding `localhost`.
  const url = listener.origin;
  logger.info({ url, addresses: listener.addresses }, 'listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    port: listener.port,
    addresses: listener.addresses,
    caCertPath: ca.caCertPath,
    close: () => {
      closing ??= (async () => {
        clearInterval(keyTimer);
        await listener.close();
      })();
      return closing;
    },
  };
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}
