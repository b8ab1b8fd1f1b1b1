/**
 * @module management/manifest-section
 * The management plane's part of `lanyard.yaml`: under each tenant, `management:` with the subscriptions and
 * resource groups it declares, its custom roles, and its Azure RBAC role assignments.
 *
 *   management:
 *     subscriptions: [{ id, displayName, state }]
 *     resourceGroups: [{ name, subscription?, location, tags }]
 *     roles: [{ name, id?, description, assignableScopes, permissions: [{ actions, notActions, dataActions, notDataActions }] }]
 *     roleAssignments: [{ principal, role, scope, name?, description? }]
 *
 * Principals are named as the CLI names them (`identity:orders-uami`, `app:ops`, `resource:fn1`, an object
 * id), scopes too (`resource:kv1`, `group:team-rg`, `subscription`, an ARM id), roles by name or GUID. The plan
 * compares in those terms: a stored assignment is read back as the references that name it, so a principal
 * or resource the same apply creates is matched by name, and the assignment is made after it (its phase comes
 * after the directory's). Assignments are never updated in place: a changed one is removed and made again.
 */
import { z } from 'zod';
import type { Directory } from '../directory/directory.ts';
import { DIRECTORY_PHASE } from '../directory/manifest/plan.ts';
import { duplicates, type ManifestProblem } from '../manifest/problems.ts';
import type { DeclaredManifest, TenantPlan, TenantSection } from '../manifest/section.ts';
import type { KeyPath } from '../manifest/source.ts';
import type { PlanObject } from '../manifest/types.ts';
import { builtinRoleById, builtinRoleByName } from './rbac/builtin-roles.ts';
import { isGuid } from './rbac/role-definition.ts';
import {
  assignRole,
  createResourceGroup,
  createSubscription,
  DEFAULT_LOCATION,
  deleteResourceGroup,
  deleteRole,
  listRoleAssignments,
  listRoles,
  putRole,
  unassignRole,
} from './service.ts';
import {
  listGroupRows,
  listRoleDefinitionRows,
  listSubscriptionRows,
  removeSubscriptionRow,
} from './store.ts';

/** After the directory's steps it refers to; deletions before the principals and resources they name go. */
export const MANAGEMENT_PHASE = {
  deleteRoleAssignment: DIRECTORY_PHASE.deleteRoleAssignment + 2,
  deleteRole: DIRECTORY_PHASE.deleteRoleAssignment + 4,
  deleteResourceGroup: DIRECTORY_PHASE.deleteIdentity + 5,
  deleteSubscription: DIRECTORY_PHASE.deleteTenant - 2,
  subscription: DIRECTORY_PHASE.tenant + 2,
  resourceGroup: DIRECTORY_PHASE.tenant + 4,
  role: DIRECTORY_PHASE.roleAssignment + 8,
  roleAssignment: DIRECTORY_PHASE.roleAssignment + 9,
} as const;

const GUID = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a GUID');
const actions = (what: string) =>
  z
    .array(z.string().min(1).max(512))
    .max(500)
    .default([])
    .describe(`${what}, with wildcards. Default: none.`);

const subscription = z.strictObject({
  id: GUID.describe('The subscription id. Immutable.'),
  displayName: z.string().min(1).max(256).describe('The name az and the SDKs show.'),
  state: z
    .enum(['Enabled', 'Warned', 'PastDue', 'Disabled', 'Deleted'])
    .default('Enabled')
    .describe('Default: Enabled.'),
});

const resourceGroup = z.strictObject({
  name: z
    .string()
    .regex(/^[-\w._()]{1,90}$/u, 'must be 1-90 letters, digits, "-", "_", ".", "(" or ")"')
    .describe('Stable key, compared without case.'),
  subscription: GUID.optional().describe("Default: the tenant's default subscription."),
  location: z.string().min(1).max(64).default(DEFAULT_LOCATION).describe('Immutable.'),
  tags: z.record(z.string(), z.string()).default({}).describe('Tag name → value. Default: none.'),
});

