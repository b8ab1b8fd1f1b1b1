/**
 * @module flows/expressions/evaluate
 * Evaluating compiled values against a run. Arguments are evaluated left to right before the function runs,
 * except for `if`, `and` and `or`, which evaluate only what decides their result (functions/logic.ts). Literal parts are returned as they are (frozen); the rest is built anew on each evaluation.
 * Selection follows Azure: member names match exactly, then ignoring case; `?.`/`?[…]` give null for a null
 * target, a missing member or an index past the end, but selecting from a string or a number fails either way.
 */

import type { Node } from './ast.ts';
import type { CompiledExpression, CompiledTemplate, CompiledValue } from './compile.ts';
import type { ExpressionContext } from './context.ts';
import { ExpressionEvaluationError, usageHint } from './errors.ts';
import { checkLength } from './functions/args.ts';
import { FUNCTIONS } from './functions/registry.ts';
import type { CallEnv, FunctionDef } from './functions/types.ts';
import {
  findProperty,
  isObject,
  type JsonObject,
  type JsonValue,
  setOwn,
  toJson,
  toText,
  typeName,
  type Value,
} from './values.ts';

function cannot(source: string, reason: string): ExpressionEvaluationError {
  return new ExpressionEvaluationError(
    `The template language expression '${source}' cannot be evaluated because ${reason} ${usageHint()}`,
  );
}

function select(target: Value, key: Value, optional: boolean, source: string): Value {
  if (target === null) {
    if (optional) return null;
    throw cannot(
      source,
      `property '${toText(key)}' cannot be selected. Property selection is not supported on values of type 'Null'.`,
    );
  }
  if (Array.isArray(target)) {
    if (typeof key !== 'number' || !Number.isInteger(key)) {
      throw cannot(
        source,
        `property '${toText(key)}' cannot be selected. Array elements can only be selected using an integer index.`,
      );
    }
    if (key >= 0 && key < target.length) return target[key]!;
    if (optional) return null;
    if (target.length === 0)
      throw cannot(source, `array index '${key}' cannot be selected from empty array.`);
    throw cannot(source, `array index '${key}' is outside bounds (0, ${target.length - 1}) of array.`);
  }
  if (isObject(target)) {
    const name = typeof key === 'string' ? key : toText(key);
    const found = findProperty(target, name);
    if (found !== undefined) return found;
    if (optional) return null;
    throw cannot(
      source,
      `property '${name}' doesn't exist, available properties are '${Object.keys(target).join(', ')}'.`,
    );
  }
  throw cannot(
    source,
    `property '${toText(key)}' cannot be selected. Property selection is not supported on values of type '${typeName(target)}'.`,
  );
}

function run(node: Node, env: CallEnv): Value {
  switch (node.type) {
    case 'literal':
      return node.value;
    case 'access':
      return select(run(node.target, env), run(node.key, env), node.optional, env.source);
    case 'call': {
      // compileValue has checked every name
      const def = FUNCTIONS.get(node.key) as FunctionDef;
      if (def.lazy !== undefined) return def.lazy((i) => run(node.args[i]!, env), node.args.length, env);
      const args: Value[] = new Array(node.args.length);
      for (let i = 0; i < args.length; i++) args[i] = run(node.args[i]!, env);
      return def.call(args, env);
    }
  }
}

function runExpression(e: CompiledExpression, ctx: ExpressionContext): Value {
  try {
    return run(e.node, { ctx, source: e.source });
  } catch (err) {
    // values nested deeper than the stack (a parsed body compared or printed) fail the action, not the engine
    if (err instanceof RangeError) throw cannot(e.source, 'its values nest too deeply.');
    throw err;
  }
}

const TEMPLATE_LIMIT: FunctionDef = { name: 'string', min: 0, max: 0, call: () => null };

function runTemplate(t: CompiledTemplate, ctx: ExpressionContext): string {
  let out = '';
  for (const part of t.parts) {
    const text = typeof part === 'string' ? part : toText(runExpression(part, ctx));
    out += text;
  }
  return checkLength(TEMPLATE_LIMIT, out);
}

/** One expression's value, as JSON. Throws ExpressionEvaluationError. */
export function evaluateExpression(e: CompiledExpression, ctx: ExpressionContext): JsonValue {
  return toJson(runExpression(e, ctx));
}

/** A compiled value (see `compileValue`) evaluated against a run. Throws ExpressionEvaluationError. */
export function evaluateValue(compiled: CompiledValue, ctx: ExpressionContext): JsonValue {
  switch (compiled.kind) {
    case 'literal':
      return compiled.value;
    case 'expression':
      return evaluateExpression(compiled, ctx);
    case 'template':
      return runTemplate(compiled, ctx);
    case 'array':
      return compiled.items.map((item) => evaluateValue(item, ctx));
    case 'object': {
      const out: JsonObject = {};
      for (const entry of compiled.entries) {
        const key =
          typeof entry.key === 'string'
            ? entry.key
            : entry.key.kind === 'template'
              ? runTemplate(entry.key, ctx)
              : toText(runExpression(entry.key, ctx));
        setOwn(out, key, evaluateValue(entry.value, ctx));
      }
      return out;
    }
  }
}
