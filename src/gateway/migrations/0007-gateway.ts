/**
 * @module gateway/migrations/0007-gateway
 * The gateway plane's tables: one row per resource of kind gateway (its settings and global policy), and its
 * APIs (with their operations), products, subscriptions (keys as keyed hashes for lookup and sealed for
 * showing), named values (secret ones sealed) and backends, each keyed by the gateway and its name and
 * deleted with the gateway, which is deleted with its resource. Frozen in time (see 0001).
 */
import type { Kysely } from 'kysely';

const CHILDREN = ['gateway_apis', 'gateway_products', 'gateway_named_values', 'gateway_backends'] as const;

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('gateways')
    .addColumn('resource_id', 'text', (c) => c.primaryKey().references('resources.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('port', 'integer', (c) => c.notNull().defaultTo(0))
    // A PolicySource as JSON ({ xml, file }), or null for APIM's default global policy.
    .addColumn('policy', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('gateways_tenant').on('gateways').column('tenant_id').execute();

  // APIs (operations inside), products, named values and backends: a name and the definition as JSON.
  for (const table of CHILDREN) {
    let t = db.schema
      .createTable(table)
      .addColumn('resource_id', 'text', (c) =>
        c.notNull().references('gateways.resource_id').onDelete('cascade'),
      )
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull());
    // A secret named value's body holds no value: `value_sealed` has it, under the envelope.
    if (table === 'gateway_named_values') t = t.addColumn('value_sealed', 'text');
    await t.addPrimaryKeyConstraint(`${table}_pk`, ['resource_id', 'name']).execute();
  }

  await db.schema
    .createTable('gateway_subscriptions')
    .addColumn('resource_id', 'text', (c) =>
      c.notNull().references('gateways.resource_id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    // `all`, `product:<name>` or `api:<name>`.
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('allow_tracing', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('primary_key_hash', 'text', (c) => c.notNull())
    .addColumn('secondary_key_hash', 'text', (c) => c.notNull())
    .addColumn('primary_key_sealed', 'text', (c) => c.notNull())
    .addColumn('secondary_key_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('gateway_subscriptions_pk', ['resource_id', 'name'])
    .execute();
  await db.schema
    .createIndex('gateway_subscriptions_primary')
    .on('gateway_subscriptions')
    .column('primary_key_hash')
    .execute();
  await db.schema
    .createIndex('gateway_subscriptions_secondary')
    .on('gateway_subscriptions')
    .column('secondary_key_hash')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('gateway_subscriptions').ifExists().execute();
  for (const table of [...CHILDREN].reverse()) await db.schema.dropTable(table).ifExists().execute();
  await db.schema.dropTable('gateways').ifExists().execute();
}
