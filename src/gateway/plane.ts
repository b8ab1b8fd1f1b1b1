/**
 * @module gateway/plane
 * The gateway plane owns API Management's model — per resource of kind gateway: its global policy, APIs and
 * operations, products, subscriptions, named values and backends (store.ts) — and runs one HTTPS front per
 * gateway (front.ts), its certificate from the local CA for `<name>.localhost`, `<name>.azure-api.net`,
 * `localhost` and 127.0.0.1. A change committed while Lanyard runs (CLI, admin API, manifest) reaches the
 * running fronts through the change feed: the gateway is compiled again and swapped in whole; when it does not
 * compile, the front keeps serving what it had and the refusal is logged with the policy's position. Its
 * manifest section is the `gateways:` key of each tenant (manifest-section.ts).
 */
import { ensureLocalCa, type LocalCa } from '../crypto/local-ca.ts';
import type { Directory } from '../directory/directory.ts';
import { inProcessWorkload } from '../identity/workloads.ts';
import type { Plane, RunningListener, StartContext, Started } from '../plane/contract.ts';
import { gatewayAdminRoutes } from './admin-routes.ts';
import { type CompiledGateway, compileGateway } from './compile-gateway.ts';
import type { GatewayDeps } from './deps.ts';
import { type GatewayFront, startGatewayFront } from './front.ts';
import { gatewayManifest } from './manifest-section.ts';
import * as m0007 from './migrations/0007-gateway.ts';
import type { GatewayDefinition } from './model.ts';
import { PolicyLoadError } from './policy/errors.ts';
import { managedIdentityTokens } from './policy/mi-tokens.ts';
import type { Counters, GatewayServices } from './policy/services.ts';
import { createTokenServices, entraTo, type TokenServices } from './policy/token-keys.ts';
import { createBackendClient, type PooledBackendClient } from './runtime/backend-client.ts';
import { countersFromEnv, type GatewayCounters } from './runtime/counters.ts';
import { createTraceStore, publishTraces, type TraceStore } from './runtime/traces.ts';
import { listGateways, type StoredGateway } from './store.ts';

export const gatewayPlane: Plane<GatewayDeps, Directory> = {
  name: 'gateway',
  owns: 'API Management gateways: APIs, operations, products, subscriptions, named values, backends, policies and a front per gateway',
  migrations: { '0007-gateway': m0007 },
  auditActions: ['config.refuse'],
  watches: ['gateway', 'directory'],
  start: startGateways,
  manifest: gatewayManifest,
  admin: gatewayAdminRoutes,
};

/** What the plane's fronts share: one backend client, token services and trace store. */
export interface SharedServices {
  readonly now: () => number;
  readonly tokens: TokenServices;
  readonly backend: PooledBackendClient;
  readonly traces: TraceStore;
}

/**
 * A gateway's services: the shared ones, its backends by name, and managed-identity tokens for its resource's
 * system-assigned identity (or a user-assigned one attached to it, by client id), from the identity plane's
 * in-process service, which caches each until five minutes before it expires.
 */
export function servicesFor(
  deps: Pick<GatewayDeps, 'identity'>,
  shared: SharedServices,
  definition: GatewayDefinition,
  counters: Counters,
): GatewayServices {
  const backends = new Map(definition.backends.map((b) => [b.name, { url: b.url }]));
  const mint = managedIdentityTokens(deps.identity, inProcessWorkload('gateway', definition));
  return {
    now: shared.now,
    tokens: shared.tokens,
    backend: shared.backend,
    counters,
    backendEntity: (id) => backends.get(id),
    async managedIdentityToken(request) {
      try {
        return await mint(request);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new Error(`Gateway ${definition.name} cannot get a managed-identity token: ${why}`, {
          cause: err,
        });
      }
    },
  };
}

/** The plane's running part: what `host.planes.get('gateway')` holds. */
export interface RunningGateways extends Started {
  /** The fronts serving now, by gateway name. */
  fronts(): { name: string; tenantId: string; url: string; front: GatewayFront }[];
  /** Traces of the requests that asked for one, newest last. */
  readonly traces: TraceStore;
}