const role = z.strictObject({
  name: z.string().min(1).max(512).describe('The role name (roleName); stable key, unique among all roles.'),
  id: GUID.optional().describe('Default: made when the role is created.'),
  description: z.string().max(2048).default('').describe('Default: empty.'),
  assignableScopes: z
    .array(z.string().min(1).max(2048))
    .min(1)
    .max(50)
    .describe('ARM ids, or subscription[:<id>] and group:<name>.'),
  permissions: z
    .array(
      z.strictObject({
        actions: actions('Control-plane operations allowed'),
        notActions: actions('Control-plane operations taken back out'),
        dataActions: actions('Data operations allowed'),
        notDataActions: actions('Data operations taken back out'),
      }),
    )
    .min(1)
    .max(10)
    .describe('Permission blocks, as in Azure.'),
});

const roleAssignment = z.strictObject({
  principal: z
    .string()
    .min(1)
    .max(300)
    .describe('app:<name>, identity:<name>, resource:<name> or an object id.'),
  role: z.string().min(1).max(512).describe('A role name (Key Vault Secrets User) or its GUID.'),
  scope: z
    .string()
    .min(1)
    .max(2048)
    .describe('An ARM id, or subscription[:<id>], group:<name>, resource:<name>, identity:<name>.'),
  name: GUID.optional().describe("The assignment's name; made when it is created."),
  description: z.string().max(1024).optional().describe('Why it exists.'),
});

const management = z.strictObject({
  subscriptions: z
    .array(subscription)
    .max(100)
    .default([])
    .describe('Declared subscriptions. Default: none.'),
  resourceGroups: z.array(resourceGroup).max(1000).default([]).describe('Resource groups. Default: none.'),
  roles: z.array(role).max(500).default([]).describe('Custom roles. Default: none.'),
  roleAssignments: z
    .array(roleAssignment)
    .max(10_000)
    .default([])
    .describe('Azure RBAC role assignments. Default: none.'),
});

type Declared = z.output<typeof management>;
type DeclaredAssignment = Declared['roleAssignments'][number];

const of = (t: unknown): Declared | undefined => (t as { management?: Declared }).management;

function check(declared: DeclaredManifest, out: ManifestProblem[]): void {
  declared.tenants.forEach((tenant, t) => {
    const m = of(tenant);
    if (!m) return;
    const at = (...rest: (string | number)[]): KeyPath => ['tenants', t, 'management', ...rest];
    duplicates(
      m.subscriptions,
      (s) => s.id.toLowerCase(),
      (i) => at('subscriptions', i, 'id'),
      (s) => `subscription ${s.id} is declared twice`,
      out,
    );
    duplicates(
      m.resourceGroups,
      (g) => `${g.subscription ?? ''}/${g.name.toLowerCase()}`,
      (i) => at('resourceGroups', i, 'name'),
      (g) => `resource group ${g.name} is declared twice`,
      out,
    );
    duplicates(
      m.roles,
      (r) => r.name.toLowerCase(),
      (i) => at('roles', i, 'name'),
      (r) => `role ${r.name} is declared twice`,
      out,
    );
    m.roles.forEach((r, i) => {
      if (builtinRoleByName(r.name) || (r.id && builtinRoleById(r.id))) {
        out.push({
          kind: 'schema',
          path: at('roles', i, 'name'),
          message: `${r.name} is a built-in role; a custom role needs another name and id`,
        });
      }
    });
    duplicates(
      m.roleAssignments,
      (a) => assignmentKey(a.principal, roleKey(a.role, m), scopeRef(a.scope)),
      (i) => at('roleAssignments', i),
      (a) => `${a.principal} holds ${a.role} at ${a.scope} twice`,
      out,
    );
  });
}

