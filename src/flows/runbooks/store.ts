/**
 * @module flows/runbooks/store
 * Runbooks and their jobs at rest: a runbook per (resource, name) — of an Automation account (kind automation)
 * or, for a Functions app's timer-triggered function, of the function app (kind app) — a job per execution with
 * Automation's status and times, a job's stream records in order, and each scheduled runbook's timer state.
 * Writes run in one transaction (inside `directory.transaction` when there is one) and mark the change-feed
 * topic `flows`. One job of a runbook at a time: starting one while another is New, Activating or Running is
 * refused (ERR_FLOW_JOB_RUNNING), decided under the runbook row's lock so two processes cannot both start one.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Directory } from '../../directory/directory.ts';
import { LanyardError } from '../../errors/lanyard-error.ts';
import { markChanged } from '../../store/change-feed.ts';
import { type AnyStoreDb, tablesOf } from '../../store/handle.ts';
import { parseTimerSchedule } from '../schedule/ncrontab.ts';
import type { FlowJobRow, FlowRunbookRow, FlowTables } from '../tables.ts';
import type { JobResult, JobStatus, JobStreamRecord, StreamType } from './job.ts';

export const FLOWS_TOPIC = 'flows';
const tables = (db: AnyStoreDb) => tablesOf<FlowTables>(db);

/** Automation stops sandbox jobs after three hours (fair share); the default timeout is the same. */
export const DEFAULT_TIMEOUT_SECONDS = 3 * 3600;
export const MAX_TIMEOUT_SECONDS = 24 * 3600;
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
const MAX_ARGS = 256;
const MAX_ARG_CHARS = 8192;
const MAX_ENV = 100;
const ACTIVE: readonly JobStatus[] = ['New', 'Activating', 'Running'];

export interface RunbookInput {
  name: string;
  /** The program and its arguments. */
  command: readonly string[];
  cwd?: string | null | undefined;
  env?: Readonly<Record<string, string>> | undefined;
  timeoutSeconds?: number | undefined;
  /** NCRONTAB (six fields) or a TimeSpan; absent: started by hand only. */
  schedule?: string | null | undefined;
  timeZone?: string | null | undefined;
  /** Run once at start when an occurrence was missed while Lanyard was down. */
  catchUp?: boolean | undefined;
  enabled?: boolean | undefined;
}

export interface Runbook {
  tenantId: string;
  /** The resource's name and id: an Automation account, or a function app (a timer trigger). */
  resource: string;
  resourceId: string;
  name: string;
  command: string[];
  cwd: string | null;
  env: Record<string, string>;
  timeoutSeconds: number;
  schedule: string | null;
  timeZone: string | null;
  catchUp: boolean;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export type StartedBy = 'manual' | 'schedule' | 'startup';

export interface Job {
  id: string;
  tenantId: string;
  resourceId: string;
  runbook: string;
  status: JobStatus;
  startedBy: StartedBy;
  creationTime: string;
  startTime: string | null;
  endTime: string | null;
  scheduledTime: string | null;
  isPastDue: boolean;
  exitCode: number | null;
  exception: string | null;
  droppedBytes: number;
}

function invalid(message: string, field: string, hint?: string): LanyardError {
  return new LanyardError('ERR_FLOW_RUNBOOK', message, { hint, details: { field } });
}

function notFound(what: string): LanyardError {
  return new LanyardError('ERR_NOT_FOUND', what, {
    hint: 'List the runbooks with `lanyard runbook list`; declare one under runbooks: in lanyard.yaml.',
  });
}

/** The runbook's fields checked and normalised; throws ERR_FLOW_RUNBOOK naming the field. */
export function checkRunbook(
  input: RunbookInput,
): Omit<Runbook, 'tenantId' | 'resource' | 'resourceId' | 'createdAt' | 'updatedAt'> {
  if (typeof input.name !== 'string' || !NAME.test(input.name)) {
    throw invalid(
      `The runbook name ${JSON.stringify(String(input.name).slice(0, 80))} is not valid.`,
      'name',
      'Start with a letter; then letters, digits, "-" or "_"; at most 63 characters.',
    );
  }
  const command = input.command;
  if (!Array.isArray(command) || command.length === 0 || command.length > MAX_ARGS) {
    throw invalid(
      `Runbook ${input.name}: command must be a list of 1 to ${MAX_ARGS} strings.`,
      'command',
      'E.g. command: [sh, runbook.sh].',
    );
  }
  for (const arg of command) {
    if (typeof arg !== 'string' || arg.length > MAX_ARG_CHARS || arg.includes('\0')) {
      throw invalid(
        `Runbook ${input.name}: every command argument must be a string of at most ${MAX_ARG_CHARS} characters.`,
        'command',
      );
    }
  }
  if (command[0] === '') throw invalid(`Runbook ${input.name}: the program must not be empty.`, 'command');
  const env: Record<string, string> = {};
  const entries = Object.entries(input.env ?? {});
  if (entries.length > MAX_ENV) throw invalid(`Runbook ${input.name}: at most ${MAX_ENV} variables.`, 'env');
  for (const [k, v] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || typeof v !== 'string' || v.length > MAX_ARG_CHARS) {
      throw invalid(
        `Runbook ${input.name}: the variable ${JSON.stringify(k.slice(0, 80))} is not a name with a string value.`,
        'env',
      );
    }
    env[k] = v;
  }
  const timeoutSeconds = input.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
    throw invalid(
      `Runbook ${input.name}: timeoutSeconds must be a whole number from 1 to ${MAX_TIMEOUT_SECONDS}.`,
      'timeoutSeconds',
    );
  }
  const schedule = input.schedule ?? null;
  const timeZone = input.timeZone ?? null;
  if (schedule !== null) {
    // Refused here, with the schedule module's own message and hint (ERR_FLOW_SCHEDULE).
    parseTimerSchedule(schedule, {
      timeZone: timeZone ?? undefined,
      field: 'schedule',
      timeZoneField: 'timeZone',
    });
  } else if (timeZone !== null) {
    throw invalid(
      `Runbook ${input.name}: timeZone is given without a schedule.`,
      'timeZone',
      'Add a schedule, or leave timeZone out.',
    );
  }
  return {
    name: input.name,
    command: [...command],
    cwd: input.cwd ?? null,
    env,
    timeoutSeconds,
    schedule,
    timeZone,
    catchUp: input.catchUp === true,
    enabled: input.enabled !== false,
  };
}

