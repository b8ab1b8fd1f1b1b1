/**
 * @module management/service
 * Azure RBAC and the subscriptions and resource groups it is scoped on, for the CLI (`lanyard rbac …`,
 * `lanyard group …`, `lanyard subscription …`) and, later, Resource Manager's routes. It joins the directory
 * (tenants, principals, resources) with this plane's rows (store.ts) and decides through one `RbacIndex`
 * (rbac/evaluator.ts), which also checks every write: a role that does not exist, a scope outside a role's
 * assignable scopes or the tenant's subscriptions, a duplicate assignment — each refused before anything is
 * stored.
 *
 * A tenant's subscriptions are its default one (the directory's `defaultSubscriptionId`), those its resources
 * and identities live in, and those declared here; its resource groups likewise. Only declared ones carry a
 * display name, location and tags of their own.
 */
import { randomUUID } from 'node:crypto';
import type { Directory } from '../directory/directory.ts';
import type { ManagedIdentity, Resource, Tenant } from '../directory/types.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import type { StoreDb } from '../store/handle.ts';
import { type Decision, RbacIndex, type RoleAssignment } from './rbac/evaluator.ts';
import type { RoleDefinition, RoleDefinitionInput } from './rbac/role-definition.ts';
import { roleDefinitionResourceId } from './rbac/role-definition.ts';
import { parseScope, type Scope, scopeKey } from './rbac/scope.ts';
import {
  findAssignmentRow,
  findSameAssignmentRow,
  insertAssignmentRow,
  listAssignmentRows,
  listGroupRows,
  listRoleDefinitionRows,
  listSubscriptionRows,
  putGroupRow,
  putRoleDefinitionRow,
  putSubscriptionRow,
  removeAssignmentRow,
  removeAssignmentsUnder,
  removeGroupRow,
  removeRoleDefinitionRow,
} from './store.ts';
import type { ArmSubscriptionRow, RoleAssignmentRow } from './tables.ts';

export const DEFAULT_LOCATION = 'eastus';

export interface SubscriptionView {
  readonly id: string;
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly displayName: string;
  readonly state: string;
  /** Declared here (`lanyard subscription create`, the manifest) rather than implied by the directory. */
  readonly declared: boolean;
}

export interface ResourceGroupView {
  readonly id: string;
  readonly subscriptionId: string;
  readonly name: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly declared: boolean;
}

export interface AssignmentView {
  /** The full ARM id: `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`. */
  readonly id: string;
  readonly name: string;
  readonly principalId: string;
  readonly principalType: string;
  readonly roleDefinitionId: string;
  readonly roleName: string;
  readonly scope: string;
  readonly description: string;
  readonly createdOn: string;
}

// ---- the index ----

function assignmentInput(r: RoleAssignmentRow) {
  return {
    id: r.id,
    principalId: r.principal_id,
    principalType: r.principal_type,
    roleDefinitionId: r.role_definition_id,
    scope: r.scope,
  };
}

function definitionInput(r: {
  id: string;
  role_name: string;
  description: string;
  permissions: string;
  assignable_scopes: string;
}): RoleDefinitionInput {
  return {
    id: r.id,
    roleName: r.role_name,
    description: r.description,
    roleType: 'CustomRole',
    permissions: JSON.parse(r.permissions) as RoleDefinitionInput['permissions'],
    assignableScopes: JSON.parse(r.assignable_scopes) as string[],
  };
}

/** Every custom role and assignment of the store, indexed (the running plane keeps one, rebuilt on change). */
export async function loadIndex(db: StoreDb): Promise<RbacIndex> {
  const [roles, assignments] = await Promise.all([listRoleDefinitionRows(db), listAssignmentRows(db)]);
  return new RbacIndex({
    roleDefinitions: roles.map(definitionInput),
    assignments: assignments.map(assignmentInput),
  });
}

// ---- subscriptions and resource groups ----

const lower = (s: string) => s.toLowerCase();

