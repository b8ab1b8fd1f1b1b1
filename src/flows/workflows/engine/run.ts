/**
 * @module flows/workflows/engine/run
 * Starting one run of a workflow: the trigger's record, the run's scope (parameters, variables, `workflow()`),
 * the executor over the definition, and the run's end — its status by Azure's rules (a Terminate decides; else
 * a failed branch fails it), the definition's outputs evaluated, and the stored record masked. `startRun`
 * answers at once with the run's first record (status Running) and a promise of its last; it never rejects.
 */
import { runOutcome } from '../../definition/status.ts';
import type { WorkflowDefinition } from '../../definition/types.ts';
import type { JsonObject, JsonValue } from '../../expressions/values.ts';
import type { HttpActionRequest, HttpActionResult } from '../http-action.ts';
import type { RecordError, ResponseRecord, RunRecord, RunStatus, TriggerRecord } from '../records.ts';
import { evaluate } from './compiled.ts';
import { Executor } from './execute.ts';
import { azureTime, newRunName } from './run-names.ts';
import { DEFAULT_MAX_CONTENT_BYTES, maskRecord, runMasker, storedContents, textsOf } from './run-record.ts';
import { defaultGuid, RunScope } from './scope.ts';

/** A run longer than this is stopped and ends TimedOut (Logic Apps allows 90 days; a local run is shorter). */
export const DEFAULT_RUN_TIMEOUT_MS = 60 * 60 * 1000;

export interface RunWorkflow {
  readonly tenantId: string;
  readonly resourceId: string;
  readonly name: string;
  /** The 32-hex id Azure puts in callback URLs and `x-ms-workflow-id`. */
  readonly workflowId: string;
  readonly version: string;
  /** The workflow's ARM resource id (`workflow().id`). */
  readonly armId: string;
  readonly definition: WorkflowDefinition;
}

export interface FiredTrigger {
  readonly name: string;
  readonly type: TriggerRecord['type'];
  readonly inputs?: JsonValue;
  /** Request: `{ headers, body, queries?, relativePathParameters? }`. */
  readonly outputs?: JsonValue;
  readonly scheduledTime?: string;
  /** The caller's `x-ms-client-tracking-id`, else the run id. */
  readonly clientTrackingId?: string;
  readonly secureInputs?: boolean;
  readonly secureOutputs?: boolean;
}

export interface RunServices {
  now(): number;
  newGuid(): string;
  http(request: HttpActionRequest, signal: AbortSignal): Promise<HttpActionResult>;
  readonly runTimeoutMs?: number;
  readonly maxContentBytes?: number;
}

export interface StartRunOptions {
  readonly workflow: RunWorkflow;
  readonly trigger: FiredTrigger;
  readonly services: RunServices;
  /** Takes the Response action's answer; false when the caller is gone. Absent: nobody waits (accepted). */
  readonly respond?: (response: ResponseRecord) => boolean;
  /** Aborting it cancels the run (it ends Cancelled). */
  readonly signal?: AbortSignal;
}

export interface StartedRun {
  readonly name: string;
  readonly first: RunRecord;
  readonly done: Promise<RunRecord>;
}

const CANCELLED: RecordError = { code: 'Cancelled', message: 'The run was cancelled.' };

