/**
 * @module store/migrations/0002-issuer
 * Signing keys of the token issuer and the audit log every plane writes to. Frozen in time (see 0001).
 * Private keys are stored only sealed under the master key; timestamps are ISO 8601 UTC text.
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('x5c', 'text', (c) => c.notNull())
    .addColumn('x5t_s256', 'text', (c) => c.notNull())
    .addColumn('private_key_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    // Published in JWKS from publish_at; signs from activate_at; unpublished at unpublish_at (set on retirement).
    .addColumn('publish_at', 'text', (c) => c.notNull())
    .addColumn('activate_at', 'text', (c) => c.notNull())
    .addColumn('retire_at', 'text')
    .addColumn('unpublish_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('plane', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('actor', 'text')
    .addColumn('target', 'text')
    .addColumn('reason', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
  await db.schema
    .createIndex('audit_events_tenant_at')
    .on('audit_events')
    .columns(['tenant_id', 'at'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_events').ifExists().execute();
  await db.schema.dropTable('signing_keys').ifExists().execute();
}
