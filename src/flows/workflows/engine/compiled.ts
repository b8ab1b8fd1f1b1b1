/**
 * @module flows/workflows/engine/compiled
 * An action's values compiled once per loaded definition, not on every run: the compiled form is kept beside
 * the (frozen, shared) action object it came from, under the name of the input it is.
 */
import { type CompiledValue, compileValue } from '../../expressions/compile.ts';
import type { ExpressionContext } from '../../expressions/context.ts';
import { evaluateValue } from '../../expressions/evaluate.ts';
import type { JsonValue } from '../../expressions/values.ts';

const cache = new WeakMap<object, Map<string, CompiledValue>>();

export function compiled(owner: object, slot: string, value: unknown): CompiledValue {
  let slots = cache.get(owner);
  if (!slots) {
    slots = new Map();
    cache.set(owner, slots);
  }
  let c = slots.get(slot);
  if (c === undefined) {
    c = compileValue(value as JsonValue);
    slots.set(slot, c);
  }
  return c;
}

/** `value` (an input of `owner`) evaluated in `ctx`; undefined stays undefined. */
export function evaluate(
  owner: object,
  slot: string,
  value: unknown,
  ctx: ExpressionContext,
): JsonValue | undefined {
  if (value === undefined) return undefined;
  return evaluateValue(compiled(owner, slot, value), ctx);
}