interface Running {
  stored: StoredGateway;
  front: GatewayFront;
  url: string;
  counters: GatewayCounters;
}

const keyOf = (s: { tenantId: string; resourceId: string }) => `${s.tenantId}/${s.resourceId}`;

/** `https://<name>.localhost:<port>`: what callers use (the certificate names it). */
export function gatewayUrl(name: string, port: number): string {
  return `https://${name.toLowerCase()}.localhost:${port}`;
}

/** A refusal as the log shows it: the policy's position when it is a PolicyLoadError. */
function refusalFields(err: unknown): Record<string, unknown> {
  if (err instanceof PolicyLoadError) {
    const p = err.position;
    return { err, policyFile: p.file, line: p.line, column: p.column };
  }
  return { err };
}

/** Starts a front per stored gateway, all or none; `changed` brings the running set in line with the store. */
export async function startGateways(deps: GatewayDeps, ctx: StartContext): Promise<RunningGateways> {
  const ca: LocalCa = await ensureLocalCa({ dataDir: deps.dataDir, envelope: deps.envelope });
  const now = () => deps.tokens.now().getTime();
  const shared: SharedServices = {
    now,
    tokens: createTokenServices({
      now,
      ca: [ca.caCertPem],
      ...(ctx.mainUrl ? { rewrite: entraTo(ctx.mainUrl) } : {}),
    }),
    backend: createBackendClient({ ca: [ca.caCertPem] }),
    traces: createTraceStore(),
  };
  const fronts = new Map<string, Running>();
  const list = () => listGateways(deps.store.db, deps.envelope);
  // Counters live as long as their gateway's front, across recompiles (a change does not reset the counts).
  const counters = new Map<string, GatewayCounters>();
  const countersOf = (stored: StoredGateway) => {
    let c = counters.get(keyOf(stored));
    if (!c) {
      // Memory by default; Redis, shared by every process serving the gateway, with LANYARD_GATEWAY_REDIS.
      c = countersFromEnv(process.env, stored.name, { now, logger: ctx.logger });
      counters.set(keyOf(stored), c);
    }
    return c;
  };
  // The host may point an API elsewhere (settings.gatewayServiceUrl: the demo's apps on free ports).
  const effective = (d: GatewayDefinition): GatewayDefinition => {
    const hook = ctx.settings.gatewayServiceUrl;
    if (!hook) return d;
    return {
      ...d,
      apis: d.apis.map((api) => {
        const url = hook(d.tenantId, d.name, api.name);
        return url ? { ...api, serviceUrl: url } : api;
      }),
    };
  };
  const compile = (stored: StoredGateway): CompiledGateway =>
    compileGateway(effective(stored.definition), {
      services: servicesFor(deps, shared, stored.definition, countersOf(stored)),
    });

  const startOne = async (stored: StoredGateway, compiled: CompiledGateway): Promise<Running> => {
    const name = stored.name.toLowerCase();
    const hosts = [`${name}.localhost`, `${name}.azure-api.net`, 'localhost', '127.0.0.1'];
    const cert = await ca.issueServerCertificate(hosts);
    const front = await startGatewayFront({
      compiled,
      services: servicesFor(deps, shared, stored.definition, countersOf(stored)),
      hashKey: (key) => deps.hasher.hash(key),
      host: '127.0.0.1',
      port: stored.port,
      tls: { key: cert.keyPem, cert: cert.chainPem, SNICallback: ca.sniCallback(hosts) },
      limits: ctx.limits,
      logger: ctx.logger,
      traces: shared.traces,
    });
    const running = {
      stored,
      front,
      url: gatewayUrl(stored.name, front.listener.port),
      counters: countersOf(stored),
    };
    fronts.set(keyOf(stored), running);
    return running;
  };

  const closeShared = async () => {
    await shared.backend.close();
    await Promise.all([...counters.values()].map((c) => c.close()));
    counters.clear();
  };
  const refused = (stored: StoredGateway, err: unknown) => {
    ctx.logger.error(
      { ...refusalFields(err), gateway: stored.name },
      'gateway change not applied; the front keeps its previous configuration (if it had one)',
    );
    deps.audit
      .record({
        plane: 'gateway',
        action: 'config.refuse',
        outcome: 'failure',
        tenantId: stored.tenantId,
        target: stored.name,
        reason: err instanceof Error ? err.message : String(err),
      })
      .catch((e: unknown) => ctx.logger.error({ err: e }, 'gateway audit write failed'));
  };

  try {
    for (const stored of await list()) {
      // A gateway that does not compile (written past the store) is not served; the others are. It starts
      // once a change makes it compile.
      let compiled: CompiledGateway;
      try {
        compiled = compile(stored);
      } catch (err) {
        refused(stored, err);
        continue;
      }
      await startOne(stored, compiled);
    }
  } catch (err) {
    await Promise.all([...fronts.values()].map((f) => f.front.close()));
    await closeShared();
    throw err;
  }

  const reconcile = async (topic: string) => {
    const wanted = new Map((await list()).map((s) => [keyOf(s), s]));
    for (const [key, running] of fronts) {
      if (wanted.has(key)) continue;
      fronts.delete(key);
      await running.front.close();
      counters.delete(key);
      await running.counters.close();
      ctx.logger.info({ gateway: running.stored.name }, 'gateway front stopped: its gateway was removed');
    }
    for (const [key, stored] of wanted) {
      const running = fronts.get(key);
      const same =
        running &&
        JSON.stringify(stored.definition) === JSON.stringify(running.stored.definition) &&
        stored.port === running.stored.port;
      // A directory change (a resource renamed, an identity attached) may change what compiles even when the
      // stored gateway did not: then every gateway is compiled again.
      if (same && topic !== 'directory') continue;
      let compiled: CompiledGateway;
      try {
        compiled = compile(stored);
      } catch (err) {
        refused(stored, err);
        continue;
      }
      try {
        if (!running) {
          const started = await startOne(stored, compiled);
          ctx.logger.info({ gateway: stored.name, url: started.url }, 'gateway front started');
        } else if (
          stored.port !== running.stored.port ||
          stored.name.toLowerCase() !== running.stored.name.toLowerCase()
        ) {
          // A new port or name: a new listener (and certificate); the old one closes once it is up.
          fronts.delete(key);
          try {
            const started = await startOne(stored, compiled);
            ctx.logger.info({ gateway: stored.name, url: started.url }, 'gateway front restarted');
          } catch (err) {
            fronts.set(key, running);
            throw err;
          }
          await running.front.close();
        } else {
          running.front.reconfigure(compiled);
          running.stored = stored;
          ctx.logger.debug({ gateway: stored.name }, 'gateway front reconfigured');
        }
      } catch (err) {
        refused(stored, err);
      }
    }
  };

  let reconciling: Promise<void> = Promise.resolve();
  // The admin API's `…/traces/:id` reads them through the same runtime (runtime/traces.ts).
  const unpublish = publishTraces(deps, shared.traces);
  return {
    get lines() {
      return [...fronts.values()].map((f) => `gateway ${f.stored.name}  ${f.url}`);
    },
    changed(topic) {
      // One reconciliation at a time, in commit order.
      const run = () => reconcile(topic);
      reconciling = reconciling.then(run, run);
      return reconciling;
    },
    traces: shared.traces,
    fronts: () =>
      [...fronts.values()].map((f) => ({
        name: f.stored.name,
        tenantId: f.stored.tenantId,
        url: f.url,
        front: f.front,
      })),
    listeners: (): RunningListener[] =>
      [...fronts.values()].map((f) => ({ kind: 'gateway', name: f.stored.name, url: f.url })),
    close: async () => {
      unpublish();
      await reconciling.catch(() => {});
      await Promise.all([...fronts.values()].map((f) => f.front.close()));
      await closeShared();
    },
  };
}
