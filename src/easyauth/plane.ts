/**
 * @module easyauth/plane
 * The Easy Auth plane owns the `authsettingsV2`-shaped configs of apps and runs one authenticating HTTPS
 * front per config, each forwarding to its app's upstream. A config changed while Lanyard runs (CLI, admin
 * API, manifest) reaches the running fronts through the change feed, without a restart. Its manifest section
 * is the `easyAuth:` key of a resource (manifest-section.ts).
 */
import type { Directory } from '../directory/directory.ts';
import type { Plane, StartContext, Started } from '../plane/contract.ts';
import type { EasyAuthDeps } from './deps.ts';
import { easyAuthManifest } from './manifest-section.ts';
import * as m0004 from './migrations/0004-easyauth.ts';
import { type EasyAuthFront, startEasyAuth } from './proxy.ts';
import { listEasyAuthConfigs, type StoredEasyAuth } from './store.ts';

export const easyAuthPlane: Plane<EasyAuthDeps, Directory> = {
  name: 'easyauth',
  owns: 'Easy Auth configs and their authenticating fronts',
  migrations: { '0004-easyauth': m0004 },
  auditActions: ['request.refuse', 'token.ignore'],
  watches: ['easyauth', 'directory'],
  start: startFronts,
  manifest: easyAuthManifest,
};

/** The plane's running part: what `host.planes.get('easyauth')` holds. */
export interface RunningFronts extends Started {
  /** The fronts serving now, in start order. */
  fronts(): EasyAuthFront[];
}

const keyOf = (s: { tenantId: string; resourceName: string }) => `${s.tenantId}/${s.resourceName}`;

/** Starts a front per stored config, all or none; `changed` brings the running set in line with the store. */
export async function startFronts(deps: EasyAuthDeps, ctx: StartContext): Promise<RunningFronts> {
  const fronts = new Map<string, { stored: StoredEasyAuth; front: EasyAuthFront }>();
  const effective = (stored: StoredEasyAuth) => {
    const upstream = ctx.settings.easyAuthUpstream?.(stored.tenantId, stored.resourceName);
    return upstream ? { ...stored.config, upstream } : stored.config;
  };
  const startOne = async (stored: StoredEasyAuth) => {
    const front = await startEasyAuth(deps, stored.resourceName, effective(stored), {
      tenant: stored.tenantId,
      logger: ctx.logger,
      limits: ctx.limits,
    });
    fronts.set(keyOf(stored), { stored, front });
    return front;
  };
  try {
    for (const stored of await listEasyAuthConfigs(deps.store.db)) await startOne(stored);
  } catch (err) {
    await Promise.all([...fronts.values()].map((f) => f.front.close()));
    throw err;
  }

  let reconciling: Promise<void> = Promise.resolve();
  const reconcile = async (topic: string) => {
    const wanted = new Map((await listEasyAuthConfigs(deps.store.db)).map((s) => [keyOf(s), s]));
    for (const [key, running] of fronts) {
      if (wanted.has(key)) continue;
      fronts.delete(key);
      await running.front.close();
      ctx.logger.info(
        { resource: running.stored.resourceName },
        'easy auth front stopped: its config was removed',
      );
    }
    for (const [key, stored] of wanted) {
      const running = fronts.get(key);
      try {
        if (!running) {
          const front = await startOne(stored);
          ctx.logger.info({ resource: stored.resourceName, url: front.url }, 'easy auth front started');
        } else if (
          topic === 'directory' ||
          JSON.stringify(stored.config) !== JSON.stringify(running.stored.config)
        ) {
          // A directory change (an app's roles, a client id) may change the compiled policy even when the
          // stored config did not: then every front is rebuilt; after an Easy Auth change, only the fronts whose
          // config changed. The old policy serves until the new one is ready.
          const outcome = await running.front.reconfigure(effective(stored));
          running.stored = stored;
          ctx.logger.debug(
            { resource: stored.resourceName, restarted: outcome.restarted },
            'easy auth front reconfigured',
          );
        }
      } catch (err) {
        ctx.logger.error(
          { err, resource: stored.resourceName },
          'easy auth config change not applied; the front keeps its previous config',
        );
      }
    }
  };

  return {
    get lines() {
      return [...fronts.values()].map(
        (f) => `easy auth ${f.front.resource.name}: ${f.front.url} → ${f.front.upstream}`,
      );
    },
    changed(topic) {
      // One reconciliation at a time, in commit order.
      const run = () => reconcile(topic);
      reconciling = reconciling.then(run, run);
      return reconciling;
    },
    fronts: () => [...fronts.values()].map((f) => f.front),
    listeners: () =>
      [...fronts.values()].map((f) => ({
        kind: 'easyauth',
        name: f.front.resource.name,
        url: f.front.url,
        upstream: f.front.upstream,
      })),
    close: async () => {
      await reconciling.catch(() => {});
      await Promise.all([...fronts.values()].map((f) => f.front.close()));
    },
  };
}
