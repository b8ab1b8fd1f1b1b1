/**
 * @module management/store
 * Where the management plane keeps its rows (tables.ts): declared subscriptions and resource groups, custom role
 * definitions and RBAC role assignments. Plain reads and writes, one table each; the rules (which principal,
 * which role, which scope, what a tenant's default subscription is) live in service.ts, which calls these. Every
 * write marks the `management` topic changed in the same transaction, so running hosts rebuild their RBAC index.
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import { markChanged } from '../store/change-feed.ts';
import { type StoreDb, tablesOf } from '../store/handle.ts';
import type {
  ArmResourceGroupRow,
  ArmSubscriptionRow,
  ManagementTables,
  RoleAssignmentRow,
  RoleDefinitionRow,
} from './tables.ts';

export const MANAGEMENT_TOPIC = 'management';

const tables = (db: StoreDb) => tablesOf<ManagementTables>(db);

// ---- subscriptions ----

export function listSubscriptionRows(db: StoreDb, tenantId?: string): Promise<ArmSubscriptionRow[]> {
  let q = tables(db).selectFrom('arm_subscriptions').selectAll();
  if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
  return q.orderBy('created_at').orderBy('id').execute();
}

export function findSubscriptionRow(db: StoreDb, id: string): Promise<ArmSubscriptionRow | undefined> {
  return tables(db)
    .selectFrom('arm_subscriptions')
    .selectAll()
    .where('id', '=', id.toLowerCase())
    .executeTakeFirst();
}

export async function putSubscriptionRow(
  db: StoreDb,
  row: { id: string; tenantId: string; displayName: string; state: string },
  nowIso: string,
): Promise<ArmSubscriptionRow> {
  const id = row.id.toLowerCase();
  const existing = await findSubscriptionRow(db, id);
  if (existing && existing.tenant_id !== row.tenantId) {
    throw new LanyardError('ERR_CONFLICT', `Subscription ${id} belongs to another tenant.`);
  }
  if (existing) {
    await tables(db)
      .updateTable('arm_subscriptions')
      .set({ display_name: row.displayName, state: row.state, updated_at: nowIso })
      .where('id', '=', id)
      .execute();
  } else {
    await tables(db)
      .insertInto('arm_subscriptions')
      .values({
        id,
        tenant_id: row.tenantId,
        display_name: row.displayName,
        state: row.state,
        created_at: nowIso,
        updated_at: nowIso,
      })
      .execute();
  }
  await markChanged(db, MANAGEMENT_TOPIC);
  return (await findSubscriptionRow(db, id))!;
}

export async function removeSubscriptionRow(db: StoreDb, id: string): Promise<boolean> {
  const key = id.toLowerCase();
  await tables(db).deleteFrom('arm_resource_groups').where('subscription_id', '=', key).execute();
  const r = await tables(db).deleteFrom('arm_subscriptions').where('id', '=', key).executeTakeFirst();
  await markChanged(db, MANAGEMENT_TOPIC);
  return Number(r.numDeletedRows) > 0;
}

// ---- resource groups ----

export function listGroupRows(db: StoreDb, subscriptionId: string): Promise<ArmResourceGroupRow[]> {
  return tables(db)
    .selectFrom('arm_resource_groups')
    .selectAll()
    .where('subscription_id', '=', subscriptionId.toLowerCase())
    .orderBy('name_key')
    .execute();
}

export function findGroupRow(
  db: StoreDb,
  subscriptionId: string,
  name: string,
): Promise<ArmResourceGroupRow | undefined> {
  return tables(db)
    .selectFrom('arm_resource_groups')
    .selectAll()
    .where('subscription_id', '=', subscriptionId.toLowerCase())
    .where('name_key', '=', name.toLowerCase())
    .executeTakeFirst();
}

export async function putGroupRow(
  db: StoreDb,
  row: {
    subscriptionId: string;
    tenantId: string;
    name: string;
    location: string;
    tags: Record<string, string>;
  },
  nowIso: string,
): Promise<{ row: ArmResourceGroupRow; created: boolean }> {
  const existing = await findGroupRow(db, row.subscriptionId, row.name);
  const sub = row.subscriptionId.toLowerCase();
  if (existing) {
    await tables(db)
      .updateTable('arm_resource_groups')
      .set({ tags: JSON.stringify(row.tags), updated_at: nowIso })
      .where('subscription_id', '=', sub)
      .where('name_key', '=', existing.name_key)
      .execute();
  } else {
    await tables(db)
      .insertInto('arm_resource_groups')
      .values({
        subscription_id: sub,
        name_key: row.name.toLowerCase(),
        name: row.name,
        tenant_id: row.tenantId,
        location: row.location,
        tags: JSON.stringify(row.tags),
        created_at: nowIso,
        updated_at: nowIso,
      })
      .execute();
  }
  await markChanged(db, MANAGEMENT_TOPIC);
  return { row: (await findGroupRow(db, sub, row.name))!, created: !existing };
}

export async function removeGroupRow(db: StoreDb, subscriptionId: string, name: string): Promise<boolean> {
  const r = await tables(db)
    .deleteFrom('arm_resource_groups')
    .where('subscription_id', '=', subscriptionId.toLowerCase())
    .where('name_key', '=', name.toLowerCase())
    .executeTakeFirst();
  await markChanged(db, MANAGEMENT_TOPIC);
  return Number(r.numDeletedRows) > 0;
}

// ---- custom role definitions ----

export function listRoleDefinitionRows(db: StoreDb, tenantId?: string): Promise<RoleDefinitionRow[]> {
  let q = tables(db).selectFrom('rbac_role_definitions').selectAll();
  if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
  return q.orderBy('role_name').execute();
}

export async function putRoleDefinitionRow(
  db: StoreDb,
  row: {
    id: string;
    tenantId: string;
    roleName: string;
    description: string;
    permissions: unknown;
    assignableScopes: readonly string[];
  },
  nowIso: string,
): Promise<{ created: boolean }> {
  const id = row.id.toLowerCase();
  const existing = await tables(db)
    .selectFrom('rbac_role_definitions')
    .select(['id', 'tenant_id'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (existing && existing.tenant_id !== row.tenantId) {
    throw new LanyardError('ERR_CONFLICT', `Role definition ${id} belongs to another tenant.`);
  }
  const values = {
    role_name: row.roleName,
    description: row.description,
    permissions: JSON.stringify(row.permissions),
    assignable_scopes: JSON.stringify(row.assignableScopes),
    updated_at: nowIso,
  };
  if (existing) {
    await tables(db).updateTable('rbac_role_definitions').set(values).where('id', '=', id).execute();
  } else {
    await tables(db)
      .insertInto('rbac_role_definitions')
      .values({ id, tenant_id: row.tenantId, created_at: nowIso, ...values })
      .execute();
  }
  await markChanged(db, MANAGEMENT_TOPIC);
  return { created: !existing };
}

export async function removeRoleDefinitionRow(db: StoreDb, id: string): Promise<boolean> {
  const r = await tables(db)
    .deleteFrom('rbac_role_definitions')
    .where('id', '=', id.toLowerCase())
    .executeTakeFirst();
  await markChanged(db, MANAGEMENT_TOPIC);
  return Number(r.numDeletedRows) > 0;
}

// ---- role assignments ----

export function listAssignmentRows(db: StoreDb, tenantId?: string): Promise<RoleAssignmentRow[]> {
  let q = tables(db).selectFrom('rbac_role_assignments').selectAll();
  if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
  return q.orderBy('scope_key').orderBy('created_at').execute();
}

export function findAssignmentRow(db: StoreDb, id: string): Promise<RoleAssignmentRow | undefined> {
  return tables(db)
    .selectFrom('rbac_role_assignments')
    .selectAll()
    .where('id', '=', id.toLowerCase())
    .executeTakeFirst();
}

/** The assignment of this role to this principal at exactly this scope, if there is one. */
export function findSameAssignmentRow(
  db: StoreDb,
  principalId: string,
  roleDefinitionId: string,
  scopeKey: string,
): Promise<RoleAssignmentRow | undefined> {
  return tables(db)
    .selectFrom('rbac_role_assignments')
    .selectAll()
    .where('principal_id', '=', principalId.toLowerCase())
    .where('role_definition_id', '=', roleDefinitionId.toLowerCase())
    .where('scope_key', '=', scopeKey)
    .executeTakeFirst();
}

