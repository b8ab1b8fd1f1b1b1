/**
 * @module directory/assignments
 * Service principals and app role assignments: "principal P may call app A in role R". The rules are
 * Entra's: the role must exist on A, be enabled and allow Application members; an app with no roles takes
 * the default role id; the same assignment twice is a conflict.
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import { appRolesOf, requireAppRow } from './applications.ts';
import { bumpVersion, isGuid, newId, notFound, type OpContext, type Tx } from './context.ts';
import { firstPartyApp } from './first-party.ts';
import { findResourceRow, findUserIdentityRow } from './identities.ts';
import { parseInput, type RoleAssignmentInput, roleAssignmentInput } from './inputs.ts';
import type { ServicePrincipalRow } from './tables.ts';
import { requireTenantRow } from './tenant-rows.ts';
import { type AppRoleAssignment, DEFAULT_APP_ROLE_ID, type ServicePrincipal } from './types.ts';

async function toServicePrincipal(db: Tx, row: ServicePrincipalRow): Promise<ServicePrincipal> {
  const app = row.app_object_id
    ? await db
        .selectFrom('applications')
        .select('name')
        .where('object_id', '=', row.app_object_id)
        .executeTakeFirst()
    : undefined;
  return {
    objectId: row.object_id,
    tenantId: row.tenant_id,
    appId: row.app_id,
    displayName: row.display_name,
    servicePrincipalType: row.type,
    ...(app ? { appName: app.name } : {}),
    ...(row.identity_id ? { identityId: row.identity_id } : {}),
  };
}

export async function listServicePrincipals(db: Tx, tenantRef: string): Promise<ServicePrincipal[]> {
  const tenant = await requireTenantRow(db, tenantRef);
  const rows = await db
    .selectFrom('service_principals')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .orderBy('type')
    .orderBy('display_name')
    .execute();
  return Promise.all(rows.map((r) => toServicePrincipal(db, r)));
}

/** Finds a service principal by object id or appId (client id), or by app name. */
export async function getServicePrincipal(db: Tx, tenantRef: string, ref: string): Promise<ServicePrincipal> {
  const tenant = await requireTenantRow(db, tenantRef);
  let row: ServicePrincipalRow | undefined;
  if (isGuid(ref)) {
    const id = ref.toLowerCase();
    row = await db
      .selectFrom('service_principals')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .where((eb) => eb.or([eb('object_id', '=', id), eb('app_id', '=', id)]))
      .executeTakeFirst();
  } else {
    row = await db
      .selectFrom('service_principals')
      .innerJoin('applications', 'applications.object_id', 'service_principals.app_object_id')
      .selectAll('service_principals')
      .where('service_principals.tenant_id', '=', tenant.id)
      .where('applications.name', '=', ref)
      .executeTakeFirst();
  }
  if (!row) throw notFound('Service principal', ref, 'List them with `lanyard sp list`.');
  return toServicePrincipal(db, row);
}

/** Resolves a principal reference (see inputs.principalRef) to a service principal row. */
export async function resolvePrincipal(db: Tx, tenantId: string, ref: string): Promise<ServicePrincipalRow> {
  const sp = (where: (q: ReturnType<typeof spQuery>) => ReturnType<typeof spQuery>) =>
    where(spQuery(db, tenantId)).executeTakeFirst();
  const colon = ref.indexOf(':');
  const kind = colon > 0 ? ref.slice(0, colon) : '';
  const name = colon > 0 ? ref.slice(colon + 1) : ref;
  let row: ServicePrincipalRow | undefined;
  if (kind === 'app') {
    const app = await requireAppRow(db, tenantId, name);
    row = await sp((q) => q.where('app_object_id', '=', app.object_id));
  } else if (kind === 'identity') {
    const identity = await findUserIdentityRow(db, tenantId, name);
    if (!identity)
      throw notFound('Identity', name, 'List user-assigned identities with `lanyard identity list`.');
    row = await sp((q) => q.where('identity_id', '=', identity.id));
  } else if (kind === 'resource') {
    const resource = await findResourceRow(db, tenantId, name);
    if (!resource) throw notFound('Resource', name, 'List resources with `lanyard resource list`.');
    if (!resource.system_identity_id) {
      throw new LanyardError(
        'ERR_VALIDATION',
        `Resource "${resource.name}" has no system-assigned identity.`,
        {
          hint: `Enable it (\`lanyard resource update ${resource.name} --system-identity\`) or assign a user-assigned identity instead.`,
        },
      );
    }
    const identityId = resource.system_identity_id;
    row = await sp((q) => q.where('identity_id', '=', identityId));
  } else if (isGuid(ref)) {
    row = await sp((q) => q.where('object_id', '=', ref.toLowerCase()));
  }
  if (!row)
    throw notFound(
      'Principal',
      ref,
      'Name it as app:<name>, identity:<name>, resource:<name> or a service principal object id.',
    );
  return row;
}

