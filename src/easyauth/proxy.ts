/**
 * @module easyauth/proxy
 * The Easy Auth front of one app, wired: an HTTPS listener (http/listener; certificate from the local CA for
 * `<resource>.localhost`, `localhost` and 127.0.0.1) whose requests are decided by easyauth/decide, answered by
 * easyauth/respond and, for WebSockets, easyauth/upgrade, under the compiled config of easyauth/front. A running
 * front can be given a new config (`reconfigure`): it is compiled first and swapped in whole for the requests
 * that follow; a new listen address starts a new listener before the old one closes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { ensureLocalCa, type LocalCa } from '../crypto/local-ca.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import {
  type ClientRefusal,
  type Listener,
  type ListenerLimits,
  rawResponse,
  startListener,
} from '../http/listener.ts';
import type { Logger } from '../http/logger.ts';
import { type EasyAuthConfig, type EasyAuthConfigInput, frontUrl } from './config.ts';
import { decide, type FrontRequest } from './decide.ts';
import type { EasyAuthDeps } from './deps.ts';
import { compileFront, type Front, type FrontResource, findAppResource } from './front.ts';
import { respond } from './respond.ts';
import { handleUpgrade } from './upgrade.ts';

/** The listener defaults (http/listener), but five minutes for a whole request: uploads stream through. */
export const FRONT_LIMITS: Partial<ListenerLimits> = Object.freeze({ requestTimeout: 300_000 });

export interface StartEasyAuthOptions {
  /** The resource's tenant (name, id or domain); needed only when several tenants have a resource of that name. */
  tenant?: string | undefined;
  /** Overrides `config.listen.port` (0 picks a free port), also across `reconfigure`. */
  port?: number | undefined;
  /** Overrides `config.listen.host`, also across `reconfigure`. */
  host?: string | undefined;
  /** Request lines (method, path without query, status, ms) at debug level, failures at warn. */
  logger?: Logger | undefined;
  /** How long close() lets in-flight requests finish. Default 2 s. */
  shutdownGraceMs?: number | undefined;
  /** Overrides of the listener limits (tests shorten the timeouts and the connection cap). */
  limits?: Partial<ListenerLimits> | undefined;
}

export interface ReconfigureResult {
  /** The listen address changed: a new listener took over (`url` and `port` may have changed). */
  readonly restarted: boolean;
}

export interface EasyAuthFront {
  /** `https://<resource>.localhost:<port>`: what callers use (the certificate names it). */
  readonly url: string;
  /** `https://127.0.0.1:<port>` (or the listen address): the same listener, for clients that cannot resolve *.localhost. */
  readonly loopbackUrl: string;
  readonly port: number;
  readonly resource: FrontResource;
  readonly upstream: string;
  /** The config in effect (defaults filled in, clientId resolved). */
  readonly config: EasyAuthConfig;
  /**
   * Compiles `config` and serves the requests that follow with it; requests already decided finish under the
   * old one. When it cannot be compiled (or a new listen address cannot be bound) this rejects with the error
   * and nothing changes. Calls are applied one at a time, in order.
   */
  reconfigure(config: EasyAuthConfigInput | EasyAuthConfig): Promise<ReconfigureResult>;
  close(): Promise<void>;
}

interface Address {
  host: string;
  port: number;
}

interface Bound {
  listener: Listener;
  /** Live WebSocket tunnels (both sockets of each): ended when the listener closes. */
  tunnels: Set<Duplex>;
  host: string;
}

function addressOf(config: EasyAuthConfig, options: StartEasyAuthOptions): Address {
  const host = options.host ?? config.listen.host;
  // One address: the certificate names 127.0.0.1, and a second (::1) listener is not what `host` asked for.
  return { host: host === 'localhost' ? '127.0.0.1' : host, port: options.port ?? config.listen.port };
}

function requestOf(req: IncomingMessage): FrontRequest {
  return {
    method: req.method,
    url: req.url,
    rawHeaders: req.rawHeaders,
    remoteAddress: req.socket.remoteAddress,
  };
}

/** Starts the Easy Auth front of `resourceName` with `config` (validated here; defaults filled in). */
export async function startEasyAuth(
  deps: EasyAuthDeps,
  resourceName: string,
  input: EasyAuthConfigInput | EasyAuthConfig,
  options: StartEasyAuthOptions = {},
): Promise<EasyAuthFront> {
  const resource = await findAppResource(deps, resourceName, options.tenant);
  const logger = options.logger;
  const ca = await ensureLocalCa({ dataDir: deps.dataDir, envelope: deps.envelope });
  const first = await compileFront(deps, resource, input, { logger, caCertPem: ca.caCertPem });
  try {
    await deps.keys.ensureReady();
    const serving: Serving = { front: first };
    const bound = await listen(deps, ca, first, addressOf(first.config, options), options, serving);
    return running(deps, ca, resource, options, { serving, bound });
  } catch (err) {
    await first.upstream.pool.destroy();
    throw err;
  }
}

/** The compiled config serving new requests: read once per request, replaced whole by `reconfigure`. */
interface Serving {
  front: Front;
}

interface State {
  readonly serving: Serving;
  bound: Bound;
}