export async function insertAssignmentRow(
  db: StoreDb,
  row: {
    id: string;
    tenantId: string;
    principalId: string;
    principalType: string;
    roleDefinitionId: string;
    scope: string;
    scopeKey: string;
    description: string;
  },
  nowIso: string,
): Promise<RoleAssignmentRow> {
  await tables(db)
    .insertInto('rbac_role_assignments')
    .values({
      id: row.id.toLowerCase(),
      tenant_id: row.tenantId,
      principal_id: row.principalId.toLowerCase(),
      principal_type: row.principalType,
      role_definition_id: row.roleDefinitionId.toLowerCase(),
      scope: row.scope,
      scope_key: row.scopeKey,
      description: row.description,
      created_at: nowIso,
      updated_at: nowIso,
    })
    .execute();
  await markChanged(db, MANAGEMENT_TOPIC);
  return (await findAssignmentRow(db, row.id))!;
}

export async function removeAssignmentRow(db: StoreDb, id: string): Promise<boolean> {
  const r = await tables(db)
    .deleteFrom('rbac_role_assignments')
    .where('id', '=', id.toLowerCase())
    .executeTakeFirst();
  await markChanged(db, MANAGEMENT_TOPIC);
  return Number(r.numDeletedRows) > 0;
}

/** Removes every assignment at `scopeKey` or below it (a deleted resource group takes its assignments along). */
export async function removeAssignmentsUnder(db: StoreDb, scopeKey: string): Promise<number> {
  const r = await tables(db)
    .deleteFrom('rbac_role_assignments')
    .where((eb) =>
      eb.or([
        eb('scope_key', '=', scopeKey),
        eb('scope_key', 'like', `${scopeKey.replace(/[%_\\]/g, '\\$&')}/%`),
      ]),
    )
    .executeTakeFirst();
  await markChanged(db, MANAGEMENT_TOPIC);
  return Number(r.numDeletedRows);
}
