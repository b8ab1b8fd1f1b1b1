/**
 * @module flows/workflows/runtime
 * Workflows running in the server: firing a trigger starts a run (engine/run.ts) with the workflow's own
 * services — Http actions through the Http executor (http-action.ts) on a client that trusts Lanyard's CA and
 * reaches `*.localhost` (http-client.ts), with managed-identity tokens from the identity plane's in-process
 * service for the workflow resource's system-assigned identity or, by resource id, a user-assigned one. Each run
 * is stored when it starts (Running) and when it ends. A caller may wait for the run's Response action (as a
 * Request trigger's caller does) up to Azure's 120 s. Stopping the runtime cancels its runs and waits until each
 * is recorded. `runtimeOf(deps)` is how the admin API and the Request trigger host reach it.
 */
import type { Dispatcher } from 'undici';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { Logger } from '../../http/logger.ts';
import type { IdentitySelector } from '../../identity/mi-service.ts';
import { inProcessWorkload } from '../../identity/workloads.ts';
import type { WorkflowDefinition } from '../definition/types.ts';
import type { FlowsDeps } from '../deps.ts';
import type { JsonValue } from '../expressions/values.ts';
import { type FiredTrigger, startRun } from './engine/run.ts';
import { DEFAULT_MAX_RESPONSE_BYTES, runHttpAction, sleep } from './http-action.ts';
import type { ResponseRecord, RunRecord, RunSummary } from './records.ts';
import { createRun, finishRun, getWorkflow, pruneRuns, type StoredWorkflow, summaryOf } from './store.ts';

/** Azure's limit for a caller waiting on a Request trigger's Response. */
export const SYNC_RESPONSE_TIMEOUT_MS = 120_000;
/** Azure's limit for one outbound Http request. */
export const HTTP_REQUEST_TIMEOUT_MS = 120_000;
const PRUNE_EVERY = 50;

export interface FireOptions {
  readonly tenant: string;
  /** The workflow resource's name or id. */
  readonly workflow: string;
  /** The workflow as just read (the callback host has it): not read again. */
  readonly stored?: StoredWorkflow | undefined;
  /** The trigger's name; absent: the workflow's only Request trigger (or its only trigger, by hand). */
  readonly trigger?: string | undefined;
  /** The trigger's outputs: Request `{ headers, body, queries?, relativePathParameters? }`. */
  readonly outputs?: JsonValue | undefined;
  readonly clientTrackingId?: string | undefined;
  /** Wait for a Response action (when the definition has one), the run's end, or the timeout. */
  readonly wait: boolean;
  /** How long a waiting caller waits for the Response (default Azure's 120 s). */
  readonly waitMs?: number | undefined;
  /** Recurrence: the occurrence fired. */
  readonly scheduledTime?: string | undefined;
  /** Tells a waiting caller it went away: a Response after it fails. */
  readonly callerGone?: AbortSignal | undefined;
}

export interface FireResult {
  readonly run: RunSummary;
  /**
   * `answered`: the run's Response; `no-response`: the run ended without one; `timeout`: none within the wait;
   * `accepted`: the caller did not wait, or the definition has no Response.
   */
  readonly outcome: 'answered' | 'no-response' | 'timeout' | 'accepted';
  readonly response?: ResponseRecord | undefined;
  /** The run's end (whether or not the caller waited for it). */
  readonly done: Promise<RunRecord>;
}

export interface WorkflowRuntimeOptions {
  readonly logger: Logger;
  readonly dispatcher?: Dispatcher | undefined;
  readonly runTimeoutMs?: number | undefined;
  readonly requestTimeoutMs?: number | undefined;
  /** Runs kept per workflow; older ones are pruned as new ones end. */
  readonly runsKept?: number | undefined;
}

function hasResponse(definition: WorkflowDefinition): boolean {
  const walk = (actions: WorkflowDefinition['actions']): boolean =>
    actions.some(
      (a) =>
        a.type === 'Response' ||
        ((a.type === 'If' || a.type === 'Scope' || a.type === 'Foreach') &&
          (walk(a.actions) || (a.type === 'If' && walk(a.else)))),
    );
  return walk(definition.actions);
}