function running(
  deps: EasyAuthDeps,
  ca: LocalCa,
  resource: FrontResource,
  options: StartEasyAuthOptions,
  state: State,
): EasyAuthFront {
  const logger = options.logger;
  const grace = options.shutdownGraceMs ?? 2_000;
  const serving = state.serving;
  let queue: Promise<unknown> = Promise.resolve();
  let closing: Promise<void> | undefined;
  /** Pools of replaced upstreams, closed once the grace period has let their requests finish. */
  const retired = new Map<Front['upstream'], NodeJS.Timeout>();

  const retire = (old: Front) => {
    if (old.upstream === serving.front.upstream) return;
    // A request decided just before the swap may still be waiting on a key fetch: it forwards to the old app.
    const timer = setTimeout(() => {
      retired.delete(old.upstream);
      old.upstream.close().catch((err: unknown) => logger?.warn({ err }, 'easy auth upstream close failed'));
    }, grace);
    timer.unref();
    retired.set(old.upstream, timer);
  };

  const apply = async (input: EasyAuthConfigInput | EasyAuthConfig): Promise<ReconfigureResult> => {
    if (closing) throw new LanyardError('ERR_USAGE', `The Easy Auth front of ${resource.name} is closed.`);
    const old = serving.front;
    const next = await compileFront(deps, resource, input, {
      logger,
      previous: old,
      caCertPem: ca.caCertPem,
    });
    const want = addressOf(next.config, options);
    const current = state.bound;
    // Port 0 means any free port: the one bound already is one.
    if (want.host === current.host && (want.port === 0 || want.port === current.listener.port)) {
      serving.front = next;
      retire(old);
      return { restarted: false };
    }
    let fresh: Bound;
    try {
      fresh = await listen(deps, ca, next, want, options, serving);
    } catch (err) {
      if (next.upstream !== old.upstream) await next.upstream.pool.destroy();
      throw err;
    }
    serving.front = next;
    state.bound = fresh;
    retire(old);
    await closeBound(current);
    logger?.info(
      { resource: resource.name, url: frontUrl(resource.name, fresh.listener.port) },
      'easy auth front moved',
    );
    return { restarted: true };
  };

  return {
    get url() {
      return frontUrl(resource.name, state.bound.listener.port);
    },
    get loopbackUrl() {
      const host = state.bound.host;
      const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : net.isIPv6(host) ? `[${host}]` : host;
      return `https://${shown}:${state.bound.listener.port}`;
    },
    get port() {
      return state.bound.listener.port;
    },
    resource,
    get upstream() {
      return serving.front.config.upstream;
    },
    get config() {
      return serving.front.config;
    },
    reconfigure(input) {
      const result = queue.then(
        () => apply(input),
        () => apply(input),
      );
      queue = result.catch(() => undefined);
      return result;
    },
    close() {
      closing ??= (async () => {
        // A reconfiguration under way finishes first, so no listener it starts outlives the front.
        await queue;
        await closeBound(state.bound);
        for (const [upstream, timer] of retired) {
          clearTimeout(timer);
          await upstream.pool.destroy();
        }
        await serving.front.upstream.pool.destroy();
      })();
      return closing;
    },
  };
}

async function closeBound(bound: Bound): Promise<void> {
  const closed = bound.listener.close();
  for (const s of bound.tunnels) s.destroy();
  await closed;
}

/** Binds `address` with a certificate for it; each request is served by `serving.front` as it arrives. */
async function listen(
  deps: EasyAuthDeps,
  ca: LocalCa,
  front: Front,
  address: Address,
  options: StartEasyAuthOptions,
  serving: Serving,
): Promise<Bound> {
  const { resource, realm, logger } = front;
  const host = address.host;
  const certHosts = [realm, 'localhost', '127.0.0.1'];
  if (!certHosts.includes(host) && net.isIP(host) && host !== '0.0.0.0' && host !== '::')
    certHosts.push(host);
  const cert = await ca.issueServerCertificate(certHosts);
  const tunnels = new Set<Duplex>();

  const failed = (res: ServerResponse, err: unknown) => {
    logger?.error({ err, resource: resource.name }, 'easy auth request failed');
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Internal Server Error');
  };

  // The hot path: no closure and no promise when the decision is synchronous (a known token).
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const f = serving.front;
    const request = requestOf(req);
    try {
      const decision = decide(request, f);
      const done =
        decision instanceof Promise
          ? decision.then((d) => respond(f, d, request, req, res))
          : respond(f, decision, request, req, res);
      if (done) done.catch((err: unknown) => failed(res, err));
    } catch (err) {
      failed(res, err);
    }
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    handleUpgrade(serving.front, requestOf(req), req, socket, head, tunnels).catch((err: unknown) => {
      logger?.error({ err, resource: resource.name }, 'easy auth upgrade failed');
      socket.destroy();
    });
  };

  /** A request the parser refused: the plain-text answer, and an audit row as for every refusal. */
  const onClientError = (refusal: ClientRefusal, socket: Duplex): boolean => {
    const { status, reason } = refusal;
    socket.end(
      rawResponse(
        status,
        ['content-type', 'text/plain; charset=utf-8'],
        status === 431 ? 'Request Header Fields Too Large' : 'Bad Request',
      ),
    );
    deps.audit
      .record({
        plane: 'easyauth',
        action: 'request.refuse',
        outcome: 'failure',
        tenantId: resource.tenantId,
        target: resource.name,
        reason,
        details: { status, parser: refusal.parserCode, remote: refusal.remoteAddress },
      })
      .catch((e: unknown) => logger?.error({ err: e }, 'easy auth audit write failed'));
    return true;
  };

  const listener = await startListener({
    name: `Easy Auth front of ${resource.name}`,
    host,
    port: address.port,
    tls: { key: cert.keyPem, cert: cert.chainPem, SNICallback: ca.sniCallback([realm, `*.${realm}`]) },
    limits: { ...FRONT_LIMITS, ...options.limits },
    handler,
    onUpgrade,
    onClientError,
    requestLog: logger ? { logger, level: 'debug', fields: { resource: resource.name } } : undefined,
    logger,
    shutdownGraceMs: options.shutdownGraceMs ?? 2_000,
    portSetting: 'easyAuth.listen.port',
    hostSetting: 'easyAuth.listen.host',
  });
  return { listener, tunnels, host };
}