function runbookOf(row: FlowRunbookRow, resource: string): Runbook {
  return {
    tenantId: row.tenant_id,
    resource,
    resourceId: row.resource_id,
    name: row.name,
    command: JSON.parse(row.command) as string[],
    cwd: row.cwd,
    env: JSON.parse(row.env) as Record<string, string>,
    timeoutSeconds: Math.round(Number(row.timeout_ms) / 1000),
    schedule: row.schedule,
    timeZone: row.time_zone,
    catchUp: Number(row.catch_up) === 1,
    enabled: Number(row.enabled) === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function jobOf(row: FlowJobRow, runbook: string): Job {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    resourceId: row.resource_id,
    runbook,
    status: row.status as JobStatus,
    startedBy: row.started_by as StartedBy,
    creationTime: row.creation_time,
    startTime: row.start_time,
    endTime: row.end_time,
    scheduledTime: row.scheduled_time,
    isPastDue: Number(row.is_past_due) === 1,
    exitCode: row.exit_code === null ? null : Number(row.exit_code),
    exception: row.exception,
    droppedBytes: Number(row.dropped_bytes),
  };
}

/** The kinds a runbook may belong to: an Automation account's runbook, a Functions app's timer trigger. */
export const RUNBOOK_KINDS: readonly string[] = ['automation', 'app'];

/** "Automation account somename" or "Function app somename", for messages. */
const ownerOf = (r: { kind: string; name: string }) =>
  `${r.kind === 'app' ? 'Function app' : 'Automation account'} ${r.name}`;

async function runbookResource(d: Directory, tenant: string, ref: string) {
  const resource = await d.getResource(tenant, ref);
  if (!RUNBOOK_KINDS.includes(resource.kind)) {
    throw new LanyardError(
      'ERR_VALIDATION',
      `Resource "${resource.name}" is of kind ${resource.kind}; runbooks belong to an Automation account (kind automation) or a function app's timer (kind app).`,
      {
        hint: 'Name an Automation account (`lanyard resource create --kind automation …`) or a function app (`--kind app`).',
      },
    );
  }
  return resource;
}

/** Creates or replaces a runbook of an Automation account or function app. */
export async function putRunbook(
  d: Directory,
  tenant: string,
  resourceRef: string,
  input: RunbookInput,
): Promise<Runbook> {
  const r = checkRunbook(input);
  return d.transaction(async (t) => {
    const resource = await runbookResource(t, tenant, resourceRef);
    const now = t.clock().toISOString();
    const values = {
      name: r.name,
      command: JSON.stringify(r.command),
      cwd: r.cwd,
      env: JSON.stringify(r.env),
      timeout_ms: r.timeoutSeconds * 1000,
      schedule: r.schedule,
      time_zone: r.timeZone,
      catch_up: r.catchUp ? 1 : 0,
      enabled: r.enabled ? 1 : 0,
      updated_at: now,
    };
    await tables(t.db)
      .insertInto('flow_runbooks')
      .values({
        resource_id: resource.id,
        name_key: r.name.toLowerCase(),
        tenant_id: resource.tenantId,
        created_at: now,
        ...values,
      })
      .onConflict((oc) => oc.columns(['resource_id', 'name_key']).doUpdateSet(values))
      .execute();
    await markChanged(t.db, FLOWS_TOPIC);
    return getRunbook(t, tenant, resourceRef, r.name);
  });
}

async function runbookRow(
  db: AnyStoreDb,
  resourceId: string,
  name: string,
): Promise<FlowRunbookRow | undefined> {
  return tables(db)
    .selectFrom('flow_runbooks')
    .selectAll()
    .where('resource_id', '=', resourceId)
    .where('name_key', '=', name.toLowerCase())
    .executeTakeFirst();
}

export async function getRunbook(
  d: Directory,
  tenant: string,
  resourceRef: string,
  name: string,
): Promise<Runbook> {
  const resource = await runbookResource(d, tenant, resourceRef);
  const row = await runbookRow(d.db, resource.id, name);
  if (!row) throw notFound(`${ownerOf(resource)} has no runbook ${name}.`);
  return runbookOf(row, resource.name);
}

/** The tenant's runbooks (of one resource when given), by resource then name. */
export async function listRunbooks(d: Directory, tenant: string, resourceRef?: string): Promise<Runbook[]> {
  const t = await d.getTenant(tenant);
  const resources = resourceRef
    ? [await runbookResource(d, tenant, resourceRef)]
    : (await d.listResources(t.id)).filter((r) => RUNBOOK_KINDS.includes(r.kind));
  const names = new Map(resources.map((r) => [r.id, r.name]));
  if (resources.length === 0) return [];
  const rows = await tables(d.db)
    .selectFrom('flow_runbooks')
    .selectAll()
    .where('resource_id', 'in', [...names.keys()])
    .orderBy('resource_id')
    .orderBy('name_key')
    .execute();
  return rows.map((row) => runbookOf(row, names.get(row.resource_id) ?? row.resource_id));
}

export async function deleteRunbook(
  d: Directory,
  tenant: string,
  resourceRef: string,
  name: string,
): Promise<Runbook> {
  return d.transaction(async (t) => {
    const rb = await getRunbook(t, tenant, resourceRef, name);
    await tables(t.db)
      .deleteFrom('flow_job_streams')
      .where('job_id', 'in', (eb) =>
        eb
          .selectFrom('flow_jobs')
          .select('id')
          .where('resource_id', '=', rb.resourceId)
          .where('runbook_key', '=', rb.name.toLowerCase()),
      )
      .execute();
    await tables(t.db)
      .deleteFrom('flow_jobs')
      .where('resource_id', '=', rb.resourceId)
      .where('runbook_key', '=', rb.name.toLowerCase())
      .execute();
    await tables(t.db)
      .deleteFrom('flow_schedule_state')
      .where('resource_id', '=', rb.resourceId)
      .where('runbook_key', '=', rb.name.toLowerCase())
      .execute();
    await tables(t.db)
      .deleteFrom('flow_runbooks')
      .where('resource_id', '=', rb.resourceId)
      .where('name_key', '=', rb.name.toLowerCase())
      .execute();
    await markChanged(t.db, FLOWS_TOPIC);
    return rb;
  });
}

// ---- jobs ----------------------------------------------------------------------------------------------

export interface NewJobInput {
  startedBy: StartedBy;
  scheduledTime?: string | undefined;
  isPastDue?: boolean | undefined;
}

/**
 * Records a New job of the runbook, unless one of its jobs is still New, Activating or Running
 * (ERR_FLOW_JOB_RUNNING): Automation runs one job of a schedule at a time, and two at once would race on
 * whatever the runbook changes.
 */
export async function createJob(d: Directory, rb: Runbook, input: NewJobInput): Promise<Job> {
  return d.transaction(async (t) => {
    const key = rb.name.toLowerCase();
    // The runbook row's lock serialises job starts across processes (PostgreSQL); SQLite has one writer.
    await tables(t.db)
      .updateTable('flow_runbooks')
      .set({ updated_at: sql`updated_at` })
      .where('resource_id', '=', rb.resourceId)
      .where('name_key', '=', key)
      .execute();
    const running = await tables(t.db)
      .selectFrom('flow_jobs')
      .select(['id', 'status'])
      .where('resource_id', '=', rb.resourceId)
      .where('runbook_key', '=', key)
      .where('status', 'in', ACTIVE)
      .executeTakeFirst();
    if (running) {
      throw new LanyardError(
        'ERR_FLOW_JOB_RUNNING',
        `Runbook ${rb.name} already has a job that is ${running.status} (${running.id}); one job runs at a time.`,
        {
          hint: `Wait for it to end (lanyard runbook jobs ${rb.name}); the process running it stops it on Ctrl+C or SIGTERM.`,
          details: { jobId: running.id, status: running.status },
        },
      );
    }
    const row: FlowJobRow = {
      id: randomUUID(),
      resource_id: rb.resourceId,
      runbook_key: key,
      tenant_id: rb.tenantId,
      status: 'New',
      started_by: input.startedBy,
      creation_time: t.clock().toISOString(),
      start_time: null,
      end_time: null,
      scheduled_time: input.scheduledTime ?? null,
      is_past_due: input.isPastDue ? 1 : 0,
      exit_code: null,
      exception: null,
      dropped_bytes: 0,
    };
    await tables(t.db).insertInto('flow_jobs').values(row).execute();
    await markChanged(t.db, FLOWS_TOPIC);
    return jobOf(row, rb.name);
  });
}

/** A job's status while it runs (Activating, Running; the start time with Running). */
export async function setJobStatus(d: Directory, id: string, status: JobStatus, at: string): Promise<void> {
  await tables(d.db)
    .updateTable('flow_jobs')
    .set({ status, ...(status === 'Running' ? { start_time: at } : {}) })
    .where('id', '=', id)
    .execute();
}

/** Appends stream records after those stored (`from` is the number already stored). */
export async function appendStreams(
  d: Directory,
  id: string,
  from: number,
  records: readonly JobStreamRecord[],
): Promise<void> {
  if (records.length === 0) return;
  // At most 200 rows a statement: SQLite bounds the number of bound parameters.
  for (let i = 0; i < records.length; i += 200) {
    await tables(d.db)
      .insertInto('flow_job_streams')
      .values(
        records.slice(i, i + 200).map((r, j) => ({
          job_id: id,
          seq: from + i + j,
          stream_type: r.streamType,
          time: r.time,
          stream_text: r.streamText,
        })),
      )
      .execute();
  }
}

/** The job's end. */
export async function finishJob(d: Directory, id: string, r: JobResult): Promise<void> {
  await d.transaction(async (t) => {
    await tables(t.db)
      .updateTable('flow_jobs')
      .set({
        status: r.status,
        start_time: sql`coalesce(start_time, ${r.startTime})`,
        end_time: r.endTime,
        exit_code: r.exitCode,
        exception: r.exception ?? null,
        dropped_bytes: r.droppedBytes,
      })
      .where('id', '=', id)
      .execute();
    await markChanged(t.db, FLOWS_TOPIC);
  });
}

export async function getJob(d: Directory, tenant: string, id: string): Promise<Job> {
  const t = await d.getTenant(tenant);
  const row = await tables(d.db)
    .selectFrom('flow_jobs')
    .innerJoin('flow_runbooks', (j) =>
      j
        .onRef('flow_runbooks.resource_id', '=', 'flow_jobs.resource_id')
        .onRef('flow_runbooks.name_key', '=', 'flow_jobs.runbook_key'),
    )
    .selectAll('flow_jobs')
    .select('flow_runbooks.name as runbook_name')
    .where('flow_jobs.id', '=', id)
    .where('flow_jobs.tenant_id', '=', t.id)
    .executeTakeFirst();
  if (!row) throw notFound(`There is no job ${id} in tenant ${t.name}.`);
  return jobOf(row, row.runbook_name);
}

/** A runbook's jobs, newest first. */
export async function listJobs(d: Directory, rb: Runbook, limit = 50): Promise<Job[]> {
  const rows = await tables(d.db)
    .selectFrom('flow_jobs')
    .selectAll()
    .where('resource_id', '=', rb.resourceId)
    .where('runbook_key', '=', rb.name.toLowerCase())
    .orderBy('creation_time', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(limit, 1), 1000))
    .execute();
  return rows.map((row) => jobOf(row, rb.name));
}

