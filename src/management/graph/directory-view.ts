/**
 * @module management/graph/directory-view
 * What Graph answers a tenant's reads from: its applications (Microsoft's first-party ones too, whose service
 * principals Graph lists), service principals, managed identities (system- and user-assigned, for a managed
 * identity's `alternativeNames`) and app role assignments, read through the Directory API once and reused
 * until the directory version moves — any write, from Graph, the CLI or another host, makes the next request
 * read the tenant again. The management view (view.ts) holds what Resource Manager needs; this one holds the
 * directory objects Graph serves.
 */
import type { Directory } from '../../directory/directory.ts';
import type {
  Application,
  AppRoleAssignment,
  ManagedIdentity,
  ServicePrincipal,
} from '../../directory/types.ts';

export interface GraphTenantView {
  readonly tenantId: string;
  /** Every application, first-party ones included (Graph lists only the others under /applications). */
  readonly apps: readonly Application[];
  readonly appsByObjectId: ReadonlyMap<string, Application>;
  readonly servicePrincipals: readonly ServicePrincipal[];
  readonly spsByObjectId: ReadonlyMap<string, ServicePrincipal>;
  readonly identitiesById: ReadonlyMap<string, ManagedIdentity>;
  readonly assignments: readonly AppRoleAssignment[];
}

async function load(d: Directory, tenantId: string): Promise<GraphTenantView> {
  const [apps, servicePrincipals, identities, assignments] = await Promise.all([
    d.listApps(tenantId, { includeFirstParty: true }),
    d.listServicePrincipals(tenantId),
    d.listIdentities(tenantId, { includeSystem: true }),
    d.listRoleAssignments(tenantId),
  ]);
  return {
    tenantId,
    apps,
    appsByObjectId: new Map(apps.map((a) => [a.objectId, a])),
    servicePrincipals,
    spsByObjectId: new Map(servicePrincipals.map((s) => [s.objectId, s])),
    identitiesById: new Map(identities.map((i) => [i.id, i])),
    assignments,
  };
}

/** Each tenant's view, kept for the directory version it was read at. */
export class GraphViewCache {
  readonly #directory: Directory;
  readonly #tenants = new Map<string, { version: number; view: Promise<GraphTenantView> }>();

  constructor(directory: Directory) {
    this.#directory = directory;
  }

  async get(tenantId: string): Promise<GraphTenantView> {
    const version = await this.#directory.version();
    const held = this.#tenants.get(tenantId);
    if (held?.version === version) return held.view;
    const view = load(this.#directory, tenantId);
    this.#tenants.set(tenantId, { version, view });
    // A failed read is not kept: the next request tries again.
    view.catch(() => {
      if (this.#tenants.get(tenantId)?.view === view) this.#tenants.delete(tenantId);
    });
    return view;
  }
}