/** A role as the plan compares it: its name in lower case (a GUID of a known role becomes its name). */
function roleKey(
  ref: string,
  declared?: Declared,
  stored?: readonly { id: string; roleName: string }[],
): string {
  if (isGuid(ref)) {
    const id = ref.toLowerCase();
    const known =
      builtinRoleById(id)?.roleName ??
      declared?.roles.find((r) => r.id?.toLowerCase() === id)?.name ??
      stored?.find((r) => r.id === id)?.roleName;
    return (known ?? id).toLowerCase();
  }
  return ref.toLowerCase();
}

/** A scope or principal reference as the plan compares it. */
function scopeRef(ref: string): string {
  return ref.startsWith('/') ? ref.toLowerCase().replace(/\/+$/, '') : ref.toLowerCase();
}

const assignmentKey = (principal: string, role: string, scope: string) =>
  `${principal.toLowerCase()} | ${role} | ${scope}`;

interface StoredAssignment {
  readonly name: string;
  readonly principalRefs: readonly string[];
  readonly roleKey: string;
  readonly scopeRefs: readonly string[];
  readonly label: string;
}

interface State {
  readonly subscriptions: { id: string; displayName: string; state: string }[];
  readonly groups: { subscription: string; name: string; location: string; tags: Record<string, string> }[];
  readonly roles: {
    id: string;
    roleName: string;
    description: string;
    assignableScopes: readonly string[];
    permissions: unknown;
  }[];
  readonly assignments: StoredAssignment[];
  readonly defaultSubscription: string;
}