/** A job's stream records in order (of one stream when given). */
export async function jobStreams(d: Directory, id: string, stream?: StreamType): Promise<JobStreamRecord[]> {
  let q = tables(d.db).selectFrom('flow_job_streams').selectAll().where('job_id', '=', id);
  if (stream) q = q.where('stream_type', '=', stream);
  const rows = await q.orderBy('seq').execute();
  return rows.map((r) => ({
    streamType: r.stream_type as StreamType,
    time: r.time,
    streamText: r.stream_text,
  }));
}

/**
 * Jobs a stopped Lanyard left New, Activating or Running: their process ended with it, so they end Failed,
 * saying so. Called when the plane starts; returns how many.
 */
export async function failOrphanedJobs(d: Directory): Promise<number> {
  return d.transaction(async (t) => {
    const rows = await tables(t.db)
      .selectFrom('flow_jobs')
      .select('id')
      .where('status', 'in', ACTIVE)
      .execute();
    if (rows.length === 0) return 0;
    await tables(t.db)
      .updateTable('flow_jobs')
      .set({
        status: 'Failed',
        end_time: t.clock().toISOString(),
        exception: 'Lanyard stopped while the job was running; the job ended with it.',
      })
      .where('status', 'in', ACTIVE)
      .execute();
    await markChanged(t.db, FLOWS_TOPIC);
    return rows.length;
  });
}