/**
 * The service principal a reference names (app:<name>, identity:<name>, resource:<name> or an object id), for
 * planes that grant to principals (Azure RBAC).
 */
export async function findPrincipal(db: Tx, tenantRef: string, ref: string): Promise<ServicePrincipal> {
  const tenant = await requireTenantRow(db, tenantRef);
  return toServicePrincipal(db, await resolvePrincipal(db, tenant.id, ref));
}

function spQuery(db: Tx, tenantId: string) {
  return db.selectFrom('service_principals').selectAll().where('tenant_id', '=', tenantId);
}

interface RoleTarget {
  resourceSp: ServicePrincipalRow;
  appName: string;
  appRoleId: string;
  appRoleValue: string | null;
}

async function resolveRole(
  db: Tx,
  tenantId: string,
  appRef: string,
  role: string | undefined,
): Promise<RoleTarget> {
  const app = await requireAppRow(db, tenantId, appRef);
  const resourceSp = await spQuery(db, tenantId)
    .where('app_object_id', '=', app.object_id)
    .executeTakeFirstOrThrow();
  const roles = await appRolesOf(db, app);
  const appRoles = roles.filter((r) => r.allowedMemberTypes.includes('Application'));
  if (role === undefined || role === DEFAULT_APP_ROLE_ID) {
    if (appRoles.length > 0) {
      throw new LanyardError('ERR_VALIDATION', `App "${app.name}" defines roles; name the role to assign.`, {
        hint: `Roles of "${app.name}": ${appRoles.map((r) => r.value).join(', ')}.`,
      });
    }
    return { resourceSp, appName: app.name, appRoleId: DEFAULT_APP_ROLE_ID, appRoleValue: null };
  }
  const found = roles.find((r) => r.value === role || r.id === role.toLowerCase());
  if (!found) {
    throw new LanyardError('ERR_NOT_FOUND', `App "${app.name}" has no role "${role}".`, {
      hint:
        roles.length > 0
          ? `Its roles: ${roles.map((r) => r.value).join(', ')}.`
          : 'It defines no roles: omit the role to assign the default role.',
    });
  }
  if (!found.allowedMemberTypes.includes('Application')) {
    throw new LanyardError(
      'ERR_VALIDATION',
      `Role "${found.value}" of app "${app.name}" does not allow Application members.`,
      {
        hint: 'Service principals and managed identities can only hold roles whose allowedMemberTypes include Application.',
      },
    );
  }
  if (!found.isEnabled) {
    throw new LanyardError('ERR_VALIDATION', `Role "${found.value}" of app "${app.name}" is disabled.`, {
      hint: 'Enable the role (isEnabled: true) before assigning it.',
    });
  }
  return { resourceSp, appName: app.name, appRoleId: found.id, appRoleValue: found.value };
}

async function describe(db: Tx, ids: string[]): Promise<AppRoleAssignment[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('app_role_assignments as a')
    .innerJoin('service_principals as p', 'p.object_id', 'a.principal_id')
    .innerJoin('service_principals as r', 'r.object_id', 'a.resource_sp_id')
    .innerJoin('applications as app', 'app.object_id', 'r.app_object_id')
    .leftJoin('app_roles as role', (j) =>
      j.onRef('role.app_object_id', '=', 'app.object_id').onRef('role.id', '=', 'a.app_role_id'),
    )
    .select([
      'a.id',
      'a.tenant_id',
      'a.principal_id',
      'p.display_name as principal_name',
      'p.type as principal_type',
      'a.resource_sp_id',
      'r.display_name as resource_name',
      'app.name as app_name',
      'app.app_id as app_app_id',
      'app.first_party as app_first_party',
      'a.app_role_id',
      'role.value as role_value',
      'a.created_at',
    ])
    .where('a.id', 'in', ids)
    .orderBy('app.name')
    .orderBy('p.display_name')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    principalId: r.principal_id,
    principalDisplayName: r.principal_name,
    principalType: r.principal_type,
    resourceId: r.resource_sp_id,
    resourceDisplayName: r.resource_name,
    resourceAppName: r.app_name,
    appRoleId: r.app_role_id,
    // A first-party app's roles are not stored: their values come from first-party.ts.
    appRoleValue:
      r.role_value ??
      (r.app_first_party === 1
        ? (firstPartyApp(r.app_app_id)?.appRoles.find((x) => x.id === r.app_role_id)?.value ?? null)
        : null),
    createdAt: r.created_at,
  }));
}