async function read(d: Directory, tenant: { id: string } | undefined): Promise<State> {
  if (!tenant) return { subscriptions: [], groups: [], roles: [], assignments: [], defaultSubscription: '' };
  const t = await d.getTenant(tenant.id);
  const sub = t.defaultSubscriptionId.toLowerCase();
  const subscriptions = (await listSubscriptionRows(d.db, t.id)).map((r) => ({
    id: r.id,
    displayName: r.display_name,
    state: r.state,
  }));
  const groups = [];
  for (const s of new Set([sub, ...subscriptions.map((x) => x.id)])) {
    for (const g of await listGroupRows(d.db, s)) {
      groups.push({
        subscription: s,
        name: g.name,
        location: g.location,
        tags: JSON.parse(g.tags) as Record<string, string>,
      });
    }
  }
  const allRoles = await listRoles(d);
  const custom = allRoles.filter((r) => r.roleType === 'CustomRole');
  const owned = new Set((await listRoleDefinitionRows(d.db, t.id)).map((r) => r.id));
  // Every name a principal and a scope can be given by, so a declared reference matches however it is written.
  const [sps, resources, identities] = await Promise.all([
    d.listServicePrincipals(t.id),
    d.listResources(t.id),
    d.listIdentities(t.id, { includeSystem: true }),
  ]);
  const principalRefs = new Map<string, string[]>();
  for (const sp of sps) {
    const refs = [sp.objectId];
    if (sp.appName) refs.push(`app:${sp.appName}`);
    const identity = identities.find((i) => i.id === sp.identityId);
    if (identity?.kind === 'user') refs.push(`identity:${identity.name}`);
    if (identity?.kind === 'system' && identity.ownerResource)
      refs.push(`resource:${identity.ownerResource}`);
    principalRefs.set(sp.objectId.toLowerCase(), refs);
  }
  const scopeRefs = (scope: string): string[] => {
    const key = scopeRef(scope);
    const refs = [key];
    const r = resources.find((x) => x.resourceId.toLowerCase() === key);
    if (r) refs.push(`resource:${r.name.toLowerCase()}`);
    const i = identities.find((x) => x.kind === 'user' && x.resourceId.toLowerCase() === key);
    if (i) refs.push(`identity:${i.name.toLowerCase()}`);
    if (key === `/subscriptions/${sub}`) refs.push('subscription', `subscription:${sub}`);
    const m = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)$/.exec(key);
    if (m && m[1] === sub) refs.push(`group:${m[2]}`);
    if (/^\/subscriptions\/[^/]+$/.test(key)) refs.push(`subscription:${key.split('/')[2]}`);
    return refs;
  };
  const assignments = (await listRoleAssignments(d, t.id)).map((a) => ({
    name: a.name,
    principalRefs: principalRefs.get(a.principalId.toLowerCase()) ?? [a.principalId],
    roleKey: a.roleName.toLowerCase(),
    scopeRefs: scopeRefs(a.scope),
    label: `${(principalRefs.get(a.principalId.toLowerCase()) ?? [a.principalId]).at(-1)} → ${a.roleName} @ ${a.scope}`,
  }));
  return {
    subscriptions,
    groups,
    roles: custom.filter((r) => owned.has(r.id)),
    assignments,
    defaultSubscription: sub,
  };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function plan({ planner: p, declared, index }: TenantPlan<Directory>, state: State): void {
  const t = declared.name;
  const m: Declared = of(declared) ?? {
    subscriptions: [],
    resourceGroups: [],
    roles: [],
    roleAssignments: [],
  };
  const obj = (kind: string, name: string): PlanObject => ({ kind, tenant: t, name });

  // subscriptions
  for (const s of m.subscriptions) {
    const stored = state.subscriptions.find((x) => x.id === s.id.toLowerCase());
    const run = (d: Directory) =>
      createSubscription(d, t, { id: s.id, displayName: s.displayName, state: s.state });
    if (!stored) p.add(MANAGEMENT_PHASE.subscription, 'create', obj('subscription', s.id), run);
    else {
      const changes = [
        ...(stored.displayName !== s.displayName
          ? [`displayName: ${stored.displayName} → ${s.displayName}`]
          : []),
        ...(stored.state !== s.state ? [`state: ${stored.state} → ${s.state}`] : []),
      ];
      if (changes.length)
        p.add(MANAGEMENT_PHASE.subscription, 'update', obj('subscription', s.id), run, changes);
    }
  }
  for (const s of state.subscriptions) {
    if (m.subscriptions.some((x) => x.id.toLowerCase() === s.id)) continue;
    p.undeclared(MANAGEMENT_PHASE.deleteSubscription, obj('subscription', s.id), (d) =>
      removeSubscriptionRow(d.db, s.id),
    );
  }

  // resource groups
  m.resourceGroups.forEach((g, i) => {
    const sub = (g.subscription ?? state.defaultSubscription).toLowerCase();
    const stored = state.groups.find(
      (x) => x.subscription === sub && x.name.toLowerCase() === g.name.toLowerCase(),
    );
    const run = (d: Directory) =>
      createResourceGroup(d, t, {
        name: g.name,
        subscriptionId: g.subscription,
        location: g.location,
        tags: g.tags,
      });
    if (!stored) {
      p.add(MANAGEMENT_PHASE.resourceGroup, 'create', obj('resourceGroup', g.name), run);
      return;
    }
    if (stored.location.toLowerCase() !== g.location.toLowerCase()) {
      p.immutable(
        ['tenants', index, 'management', 'resourceGroups', i, 'location'],
        `resource group ${g.name}`,
        'location',
        stored.location,
        g.location,
        'A resource group stays where it was made: declare a new one, or put the old location back.',
      );
    }
    if (!sameJson(stored.tags, g.tags)) {
      p.add(MANAGEMENT_PHASE.resourceGroup, 'update', obj('resourceGroup', g.name), run, [
        `tags: ${JSON.stringify(stored.tags)} → ${JSON.stringify(g.tags)}`,
      ]);
    }
  });
  for (const g of state.groups) {
    const declaredHere = m.resourceGroups.some(
      (x) =>
        (x.subscription ?? state.defaultSubscription).toLowerCase() === g.subscription &&
        x.name.toLowerCase() === g.name.toLowerCase(),
    );
    if (declaredHere) continue;
    p.undeclared(MANAGEMENT_PHASE.deleteResourceGroup, obj('resourceGroup', g.name), (d) =>
      deleteResourceGroup(d, t, { name: g.name, subscriptionId: g.subscription }),
    );
  }

  // custom roles (assignable scopes as ARM ids: `subscription[:<id>]` and `group:<name>` spelled out)
  // (A new tenant has no default subscription yet: its roles are all created, and putRole resolves the refs.)
  const armScope = (ref: string) => {
    if (ref === 'subscription') return `/subscriptions/${state.defaultSubscription}`;
    if (ref.startsWith('subscription:')) return `/subscriptions/${ref.slice(13).toLowerCase()}`;
    if (ref.startsWith('group:'))
      return `/subscriptions/${state.defaultSubscription}/resourceGroups/${ref.slice(6)}`;
    return ref;
  };
  for (const declaredRole of m.roles) {
    const r = { ...declaredRole, assignableScopes: declaredRole.assignableScopes.map(armScope) };
    const stored = state.roles.find(
      (x) => (r.id && x.id === r.id.toLowerCase()) || x.roleName.toLowerCase() === r.name.toLowerCase(),
    );
    const input = {
      id: stored?.id ?? r.id,
      roleName: r.name,
      description: r.description,
      assignableScopes: declaredRole.assignableScopes,
      permissions: r.permissions,
    };
    const run = (d: Directory) => putRole(d, t, input);
    if (!stored) {
      p.add(MANAGEMENT_PHASE.role, 'create', obj('role', r.name), run);
      continue;
    }
    const changes = [
      ...(stored.roleName !== r.name ? [`name: ${stored.roleName} → ${r.name}`] : []),
      ...(stored.description !== r.description ? ['description'] : []),
      ...(!sameJson(stored.assignableScopes.map(scopeRef), r.assignableScopes.map(scopeRef))
        ? ['assignableScopes']
        : []),
      ...(!sameJson(stored.permissions, r.permissions) ? ['permissions'] : []),
    ];
    if (changes.length) p.add(MANAGEMENT_PHASE.role, 'update', obj('role', r.name), run, changes);
  }
  for (const r of state.roles) {
    if (
      m.roles.some(
        (x) => (x.id && x.id.toLowerCase() === r.id) || x.name.toLowerCase() === r.roleName.toLowerCase(),
      )
    )
      continue;
    p.undeclared(MANAGEMENT_PHASE.deleteRole, obj('role', r.roleName), (d) => deleteRole(d, r.id));
  }

  // role assignments
  const matched = new Set<string>();
  const matches = (a: DeclaredAssignment, s: StoredAssignment) =>
    s.principalRefs.some((x) => x.toLowerCase() === a.principal.toLowerCase()) &&
    s.roleKey === roleKey(a.role, m, state.roles) &&
    s.scopeRefs.includes(scopeRef(a.scope));
  for (const a of m.roleAssignments) {
    const stored = state.assignments.find((s) => !matched.has(s.name) && matches(a, s));
    if (stored) {
      matched.add(stored.name);
      continue;
    }
    p.add(
      MANAGEMENT_PHASE.roleAssignment,
      'create',
      obj('rbacAssignment', `${a.principal} → ${a.role} @ ${a.scope}`),
      (d) =>
        assignRole(d, t, {
          principal: a.principal,
          role: a.role,
          scope: a.scope,
          id: a.name,
          description: a.description,
        }),
    );
  }
  for (const s of state.assignments) {
    if (matched.has(s.name)) continue;
    p.undeclared(MANAGEMENT_PHASE.deleteRoleAssignment, obj('rbacAssignment', s.label), (d) =>
      unassignRole(d, t, { id: s.name }),
    );
  }
}

export const managementManifest: TenantSection<Directory, State> = {
  place: 'tenant',
  key: 'management',
  schema: management
    .default({ subscriptions: [], resourceGroups: [], roles: [], roleAssignments: [] })
    .describe(
      'Subscriptions, resource groups, custom roles and Azure RBAC role assignments; see docs/management.md.',
    ),
  check,
  read,
  plan,
};