// ---- schedules -----------------------------------------------------------------------------------------

/** Every enabled runbook with a schedule, in every tenant (what the scheduler runs). */
export async function listScheduledRunbooks(d: Directory): Promise<Runbook[]> {
  const rows = await tables(d.db)
    .selectFrom('flow_runbooks')
    .selectAll()
    .where('schedule', 'is not', null)
    .where('enabled', '=', 1)
    .orderBy('resource_id')
    .orderBy('name_key')
    .execute();
  if (rows.length === 0) return [];
  const names = new Map<string, string>();
  for (const t of await d.listTenants()) {
    for (const r of await d.listResources(t.id)) names.set(r.id, r.name);
  }
  return rows
    .filter((row) => names.has(row.resource_id))
    .map((row) => runbookOf(row, names.get(row.resource_id)!));
}

export interface StoredScheduleState {
  /** The schedule (and time zone) the state was computed for. */
  schedule: string;
  last: string | null;
  next: string | null;
  lastUpdated: string;
}

/** The text a runbook's schedule state is keyed on: a changed schedule or zone owes nothing. */
export const scheduleKey = (rb: Pick<Runbook, 'schedule' | 'timeZone'>): string =>
  `${rb.schedule ?? ''}|${rb.timeZone ?? ''}`;

export async function getScheduleState(d: Directory, rb: Runbook): Promise<StoredScheduleState | undefined> {
  const row = await tables(d.db)
    .selectFrom('flow_schedule_state')
    .selectAll()
    .where('resource_id', '=', rb.resourceId)
    .where('runbook_key', '=', rb.name.toLowerCase())
    .executeTakeFirst();
  return row && { schedule: row.schedule, last: row.last, next: row.next, lastUpdated: row.last_updated };
}

export async function putScheduleState(d: Directory, rb: Runbook, s: StoredScheduleState): Promise<void> {
  const values = { schedule: s.schedule, last: s.last, next: s.next, last_updated: s.lastUpdated };
  await tables(d.db)
    .insertInto('flow_schedule_state')
    .values({ resource_id: rb.resourceId, runbook_key: rb.name.toLowerCase(), ...values })
    .onConflict((oc) => oc.columns(['resource_id', 'runbook_key']).doUpdateSet(values))
    .execute();
}

/**
 * Claims the occurrence a scheduler was waiting for (`expectedNext`), for one process only: the state moves on
 * only where it still names that occurrence, so of two Lanyards on one store that both wake for it, one runs it.
 */
export async function claimOccurrence(
  d: Directory,
  rb: Runbook,
  expectedNext: string,
  claimedAt: string,
): Promise<boolean> {
  const r = await tables(d.db)
    .updateTable('flow_schedule_state')
    .set({ next: null, last_updated: claimedAt })
    .where('resource_id', '=', rb.resourceId)
    .where('runbook_key', '=', rb.name.toLowerCase())
    .where('next', '=', expectedNext)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
