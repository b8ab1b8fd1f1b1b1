/**
 * @module flows/workflows/engine/execute
 * One run of a workflow definition: each container (the top level, a Scope, the taken branch of an If, one
 * Foreach iteration) runs its actions as their `runAfter` allows (definition/status.ts decides what is ready
 * and what is skipped), actions of parallel branches at the same time. Every action that starts or is skipped
 * gets a record; an action never throws into the engine — whatever goes wrong ends that action Failed with a
 * reason, and the run's status follows Azure's rules. A Terminate, the run's time limit or a cancel stops the
 * run: nothing new starts, Http calls in flight are aborted (their actions end Cancelled), and the run ends.
 */
import {
  ACTION_FAILED_ERROR,
  ACTION_SKIPPED_CODE,
  type ActionState,
  type ActionStatus,
  branchNotTakenError,
  containerStatus,
  nextStep,
} from '../../definition/status.ts';
import type {
  Action,
  ForeachAction,
  HttpAction,
  IfAction,
  ResponseAction,
  TerminateAction,
  WorkflowDefinition,
} from '../../definition/types.ts';
import { childContainers } from '../../definition/validate.ts';
import { actionError, ExpressionEvaluationError } from '../../expressions/errors.ts';
import type { JsonObject, JsonValue } from '../../expressions/values.ts';
import type { HttpActionRequest, HttpActionResult } from '../http-action.ts';
import type { ActionRecord, RecordError, RepetitionIndex, ResponseRecord, RetryRecord } from '../records.ts';
import { evaluate } from './compiled.ts';
import { evaluateCondition } from './conditions.ts';
import { ParseJsonError, parseJsonContent } from './parse-json.ts';
import { responseOf } from './response.ts';
import { azureTime } from './run-names.ts';
import { storedContents, textsOf } from './run-record.ts';
import type { RunScope } from './scope.ts';
import {
  appendToArrayVariable,
  incrementVariable,
  initializeVariable,
  setVariable,
  VariableError,
} from './variables.ts';

export interface ExecutorServices {
  now(): number;
  newGuid(): string;
  http(request: HttpActionRequest, signal: AbortSignal): Promise<HttpActionResult>;
  /** Hands the Response action's answer to the caller; false when no caller can take it any more. */
  respond(response: ResponseRecord): boolean;
  readonly maxContentBytes: number;
  /** `x-ms-workflow-*` headers every Http action sends (plus its own operation name and tracking id). */
  readonly workflowHeaders: Readonly<Record<string, string>>;
  readonly clientTrackingId: string;
}