/**
 * What a tenant's subscriptions and resource groups are derived from, read once: the tenant, its resources and
 * user-assigned identities (where they live), and its declared subscriptions.
 */
export interface TenantEstate {
  readonly tenant: Tenant;
  readonly resources: readonly Resource[];
  readonly identities: readonly ManagedIdentity[];
  readonly declared: readonly ArmSubscriptionRow[];
}

export async function readEstate(d: Directory, tenantRef: string): Promise<TenantEstate> {
  const tenant = await d.getTenant(tenantRef);
  const [resources, identities, declared] = await Promise.all([
    d.listResources(tenant.id),
    d.listIdentities(tenant.id, { includeSystem: false }),
    listSubscriptionRows(d.db, tenant.id),
  ]);
  return { tenant, resources, identities, declared };
}

/** Where the tenant's resources and identities live: (subscription, resource group) pairs, the default first. */
function placesOf(e: TenantEstate): { subscriptionId: string; resourceGroup: string }[] {
  return [
    { subscriptionId: lower(e.tenant.defaultSubscriptionId), resourceGroup: e.tenant.defaultResourceGroup },
    ...[...e.resources, ...e.identities].map((x) => ({
      subscriptionId: lower(x.subscriptionId),
      resourceGroup: x.resourceGroup,
    })),
  ];
}

/** Every subscription of the tenant: declared, default, and those its resources and identities live in. */
export function subscriptionsOf(e: TenantEstate): SubscriptionView[] {
  const { tenant } = e;
  const out = new Map<string, SubscriptionView>();
  const implied = (id: string) => ({
    id: `/subscriptions/${id}`,
    subscriptionId: id,
    tenantId: tenant.id,
    displayName: `${tenant.displayName} subscription`,
    state: 'Enabled',
    declared: false,
  });
  for (const place of placesOf(e)) {
    if (!out.has(place.subscriptionId)) out.set(place.subscriptionId, implied(place.subscriptionId));
  }
  for (const r of e.declared) {
    out.set(r.id, {
      id: `/subscriptions/${r.id}`,
      subscriptionId: r.id,
      tenantId: r.tenant_id,
      displayName: r.display_name,
      state: r.state,
      declared: true,
    });
  }
  return [...out.values()];
}

export async function listSubscriptions(d: Directory, tenantRef: string): Promise<SubscriptionView[]> {
  return subscriptionsOf(await readEstate(d, tenantRef));
}

export async function createSubscription(
  d: Directory,
  tenantRef: string,
  input: { id?: string | undefined; displayName: string; state?: string | undefined },
): Promise<SubscriptionView> {
  const id = lower(input.id ?? randomUUID());
  parseScope(`/subscriptions/${id}`);
  const state = input.state ?? 'Enabled';
  if (!['Enabled', 'Warned', 'PastDue', 'Disabled', 'Deleted'].includes(state)) {
    throw new LanyardError('ERR_VALIDATION', `Subscription state ${state} is not one Azure has.`, {
      hint: 'Use Enabled, Warned, PastDue, Disabled or Deleted.',
    });
  }
  return d.transaction(async (t) => {
    const tenant = await t.getTenant(tenantRef);
    const row = await putSubscriptionRow(
      t.db,
      { id, tenantId: tenant.id, displayName: input.displayName, state },
      t.clock().toISOString(),
    );
    return {
      id: `/subscriptions/${row.id}`,
      subscriptionId: row.id,
      tenantId: row.tenant_id,
      displayName: row.display_name,
      state: row.state,
      declared: true,
    };
  });
}

/** The subscription id (the tenant's default when none is given), refused unless it is one of the tenant's. */
function requireSubscription(e: TenantEstate, id: string | undefined): string {
  const want = lower(id ?? e.tenant.defaultSubscriptionId);
  if (!subscriptionsOf(e).some((s) => s.subscriptionId === want)) {
    throw new LanyardError('ERR_NOT_FOUND', `Tenant ${e.tenant.name} has no subscription ${want}.`, {
      hint: 'List them with `lanyard subscription list`; declare one with `lanyard subscription create`.',
    });
  }
  return want;
}

