/**
 * @module management/arm/shapes
 * Lanyard's objects in Resource Manager's JSON: subscriptions, tenants, resource groups, resources with their
 * `identity` block, user-assigned identities, role definitions and assignments (docs/management.md, "Resource
 * Manager"). Ids keep ARM's canonical casing (`resourceGroups`, `providers`); keys of `userAssignedIdentities`
 * are full ids.
 */
import type { ManagedIdentity } from '../../directory/types.ts';
import type { RoleAssignment } from '../rbac/evaluator.ts';
import type { RoleDefinition } from '../rbac/role-definition.ts';
import { roleDefinitionResourceId } from '../rbac/role-definition.ts';
import type { ResourceGroupView, SubscriptionView } from '../service.ts';
import type { ArmResource, TenantView } from '../view.ts';

export const DEFAULT_LOCATION = 'eastus';

export function subscriptionJson(s: SubscriptionView) {
  return {
    id: s.id,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: s.subscriptionId,
    tenantId: s.tenantId,
    displayName: s.displayName,
    state: s.state,
    subscriptionPolicies: {
      locationPlacementId: 'Public_2014-09-01',
      quotaId: 'PayAsYouGo_2014-09-01',
      spendingLimit: 'Off',
    },
    tags: {},
  };
}

export function tenantJson(t: TenantView) {
  const domains = t.tenant.domains;
  return {
    id: `/tenants/${t.tenant.id}`,
    tenantId: t.tenant.id,
    countryCode: 'US',
    displayName: t.tenant.displayName,
    domains,
    defaultDomain: domains[0] ?? '',
    tenantCategory: 'Home',
    tenantType: 'AAD',
  };
}

export function groupJson(g: ResourceGroupView) {
  return {
    id: g.id,
    name: g.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: g.location,
    tags: g.tags,
    properties: { provisioningState: 'Succeeded' },
  };
}

function identityEntry(i: ManagedIdentity) {
  return { principalId: i.principalId, clientId: i.clientId };
}

/** The `identity` block of a resource: system-assigned, user-assigned, both, or none. */
export function identityJson(r: ArmResource) {
  const res = r.resource;
  if (!res) return undefined;
  const system = res.systemAssignedIdentity;
  const users = res.userAssignedIdentities;
  if (!system && users.length === 0) return undefined;
  const type =
    system && users.length ? 'SystemAssigned, UserAssigned' : system ? 'SystemAssigned' : 'UserAssigned';
  return {
    type,
    ...(system ? { principalId: system.principalId, tenantId: system.tenantId } : {}),
    ...(users.length
      ? { userAssignedIdentities: Object.fromEntries(users.map((u) => [u.resourceId, identityEntry(u)])) }
      : {}),
  };
}

const KIND: Readonly<Record<string, string>> = {
  'microsoft.web/sites': 'app',
  'microsoft.automation/automationaccounts': '',
  'microsoft.apimanagement/service': '',
};

/** A resource in the generic list's shape (`GenericResourceExpanded`), with `properties` for a GET by id. */
export function resourceJson(r: ArmResource, o: { properties?: boolean; expand?: boolean } = {}) {
  if (r.identity) return userIdentityJson(r.identity);
  const identity = identityJson(r);
  const kind = KIND[r.type.toLowerCase()];
  const created = r.resource?.createdAt;
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    ...(kind ? { kind } : {}),
    location: r.resource?.location ?? DEFAULT_LOCATION,
    tags: {},
    ...(identity ? { identity } : {}),
    ...(o.expand
      ? {
          createdTime: created,
          changedTime: r.resource?.updatedAt ?? created,
          provisioningState: 'Succeeded',
        }
      : {}),
    ...(o.properties ? { properties: { provisioningState: 'Succeeded' } } : {}),
  };
}

export function userIdentityJson(i: ManagedIdentity) {
  return {
    id: i.resourceId,
    name: i.name,
    type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    location: DEFAULT_LOCATION,
    tags: {},
    properties: { tenantId: i.tenantId, principalId: i.principalId, clientId: i.clientId },
  };
}

/** A role definition as ARM shows it at `scope` (its id carries the subscription when listed under one). */
export function roleDefinitionJson(d: RoleDefinition, subscriptionId?: string) {
  return {
    id: roleDefinitionResourceId(d.id, subscriptionId),
    name: d.id,
    type: 'Microsoft.Authorization/roleDefinitions',
    properties: {
      roleName: d.roleName,
      type: d.roleType,
      description: d.description,
      assignableScopes: d.assignableScopes,
      permissions: d.permissions.map((p) => ({
        actions: p.actions,
        notActions: p.notActions,
        dataActions: p.dataActions,
        notDataActions: p.notDataActions,
      })),
      createdOn: null,
      updatedOn: null,
      createdBy: null,
      updatedBy: null,
    },
  };
}

export function roleAssignmentJson(
  a: RoleAssignment,
  extra: { scope: string; description?: string | undefined; createdOn?: string | undefined },
) {
  const scope = extra.scope === '/' ? '' : extra.scope;
  const sub = /^\/subscriptions\/([^/]+)/i.exec(extra.scope)?.[1];
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${a.id}`,
    name: a.id,
    type: 'Microsoft.Authorization/roleAssignments',
    properties: {
      roleDefinitionId: roleDefinitionResourceId(a.roleDefinitionId, sub),
      principalId: a.principalId,
      principalType: a.principalType ?? 'ServicePrincipal',
      scope: extra.scope,
      condition: null,
      conditionVersion: null,
      description: extra.description ?? null,
      createdOn: extra.createdOn ?? null,
      updatedOn: extra.createdOn ?? null,
      createdBy: null,
      updatedBy: null,
      delegatedManagedIdentityResourceId: null,
    },
  };
}