/** What an action's own work produced. */
interface Outcome {
  status: ActionStatus;
  code: string;
  inputs?: unknown;
  outputs?: unknown;
  error?: RecordError;
  retryHistory?: readonly RetryRecord[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Why the run stopped early. */
export type StopReason =
  | { kind: 'terminated'; action: TerminateAction; runError?: RecordError }
  | { kind: 'timeout' }
  | { kind: 'cancelled'; message: string };

const MAX_FOREACH_ITEMS = 100_000;
/** Response headers Logic Apps drops (the server sets them itself). */
const RESPONSE_DROPPED = new Set([
  'allow',
  'content-length',
  'content-language',
  'content-location',
  'content-md5',
  'content-range',
  'cookie',
  'expires',
  'last-modified',
  'set-cookie',
  'transfer-encoding',
]);

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class Executor {
  readonly #services: ExecutorServices;
  readonly #stop = new AbortController();
  #stopReason: StopReason | undefined;
  /** Every record, in the order actions started or were skipped. */
  readonly records: Mutable<ActionRecord>[] = [];
  /** Texts of secured inputs and outputs, and tokens sent: masked in what is stored. */
  readonly secrets = new Set<string>();
  response: ResponseRecord | undefined;
  responseSecured = false;

  constructor(services: ExecutorServices) {
    this.#services = services;
  }

  get stopReason(): StopReason | undefined {
    return this.#stopReason;
  }

  /** Stops the run (the first reason wins). */
  stop(reason: StopReason): void {
    if (this.#stopReason) return;
    this.#stopReason = reason;
    this.#stop.abort();
  }

  /** Runs the top-level actions; the states are what the run's status is computed from. */
  async runDefinition(definition: WorkflowDefinition, scope: RunScope): Promise<Map<string, ActionState>> {
    return this.#runContainer(definition.actions, scope, undefined);
  }

  async #runContainer(
    actions: readonly Action[],
    scope: RunScope,
    container: string | undefined,
  ): Promise<Map<string, ActionState>> {
    const states = new Map<string, ActionState>();
    const byName = new Map(actions.map((a) => [a.name, a]));
    const running = new Map<string, Promise<void>>();
    for (;;) {
      if (!this.#stopReason) {
        const step = nextStep(actions, states);
        for (const s of step.skipped) {
          states.set(s.action, 'Skipped');
          this.#skip(byName.get(s.action)!, scope, container, s.error);
        }
        for (const name of step.ready) {
          states.set(name, 'Running');
          const action = byName.get(name)!;
          running.set(
            name,
            this.#runAction(action, scope, container).then((status) => {
              states.set(name, status);
              running.delete(name);
            }),
          );
        }
      }
      if (running.size === 0) return states;
      await Promise.race(running.values());
    }
  }