/** The resource groups of one of the estate's subscriptions: those in use, and declared ones. */
export async function groupsOf(d: Directory, e: TenantEstate, sub: string): Promise<ResourceGroupView[]> {
  const out = new Map<string, ResourceGroupView>();
  for (const place of placesOf(e)) {
    if (place.subscriptionId !== sub || out.has(lower(place.resourceGroup))) continue;
    out.set(lower(place.resourceGroup), {
      id: `/subscriptions/${sub}/resourceGroups/${place.resourceGroup}`,
      subscriptionId: sub,
      name: place.resourceGroup,
      location: DEFAULT_LOCATION,
      tags: {},
      declared: false,
    });
  }
  for (const r of await listGroupRows(d.db, sub)) {
    out.set(r.name_key, {
      id: `/subscriptions/${sub}/resourceGroups/${r.name}`,
      subscriptionId: sub,
      name: r.name,
      location: r.location,
      tags: JSON.parse(r.tags) as Record<string, string>,
      declared: true,
    });
  }
  return [...out.values()].sort((a, b) => (lower(a.name) < lower(b.name) ? -1 : 1));
}

export async function listResourceGroups(
  d: Directory,
  tenantRef: string,
  subscriptionId?: string,
): Promise<ResourceGroupView[]> {
  const e = await readEstate(d, tenantRef);
  return groupsOf(d, e, requireSubscription(e, subscriptionId));
}

const GROUP_NAME = /^[-\w._()]{1,90}$/u;

export async function createResourceGroup(
  d: Directory,
  tenantRef: string,
  input: {
    name: string;
    subscriptionId?: string | undefined;
    location?: string | undefined;
    tags?: Record<string, string> | undefined;
  },
): Promise<{ group: ResourceGroupView; created: boolean }> {
  if (!GROUP_NAME.test(input.name) || input.name.endsWith('.')) {
    throw new LanyardError('ERR_VALIDATION', `"${input.name.slice(0, 100)}" is not a resource group name.`, {
      hint: 'Use 1-90 letters, digits, "-", "_", ".", "(" or ")", not ending with ".".',
    });
  }
  return d.transaction(async (t) => {
    const e = await readEstate(t, tenantRef);
    const tenant = e.tenant;
    const sub = requireSubscription(e, input.subscriptionId);
    const existing = (await groupsOf(t, e, sub)).find((g) => lower(g.name) === lower(input.name));
    const location = input.location ?? existing?.location ?? DEFAULT_LOCATION;
    if (existing?.declared && lower(existing.location) !== lower(location)) {
      throw new LanyardError(
        'ERR_VALIDATION',
        `Resource group ${existing.name} is in ${existing.location}; a resource group's location cannot change.`,
      );
    }
    const { row } = await putGroupRow(
      t.db,
      {
        subscriptionId: sub,
        tenantId: tenant.id,
        name: existing?.name ?? input.name,
        location,
        tags: input.tags ?? {},
      },
      t.clock().toISOString(),
    );
    return {
      group: {
        id: `/subscriptions/${sub}/resourceGroups/${row.name}`,
        subscriptionId: sub,
        name: row.name,
        location: row.location,
        tags: JSON.parse(row.tags) as Record<string, string>,
        declared: true,
      },
      created: existing === undefined,
    };
  });
}

/**
 * Deletes a declared resource group and the role assignments scoped in it. A group that still holds directory
 * resources or identities is refused: they are the directory's (and the manifest's) to remove.
 */