export function startRun(o: StartRunOptions): StartedRun {
  const { workflow, trigger, services } = o;
  const now = services.now;
  const newGuid = services.newGuid ?? defaultGuid;
  const name = newRunName(now());
  const clientTrackingId = trigger.clientTrackingId ?? name;
  const startMs = now();
  const startTime = azureTime(startMs);
  const maxContentBytes = services.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;

  const secrets = new Set<string>();
  const parameters = new Map<string, JsonValue>();
  for (const p of workflow.definition.parameters) {
    parameters.set(p.name.toLowerCase(), p.value as JsonValue);
    if (p.secure) textsOf(p.value, secrets);
  }
  if (trigger.secureInputs) textsOf(trigger.inputs, secrets);
  if (trigger.secureOutputs) textsOf(trigger.outputs, secrets);

  const triggerRecord: TriggerRecord = {
    name: trigger.name,
    type: trigger.type,
    startTime,
    endTime: startTime,
    ...(trigger.scheduledTime ? { scheduledTime: trigger.scheduledTime } : {}),
    status: 'Succeeded',
    code: 'OK',
    correlation: { clientTrackingId },
    ...storedContents(
      {
        inputs: trigger.inputs,
        outputs: trigger.outputs,
        secureInputs: trigger.secureInputs === true,
        secureOutputs: trigger.secureOutputs === true,
      },
      maxContentBytes,
    ),
  };
  const triggerForExpressions: JsonObject = {
    name: trigger.name,
    startTime,
    endTime: startTime,
    ...(trigger.scheduledTime ? { scheduledTime: trigger.scheduledTime } : {}),
    trackingId: newGuid(),
    clientTrackingId,
    code: 'OK',
    status: 'Succeeded',
    ...(trigger.inputs === undefined ? {} : { inputs: trigger.inputs }),
    ...(trigger.outputs === undefined ? {} : { outputs: trigger.outputs }),
  };
  const runId = `${workflow.armId}/runs/${name}`;
  const scope = new RunScope({
    trigger: triggerForExpressions,
    parameters,
    variables: new Map(),
    workflow: {
      id: workflow.armId,
      name: workflow.name,
      type: 'Microsoft.Logic/workflows',
      location: 'local',
      tags: {},
      run: { id: runId, name, type: 'Microsoft.Logic/workflows/runs' },
    },
    now,
    newGuid,
  });

  const base = {
    name,
    tenantId: workflow.tenantId,
    resourceId: workflow.resourceId,
    workflow: workflow.name,
    version: workflow.version,
    startTime,
    correlation: { clientTrackingId },
    trigger: triggerRecord,
  };
  const first: RunRecord = { ...base, status: 'Running', actions: [], outputs: {} };

  const executor = new Executor({
    now,
    newGuid,
    http: services.http,
    respond: o.respond ?? (() => true),
    maxContentBytes,
    clientTrackingId,
    workflowHeaders: {
      'user-agent': `azure-logic-apps/1.0 (workflow ${workflow.workflowId}; version ${workflow.version})`,
      'x-ms-execution-location': 'local',
      'x-ms-workflow-id': workflow.workflowId,
      'x-ms-workflow-version': workflow.version,
      'x-ms-workflow-name': workflow.name,
      'x-ms-workflow-system-id': `/locations/local/scaleunits/lanyard/workflows/${workflow.workflowId}`,
      'x-ms-workflow-run-id': name,
      'x-ms-workflow-run-tracking-id': clientTrackingId,
      'x-ms-client-tracking-id': clientTrackingId,
      'x-ms-correlation-id': clientTrackingId,
      'x-ms-tracking-id': clientTrackingId,
    },
  });

  const timeoutMs = services.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  const timer = setTimeout(() => executor.stop({ kind: 'timeout' }), timeoutMs);
  const onAbort = () =>
    executor.stop({ kind: 'cancelled', message: String(o.signal?.reason ?? CANCELLED.message) });
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) onAbort();

  const done = (async (): Promise<RunRecord> => {
    let status: RunStatus;
    let error: RecordError | undefined;
    try {
      const states = await executor.runDefinition(workflow.definition, scope);
      const stop = executor.stopReason;
      if (stop?.kind === 'terminated') {
        const out = runOutcome(workflow.definition.actions, states, {
          inputs: {
            runStatus: stop.action.inputs.runStatus,
            ...(stop.runError ? { runError: stop.runError } : {}),
          },
        });
        status = out.status;
        if (out.error) error = { code: out.error.code ?? 'Terminated', message: out.error.message ?? '' };
      } else if (stop?.kind === 'timeout') {
        status = 'TimedOut';
        error = {
          code: 'RunTimedOut',
          message: `The run did not finish within ${timeoutMs} ms and was stopped.`,
        };
      } else if (stop?.kind === 'cancelled') {
        status = 'Cancelled';
        error = { code: 'Cancelled', message: stop.message };
      } else {
        const out = runOutcome(workflow.definition.actions, states);
        status = out.status;
        if (out.error) error = { code: out.error.code ?? 'ActionFailed', message: out.error.message ?? '' };
      }
    } catch (err) {
      status = 'Failed';
      error = {
        code: 'InternalError',
        message: `The engine failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    }
    const outputs: Record<string, { type: string; value: unknown }> = {};
    for (const out of workflow.definition.outputs) {
      let value: unknown;
      try {
        value = evaluate(out, 'value', out.value, scope) ?? null;
      } catch {
        value = null;
      }
      if (out.type === 'securestring' || out.type === 'secureobject') textsOf(value, secrets);
      outputs[out.name] = { type: out.type, value };
    }
    for (const s of executor.secrets) secrets.add(s);
    const masker = runMasker(secrets);
    const response = executor.response
      ? executor.responseSecured
        ? { statusCode: executor.response.statusCode, headers: executor.response.headers }
        : executor.response
      : undefined;
    const record: RunRecord = {
      ...base,
      status,
      ...(status === 'Succeeded' ? {} : { code: error?.code ?? status }),
      ...(error ? { error } : {}),
      endTime: azureTime(now()),
      actions: executor.records,
      outputs,
      ...(response ? { response } : {}),
    };
    return maskRecord(masker, record);
  })();
  return { name, first, done };
}
