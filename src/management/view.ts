/**
 * @module management/view
 * What Resource Manager and Graph answer from, read once and reused until the store changes: the tenants, each
 * tenant's subscriptions and resource groups, its resources and user-assigned identities (with their ARM ids
 * and types), and the RBAC index of every custom role and assignment. A request costs one read of the store's
 * versions (the directory's and the `management` topic's); a change anywhere — from this process, the CLI or
 * another host — makes the next request read it all again.
 */
import type { Directory } from '../directory/directory.ts';
import type { ManagedIdentity, Resource, Tenant } from '../directory/types.ts';
import { readVersions } from '../store/change-feed.ts';
import type { RbacIndex } from './rbac/evaluator.ts';
import { parseScope } from './rbac/scope.ts';
import {
  groupsOf,
  loadIndex,
  type ResourceGroupView,
  readEstate,
  type SubscriptionView,
  subscriptionsOf,
} from './service.ts';
import { MANAGEMENT_TOPIC } from './store.ts';

/** A resource of the directory as ARM lists it. */
export interface ArmResource {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  /** `Microsoft.KeyVault/vaults`. */
  readonly type: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly tenantId: string;
  /** The directory's resource, or the user-assigned identity this is. */
  readonly resource?: Resource | undefined;
  readonly identity?: ManagedIdentity | undefined;
}

export interface TenantView {
  readonly tenant: Tenant;
  readonly subscriptions: readonly SubscriptionView[];
  /** Per subscription id (lower case). */
  readonly groups: ReadonlyMap<string, readonly ResourceGroupView[]>;
  readonly resources: readonly ArmResource[];
}

export interface ManagementView {
  readonly tenants: readonly TenantView[];
  /** subscription id (lower case) → its tenant. */
  readonly bySubscription: ReadonlyMap<string, TenantView>;
  /** resource id key (lower case) → resource. */
  readonly resources: ReadonlyMap<string, ArmResource>;
  readonly index: RbacIndex;
}

const USER_ASSIGNED = 'Microsoft.ManagedIdentity/userAssignedIdentities';

function typeOf(armId: string): string {
  const s = parseScope(armId);
  return `${s.namespace}/${s.resources?.map((r) => r.type).join('/')}`;
}

async function loadView(d: Directory): Promise<ManagementView> {
  const tenants = await d.listTenants();
  const views: TenantView[] = [];
  for (const tenant of tenants) {
    // One read of what the tenant's subscriptions and groups derive from, for all of them.
    const estate = await readEstate(d, tenant.id);
    const { resources, identities } = estate;
    const subscriptions = subscriptionsOf(estate);
    const groups = new Map<string, readonly ResourceGroupView[]>();
    for (const s of subscriptions) groups.set(s.subscriptionId, await groupsOf(d, estate, s.subscriptionId));
    const arm: ArmResource[] = [
      ...resources.map((r) => ({
        id: r.resourceId,
        key: r.resourceId.toLowerCase(),
        name: r.name,
        type: typeOf(r.resourceId),
        subscriptionId: r.subscriptionId.toLowerCase(),
        resourceGroup: r.resourceGroup,
        tenantId: tenant.id,
        resource: r,
      })),
      ...identities.map((i) => ({
        id: i.resourceId,
        key: i.resourceId.toLowerCase(),
        name: i.name,
        type: USER_ASSIGNED,
        subscriptionId: i.subscriptionId.toLowerCase(),
        resourceGroup: i.resourceGroup,
        tenantId: tenant.id,
        identity: i,
      })),
    ];
    views.push({ tenant, subscriptions, groups, resources: arm });
  }
  const bySubscription = new Map<string, TenantView>();
  const resources = new Map<string, ArmResource>();
  for (const v of views) {
    for (const s of v.subscriptions) bySubscription.set(s.subscriptionId, v);
    for (const r of v.resources) resources.set(r.key, r);
  }
  return { tenants: views, bySubscription, resources, index: await loadIndex(d.db) };
}

/**
 * The view, read again only when the directory or the management rows changed since it was read. Whether they
 * changed is checked once per event-loop turn: the first call of a turn reads the two version rows, and the
 * calls until that turn's check phase (setImmediate) share its answer, as the issuer's directory cache does with
 * the directory version (issuer/directory-cache.ts). A request sees every write completed before the turn it is
 * handled in; requests of one turn, which could as well have run at once, share one view. A failed read is not
 * shared past the calls already waiting on it, nor kept.
 */
export class ViewCache {
  static readonly #shared = new WeakMap<Directory, ViewCache>();

  /** One cache per directory for every plane that reads the view (Resource Manager, Graph's roles, the vault). */
  static shared(directory: Directory): ViewCache {
    let cache = ViewCache.#shared.get(directory);
    if (!cache) {
      cache = new ViewCache(directory);
      ViewCache.#shared.set(directory, cache);
    }
    return cache;
  }

  readonly #directory: Directory;
  #current: { key: string; view: Promise<ManagementView> } | undefined;
  #turn: Promise<ManagementView> | undefined;

  constructor(directory: Directory) {
    this.#directory = directory;
  }

  get(): Promise<ManagementView> {
    if (this.#turn) return this.#turn;
    const view = this.#fresh();
    this.#turn = view;
    const forget = () => {
      if (this.#turn === view) this.#turn = undefined;
    };
    setImmediate(forget);
    view.catch(forget);
    return view;
  }

  async #fresh(): Promise<ManagementView> {
    const [version, topics] = await Promise.all([
      this.#directory.version(),
      readVersions(this.#directory.db),
    ]);
    const key = `${version}/${topics.get(MANAGEMENT_TOPIC) ?? 0}`;
    if (this.#current?.key !== key) {
      const view = loadView(this.#directory);
      this.#current = { key, view };
      // A failed read is not kept: the next request tries again.
      view.catch(() => {
        if (this.#current?.view === view) this.#current = undefined;
      });
    }
    return this.#current.view;
  }
}