export async function deleteResourceGroup(
  d: Directory,
  tenantRef: string,
  input: { name: string; subscriptionId?: string | undefined },
): Promise<{ assignmentsRemoved: number }> {
  return d.transaction(async (t) => {
    const e = await readEstate(t, tenantRef);
    const sub = requireSubscription(e, input.subscriptionId);
    const holders = placesOf(e).filter(
      (p) => p.subscriptionId === sub && lower(p.resourceGroup) === lower(input.name),
    );
    if (holders.length > 0) {
      throw new LanyardError(
        'ERR_IN_USE',
        `Resource group ${input.name} still holds resources or identities.`,
        {
          hint: 'Delete them first (`lanyard resource delete`, `lanyard identity delete`), or move them in lanyard.yaml.',
        },
      );
    }
    if (!(await removeGroupRow(t.db, sub, input.name))) {
      throw new LanyardError('ERR_NOT_FOUND', `Subscription ${sub} has no resource group ${input.name}.`);
    }
    const removed = await removeAssignmentsUnder(
      t.db,
      scopeKey(`/subscriptions/${sub}/resourceGroups/${input.name}`),
    );
    return { assignmentsRemoved: removed };
  });
}

// ---- scopes ----

/**
 * A scope as people write it: an ARM id, or `subscription[:<id>]`, `group:<name>`, `resource:<name>`,
 * `identity:<name>` (the tenant's default subscription where one is implied). It must lie in one of the tenant's
 * subscriptions.
 */
export async function resolveScope(d: Directory, tenantRef: string, text: string): Promise<Scope> {
  const tenant = await d.getTenant(tenantRef);
  let id: string;
  const colon = text.indexOf(':');
  const kind = text.startsWith('/') ? 'arm' : colon > 0 ? text.slice(0, colon) : text;
  const name = colon > 0 ? text.slice(colon + 1) : '';
  if (kind === 'arm') id = text;
  else if (kind === 'subscription') id = `/subscriptions/${name || tenant.defaultSubscriptionId}`;
  else if (kind === 'group') id = `/subscriptions/${tenant.defaultSubscriptionId}/resourceGroups/${name}`;
  else if (kind === 'resource') id = (await d.getResource(tenant.id, name)).resourceId;
  else if (kind === 'identity') id = (await d.getIdentity(tenant.id, name)).resourceId;
  else {
    throw new LanyardError('ERR_RBAC_SCOPE', `"${text.slice(0, 200)}" is not a scope.`, {
      hint: 'Give an ARM id (/subscriptions/…), or subscription[:<id>], group:<name>, resource:<name> or identity:<name>.',
    });
  }
  const scope = parseScope(id);
  if (scope.kind === 'root') {
    throw new LanyardError('ERR_RBAC_SCOPE', 'Roles are assigned at a subscription or below, not at "/".', {
      hint: 'Use subscription (the tenant default) or /subscriptions/<id>.',
    });
  }
  requireSubscription(await readEstate(d, tenant.id), scope.subscriptionId);
  return scope;
}

// ---- role definitions ----

export async function listRoles(d: Directory): Promise<RoleDefinition[]> {
  return (await loadIndex(d.db)).roleDefinitions();
}

export async function findRole(d: Directory, ref: string): Promise<RoleDefinition> {
  return roleIn(await loadIndex(d.db), ref);
}

/** The role `ref` names in `index`: its id (any ARM form) or its name. */
function roleIn(index: RbacIndex, ref: string): RoleDefinition {
  const role = index.roleDefinition(ref) ?? index.roleDefinitionByName(ref);
  if (!role) {
    throw new LanyardError('ERR_NOT_FOUND', `No role is named or numbered ${ref}.`, {
      hint: 'List them with `lanyard rbac role list`.',
    });
  }
  return role;
}

