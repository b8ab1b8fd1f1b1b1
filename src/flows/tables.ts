/**
 * @module flows/tables
 * The flows plane's tables, as Kysely sees them (migration `0013-runbooks`). Only the plane's store modules read
 * and write them; tenants and resources come from the directory. Times are ISO strings.
 */
import type { Selectable } from 'kysely';

export interface FlowRunbooksTable {
  resource_id: string;
  /** The name lower-cased: runbook names are case-insensitive. */
  name_key: string;
  name: string;
  tenant_id: string;
  /** JSON array of strings. */
  command: string;
  cwd: string | null;
  /** JSON object of strings. */
  env: string;
  timeout_ms: number;
  schedule: string | null;
  time_zone: string | null;
  catch_up: number;
  enabled: number;
  created_at: string;
  updated_at: string;
}

export interface FlowJobsTable {
  id: string;
  resource_id: string;
  runbook_key: string;
  tenant_id: string;
  status: string;
  started_by: string;
  creation_time: string;
  start_time: string | null;
  end_time: string | null;
  scheduled_time: string | null;
  is_past_due: number;
  exit_code: number | null;
  exception: string | null;
  dropped_bytes: number;
}

export interface FlowJobStreamsTable {
  job_id: string;
  seq: number;
  stream_type: string;
  time: string;
  stream_text: string;
}

export interface FlowScheduleStateTable {
  resource_id: string;
  runbook_key: string;
  schedule: string;
  last: string | null;
  next: string | null;
  last_updated: string;
}

export interface FlowTables {
  flow_runbooks: FlowRunbooksTable;
  flow_jobs: FlowJobsTable;
  flow_job_streams: FlowJobStreamsTable;
  flow_schedule_state: FlowScheduleStateTable;
}

export type FlowRunbookRow = Selectable<FlowRunbooksTable>;
export type FlowJobRow = Selectable<FlowJobsTable>;
export type FlowJobStreamRow = Selectable<FlowJobStreamsTable>;