export interface AssignmentFilter {
  principal?: string | undefined;
  app?: string | undefined;
}

export async function listRoleAssignments(
  db: Tx,
  tenantRef: string,
  filter: AssignmentFilter = {},
): Promise<AppRoleAssignment[]> {
  const tenant = await requireTenantRow(db, tenantRef);
  let q = db.selectFrom('app_role_assignments').select('id').where('tenant_id', '=', tenant.id);
  if (filter.principal)
    q = q.where('principal_id', '=', (await resolvePrincipal(db, tenant.id, filter.principal)).object_id);
  if (filter.app) {
    const app = await requireAppRow(db, tenant.id, filter.app);
    const sp = await spQuery(db, tenant.id)
      .where('app_object_id', '=', app.object_id)
      .executeTakeFirstOrThrow();
    q = q.where('resource_sp_id', '=', sp.object_id);
  }
  const ids = (await q.execute()).map((r) => r.id);
  return describe(db, ids);
}

export async function assignRole(
  ctx: OpContext,
  tenantRef: string,
  raw: RoleAssignmentInput,
): Promise<AppRoleAssignment> {
  const input = parseInput(roleAssignmentInput, raw, 'role assignment');
  const { trx } = ctx;
  const tenant = await requireTenantRow(trx, tenantRef);
  const principal = await resolvePrincipal(trx, tenant.id, input.principal);
  const target = await resolveRole(trx, tenant.id, input.app, input.role);
  const existing = await trx
    .selectFrom('app_role_assignments')
    .select('id')
    .where('principal_id', '=', principal.object_id)
    .where('resource_sp_id', '=', target.resourceSp.object_id)
    .where('app_role_id', '=', target.appRoleId)
    .executeTakeFirst();
  if (existing) {
    throw new LanyardError(
      'ERR_CONFLICT',
      `"${principal.display_name}" already holds ${target.appRoleValue ? `role "${target.appRoleValue}"` : 'the default role'} on app "${target.appName}".`,
      { details: { assignmentId: existing.id } },
    );
  }
  const id = newId();
  await trx
    .insertInto('app_role_assignments')
    .values({
      id,
      tenant_id: tenant.id,
      principal_id: principal.object_id,
      resource_sp_id: target.resourceSp.object_id,
      app_role_id: target.appRoleId,
      created_at: ctx.nowIso,
    })
    .execute();
  await bumpVersion(trx);
  const [assignment] = await describe(trx, [id]);
  return assignment!;
}

/** Removes an assignment, named either by its id or by (principal, app, role). */
export async function unassignRole(
  ctx: OpContext,
  tenantRef: string,
  ref: string | RoleAssignmentInput,
): Promise<AppRoleAssignment> {
  const { trx } = ctx;
  const tenant = await requireTenantRow(trx, tenantRef);
  let id: string | undefined;
  if (typeof ref === 'string') {
    id = (
      await trx
        .selectFrom('app_role_assignments')
        .select('id')
        .where('tenant_id', '=', tenant.id)
        .where('id', '=', ref.toLowerCase())
        .executeTakeFirst()
    )?.id;
    if (!id) throw notFound('Role assignment', ref, 'List assignments with `lanyard role list`.');
  } else {
    const input = parseInput(roleAssignmentInput, ref, 'role assignment');
    const principal = await resolvePrincipal(trx, tenant.id, input.principal);
    const app = await requireAppRow(trx, tenant.id, input.app);
    const sp = await spQuery(trx, tenant.id)
      .where('app_object_id', '=', app.object_id)
      .executeTakeFirstOrThrow();
    const roles = await appRolesOf(trx, app);
    const roleId =
      input.role === undefined
        ? DEFAULT_APP_ROLE_ID
        : (roles.find((r) => r.value === input.role || r.id === input.role?.toLowerCase())?.id ?? input.role);
    id = (
      await trx
        .selectFrom('app_role_assignments')
        .select('id')
        .where('principal_id', '=', principal.object_id)
        .where('resource_sp_id', '=', sp.object_id)
        .where('app_role_id', '=', roleId)
        .executeTakeFirst()
    )?.id;
    if (!id) {
      throw new LanyardError(
        'ERR_NOT_FOUND',
        `"${principal.display_name}" holds no ${input.role ? `role "${input.role}"` : 'default role'} on app "${app.name}".`,
        { hint: `List its assignments with \`lanyard role list --principal ${input.principal}\`.` },
      );
    }
  }
  const [assignment] = await describe(trx, [id]);
  await trx.deleteFrom('app_role_assignments').where('id', '=', id).execute();
  await bumpVersion(trx);
  return assignment!;
}