/** Creates or replaces a custom role of the tenant (checked by the index first). */
export async function putRole(
  d: Directory,
  tenantRef: string,
  input: Omit<RoleDefinitionInput, 'id'> & { id?: string | undefined },
): Promise<{ role: RoleDefinition; created: boolean }> {
  return d.transaction(async (t) => {
    const tenant = await t.getTenant(tenantRef);
    const index = await loadIndex(t.db);
    // Assignable scopes may be written as the CLI writes scopes (`subscription`, `group:<name>`).
    const assignableScopes: string[] = [];
    for (const s of input.assignableScopes) {
      assignableScopes.push(s.startsWith('/') ? s : (await resolveScope(t, tenant.id, s)).id);
    }
    const role = index.putRoleDefinition({
      ...input,
      assignableScopes,
      id: input.id ?? randomUUID(),
      roleType: 'CustomRole',
    });
    const { created } = await putRoleDefinitionRow(
      t.db,
      {
        id: role.id,
        tenantId: tenant.id,
        roleName: role.roleName,
        description: role.description,
        permissions: role.permissions,
        assignableScopes: role.assignableScopes,
      },
      t.clock().toISOString(),
    );
    return { role, created };
  });
}

export async function deleteRole(d: Directory, ref: string): Promise<RoleDefinition> {
  return d.transaction(async (t) => {
    const index = await loadIndex(t.db);
    const role = roleIn(index, ref);
    // The index refuses a built-in role and one still assigned (ERR_READ_ONLY, ERR_IN_USE).
    index.removeRoleDefinition(role.id);
    await removeRoleDefinitionRow(t.db, role.id);
    return role;
  });
}

// ---- assignments ----

function assignmentView(
  a: RoleAssignment,
  row: RoleAssignmentRow | undefined,
  index: RbacIndex,
): AssignmentView {
  const scope = parseScope(a.scope);
  return {
    id: `${scope.id === '/' ? '' : scope.id}/providers/Microsoft.Authorization/roleAssignments/${a.id}`,
    name: a.id,
    principalId: a.principalId,
    principalType: a.principalType ?? 'ServicePrincipal',
    roleDefinitionId: roleDefinitionResourceId(a.roleDefinitionId, scope.subscriptionId),
    roleName: index.roleDefinition(a.roleDefinitionId)?.roleName ?? a.roleDefinitionId,
    scope: row?.scope ?? a.scope,
    description: row?.description ?? '',
    createdOn: row?.created_at ?? '',
  };
}

export interface AssignInput {
  /** app:<name>, identity:<name>, resource:<name> or a service principal object id. */
  readonly principal: string;
  /** A role name (`Key Vault Secrets User`) or its GUID or id. */
  readonly role: string;
  /** As `resolveScope` reads it. */
  readonly scope: string;
  /** The assignment's name (a GUID); a new one when left out. */
  readonly id?: string | undefined;
  readonly description?: string | undefined;
}

/** Assigns a role; ERR_RBAC_ASSIGNMENT_EXISTS when the principal already holds it at that scope. */
export async function assignRole(
  d: Directory,
  tenantRef: string,
  input: AssignInput,
): Promise<AssignmentView> {
  return d.transaction(async (t) => {
    const tenant = await t.getTenant(tenantRef);
    const principal = await t.findPrincipal(tenant.id, input.principal);
    const scope = await resolveScope(t, tenant.id, input.scope);
    const index = await loadIndex(t.db);
    const role = roleIn(index, input.role);
    if (await findSameAssignmentRow(t.db, principal.objectId, role.id, scope.key)) {
      throw new LanyardError(
        'ERR_RBAC_ASSIGNMENT_EXISTS',
        `${principal.displayName} already holds ${role.roleName} at ${scope.id}.`,
      );
    }
    const id = lower(input.id ?? randomUUID());
    if (await findAssignmentRow(t.db, id)) {
      throw new LanyardError('ERR_CONFLICT', `A role assignment named ${id} exists already.`);
    }
    const added = index.addAssignment({
      id,
      principalId: principal.objectId,
      principalType: 'ServicePrincipal',
      roleDefinitionId: role.id,
      scope: scope.id,
    });
    const row = await insertAssignmentRow(
      t.db,
      {
        id,
        tenantId: tenant.id,
        principalId: principal.objectId,
        principalType: 'ServicePrincipal',
        roleDefinitionId: role.id,
        scope: scope.id,
        scopeKey: scope.key,
        description: input.description ?? '',
      },
      t.clock().toISOString(),
    );
    return assignmentView(added, row, index);
  });
}

