/**
 * @module easyauth/manifest-section
 * Easy Auth's section of `lanyard.yaml`: an `easyAuth:` block on a resource of kind app, the same
 * `authsettingsV2`-shaped config `lanyard easyauth set` takes (easyauth/config). At load: the clientId names an
 * appId or an app the tenant declares, and no two fronts share a fixed port. In a plan: a config is created,
 * updated field by field (keys compared by hash, never printed) or, when the manifest no longer declares it,
 * deleted with `--prune`. The Easy Auth plane sets it as its `manifest`.
 */
import type { Directory } from '../directory/directory.ts';
import { DIRECTORY_PHASE } from '../directory/manifest/plan.ts';
import type { DirectoryManifest, ManifestTenant } from '../directory/manifest/schema.ts';
import type { Application } from '../directory/types.ts';
import { duplicates, type ManifestProblem } from '../manifest/problems.ts';
import type { DeclaredManifest, ResourceSection, TenantPlan } from '../manifest/section.ts';
import type { KeyPath } from '../manifest/source.ts';
import type { PlanObject } from '../manifest/types.ts';
import { type EasyAuthConfig, easyAuthConfigSchema, isGuid } from './config.ts';
import {
  deleteEasyAuthConfig,
  easyAuthChanges,
  listEasyAuthConfigs,
  type StoredEasyAuth,
  setEasyAuth,
} from './store.ts';

/**
 * A config goes before the resource it sits on (after the directory's assignment and credential deletions);
 * it is set after the apps whose appId its clientId names, the resource and the role assignments.
 */
export const EASYAUTH_PHASE = {
  deleteEasyAuth: DIRECTORY_PHASE.deleteResource - 5,
  easyAuth: DIRECTORY_PHASE.roleAssignment + 5,
} as const;

/** What the store holds for one tenant: its configs, and its apps (a declared clientId may name one). */
interface EasyAuthState {
  configs: StoredEasyAuth[];
  apps: Application[];
  hasher: Directory['deps']['hasher'];
}

type EasyAuthResource = ManifestTenant['resources'][number] & { easyAuth?: EasyAuthConfig | undefined };

const resourcesOf = (tenant: ManifestTenant): EasyAuthResource[] => tenant.resources;

function check(declared: DeclaredManifest, out: ManifestProblem[]): void {
  const manifest = declared as unknown as DirectoryManifest;
  manifest.tenants.forEach((tenant, t) => {
    resourcesOf(tenant).forEach((resource, r) => {
      // The clientId: an appId, or an app this tenant declares (by name or App ID URI).
      const clientId = resource.easyAuth?.identityProviders.azureActiveDirectory.registration.clientId;
      if (clientId === undefined || isGuid(clientId)) return;
      const lower = clientId.toLowerCase();
      const named = tenant.apps.some(
        (a) => a.name === clientId || a.identifierUris.some((u) => u.toLowerCase() === lower),
      );
      if (!named) {
        out.push({
          kind: 'reference',
          path: [
            'tenants',
            t,
            'resources',
            r,
            'easyAuth',
            'identityProviders',
            'azureActiveDirectory',
            'registration',
            'clientId',
          ],
          message: `clientId "${clientId}" is neither an appId nor an app declared under tenants[${t}].apps`,
        });
      }
    });
  });
  // Easy Auth fronts all run in one `lanyard up`: two cannot share a fixed port.
  const ports = manifest.tenants.flatMap((tenant, t) =>
    resourcesOf(tenant).flatMap((r, i) =>
      r.easyAuth && r.easyAuth.listen.port !== 0
        ? [
            {
              port: r.easyAuth.listen.port,
              path: ['tenants', t, 'resources', i, 'easyAuth', 'listen', 'port'] as KeyPath,
            },
          ]
        : [],
    ),
  );
  duplicates(
    ports,
    (p) => String(p.port),
    (i) => ports[i]!.path,
    (p) => `port ${p.port} is used by another Easy Auth front; use another, or 0 for a free one`,
    out,
  );
}

async function read(d: Directory, tenant: { id: string } | undefined): Promise<EasyAuthState> {
  if (!tenant) return { configs: [], apps: [], hasher: d.deps.hasher };
  return {
    configs: await listEasyAuthConfigs(d.db, { tenantId: tenant.id }),
    apps: await d.listApps(tenant.id),
    hasher: d.deps.hasher,
  };
}

function plan({ planner: p, declared }: TenantPlan<Directory>, state: EasyAuthState): void {
  const t = declared as unknown as ManifestTenant;
  for (const resource of resourcesOf(t)) {
    const object: PlanObject = { kind: 'easyAuth', tenant: t.name, name: resource.name };
    const stored = state.configs.find((e) => e.resourceName.toLowerCase() === resource.name.toLowerCase());
    const config = resource.easyAuth;
    if (!config) {
      // A config the manifest does not declare (set with the CLI) is kept unless pruning, like any object.
      if (stored)
        p.undeclared(EASYAUTH_PHASE.deleteEasyAuth, object, (d) =>
          deleteEasyAuthConfig(d.db, stored.resourceId),
        );
      continue;
    }
    const run = (d: Directory) => setEasyAuth(d, t.name, resource.name, config);
    if (!stored) {
      p.add(EASYAUTH_PHASE.easyAuth, 'create', object, run);
      continue;
    }
    // Compare with the clientId as it will be stored: an app name becomes that app's appId.
    const want = structuredClone(config);
    const registration = want.identityProviders.azureActiveDirectory.registration;
    const ref = registration.clientId;
    if (isGuid(ref)) registration.clientId = ref.toLowerCase();
    else {
      const app = state.apps.find(
        (a) => a.name === ref || a.identifierUris.some((u) => u.toLowerCase() === ref.toLowerCase()),
      );
      registration.clientId = app?.appId ?? `appId of ${ref}`;
    }
    const changes = easyAuthChanges(stored.config, want, state.hasher);
    if (changes.length > 0) p.add(EASYAUTH_PHASE.easyAuth, 'update', object, run, changes);
  }
}

export const easyAuthManifest: ResourceSection<Directory, EasyAuthState> = {
  place: 'resource',
  key: 'easyAuth',
  schema: easyAuthConfigSchema
    .optional()
    .describe('Easy Auth in front of this app (kind app only); see docs/easyauth.md. Default: none.'),
  only: { when: (r) => r.kind === 'app', message: 'easyAuth is only for resources of kind app' },
  check,
  read,
  plan,
};
