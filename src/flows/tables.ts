/**
 * @module flows/tables
 * The flows plane's tables, as Kysely sees them (migrations `0013-runbooks`, `0014-workflows`). Only the plane's
 * store modules read and write them (and flows/rewrap.ts the sealed keys); tenants and resources come from the
 * directory. Times are ISO strings.
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

export interface FlowWorkflowsTable {
  resource_id: string;
  tenant_id: string;
  /** 32 lower-case hex digits: Azure's workflow id, in callback URLs. */
  workflow_id: string;
  /** The JSON text as given (any export form the loader reads). */
  definition: string;
  /** JSON object of `{ name: { value } }`, or null. */
  parameters: string | null;
  state: string;
  /** 20 digits, greater on every change. */
  version: string;
  primary_key_sealed: string;
  secondary_key_sealed: string;
  created_at: string;
  changed_at: string;
}

export interface FlowWorkflowRunsTable {
  name: string;
  resource_id: string;
  tenant_id: string;
  status: string;
  trigger_name: string;
  start_time: string;
  end_time: string | null;
  /** The whole RunRecord as JSON. */
  record: string;
}

export interface FlowTables {
  flow_runbooks: FlowRunbooksTable;
  flow_jobs: FlowJobsTable;
  flow_job_streams: FlowJobStreamsTable;
  flow_schedule_state: FlowScheduleStateTable;
  flow_workflows: FlowWorkflowsTable;
  flow_workflow_runs: FlowWorkflowRunsTable;
}

export type FlowRunbookRow = Selectable<FlowRunbooksTable>;
export type FlowJobRow = Selectable<FlowJobsTable>;
export type FlowJobStreamRow = Selectable<FlowJobStreamsTable>;
export type FlowWorkflowRow = Selectable<FlowWorkflowsTable>;
export type FlowWorkflowRunRow = Selectable<FlowWorkflowRunsTable>;
