/**
 * @module flows/expressions/functions/workflow
 * The functions that read the run: the trigger, actions that have run (and `result()`, the records inside a
 * scope), parameters, variables, the workflow, and the current item of a loop. `outputs(X)` is `actions(X).outputs` and `body(X)` is
 * `actions(X).outputs.body`; a record without outputs gives null for both, as a Recurrence trigger's
 * `triggerBody()` does.
 */
import { ExpressionEvaluationError, usageHint } from '../errors.ts';
import { findProperty, isObject, type JsonValue, type Value } from '../values.ts';
import { fail, stringArg } from './args.ts';
import type { CallEnv, FunctionDef } from './types.ts';

function member(record: JsonValue | undefined, name: string): JsonValue {
  if (record === undefined || !isObject(record)) return null;
  return findProperty(record, name) ?? null;
}

function notRun(def: FunctionDef, env: CallEnv, name: string): ExpressionEvaluationError {
  return new ExpressionEvaluationError(
    `The template language expression '${env.source}' cannot be evaluated because the action '${name}' has not run in this workflow run. ${usageHint(def.name)}`,
  );
}

function actionRecord(def: FunctionDef, args: readonly Value[], env: CallEnv): JsonValue {
  const name = stringArg(def, args, 0);
  const record = env.ctx.action(name);
  if (record === undefined) throw notRun(def, env, name);
  return record;
}

const actions: FunctionDef = {
  name: 'actions',
  min: 1,
  max: 1,
  call: (args, env) => actionRecord(actions, args, env),
};

function outputsOf(name: string): FunctionDef {
  const def: FunctionDef = {
    name,
    min: 1,
    max: 1,
    call: (args, env) => member(actionRecord(def, args, env), 'outputs'),
  };
  return def;
}

function bodyOf(name: string): FunctionDef {
  const def: FunctionDef = {
    name,
    min: 1,
    max: 1,
    call: (args, env) => member(member(actionRecord(def, args, env), 'outputs'), 'body'),
  };
  return def;
}

const result: FunctionDef = {
  name: 'result',
  min: 1,
  max: 1,
  call(args, env) {
    const name = stringArg(result, args, 0);
    const records = env.ctx.result(name);
    if (records === undefined) throw notRun(result, env, name);
    return records;
  },
};

const parameters: FunctionDef = {
  name: 'parameters',
  min: 1,
  max: 1,
  call(args, env) {
    const name = stringArg(parameters, args, 0);
    const value = env.ctx.parameter(name);
    if (value === undefined)
      throw new ExpressionEvaluationError(`The workflow parameter '${name}' is not found.`);
    return value;
  },
};

const variables: FunctionDef = {
  name: 'variables',
  min: 1,
  max: 1,
  call(args, env) {
    const name = stringArg(variables, args, 0);
    const value = env.ctx.variable(name);
    if (value === undefined)
      throw new ExpressionEvaluationError(`The workflow variable '${name}' is not found.`);
    return value;
  },
};

const item: FunctionDef = {
  name: 'item',
  min: 0,
  max: 0,
  call(_args, env) {
    const value = env.ctx.item();
    if (value === undefined) throw fail(item, "can only be used inside a 'foreach' loop.");
    return value;
  },
};

const items: FunctionDef = {
  name: 'items',
  min: 1,
  max: 1,
  call(args, env) {
    const loop = stringArg(items, args, 0);
    const value = env.ctx.items(loop);
    if (value === undefined) {
      throw fail(
        items,
        `expects its parameter to name a 'foreach' loop around the expression; '${loop}' is not one.`,
      );
    }
    return value;
  },
};

export const WORKFLOW_FUNCTIONS: readonly FunctionDef[] = [
  { name: 'trigger', min: 0, max: 0, call: (_args, env) => env.ctx.trigger() },
  { name: 'triggerOutputs', min: 0, max: 0, call: (_args, env) => member(env.ctx.trigger(), 'outputs') },
  {
    name: 'triggerBody',
    min: 0,
    max: 0,
    call: (_args, env) => member(member(env.ctx.trigger(), 'outputs'), 'body'),
  },
  actions,
  outputsOf('outputs'),
  outputsOf('actionOutputs'),
  bodyOf('body'),
  bodyOf('actionBody'),
  result,
  parameters,
  variables,
  { name: 'workflow', min: 0, max: 0, call: (_args, env) => env.ctx.workflow() },
  item,
  items,
];