  #indexes(scope: RunScope): RepetitionIndex[] | undefined {
    const loops = scope.loops();
    return loops.length === 0 ? undefined : loops.map((l) => ({ scopeName: l.name, itemIndex: l.index }));
  }

  #begin(action: Action, scope: RunScope): Mutable<ActionRecord> {
    const tracking = this.#services.newGuid();
    const indexes = this.#indexes(scope);
    const record: Mutable<ActionRecord> = {
      name: action.name,
      type: action.type,
      path: action.path,
      status: 'Running',
      code: 'NotSpecified',
      startTime: azureTime(this.#services.now()),
      trackingId: tracking,
      correlation: { actionTrackingId: tracking, clientTrackingId: this.#services.clientTrackingId },
      ...(indexes ? { repetitionIndexes: indexes } : {}),
    };
    this.records.push(record);
    return record;
  }

  /** The record expressions read (`actions('X')`, `body('X')`): real values, never masked. */
  #expressionRecord(record: ActionRecord, outcome: Outcome): JsonObject {
    const r: JsonObject = {
      name: record.name,
      startTime: record.startTime ?? null,
      endTime: record.endTime ?? null,
      trackingId: record.trackingId,
      clientTrackingId: this.#services.clientTrackingId,
      code: record.code,
      status: record.status,
    };
    if (outcome.inputs !== undefined) r.inputs = outcome.inputs as JsonValue;
    if (outcome.outputs !== undefined) r.outputs = outcome.outputs as JsonValue;
    if (outcome.error !== undefined) r.error = { ...outcome.error };
    return r;
  }

  #finish(
    action: Action,
    record: Mutable<ActionRecord>,
    scope: RunScope,
    container: string | undefined,
    outcome: Outcome,
  ): void {
    record.status = outcome.status;
    record.code = outcome.code;
    record.endTime = azureTime(this.#services.now());
    if (outcome.error) record.error = outcome.error;
    if (outcome.retryHistory && outcome.retryHistory.length > 0) record.retryHistory = outcome.retryHistory;
    if (action.secureInputs && outcome.inputs !== undefined) textsOf(outcome.inputs, this.secrets);
    if (action.secureOutputs && outcome.outputs !== undefined) textsOf(outcome.outputs, this.secrets);
    Object.assign(
      record,
      storedContents(
        {
          inputs: outcome.inputs,
          outputs: outcome.outputs,
          secureInputs: action.secureInputs,
          secureOutputs: action.secureOutputs,
        },
        this.#services.maxContentBytes,
      ),
    );
    const expr = this.#expressionRecord(record, outcome);
    scope.setRecord(action.name, expr);
    if (container !== undefined) scope.addResult(container, expr);
  }

  /** An action that will not run, and everything inside it. */
  #skip(action: Action, scope: RunScope, container: string | undefined, error: RecordError): void {
    const record = this.#begin(action, scope);
    this.#finish(action, record, scope, container, { status: 'Skipped', code: ACTION_SKIPPED_CODE, error });
    for (const child of childContainers(action)) {
      for (const inner of child.actions)
        this.#skip(inner, scope, action.name, branchNotTakenError(inner.name));
    }
  }

  async #runAction(action: Action, scope: RunScope, container: string | undefined): Promise<ActionStatus> {
    const record = this.#begin(action, scope);
    let outcome: Outcome;
    try {
      outcome = await this.#perform(action, scope);
    } catch (err) {
      outcome = this.#failure(action, err);
    }
    this.#finish(action, record, scope, container, outcome);
    return outcome.status;
  }

  #failure(action: Action, err: unknown): Outcome {
    if (err instanceof ExpressionEvaluationError)
      return { status: 'Failed', code: 'InvalidTemplate', error: actionError(action.name, err) };
    if (err instanceof VariableError || err instanceof ParseJsonError)
      return { status: 'Failed', code: err.code, error: { code: err.code, message: err.message } };
    return {
      status: 'Failed',
      code: 'InternalError',
      error: { code: 'InternalError', message: `Action '${action.name}' failed: ${message(err)}` },
    };
  }

  #value(action: Action, slot: string, value: unknown, scope: RunScope): JsonValue | undefined {
    return evaluate(action, slot, value, scope);
  }

  async #perform(action: Action, scope: RunScope): Promise<Outcome> {
    switch (action.type) {
      case 'Compose': {
        const value = this.#value(action, 'inputs', action.inputs, scope) ?? null;
        return { status: 'Succeeded', code: 'OK', inputs: value, outputs: value };
      }
      case 'ParseJson': {
        const content = this.#value(action, 'content', action.inputs.content, scope);
        const schema = action.inputs.schema;
        const inputs = { content: content ?? null, schema: schema as JsonValue };
        try {
          return {
            status: 'Succeeded',
            code: 'OK',
            inputs,
            outputs: { body: parseJsonContent(content, schema) },
          };
        } catch (err) {
          return { ...this.#failure(action, err), inputs };
        }
      }
      case 'InitializeVariable': {
        const { name, type } = action.inputs;
        const value = this.#value(action, 'value', action.inputs.value, scope);
        const set = initializeVariable(this.#variables(scope), name, type, value);
        return { status: 'Succeeded', code: 'OK', inputs: { variables: [{ name, type, value: set }] } };
      }
      case 'SetVariable': {
        const { name } = action.inputs;
        const value = this.#value(action, 'value', action.inputs.value, scope) ?? null;
        const set = setVariable(this.#variables(scope), name, value);
        return {
          status: 'Succeeded',
          code: 'OK',
          inputs: { name, value },
          outputs: { body: { name, value: set } },
        };
      }
      case 'IncrementVariable': {
        const { name } = action.inputs;
        const by = this.#value(action, 'value', action.inputs.value, scope);
        const set = incrementVariable(this.#variables(scope), name, by);
        return {
          status: 'Succeeded',
          code: 'OK',
          inputs: { name, value: by ?? 1 },
          outputs: { body: { name, value: set } },
        };
      }
      case 'AppendToArrayVariable': {
        const { name } = action.inputs;
        const value = this.#value(action, 'value', action.inputs.value, scope) ?? null;
        const set = appendToArrayVariable(this.#variables(scope), name, value);
        return {
          status: 'Succeeded',
          code: 'OK',
          inputs: { name, value },
          outputs: { body: { name, value: set } },
        };
      }
      case 'If':
        return this.#if(action, scope);
      case 'Scope':
        return this.#containerOutcome(await this.#runContainer(action.actions, scope, action.name), action);
      case 'Foreach':
        return this.#foreach(action, scope);
      case 'Response':
        return this.#respond(action, scope);
      case 'Terminate':
        return this.#terminate(action, scope);
      case 'Http':
        return this.#http(action, scope);
    }
  }

  #variables(scope: RunScope) {
    return scope.variables;
  }

  #containerOutcome(
    states: Map<string, ActionState>,
    action: { actions: readonly Action[] },
    extra?: Partial<Outcome>,
  ): Outcome {
    if (this.#stopReason && [...states.values()].some((s) => s === 'Cancelled'))
      return { status: 'Cancelled', code: 'Cancelled', ...extra };
    const settled = action.actions.every((a) => {
      const s = states.get(a.name);
      return s !== undefined && s !== 'Running';
    });
    if (!settled) return { status: 'Cancelled', code: 'Cancelled', ...extra };
    return containerStatus(action.actions, states) === 'Failed'
      ? { status: 'Failed', code: 'ActionFailed', error: { ...ACTION_FAILED_ERROR }, ...extra }
      : { status: 'Succeeded', code: 'OK', ...extra };
  }

  async #if(action: IfAction, scope: RunScope): Promise<Outcome> {
    const result = evaluateCondition(action, 'expression', action.expression, scope);
    const taken = result ? action.actions : action.else;
    const other = result ? action.else : action.actions;
    for (const inner of other) this.#skip(inner, scope, action.name, branchNotTakenError(inner.name));
    const states = await this.#runContainer(taken, scope, action.name);
    return this.#containerOutcome(states, { actions: taken }, { inputs: { expressionResult: result } });
  }

  async #foreach(action: ForeachAction, scope: RunScope): Promise<Outcome> {
    const items = this.#value(action, 'foreach', action.foreach, scope);
    if (!Array.isArray(items)) {
      const kind =
        items === null || items === undefined
          ? 'Null'
          : typeof items === 'object'
            ? 'Object'
            : typeof items === 'string'
              ? 'String'
              : typeof items === 'number'
                ? 'Integer'
                : 'Boolean';
      return {
        status: 'Failed',
        code: 'InvalidTemplate',
        error: {
          code: 'InvalidTemplate',
          message: `The execution of template action '${action.name}' failed: the result of the evaluation of 'foreach' expression '${typeof action.foreach === 'string' ? action.foreach : JSON.stringify(action.foreach)}' is of type '${kind}'. The result must be a valid array.`,
        },
      };
    }
    if (items.length > MAX_FOREACH_ITEMS)
      return {
        status: 'Failed',
        code: 'InvalidTemplate',
        error: {
          code: 'InvalidTemplate',
          message: `The execution of template action '${action.name}' failed: the 'foreach' array has ${items.length} items; at most ${MAX_FOREACH_ITEMS} are allowed.`,
        },
      };
    let failed = false;
    let cancelled = false;
    let next = 0;
    const worker = async () => {
      while (next < items.length && !this.#stopReason) {
        const index = next++;
        const iteration = scope.iteration(action.name, items[index]!, index);
        const states = await this.#runContainer(action.actions, iteration, action.name);
        const o = this.#containerOutcome(states, action);
        if (o.status === 'Failed') failed = true;
        if (o.status === 'Cancelled') cancelled = true;
      }
    };
    await Promise.all(Array.from({ length: Math.min(action.concurrency, items.length) }, worker));
    const inputs = items;
    if (cancelled || (this.#stopReason && next < items.length))
      return { status: 'Cancelled', code: 'Cancelled', inputs };
    return failed
      ? { status: 'Failed', code: 'ActionFailed', error: { ...ACTION_FAILED_ERROR }, inputs }
      : { status: 'Succeeded', code: 'OK', inputs };
  }

  #respond(action: ResponseAction, scope: RunScope): Outcome {
    const statusCode = this.#value(action, 'statusCode', action.inputs.statusCode, scope);
    const headers = this.#value(action, 'headers', action.inputs.headers, scope);
    const body = this.#value(action, 'body', action.inputs.body, scope);
    const r = responseOf(action.name, statusCode, headers, body, RESPONSE_DROPPED);
    if ('error' in r)
      return { status: 'Failed', code: r.error.code, error: r.error, inputs: { statusCode, headers, body } };
    const inputs = {
      statusCode: r.response.statusCode,
      headers: r.response.headers,
      ...(body === undefined ? {} : { body }),
    };
    if (this.response !== undefined || !this.#services.respond(r.response))
      return {
        status: 'Failed',
        code: 'ActionResponseSkipped',
        inputs,
        error: {
          code: 'ActionResponseSkipped',
          message:
            this.response !== undefined
              ? `The execution of template action '${action.name}' failed: the run already answered its caller with the Response action before it.`
              : `The execution of template action '${action.name}' failed: the caller is no longer waiting (the request timed out or was closed before the response was ready).`,
        },
      };
    this.response = r.response;
    this.responseSecured = action.secureInputs;
    return { status: 'Succeeded', code: 'OK', inputs, outputs: inputs };
  }

  #terminate(action: TerminateAction, scope: RunScope): Outcome {
    const e = action.inputs.runError;
    let runError: RecordError | undefined;
    if (e !== undefined) {
      const code = this.#value(action, 'runError.code', e.code, scope);
      const msg = this.#value(action, 'runError.message', e.message, scope);
      runError = {
        code: code === undefined || code === null ? 'Terminated' : String(code),
        message: msg === undefined || msg === null ? '' : typeof msg === 'string' ? msg : JSON.stringify(msg),
      };
    }
    this.stop({ kind: 'terminated', action, ...(runError ? { runError } : {}) });
    return {
      status: 'Succeeded',
      code: 'OK',
      inputs: { runStatus: action.inputs.runStatus, ...(runError ? { runError } : {}) },
    };
  }

  async #http(action: HttpAction, scope: RunScope): Promise<Outcome> {
    const i = action.inputs;
    const method = this.#value(action, 'method', i.method, scope);
    const uri = this.#value(action, 'uri', i.uri, scope);
    const auth = i.authentication;
    let authentication = auth;
    if (auth) {
      const audience = this.#value(action, 'authentication.audience', auth.audience, scope);
      const identity = this.#value(action, 'authentication.identity', auth.identity, scope);
      authentication = {
        ...auth,
        audience: String(audience),
        ...(identity === undefined || identity === null ? {} : { identity: String(identity) }),
      };
    }
    const tracking = this.#services.newGuid();
    const request: HttpActionRequest = {
      actionName: action.name,
      method: typeof method === 'string' ? method : String(method),
      uri: typeof uri === 'string' ? uri : String(uri),
      headers: this.#value(action, 'headers', i.headers, scope),
      queries: this.#value(action, 'queries', i.queries, scope),
      body: this.#value(action, 'body', i.body, scope),
      cookie: this.#value(action, 'cookie', i.cookie, scope),
      ...(authentication ? { authentication } : {}),
      retryPolicy: i.retryPolicy,
      ...(action.timeout ? { timeoutMs: action.timeout.ms } : {}),
      operationOptions: action.operationOptions,
      workflowHeaders: {
        ...this.#services.workflowHeaders,
        'x-ms-workflow-operation-name': action.name,
        'x-ms-action-tracking-id': tracking,
      },
    };
    const result = await this.#services.http(request, this.#stop.signal);
    for (const s of result.secrets) this.secrets.add(s);
    return {
      status: result.status,
      code: result.code,
      inputs: result.inputs,
      ...(result.outputs ? { outputs: result.outputs } : {}),
      ...(result.error ? { error: result.error } : {}),
      retryHistory: result.retryHistory,
    };
  }
}
