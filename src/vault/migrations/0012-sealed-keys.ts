/**
 * @module vault/migrations/0012-sealed-keys
 * Keys Lanyard keeps in the store sealed under the master key, by name: the secret-hash key (vault/sealed-keys).
 * A master-key rotation re-wraps them like any sealed record. Frozen in time (see 0001).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sealed_keys')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('key_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sealed_keys').execute();
}