export class WorkflowRuntime {
  readonly #deps: FlowsDeps;
  readonly #o: WorkflowRuntimeOptions;
  readonly #runs = new Map<string, { cancel: AbortController; done: Promise<RunRecord> }>();
  #closed = false;
  #ended = 0;

  constructor(deps: FlowsDeps, o: WorkflowRuntimeOptions) {
    this.#deps = deps;
    this.#o = o;
  }

  /** Runs in flight in this process. */
  get running(): number {
    return this.#runs.size;
  }

  async fire(o: FireOptions): Promise<FireResult> {
    if (this.#closed)
      throw new LanyardError('ERR_CONFLICT', 'The server is stopping; the run was not started.');
    const wf = o.stored ?? (await getWorkflow(this.#deps.directory, o.tenant, o.workflow));
    if (wf.state !== 'Enabled')
      throw new LanyardError(
        'ERR_CONFLICT',
        `The workflow '${wf.name}' is disabled; its triggers do not fire.`,
        {
          hint: `Enable it: lanyard workflow enable ${wf.name}`,
        },
      );
    const trigger = pickTrigger(wf, o.trigger);
    const workload = inProcessWorkload('workflow', wf);
    const identity = this.#deps.identity;
    const dispatcher = this.#o.dispatcher;
    const requestTimeoutMs = this.#o.requestTimeoutMs ?? HTTP_REQUEST_TIMEOUT_MS;
    const fired: FiredTrigger = {
      name: trigger.name,
      type: trigger.type,
      ...(o.outputs === undefined ? {} : { outputs: o.outputs }),
      ...(o.scheduledTime ? { scheduledTime: o.scheduledTime } : {}),
      ...(o.clientTrackingId ? { clientTrackingId: o.clientTrackingId } : {}),
      secureInputs: trigger.secureInputs,
      secureOutputs: trigger.secureOutputs,
    };

    /** False once the waiting caller timed out: a Response reached after that fails. */
    let open = true;
    let answer: (r: ResponseRecord | undefined) => void = () => {};
    const answered = new Promise<ResponseRecord | undefined>((resolve) => {
      answer = resolve;
    });
    const cancel = new AbortController();
    const started = startRun({
      workflow: {
        tenantId: wf.tenantId,
        resourceId: wf.resourceId,
        name: wf.name,
        workflowId: wf.workflowId,
        version: wf.version,
        armId: wf.armId,
        definition: wf.definition,
      },
      trigger: fired,
      signal: cancel.signal,
      respond: (r) => {
        if (!open || o.callerGone?.aborted) return false;
        answer(r);
        return true;
      },
      services: {
        now: Date.now,
        newGuid: () => crypto.randomUUID(),
        ...(this.#o.runTimeoutMs ? { runTimeoutMs: this.#o.runTimeoutMs } : {}),
        http: (request, signal) =>
          runHttpAction(
            request,
            {
              token: async (auth) => {
                const selector: IdentitySelector =
                  auth.identity === undefined || auth.identity.toLowerCase() === 'systemassigned'
                    ? { by: 'system' }
                    : { by: 'mi_res_id', value: auth.identity };
                return (await identity.token(workload, selector, auth.audience, 'workflow')).accessToken;
              },
              ...(dispatcher ? { dispatcher } : {}),
              sleep,
              random: Math.random,
              now: Date.now,
              requestTimeoutMs,
              maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
              newGuid: () => crypto.randomUUID(),
            },
            signal,
          ),
      },
    });
    await createRun(this.#deps.directory, started.first);
    const done = started.done.then(async (record) => {
      answer(undefined);
      try {
        await finishRun(this.#deps.directory, record);
        // Pruning costs a query; every so many runs is enough to keep the history bounded.
        if (++this.#ended % PRUNE_EVERY === 0)
          await pruneRuns(this.#deps.directory, wf.resourceId, this.#o.runsKept);
      } catch (err) {
        this.#o.logger.error(
          { err, run: record.name, workflow: wf.name },
          'flows: a run could not be recorded',
        );
      }
      this.#runs.delete(record.name);
      await this.#deps.audit
        .record({
          plane: 'flows',
          action: 'workflow.run',
          outcome: record.status === 'Succeeded' ? 'success' : 'failure',
          tenantId: record.tenantId,
          actor: `trigger:${trigger.name}`,
          target: `workflow:${wf.name}`,
          ...(record.error ? { reason: record.error.code } : {}),
          details: { run: record.name, status: record.status },
        })
        .catch((err: unknown) => this.#o.logger.error({ err }, 'flows: a run could not be audited'));
      this.#o.logger.info(
        { workflow: wf.name, run: record.name, status: record.status, trigger: trigger.name },
        'flows: workflow run ended',
      );
      return record;
    });
    this.#runs.set(started.name, { cancel, done });
    this.#o.logger.info(
      { workflow: wf.name, run: started.name, trigger: trigger.name },
      'flows: workflow run started',
    );

    const first = summaryOf(started.first);
    if (!o.wait || !hasResponse(wf.definition)) return { run: first, outcome: 'accepted', done };
    const waitMs = o.waitMs ?? SYNC_RESPONSE_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), waitMs);
    });
    const gone = new Promise<'timeout'>((resolve) => {
      o.callerGone?.addEventListener('abort', () => resolve('timeout'), { once: true });
    });
    const got = await Promise.race([answered, timedOut, gone]);
    clearTimeout(timer);
    if (got === 'timeout') {
      open = false;
      return { run: first, outcome: 'timeout', done };
    }
    if (got === undefined) return { run: summaryOf(await done), outcome: 'no-response', done };
    return { run: first, outcome: 'answered', response: got, done };
  }

  /** Cancels a run in flight in this process; false when none of that name runs here. */
  cancel(run: string, reason = 'The run was cancelled.'): boolean {
    const r = this.#runs.get(run);
    if (!r) return false;
    r.cancel.abort(reason);
    return true;
  }

  async close(reason = 'Lanyard stopped; the run was cancelled with it.'): Promise<void> {
    this.#closed = true;
    const runs = [...this.#runs.values()];
    for (const r of runs) r.cancel.abort(reason);
    await Promise.allSettled(runs.map((r) => r.done));
  }
}

/** The trigger a fire names, else the only Request trigger, else the only trigger. */
export function pickTrigger(wf: StoredWorkflow, name: string | undefined) {
  const triggers = wf.definition.triggers;
  if (name !== undefined) {
    const t = triggers.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!t)
      throw new LanyardError('ERR_NOT_FOUND', `The workflow '${wf.name}' has no trigger '${name}'.`, {
        hint: `Its triggers: ${triggers.map((x) => x.name).join(', ') || 'none'}.`,
      });
    return t;
  }
  const requests = triggers.filter((t) => t.type === 'Request');
  if (requests.length === 1) return requests[0]!;
  if (triggers.length === 1) return triggers[0]!;
  throw new LanyardError(
    'ERR_VALIDATION',
    `The workflow '${wf.name}' has ${triggers.length} triggers; name one.`,
    {
      hint: `Its triggers: ${triggers.map((x) => x.name).join(', ')}.`,
    },
  );
}

const byDeps = new WeakMap<object, WorkflowRuntime>();

export function setRuntime(deps: object, runtime: WorkflowRuntime | undefined): void {
  if (runtime) byDeps.set(deps, runtime);
  else byDeps.delete(deps);
}

/**
 * The runtime the plane started on this directory, if it runs. Keyed by the directory (one per runtime): the
 * host hands the plane's routes and its start the same directory, not always the same deps object.
 */
export function runtimeOf(deps: object): WorkflowRuntime | undefined {
  return byDeps.get(deps);
}
