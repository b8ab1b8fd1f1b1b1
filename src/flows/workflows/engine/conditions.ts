/**
 * @module flows/workflows/engine/conditions
 * An If action's `expression`: either an `@` expression that must give a boolean, or the designer's object form
 * (`{ "and": [ … ] }`, `{ "or": [ … ] }`, `{ "not": … }`, and leaves such as `{ "equals": [a, b] }` or
 * `{ "greater": ["@variables('n')", 0] }`). A leaf is the expression function of the same name applied to its
 * two evaluated operands, so `{ "contains": [a, b] }` means exactly what `@contains(a, b)` means. `and` and `or`
 * stop at the first operand that decides, as the functions do. The shape was checked when the definition was
 * saved (definition/normalize.ts).
 */
import type { ExpressionContext } from '../../expressions/context.ts';
import { ExpressionEvaluationError } from '../../expressions/errors.ts';
import { FUNCTIONS } from '../../expressions/functions/registry.ts';
import type { JsonValue } from '../../expressions/values.ts';

import { evaluate } from './compiled.ts';

/** `owner[slot]` evaluated; the compiled form is kept with `owner` (a part of the frozen definition). */
function operand(owner: object, slot: string, value: unknown, ctx: ExpressionContext): JsonValue {
  return evaluate(owner, slot, value, ctx) ?? null;
}

function mustBeBoolean(value: JsonValue, source: string): boolean {
  if (typeof value === 'boolean') return value;
  throw new ExpressionEvaluationError(
    `The template language expression '${source}' must evaluate to a boolean; it gave ${value === null ? 'null' : `a value of type '${Array.isArray(value) ? 'Array' : typeof value === 'object' ? 'Object' : typeof value === 'number' ? 'Integer' : 'String'}'`}.`,
  );
}

/**
 * The condition `owner[slot]` evaluated. Throws ExpressionEvaluationError (the If then fails with
 * InvalidTemplate). Compiled forms are kept with the definition's own objects, so a run compiles nothing.
 */
export function evaluateCondition(
  owner: object,
  slot: string,
  condition: unknown,
  ctx: ExpressionContext,
): boolean {
  if (typeof condition === 'boolean') return condition;
  if (typeof condition === 'string')
    return mustBeBoolean(operand(owner, slot, condition, ctx), condition.slice(1));
  const node = condition as Record<string, unknown>;
  const [key, value] = Object.entries(node)[0]!;
  const op = key.toLowerCase();
  if (op === 'and' || op === 'or') {
    const list = value as unknown[];
    const test = (c: unknown, i: number) => evaluateCondition(list, String(i), c, ctx);
    return op === 'and' ? list.every(test) : list.some(test);
  }
  if (op === 'not') return !evaluateCondition(node, key, value, ctx);
  const def = FUNCTIONS.get(op);
  if (def === undefined) throw new ExpressionEvaluationError(`'${key}' is not a condition operator.`);
  const operands = value as unknown[];
  const args = operands.map((v, i) => operand(operands, String(i), v, ctx));
  const source = `${def.name}(${args.map((a) => JSON.stringify(a)).join(', ')})`;
  return mustBeBoolean(def.call(args, { ctx, source }) as JsonValue, source);
}
