/**
 * @module vault/migrations/0010-vault
 * The vault plane's tables: one row per resource of kind vault (its soft-delete settings), one per secret name
 * (its soft-delete state), and one per secret version (the value sealed, content type, tags, attributes).
 * Secrets are keyed by the vault and the name lower-cased (Key Vault names are case-insensitive); versions by
 * those and the 32-hex version id. Everything goes with the vault, which goes with its resource. Instants are
 * epoch seconds, as Key Vault's attributes are (bigint: an `exp` may lie past 2038). Frozen in time (see 0001).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('vaults')
    .addColumn('resource_id', 'text', (c) => c.primaryKey().references('resources.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('soft_delete', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('retention_days', 'integer', (c) => c.notNull().defaultTo(90))
    .addColumn('purge_protection', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('vault_secrets')
    .addColumn('resource_id', 'text', (c) => c.notNull().references('vaults.resource_id').onDelete('cascade'))
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // The highest version sequence given so far: the latest version has it.
    .addColumn('last_seq', 'integer', (c) => c.notNull())
    // Soft-delete state: both null while the secret is active.
    .addColumn('deleted_at', 'bigint')
    .addColumn('scheduled_purge_at', 'bigint')
    .addPrimaryKeyConstraint('vault_secrets_pk', ['resource_id', 'name_key'])
    .execute();

  await db.schema
    .createTable('vault_secret_versions')
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    // crypto/envelope, AAD `vault-secret|<tenant>|<vault resource id>|<name key>|<version>`.
    .addColumn('value_sealed', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text')
    // JSON object of tag name → value.
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('nbf', 'bigint')
    .addColumn('exp', 'bigint')
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('updated', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('vault_secret_versions_pk', ['resource_id', 'name_key', 'version'])
    .addForeignKeyConstraint(
      'vault_secret_versions_secret',
      ['resource_id', 'name_key'],
      'vault_secrets',
      ['resource_id', 'name_key'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  // Two writers racing for one secret's next version: one fails instead of both claiming it.
  await db.schema
    .createIndex('vault_secret_versions_seq')
    .on('vault_secret_versions')
    .columns(['resource_id', 'name_key', 'seq'])
    .unique()
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['vault_secret_versions', 'vault_secrets', 'vaults']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
