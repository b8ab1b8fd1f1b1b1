/**
 * @module vault/plane
 * The vault plane: Key Vault secrets kept per resource of kind vault (versions sealed at rest, soft delete,
 * purge protection, backup and restore; store.ts, backup.ts, rewrap.ts), served with Key Vault's REST API on
 * the main listener for hosts `<vault>.vault.localhost` (and `<vault>.vault.azure.net`; api/group.ts), access
 * decided by Azure RBAC data actions on the vault's scope. Its rows are in migration `0010-vault`; its noun of
 * the CLI is `lanyard vault` (cli/commands.ts). While running, it removes secrets whose retention has ended
 * every hour.
 */
import { Cron } from 'croner';
import type { Directory } from '../directory/directory.ts';
import { ViewCache } from '../management/view.ts';
import type { Plane } from '../plane/contract.ts';
import { vaultAdminRoutes } from './admin-routes.ts';
import { VaultAuthenticator } from './api/auth.ts';
import { vaultRouteGroup } from './api/group.ts';
import type { VaultDeps } from './deps.ts';
import { createWriteBatcher, type WriteBatcher } from './group-commit.ts';
import { vaultManifest } from './manifest-section.ts';
import * as m0010 from './migrations/0010-vault.ts';
import * as m0012 from './migrations/0012-sealed-keys.ts';
import { purgeExpired } from './store.ts';

/** One write batcher per runtime: the routes write through it, and stopping the plane waits for it. */
const batchers = new WeakMap<VaultDeps, WriteBatcher>();
function batcherOf(deps: VaultDeps): WriteBatcher {
  let b = batchers.get(deps);
  if (!b) {
    b = createWriteBatcher(deps.directory);
    batchers.set(deps, b);
  }
  return b;
}

export const vaultPlane: Plane<VaultDeps, Directory> = {
  name: 'vault',
  owns: 'Key Vault secrets: versions sealed at rest, soft delete and purge protection, backup and restore',
  migrations: { '0010-vault': m0010, '0012-sealed-keys': m0012 },
  auditActions: [
    'secret.get',
    'secret.set',
    'secret.update',
    'secret.delete',
    'secret.list',
    'secret.versions',
    'secret.list-deleted',
    'secret.get-deleted',
    'secret.recover',
    'secret.purge',
    'secret.backup',
    'secret.restore',
    'secret.request',
    'master-key.rotate',
    'secret.show',
    'vault.update',
  ],
  manifest: vaultManifest,
  admin: vaultAdminRoutes,
  routes(deps) {
    // Shared with Resource Manager; its versions are read once per event-loop turn, not twice per request.
    const views = ViewCache.shared(deps.directory);
    const auth = new VaultAuthenticator({
      keys: deps.keys,
      issuers: deps.issuers,
      tenantIds: async () => (await views.get()).tenants.map((t) => t.tenant.id),
      now: () => deps.tokens.now().getTime(),
    });
    return [
      vaultRouteGroup({ directory: deps.directory, auth, views, audit: deps.audit, writes: batcherOf(deps) }),
    ];
  },
  async start(deps, ctx) {
    const sweep = async () => {
      try {
        const n = await purgeExpired(deps.directory);
        if (n > 0) ctx.logger.info({ purged: n }, 'vault: removed deleted secrets whose retention ended');
      } catch (err) {
        ctx.logger.error({ err }, 'vault: removing expired deleted secrets failed');
      }
    };
    await sweep();
    const job = new Cron('17 * * * *', { protect: true }, sweep);
    const port = ctx.mainUrl ? new URL(ctx.mainUrl).port : '';
    return {
      lines: ctx.mainUrl
        ? [
            `key vault: https://<vault>.vault.localhost${port ? `:${port}` : ''}  (challenge resource https://vault.localhost)`,
          ]
        : [],
      close: async () => {
        job.stop();
        await batcherOf(deps).close();
      },
    };
  },
};
