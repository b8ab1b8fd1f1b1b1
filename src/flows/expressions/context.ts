/**
 * @module flows/expressions/context
 * What an expression can see of its run. The engine implements `ExpressionContext` over its run state; tests
 * and simple callers build one from plain data with `createContext`. The clock and the GUID source are part of
 * the context so a test can fix them.
 */
import { randomUUID } from 'node:crypto';
import { findProperty, type JsonObject, type JsonValue } from './values.ts';

export interface ExpressionContext {
  /** The trigger record `trigger()` returns: name, inputs, outputs, startTime, endTime, scheduledTime, … */
  trigger(): JsonValue;
  /** The record of a named action that has run in this run (`actions('X')`), or undefined. */
  action(name: string): JsonValue | undefined;
  /** The value of a workflow parameter, or undefined when the definition declares none of that name. */
  parameter(name: string): JsonValue | undefined;
  /**
   * `result('Scope')`: the records of the first-level actions inside a Scope, Foreach or Until that has run,
   * or undefined.
   */
  result(scope: string): JsonValue | undefined;
  /** The current value of a variable, or undefined when none of that name is initialized. */
  variable(name: string): JsonValue | undefined;
  /** `workflow()`: name, type, id, location, run { name, type, id }, tags. */
  workflow(): JsonValue;
  /** The current item of the innermost loop around the expression, or undefined outside any loop. */
  item(): JsonValue | undefined;
  /** The current item of the named loop around the expression, or undefined when there is none. */
  items(loop: string): JsonValue | undefined;
  /** The current time in milliseconds since the Unix epoch (`utcNow()`). */
  now(): number;
  /** A new random GUID in lower-case `D` form (`guid()`). */
  newGuid(): string;
}

export interface ContextData {
  trigger?: JsonValue;
  /** Action records by name. */
  actions?: JsonObject;
  /** `result()` arrays by container action name. */
  results?: JsonObject;
  parameters?: JsonObject;
  variables?: JsonObject;
  workflow?: JsonValue;
  /** Loop items from the outermost loop to the innermost, with the loop's name. */
  loops?: readonly { name: string; item: JsonValue }[];
  now?: () => number;
  newGuid?: () => string;
}

/**
 * A context over plain data. Names are looked up exactly, then ignoring case (Azure's names in a definition
 * are case-insensitive).
 */
export function createContext(data: ContextData = {}): ExpressionContext {
  const loops = data.loops ?? [];
  return {
    trigger: () => data.trigger ?? null,
    action: (name) => (data.actions === undefined ? undefined : findProperty(data.actions, name)),
    result: (scope) => (data.results === undefined ? undefined : findProperty(data.results, scope)),
    parameter: (name) => (data.parameters === undefined ? undefined : findProperty(data.parameters, name)),
    variable: (name) => (data.variables === undefined ? undefined : findProperty(data.variables, name)),
    workflow: () => data.workflow ?? null,
    item: () => loops.at(-1)?.item,
    items: (loop) => {
      const lower = loop.toLowerCase();
      for (let i = loops.length - 1; i >= 0; i--) {
        if (loops[i]!.name.toLowerCase() === lower) return loops[i]!.item;
      }
      return undefined;
    },
    now: data.now ?? Date.now,
    newGuid: data.newGuid ?? randomUUID,
  };
}
