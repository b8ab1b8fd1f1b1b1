/**
 * @module flows/migrations/0014-workflows
 * Logic Apps workflows at rest: one per resource of kind workflow — its definition as it was given (any export
 * form the loader reads), parameter values, state, version, Azure's workflow id (what callback URLs carry) and
 * the two access keys callback-URL signatures are made with, sealed under the master key; and its runs, one
 * row each with the whole run record as JSON and the columns runs are listed by. Everything goes with its
 * resource. Frozen in time (see 0001).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('flow_workflows')
    .addColumn('resource_id', 'text', (c) => c.primaryKey().references('resources.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    // 32 lower-case hex digits, random, kept for the workflow's life: callback URLs name it.
    .addColumn('workflow_id', 'text', (c) => c.notNull().unique())
    // The JSON text exactly as given (a definition, code view, ARM template, Standard workflow.json …).
    .addColumn('definition', 'text', (c) => c.notNull())
    // JSON object of { name: { value } } given besides the export; null when none.
    .addColumn('parameters', 'text')
    // Enabled or Disabled.
    .addColumn('state', 'text', (c) => c.notNull())
    // 20 digits, greater on every change.
    .addColumn('version', 'text', (c) => c.notNull())
    // Sealed (crypto/envelope) and re-wrapped by a master-key rotation (flows/rewrap.ts).
    .addColumn('primary_key_sealed', 'text', (c) => c.notNull())
    .addColumn('secondary_key_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('flow_workflow_runs')
    // The run id: 20 digits, CU, 2 digits (flows/workflows/records.ts).
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('resource_id', 'text', (c) =>
      c.notNull().references('flow_workflows.resource_id').onDelete('cascade'),
    )
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    // Running, Succeeded, Failed, Cancelled, TimedOut.
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('trigger_name', 'text', (c) => c.notNull())
    .addColumn('start_time', 'text', (c) => c.notNull())
    .addColumn('end_time', 'text')
    // The whole RunRecord as JSON (inputs and outputs capped, secured ones left out, by the engine).
    .addColumn('record', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('flow_workflow_runs_by_workflow')
    .on('flow_workflow_runs')
    .columns(['resource_id', 'start_time'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('flow_workflow_runs').execute();
  await db.schema.dropTable('flow_workflows').execute();
}
