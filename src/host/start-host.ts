/**
 * @module host/start-host
 * `startHost()`: everything `lanyard up` serves, started from the plane registry — the main HTTPS listener
 * (health, admin API and each plane's routes), then each plane's own listeners in registry order, the
 * `server.json` that tells other commands where it listens, and the change feed that carries store changes
 * to the running planes. `up`, `demo`, the tests and the benches start Lanyard through it; `close()` stops
 * it all in reverse order. It never touches signals or stdout: the caller decides (host/signals.ts).
 */
import fs from 'node:fs';
import type { ListenerLimits } from '../http/listener.ts';
import type { Logger } from '../http/logger.ts';
import { readServerInfo, serverInfoPath } from '../identity/server-info.ts';
import type { HostSettings, Plane, Started } from '../plane/contract.ts';
import { type RunningServer, startServer } from './main-listener.ts';
import { PLANES } from './planes.ts';
import { writeRunInfo } from './run-info.ts';
import type { Runtime } from './runtime.ts';
import { VERSION } from './version.ts';

/** The runtime meets every registered plane's needs: a plane whose `D` it does not satisfy fails to compile here. */
const REGISTERED: readonly Plane<Runtime>[] = PLANES;

export interface StartHostOptions {
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly adminToken: string;
  /** Main listener address (default localhost) and port (default 8443; 0 picks one). */
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly settings?: HostSettings | undefined;
  /** Limits of every listener: the main one and the planes' (tests shorten them). */
  readonly limits?: Partial<ListenerLimits> | undefined;
  readonly shutdownGraceMs?: number | undefined;
  /** The tenant the issuer's `adfs` authority path stands for (default: the only tenant). */
  readonly adfsTenant?: string | undefined;
  /** Write `<dataDir>/server.json` (default true; host/run-info.ts). */
  readonly serverInfo?: boolean | undefined;
  /** The admin token file, for server.json; undefined when the token came from LANYARD_ADMIN_TOKEN. */
  readonly adminTokenFile?: string | undefined;
  /** The planes to run (default: the registry). */
  readonly planes?: readonly Plane<Runtime>[] | undefined;
}

export interface RunningHost {
  readonly server: RunningServer;
  /** Each plane's running part, by plane name (planes without listeners are absent). */
  readonly planes: ReadonlyMap<string, Started>;
  /** The managed-identity endpoint, when the identity plane runs. */
  readonly identityEndpoint: string | undefined;
  /** What a person needs to know, one line per listener. */
  lines(): string[];
  close(): Promise<void>;
}

export async function startHost(o: StartHostOptions): Promise<RunningHost> {
  const { runtime, logger } = o;
  const planes = o.planes ?? REGISTERED;
  const settings = o.settings ?? {};
  const server = await startServer(runtime, {
    host: o.host,
    port: o.port,
    adminToken: o.adminToken,
    logger,
    limits: o.limits,
    shutdownGraceMs: o.shutdownGraceMs,
    adfsTenant: o.adfsTenant,
    planes,
  });
  const started = new Map<string, Started>();
  const stopAll = async () => {
    for (const s of [...started.values()].reverse()) {
      await s.close().catch((err: unknown) => logger.error({ err }, 'a plane failed to stop'));
    }
    await server.close();
  };
  try {
    for (const plane of planes) {
      const s = await plane.start?.(runtime, { logger, settings, limits: o.limits, mainUrl: server.url });
      if (s) started.set(plane.name, s);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  const identityEndpoint = [...started.values()].map((s) => s.info?.identityEndpoint).find(Boolean);
  const infoFile = serverInfoPath(runtime.dataDir);
  const startedAt = new Date().toISOString();
  let closing: Promise<void> | undefined;
  /** server.json now: at ready, then after each change a plane applied (its listeners may have changed). */
  const writeInfo = (initial: boolean) => {
    if (!(o.serverInfo ?? true) || closing) return;
    // Another Lanyard on this data folder that has written its own since keeps it.
    if (!initial && readServerInfo(runtime.dataDir)?.pid !== process.pid) return;
    writeRunInfo(runtime.dataDir, {
      url: server.url,
      identityEndpoint: identityEndpoint ?? '',
      pid: process.pid,
      version: VERSION,
      startedAt,
      dataDir: runtime.dataDir,
      store: runtime.store.location,
      adminTokenFile: o.adminTokenFile ?? null,
      caCertPath: server.caCertPath,
      listeners: [...started].flatMap(([plane, s]) => (s.listeners?.() ?? []).map((l) => ({ plane, ...l }))),
    });
  };
  const unsubscribe = watchChanges(runtime, planes, started, logger, () => {
    try {
      writeInfo(false);
    } catch (err) {
      logger.warn({ err }, 'server.json not updated');
    }
  });
  writeInfo(true);
  return {
    server,
    planes: started,
    identityEndpoint,
    lines: () => [`lanyard listening on ${server.url}`, ...[...started.values()].flatMap((s) => s.lines)],
    close() {
      closing ??= (async () => {
        unsubscribe();
        // Removed unless another Lanyard on this data folder has written its own since.
        if ((o.serverInfo ?? true) && readServerInfo(runtime.dataDir)?.pid === process.pid) {
          fs.rmSync(infoFile, { force: true });
        }
        await stopAll();
      })();
      return closing;
    },
  };
}

/** Hands each committed change to the running planes that watch its topic. */
function watchChanges(
  runtime: Runtime,
  planes: readonly Plane<Runtime>[],
  started: ReadonlyMap<string, Started>,
  logger: Logger,
  applied: () => void,
): () => void {
  const topics = [...new Set(planes.flatMap((p) => p.watches ?? []))];
  if (topics.length === 0) return () => {};
  return runtime.store.changes.subscribe(topics, (topic) => {
    for (const plane of planes) {
      const running = started.get(plane.name);
      if (!running?.changed || !plane.watches?.includes(topic)) continue;
      running
        .changed(topic)
        .then(applied)
        .catch((err: unknown) =>
          logger.error({ err, plane: plane.name, topic }, 'a plane failed to apply a change'),
        );
    }
  });
}
