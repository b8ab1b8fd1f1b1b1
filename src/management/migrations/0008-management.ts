/**
 * @module management/migrations/0008-management
 * The management plane's tables: subscriptions and resource groups of each tenant (what Resource Manager
 * lists), custom role definitions, and Azure RBAC role assignments on ARM scopes. Scopes and names are kept as
 * written and, for lookups, in a lower-case key: ARM ids are case-insensitive. Everything goes with its tenant.
 * Frozen in time (see 0001).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('arm_subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('arm_subscriptions_tenant')
    .on('arm_subscriptions')
    .column('tenant_id')
    .execute();

  await db.schema
    .createTable('arm_resource_groups')
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('location', 'text', (c) => c.notNull())
    // JSON object of tag name → value.
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('arm_resource_groups_pk', ['subscription_id', 'name_key'])
    .execute();

  await db.schema
    .createTable('rbac_role_definitions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('role_name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    // JSON: [{ actions, notActions, dataActions, notDataActions }].
    .addColumn('permissions', 'text', (c) => c.notNull())
    // JSON list of ARM scopes.
    .addColumn('assignable_scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('rbac_role_definitions_name')
    .on('rbac_role_definitions')
    .columns(['tenant_id', 'role_name'])
    .unique()
    .execute();

  await db.schema
    .createTable('rbac_role_assignments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('principal_type', 'text', (c) => c.notNull())
    .addColumn('role_definition_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('scope_key', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('rbac_role_assignments_unique')
    .on('rbac_role_assignments')
    .columns(['principal_id', 'role_definition_id', 'scope_key'])
    .unique()
    .execute();
  await db.schema
    .createIndex('rbac_role_assignments_tenant')
    .on('rbac_role_assignments')
    .column('tenant_id')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'rbac_role_assignments',
    'rbac_role_definitions',
    'arm_resource_groups',
    'arm_subscriptions',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
