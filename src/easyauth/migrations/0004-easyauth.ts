/**
 * @module store/migrations/0004-easyauth
 * Easy Auth settings: one config per resource of kind app (authsettingsV2-shaped JSON, Functions keys only as
 * keyed hashes), deleted with its resource. Frozen in time (see 0001).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('easyauth_configs')
    .addColumn('resource_id', 'text', (c) => c.primaryKey().references('resources.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('easyauth_configs_tenant').on('easyauth_configs').column('tenant_id').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('easyauth_configs').ifExists().execute();
}
