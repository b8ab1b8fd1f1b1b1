/**
 * @module store/migrations/0009-resource-settings
 * Virtual machines (resource kind `vm`): `resources.power_state` (null for every other kind, so existing rows
 * stay as they were) and `resources.settings`, a JSON object of what only some kinds carry (a VM's size,
 * location, OS type and computer name; `{}` for the rest). `kind` is plain text with no CHECK constraint on
 * either dialect (0001), so the new kind needs no change to it. Frozen in time (see 0001).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('resources').addColumn('power_state', 'text').execute();
  await db.schema
    .alterTable('resources')
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('resources').dropColumn('settings').execute();
  await db.schema.alterTable('resources').dropColumn('power_state').execute();
}
