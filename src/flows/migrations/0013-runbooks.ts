/**
 * @module flows/migrations/0013-runbooks
 * Automation runbooks and their jobs: a runbook per (automation resource, name) — its command, timeout,
 * optional schedule and whether a missed run is caught up; a job per execution with Automation's status, times
 * and reason; a job's stream records (Output, Error) in order; and each scheduled runbook's timer state (the
 * occurrence it waits for, the last one run), so schedules survive a restart. Everything goes with its resource.
 * Frozen in time (see 0001).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('flow_runbooks')
    .addColumn('resource_id', 'text', (c) => c.notNull().references('resources.id').onDelete('cascade'))
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    // JSON array: the program and its arguments.
    .addColumn('command', 'text', (c) => c.notNull())
    .addColumn('cwd', 'text')
    // JSON object of extra variables (never secrets: values are shown by `lanyard runbook show`).
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('timeout_ms', 'integer', (c) => c.notNull())
    // NCRONTAB (6 fields) or a TimeSpan; null: started by hand only.
    .addColumn('schedule', 'text')
    .addColumn('time_zone', 'text')
    .addColumn('catch_up', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('flow_runbooks_pk', ['resource_id', 'name_key'])
    .execute();

  await db.schema
    .createTable('flow_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('runbook_key', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    // New, Activating, Running, Completed, Failed, Stopped.
    .addColumn('status', 'text', (c) => c.notNull())
    // schedule, manual, startup.
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('creation_time', 'text', (c) => c.notNull())
    .addColumn('start_time', 'text')
    .addColumn('end_time', 'text')
    .addColumn('scheduled_time', 'text')
    .addColumn('is_past_due', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('exit_code', 'integer')
    .addColumn('exception', 'text')
    .addColumn('dropped_bytes', 'integer', (c) => c.notNull().defaultTo(0))
    .addForeignKeyConstraint(
      'flow_jobs_runbook',
      ['resource_id', 'runbook_key'],
      'flow_runbooks',
      ['resource_id', 'name_key'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('flow_jobs_by_runbook')
    .on('flow_jobs')
    .columns(['resource_id', 'runbook_key', 'creation_time'])
    .execute();

  await db.schema
    .createTable('flow_job_streams')
    .addColumn('job_id', 'text', (c) => c.notNull().references('flow_jobs.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('stream_type', 'text', (c) => c.notNull())
    .addColumn('time', 'text', (c) => c.notNull())
    // Masked before it is stored (flows/masking.ts).
    .addColumn('stream_text', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('flow_job_streams_pk', ['job_id', 'seq'])
    .execute();

  await db.schema
    .createTable('flow_schedule_state')
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('runbook_key', 'text', (c) => c.notNull())
    // The schedule text the state was computed for: a changed schedule owes nothing.
    .addColumn('schedule', 'text', (c) => c.notNull())
    .addColumn('last', 'text')
    .addColumn('next', 'text')
    .addColumn('last_updated', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('flow_schedule_state_pk', ['resource_id', 'runbook_key'])
    .addForeignKeyConstraint(
      'flow_schedule_state_runbook',
      ['resource_id', 'runbook_key'],
      'flow_runbooks',
      ['resource_id', 'name_key'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('flow_schedule_state').execute();
  await db.schema.dropTable('flow_job_streams').execute();
  await db.schema.dropTable('flow_jobs').execute();
  await db.schema.dropTable('flow_runbooks').execute();
}
