/**
 * @module console/graph
 * `GET /admin/tenants/:tenant/graph`: who may call what in one tenant, as nodes and edges for the console's
 * Graph view (and for scripts). One read of each list the directory and the planes keep — apps (first-party
 * ones only when something points at them), service principals, managed identities, resources, app role
 * assignments, Azure RBAC assignments, Easy Auth configs, gateways, workflows, runbooks — then joined in
 * memory, so the cost grows with the number of objects, not with their product; and kept per tenant until the
 * store changes (`cachedTenantGraph`: the directory's version and the change feed's topics).
 *
 * Node ids are stable: `app:<appId>`, `identity:<identity id>`, `resource:<resource id>`, `api:<gateway
 * resource id>/<api>`, `scope:<ARM scope, lower case>`, `principal:<object id>` (an RBAC principal the directory
 * does not know). Edges: `app-role` (principal → app, an app role assignment), `rbac` (principal → the scope
 * or resource it holds a role on), `identity` (resource → an identity it carries), `easyauth` (an app resource
 * → the app registration its front accepts tokens for), `serves` (gateway → API), `backend` (API → the app
 * resource its service URL names), `calls` (identity → the app a workflow's Http action asks a token for).
 */
import type { Directory } from '../directory/directory.ts';
import type { Application, ManagedIdentity, Resource, ServicePrincipal } from '../directory/types.ts';
import { listEasyAuthConfigs } from '../easyauth/store.ts';
import type { Action, WorkflowDefinition } from '../flows/definition/types.ts';
import { childContainers } from '../flows/definition/validate.ts';
import { listRunbooks } from '../flows/runbooks/store.ts';
import { listWorkflows } from '../flows/workflows/store.ts';
import { listGateways } from '../gateway/store.ts';
import { parseScope } from '../management/rbac/scope.ts';
import { listRoleAssignments as listRbacAssignments, listSubscriptions } from '../management/service.ts';
import { readVersions } from '../store/change-feed.ts';

export type NodeKind = 'app' | 'identity' | 'resource' | 'api' | 'scope' | 'principal';
export type EdgeKind = 'app-role' | 'rbac' | 'identity' | 'easyauth' | 'serves' | 'backend' | 'calls';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  /**
   * app: `app` or `first-party`; identity: `system` or `user`; resource: its kind (`app`, `automation`,
   * `gateway`, `vault`, `vm`, `workflow`); api: `gateway-api`; scope: `root`, `subscription`, `resourceGroup`;
   * principal: `unknown`.
   */
  type: string;
  label: string;
  /** How the CLI, the admin API and "may X call Y?" name it: `app:<name>`, `identity:<name>`, `resource:<name>`, an ARM id. */
  ref?: string | undefined;
  /** The service principal's object id, for principals. */
  principalId?: string | undefined;
  details: Record<string, unknown>;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  kind: EdgeKind;
  label: string;
  details: Record<string, unknown>;
}