/** Removes an assignment named by its name or id, or by principal, role and scope. */
export async function unassignRole(
  d: Directory,
  tenantRef: string,
  ref: { id: string } | { principal: string; role: string; scope: string },
): Promise<AssignmentView> {
  return d.transaction(async (t) => {
    const tenant = await t.getTenant(tenantRef);
    const index = await loadIndex(t.db);
    let row: RoleAssignmentRow | undefined;
    if ('id' in ref) {
      const name = /([0-9a-f-]{36})$/i.exec(ref.id)?.[1] ?? ref.id;
      row = await findAssignmentRow(t.db, name);
    } else {
      const principal = await t.findPrincipal(tenant.id, ref.principal);
      const scope = await resolveScope(t, tenant.id, ref.scope);
      const role = roleIn(index, ref.role);
      row = await findSameAssignmentRow(t.db, principal.objectId, role.id, scope.key);
    }
    if (!row || row.tenant_id !== tenant.id) {
      throw new LanyardError('ERR_NOT_FOUND', 'No such role assignment.', {
        hint: 'List them with `lanyard rbac list`.',
      });
    }
    const a = index.getAssignment(row.id)!;
    await removeAssignmentRow(t.db, row.id);
    return assignmentView(a, row, index);
  });
}

export async function listRoleAssignments(
  d: Directory,
  tenantRef: string,
  filter: { principal?: string | undefined; scope?: string | undefined } = {},
): Promise<AssignmentView[]> {
  const tenant = await d.getTenant(tenantRef);
  const rows = await listAssignmentRows(d.db, tenant.id);
  const index = await loadIndex(d.db);
  const principalId = filter.principal
    ? (await d.findPrincipal(tenant.id, filter.principal)).objectId
    : undefined;
  // A scope filter shows what applies there: assignments at it and above it (ARM's atScope()).
  const within = filter.scope ? await resolveScope(d, tenant.id, filter.scope) : undefined;
  const applies = within ? new Set(within.chain) : undefined;
  return rows
    .filter((r) => principalId === undefined || r.principal_id === principalId)
    .filter((r) => applies === undefined || applies.has(r.scope_key))
    .map((r) => assignmentView(index.getAssignment(r.id)!, r, index));
}

/**
 * `lanyard rbac check`'s answer as a sentence (the console shows the same), and, when denied, the command that
 * would allow it: the least privileged role assignable there.
 */
export function describeDecision(
  r: { principalName: string; decision: Decision },
  input: { principal: string; action: string; scope: string },
): { text: string; fix?: string } {
  const d = r.decision;
  if (d.allowed) {
    return {
      text: `allowed: ${d.grantedBy.map((g) => `${g.roleName} at ${g.assignment.scope} (${g.assignment.id})`).join('; ')}`,
    };
  }
  const role = d.wouldGrant[0]?.roleName;
  const fix =
    role === undefined
      ? undefined
      : `lanyard rbac assign --principal ${input.principal} --role "${role}" --scope ${input.scope}`;
  return {
    text: `denied: ${r.principalName} holds no role allowing ${input.action} at ${d.scope}.${
      fix ? ` ${role} would (${fix}).` : ' No role assignable there allows it.'
    }`,
    ...(fix ? { fix } : {}),
  };
}

/** "May this principal do this at this scope?", with the assignments that allow it or the roles that would. */
export async function checkAccess(
  d: Directory,
  tenantRef: string,
  input: { principal: string; action: string; scope: string; dataAction?: boolean | undefined },
): Promise<{ principalId: string; principalName: string; decision: Decision }> {
  const tenant = await d.getTenant(tenantRef);
  const principal = await d.findPrincipal(tenant.id, input.principal);
  const scope = await resolveScope(d, tenant.id, input.scope);
  const index = await loadIndex(d.db);
  const decision = index.check([principal.objectId], input.action, scope, {
    dataAction: input.dataAction === true,
  });
  return { principalId: principal.objectId, principalName: principal.displayName, decision };
}
