/**
 * @module flows/workflows/records
 * A workflow run as it is recorded and shown (docs/flows.md, "Run history"): the shapes Logic Apps gives its
 * run, trigger and action records (`status`, `code`, `startTime`/`endTime`, `error`, `correlation`,
 * `retryHistory`, repetition indexes), with inputs and outputs kept inline — capped, and left out where
 * `runtimeConfiguration.secureData` hides them. The engine writes them; the store keeps one document per run.
 */
import type { ActionType, TriggerType } from '../definition/types.ts';

/** What a run ends as; `Running` until then. */
export type RunStatus = 'Running' | 'Succeeded' | 'Failed' | 'Cancelled' | 'TimedOut';

/** An action's status in its record: the runAfter statuses, Cancelled, or Running while it runs. */
export type ActionRecordStatus = 'Running' | 'Succeeded' | 'Failed' | 'Skipped' | 'TimedOut' | 'Cancelled';

export interface RecordError {
  readonly code: string;
  readonly message: string;
}

/** One try of an `Http` action that was retried (Logic Apps' `retryHistory` entry). */
export interface RetryRecord {
  readonly startTime: string;
  readonly endTime: string;
  /** The HTTP reason name (`ServiceUnavailable`) or why no answer came (`ConnectionFailed`, `RequestTimedOut`). */
  readonly code: string;
  readonly clientRequestId: string;
  readonly serviceRequestId?: string;
  readonly error?: RecordError;
}

/** Inputs and outputs as kept in a record. */
export interface Contents {
  readonly inputs?: unknown;
  readonly outputs?: unknown;
  /** Which of the two `secureData` hides: absent from the record, shown as "Content not shown due to security configuration." */
  readonly secured?: readonly ('inputs' | 'outputs')[];
  /** Which of the two was longer than the cap and is kept cut (a `$truncated` marker in place). */
  readonly truncated?: readonly ('inputs' | 'outputs')[];
}

export interface TriggerRecord extends Contents {
  readonly name: string;
  readonly type: TriggerType | 'Manual';
  readonly startTime: string;
  readonly endTime: string;
  /** Recurrence: the occurrence the run is for. */
  readonly scheduledTime?: string;
  readonly status: 'Succeeded' | 'Failed';
  readonly code: string;
  readonly correlation: { readonly clientTrackingId: string };
}

export interface RepetitionIndex {
  readonly scopeName: string;
  readonly itemIndex: number;
}

export interface ActionRecord extends Contents {
  readonly name: string;
  readonly type: ActionType;
  /** Where it sits in the definition (`actions.Scope.actions.Call`). */
  readonly path: string;
  readonly status: ActionRecordStatus;
  /** `OK`, `NotFound`, … for Http; `ActionSkipped`, `ActionFailed`, `ActionTimedOut`, … otherwise. */
  readonly code: string;
  readonly startTime?: string;
  readonly endTime?: string;
  readonly error?: RecordError;
  readonly trackingId: string;
  readonly correlation: { readonly actionTrackingId: string; readonly clientTrackingId: string };
  readonly retryHistory?: readonly RetryRecord[];
  /** Inside Foreach loops, outermost first: which iteration this record is of (Logic Apps' repetitions). */
  readonly repetitionIndexes?: readonly RepetitionIndex[];
  readonly trackedProperties?: Readonly<Record<string, unknown>>;
}

/** What a Response action answered the caller, kept on the run. */
export interface ResponseRecord {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Absent when the Response action's inputs are secured. */
  readonly body?: unknown;
}

export interface RunRecord {
  /** The run id: 20 digits, `CU`, 2 digits, descending with time so that the newest sorts first. */
  readonly name: string;
  readonly tenantId: string;
  /** The workflow resource's directory id and name. */
  readonly resourceId: string;
  readonly workflow: string;
  /** The workflow version the run ran. */
  readonly version: string;
  readonly status: RunStatus;
  readonly code?: string;
  readonly error?: RecordError;
  readonly startTime: string;
  readonly endTime?: string;
  readonly correlation: { readonly clientTrackingId: string };
  readonly trigger: TriggerRecord;
  /** Every action that started or was skipped, in the order it did; Foreach iterations each have their own. */
  readonly actions: readonly ActionRecord[];
  /** The definition's `outputs`, evaluated when the run ended. */
  readonly outputs: Readonly<Record<string, { readonly type: string; readonly value: unknown }>>;
  readonly response?: ResponseRecord;
}

/** A run as listed: the record without its actions and contents. */
export type RunSummary = Pick<
  RunRecord,
  | 'name'
  | 'tenantId'
  | 'resourceId'
  | 'workflow'
  | 'version'
  | 'status'
  | 'code'
  | 'error'
  | 'startTime'
  | 'endTime'
> & { readonly trigger: { readonly name: string; readonly scheduledTime?: string } };

/** The text a secured input or output is shown as. */
export const SECURED_TEXT = 'Content not shown due to security configuration.';