export interface Graph {
  tenant: { id: string; name: string; displayName: string };
  directoryVersion: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const lowerNoSlash = (s: string) => s.toLowerCase().replace(/\/+$/, '');

/** Every action of a definition, nested ones included. */
function actionsOf(definition: WorkflowDefinition): Action[] {
  const out: Action[] = [];
  const walk = (actions: readonly Action[]) => {
    for (const a of actions) {
      out.push(a);
      for (const child of childContainers(a)) walk(child.actions);
    }
  };
  walk(definition.actions);
  return out;
}

/** The app resource a gateway API's service URL names: `<name>.localhost` or `<name>.azurewebsites.net`. */
function hostResource(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  const m = /^([a-z0-9-]+)\.(?:localhost|azurewebsites\.net)$/.exec(host);
  return m?.[1];
}

/**
 * The directory as the planes' list functions see it, with this tenant's resources and identities read once:
 * `listSubscriptions`, `listWorkflows` and `listRunbooks` each list them again on their own, and at 1,000
 * objects each such list costs more than everything else the graph reads. Only those two reads (and `db`, a
 * getter of the instance) are replaced; every other member is the directory's own.
 */
function readingOnce(
  d: Directory,
  tenantId: string,
  resources: Promise<Resource[]>,
  identities: Promise<ManagedIdentity[]>,
): Directory {
  const once = Object.create(d) as Directory;
  Object.defineProperties(once, {
    db: { value: d.db },
    listResources: {
      value: (tenant: string) => (tenant === tenantId ? resources : d.listResources(tenant)),
    },
    listIdentities: {
      value: (tenant: string, o?: { includeSystem?: boolean }) =>
        tenant === tenantId
          ? identities.then((all) => (o?.includeSystem ? all : all.filter((i) => i.kind === 'user')))
          : d.listIdentities(tenant, o),
    },
  });
  return once;
}

/** The graph of a tenant, read again only when the store changed since (the directory or a plane's topic). */
export async function cachedTenantGraph(directory: Directory, tenantRef: string): Promise<Graph> {
  const tenant = await directory.getTenant(tenantRef);
  const [version, topics] = await Promise.all([directory.version(), readVersions(directory.db)]);
  const key = `${version}|${[...topics]
    .map(([t, v]) => `${t}:${v}`)
    .sort()
    .join(',')}`;
  let byTenant = caches.get(directory);
  if (!byTenant) {
    byTenant = new Map();
    caches.set(directory, byTenant);
  }
  const hit = byTenant.get(tenant.id);
  if (hit?.key === key) return hit.graph;
  const graph = tenantGraph(directory, tenant.id);
  byTenant.delete(tenant.id);
  byTenant.set(tenant.id, { key, graph });
  if (byTenant.size > 16) byTenant.delete(byTenant.keys().next().value!);
  // A failed read is not kept.
  graph.catch(() => {
    if (byTenant.get(tenant.id)?.graph === graph) byTenant.delete(tenant.id);
  });
  return graph;
}

const caches = new WeakMap<Directory, Map<string, { key: string; graph: Promise<Graph> }>>();

export async function tenantGraph(directory: Directory, tenantRef: string): Promise<Graph> {
  const tenant = await directory.getTenant(tenantRef);
  const t = tenant.id;
  const resourcesRead = directory.listResources(t);
  const identitiesRead = directory.listIdentities(t, { includeSystem: true });
  const once = readingOnce(directory, t, resourcesRead, identitiesRead);
  const [
    version,
    apps,
    sps,
    identities,
    resources,
    appRoleAssignments,
    rbac,
    subscriptions,
    fronts,
    gateways,
    workflows,
    runbooks,
  ] = await Promise.all([
    directory.version(),
    directory.listApps(t, { includeFirstParty: true }),
    directory.listServicePrincipals(t),
    identitiesRead,
    resourcesRead,
    directory.listRoleAssignments(t),
    listRbacAssignments(directory, t),
    listSubscriptions(once, t),
    listEasyAuthConfigs(directory.db, { tenantId: t }),
    listGateways(directory.db, directory.deps.envelope, { tenantId: t }),
    listWorkflows(once, t),
    listRunbooks(once, t),
  ]);

  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const edgeIds = new Set<string>();
  const addEdge = (e: GraphEdge) => {
    if (edgeIds.has(e.id)) return;
    edgeIds.add(e.id);
    edges.push(e);
  };

  // ---- apps (first-party ones only once something points at them) ----
  const appNode = (a: Application): GraphNode => ({
    id: `app:${a.appId}`,
    kind: 'app',
    type: a.firstParty ? 'first-party' : 'app',
    label: a.displayName || a.name,
    ref: `app:${a.name}`,
    principalId: a.servicePrincipalId,
    details: {
      name: a.name,
      appId: a.appId,
      objectId: a.objectId,
      identifierUris: a.identifierUris,
      appRoles: a.appRoles.map((r) => ({
        id: r.id,
        value: r.value,
        displayName: r.displayName,
        allowedMemberTypes: r.allowedMemberTypes,
        isEnabled: r.isEnabled,
      })),
      appRoleAssignmentRequired: a.appRoleAssignmentRequired,
      accessTokenAcceptedVersion: a.accessTokenAcceptedVersion,
      firstParty: a.firstParty,
    },
  });
  const appById = new Map<string, Application>();
  const appByAudience = new Map<string, Application>();
  const appBySp = new Map<string, Application>();
  for (const a of apps) {
    appById.set(a.appId.toLowerCase(), a);
    appBySp.set(a.servicePrincipalId, a);
    appByAudience.set(a.appId.toLowerCase(), a);
    for (const uri of a.identifierUris) appByAudience.set(lowerNoSlash(uri), a);
    if (!a.firstParty) nodes.set(`app:${a.appId}`, appNode(a));
  }
  const useApp = (a: Application): string => {
    const id = `app:${a.appId}`;
    if (!nodes.has(id)) nodes.set(id, appNode(a));
    return id;
  };

  // ---- identities ----
  const identityNode = (i: ManagedIdentity): GraphNode => ({
    id: `identity:${i.id}`,
    kind: 'identity',
    type: i.kind,
    label: i.kind === 'system' ? `${i.name} (system-assigned)` : i.name,
    ref: i.kind === 'system' ? `resource:${i.name}` : `identity:${i.name}`,
    principalId: i.principalId,
    details: {
      name: i.name,
      clientId: i.clientId,
      principalId: i.principalId,
      resourceId: i.resourceId,
      attachedTo: i.attachedTo,
      subscriptionId: i.subscriptionId,
      resourceGroup: i.resourceGroup,
    },
  });
  const identityById = new Map<string, ManagedIdentity>();
  const identityByArmId = new Map<string, ManagedIdentity>();
  for (const i of identities) {
    identityById.set(i.id, i);
    if (i.kind === 'user') identityByArmId.set(i.resourceId.toLowerCase(), i);
    nodes.set(`identity:${i.id}`, identityNode(i));
  }

  // A service principal's node: its app's, or its managed identity's.
  const spNode = new Map<string, string>();
  for (const sp of sps as ServicePrincipal[]) {
    if (sp.servicePrincipalType === 'Application') {
      const a = appBySp.get(sp.objectId);
      if (a) spNode.set(sp.objectId, `app:${a.appId}`);
    } else if (sp.identityId && identityById.has(sp.identityId)) {
      spNode.set(sp.objectId, `identity:${sp.identityId}`);
    }
  }
  const principalNode = (principalId: string, name?: string): string => {
    const known = spNode.get(principalId);
    if (known) {
      const a = appBySp.get(principalId);
      if (a) useApp(a);
      return known;
    }
    const id = `principal:${principalId}`;
    if (!nodes.has(id)) {
      nodes.set(id, {
        id,
        kind: 'principal',
        type: 'unknown',
        label: name ?? principalId,
        ref: principalId,
        principalId,
        details: { objectId: principalId },
      });
    }
    return id;
  };

  // ---- resources, and the identities they carry ----
  const resourceById = new Map(resources.map((r) => [r.id, r]));
  const resourceByName = new Map<string, Resource>();
  const resourceByArmId = new Map<string, Resource>();
  const frontOf = new Map(fronts.map((f) => [f.resourceId, f]));
  const workflowOf = new Map(workflows.map((w) => [w.resourceId, w]));
  const runbooksOf = new Map<string, { name: string; schedule: string | null; enabled: boolean }[]>();
  for (const r of runbooks) {
    const list = runbooksOf.get(r.resourceId) ?? [];
    list.push({ name: r.name, schedule: r.schedule, enabled: r.enabled });
    runbooksOf.set(r.resourceId, list);
  }
  for (const r of resources) {
    resourceByName.set(r.name.toLowerCase(), r);
    resourceByArmId.set(r.resourceId.toLowerCase(), r);
    const details: Record<string, unknown> = {
      name: r.name,
      resourceId: r.resourceId,
      subscriptionId: r.subscriptionId,
      resourceGroup: r.resourceGroup,
    };
    if (r.kind === 'vm') {
      Object.assign(details, {
        powerState: r.powerState,
        vmSize: r.vmSize,
        location: r.location,
        osType: r.osType,
      });
    }
    const front = frontOf.get(r.id);
    if (front) {
      const aad = front.config.identityProviders.azureActiveDirectory;
      details.easyAuth = {
        enabled: front.config.platform.enabled && aad.enabled,
        clientId: aad.registration.clientId,
        openIdIssuer: aad.registration.openIdIssuer ?? null,
        allowedAudiences: aad.validation.allowedAudiences,
        unauthenticatedClientAction: front.config.globalValidation.unauthenticatedClientAction,
        requireAuthentication: front.config.globalValidation.requireAuthentication,
        upstream: front.config.upstream,
      };
    }
    const wf = workflowOf.get(r.id);
    if (wf) {
      details.workflow = {
        state: wf.state,
        version: wf.version,
        triggers: wf.triggers,
        changedAt: wf.changedAt,
      };
    }
    const rb = runbooksOf.get(r.id);
    if (rb) details.runbooks = rb;
    nodes.set(`resource:${r.id}`, {
      id: `resource:${r.id}`,
      kind: 'resource',
      type: r.kind,
      label: r.name,
      ref: `resource:${r.name}`,
      details,
    });
    if (r.systemAssignedIdentity) {
      addEdge({
        id: `identity:${r.id}:${r.systemAssignedIdentity.id}`,
        source: `resource:${r.id}`,
        target: `identity:${r.systemAssignedIdentity.id}`,
        kind: 'identity',
        label: 'system-assigned',
        details: {},
      });
    }
    for (const u of r.userAssignedIdentities) {
      addEdge({
        id: `identity:${r.id}:${u.id}`,
        source: `resource:${r.id}`,
        target: `identity:${u.id}`,
        kind: 'identity',
        label: 'user-assigned',
        details: {},
      });
    }
    if (front) {
      const clientId =
        front.config.identityProviders.azureActiveDirectory.registration.clientId.toLowerCase();
      const a = appById.get(clientId);
      if (a) {
        addEdge({
          id: `easyauth:${r.id}`,
          source: `resource:${r.id}`,
          target: useApp(a),
          kind: 'easyauth',
          label: 'Easy Auth',
          details: { clientId: a.appId },
        });
      }
    }
  }

  // ---- app role assignments: principal → app ----
  for (const a of appRoleAssignments) {
    const app = appBySp.get(a.resourceId);
    if (!app) continue;
    addEdge({
      id: `app-role:${a.id}`,
      source: principalNode(a.principalId, a.principalDisplayName),
      target: useApp(app),
      kind: 'app-role',
      label: a.appRoleValue ?? 'default access',
      details: { assignmentId: a.id, appRoleId: a.appRoleId, role: a.appRoleValue, createdAt: a.createdAt },
    });
  }

  // ---- Azure RBAC: principal → scope ----
  const subscriptionName = new Map(subscriptions.map((s) => [s.subscriptionId.toLowerCase(), s.displayName]));
  const scopeNode = (scopeId: string): string => {
    const key = scopeId.toLowerCase();
    const resource = resourceByArmId.get(key);
    if (resource) return `resource:${resource.id}`;
    const identity = identityByArmId.get(key);
    if (identity) return `identity:${identity.id}`;
    const id = `scope:${key}`;
    if (!nodes.has(id)) {
      let type = 'resource';
      let label = scopeId;
      try {
        const s = parseScope(scopeId);
        type = s.kind;
        if (s.kind === 'root') label = '/ (root)';
        else if (s.kind === 'subscription') {
          label = `subscription ${subscriptionName.get(s.subscriptionId!.toLowerCase()) ?? s.subscriptionId}`;
        } else if (s.kind === 'resourceGroup') label = `resource group ${s.resourceGroup}`;
        else label = s.resources?.map((l) => l.name).join('/') ?? scopeId;
      } catch {
        // An id the parser refuses is shown as it is.
      }
      nodes.set(id, { id, kind: 'scope', type, label, ref: scopeId, details: { scope: scopeId } });
    }
    return id;
  };
  for (const a of rbac) {
    addEdge({
      id: `rbac:${a.name}`,
      source: principalNode(a.principalId),
      target: scopeNode(a.scope),
      kind: 'rbac',
      label: a.roleName,
      details: {
        assignmentId: a.id,
        name: a.name,
        roleDefinitionId: a.roleDefinitionId,
        roleName: a.roleName,
        scope: a.scope,
        description: a.description,
      },
    });
  }

  // ---- gateways: gateway → API → backend app resource ----
  for (const g of gateways) {
    for (const api of g.definition.apis) {
      const id = `api:${g.resourceId}/${api.name}`;
      nodes.set(id, {
        id,
        kind: 'api',
        type: 'gateway-api',
        label: `${g.name}/${api.path || api.name}`,
        details: {
          gateway: g.name,
          name: api.name,
          displayName: api.displayName,
          path: api.path,
          serviceUrl: api.serviceUrl,
          subscriptionRequired: api.subscriptionRequired,
          operations: api.operations.map((o) => ({
            name: o.name,
            method: o.method,
            urlTemplate: o.urlTemplate,
          })),
        },
      });
      addEdge({
        id: `serves:${id}`,
        source: `resource:${g.resourceId}`,
        target: id,
        kind: 'serves',
        label: api.path === '' ? '/' : `/${api.path}`,
        details: {},
      });
      const backendName = hostResource(api.serviceUrl);
      const backend = backendName === undefined ? undefined : resourceByName.get(backendName);
      if (backend) {
        addEdge({
          id: `backend:${id}`,
          source: id,
          target: `resource:${backend.id}`,
          kind: 'backend',
          label: 'backend',
          details: { serviceUrl: api.serviceUrl },
        });
      }
    }
  }

  // ---- workflows: the identity an Http action uses → the app it asks a token for ----
  for (const w of workflows) {
    const resource = resourceById.get(w.resourceId);
    for (const action of actionsOf(w.definition)) {
      if (action.type !== 'Http' || !action.inputs.authentication) continue;
      const auth = action.inputs.authentication;
      const identity =
        auth.identity === undefined
          ? resource?.systemAssignedIdentity
          : identityByArmId.get(auth.identity.toLowerCase());
      const app = appByAudience.get(lowerNoSlash(auth.audience));
      if (!identity || !app) continue;
      addEdge({
        id: `calls:${w.resourceId}/${action.name}`,
        source: `identity:${identity.id}`,
        target: useApp(app),
        kind: 'calls',
        label: action.name,
        details: { workflow: w.name, action: action.name, audience: auth.audience, uri: action.inputs.uri },
      });
    }
  }

  return {
    tenant: { id: tenant.id, name: tenant.name, displayName: tenant.displayName },
    directoryVersion: version,
    nodes: [...nodes.values()],
    edges,
  };
}
