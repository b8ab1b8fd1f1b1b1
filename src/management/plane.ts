/**
 * @module management/plane
 * The management plane: Azure RBAC (custom role definitions, role assignments on ARM scopes, one evaluator),
 * the subscriptions and resource groups those scopes name, and the Resource Manager subset callers use, served
 * on the main listener (arm/group.ts), and the Microsoft Graph v1.0 subset beside it (graph/group.ts:
 * applications, service principals, app role assignments). Its rows are in migration `0008-management`; its
 * nouns of the CLI are `lanyard rbac`, `lanyard subscription` and `lanyard group` (cli/commands.ts).
 */
import type { Directory } from '../directory/directory.ts';
import type { Plane } from '../plane/contract.ts';
import { managementAdminRoutes } from './admin-routes.ts';
import { ARM_AUDIENCES, Authenticator } from './arm/auth.ts';
import { armRouteGroup } from './arm/group.ts';
import type { ManagementDeps } from './deps.ts';
import { GraphViewCache } from './graph/directory-view.ts';
import { graphTokenRefusal } from './graph/errors.ts';
import { GRAPH_AUDIENCES, graphRouteGroup } from './graph/group.ts';
import { managementManifest } from './manifest-section.ts';
import * as m0008 from './migrations/0008-management.ts';
import { ViewCache } from './view.ts';

export const managementPlane: Plane<ManagementDeps, Directory> = {
  name: 'management',
  owns: 'Azure RBAC (role definitions and scoped role assignments), subscriptions, resource groups, Resource Manager and Microsoft Graph',
  migrations: { '0008-management': m0008 },
  manifest: managementManifest,
  admin: managementAdminRoutes,
  routes(deps) {
    const views = ViewCache.shared(deps.directory);
    const tenantIds = async () => (await views.get()).tenants.map((t) => t.tenant.id);
    const arm = new Authenticator({
      keys: deps.keys,
      issuers: deps.issuers,
      tenantIds,
      now: () => deps.tokens.now().getTime(),
      audiences: ARM_AUDIENCES,
      service: 'Azure Resource Manager',
      scope: 'https://management.azure.com/.default',
    });
    const graph = new Authenticator({
      keys: deps.keys,
      issuers: deps.issuers,
      tenantIds,
      now: () => deps.tokens.now().getTime(),
      audiences: GRAPH_AUDIENCES,
      service: 'Microsoft Graph',
      scope: 'https://graph.microsoft.com/.default',
      refuse: graphTokenRefusal,
    });
    return [
      armRouteGroup({ directory: deps.directory, auth: arm, views }),
      graphRouteGroup({ directory: deps.directory, auth: graph, views: new GraphViewCache(deps.directory) }),
    ];
  },
  // No listener of its own: what `lanyard up` prints is where its routes are on the main one.
  async start(_deps, ctx) {
    if (!ctx.mainUrl) return undefined;
    return {
      lines: [
        `resource manager: ${ctx.mainUrl}  (az cloud register --endpoint-resource-manager ${ctx.mainUrl}; SDKs: endpoint + credentialScopes)`,
        `microsoft graph: ${ctx.mainUrl}/v1.0`,
      ],
      close: async () => {},
    };
  },
};
