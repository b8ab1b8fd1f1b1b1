/**
 * @module flows/workflows/engine/scope
 * What an expression sees of its run (`ExpressionContext`) while the engine runs it. Actions' records are kept
 * per scope: the run has one, and every Foreach iteration a child of the scope around the loop, so `body('X')`
 * inside an iteration reads that iteration's X and outside it the last one recorded (as Logic Apps does).
 * Variables and parameters belong to the run. Records here hold real values; masking applies only to what is
 * stored (run-record.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ExpressionContext } from '../../expressions/context.ts';
import type { JsonObject, JsonValue } from '../../expressions/values.ts';

/** What the run shares with every scope. */
export interface RunShared {
  readonly trigger: JsonValue;
  readonly parameters: ReadonlyMap<string, JsonValue>;
  readonly variables: Map<string, { readonly type: string; value: JsonValue }>;
  readonly workflow: JsonValue;
  readonly now: () => number;
  readonly newGuid: () => string;
}

export class RunScope implements ExpressionContext {
  readonly #shared: RunShared;
  readonly #parent: RunScope | undefined;
  readonly #records = new Map<string, JsonObject>();
  readonly #results = new Map<string, JsonObject[]>();
  /** The loop this scope is one iteration of. */
  readonly loop: { readonly name: string; readonly item: JsonValue; readonly index: number } | undefined;

  constructor(shared: RunShared, parent?: RunScope, loop?: { name: string; item: JsonValue; index: number }) {
    this.#shared = shared;
    this.#parent = parent;
    this.loop = loop;
  }

  /** The run's variables (by lower-case name). */
  get variables(): Map<string, { readonly type: string; value: JsonValue }> {
    return this.#shared.variables;
  }

  /** A scope for one iteration of `loop`. */
  iteration(name: string, item: JsonValue, index: number): RunScope {
    return new RunScope(this.#shared, this, { name, item, index });
  }

  /** The loops around this scope, outermost first. */
  loops(): { name: string; item: JsonValue; index: number }[] {
    const out: { name: string; item: JsonValue; index: number }[] = [];
    for (let s: RunScope | undefined = this; s !== undefined; s = s.#parent) if (s.loop) out.unshift(s.loop);
    return out;
  }

  /** Records (or replaces) what `actions(name)` returns. */
  setRecord(name: string, record: JsonObject): void {
    this.#records.set(name.toLowerCase(), record);
  }

  /** Adds a first-level inner action's record to what `result(container)` returns. */
  addResult(container: string, record: JsonObject): void {
    const key = container.toLowerCase();
    const list = this.#results.get(key);
    if (list) list.push(record);
    else this.#results.set(key, [record]);
    this.#parent?.addResult(container, record);
  }

  trigger(): JsonValue {
    return this.#shared.trigger;
  }

  action(name: string): JsonValue | undefined {
    const key = name.toLowerCase();
    for (let s: RunScope | undefined = this; s !== undefined; s = s.#parent) {
      const r = s.#records.get(key);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  result(scope: string): JsonValue | undefined {
    const key = scope.toLowerCase();
    for (let s: RunScope | undefined = this; s !== undefined; s = s.#parent) {
      const r = s.#results.get(key);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  parameter(name: string): JsonValue | undefined {
    return this.#shared.parameters.get(name.toLowerCase());
  }

  variable(name: string): JsonValue | undefined {
    return this.#shared.variables.get(name.toLowerCase())?.value;
  }

  workflow(): JsonValue {
    return this.#shared.workflow;
  }

  item(): JsonValue | undefined {
    for (let s: RunScope | undefined = this; s !== undefined; s = s.#parent) if (s.loop) return s.loop.item;
    return undefined;
  }

  items(loop: string): JsonValue | undefined {
    const lower = loop.toLowerCase();
    for (let s: RunScope | undefined = this; s !== undefined; s = s.#parent) {
      if (s.loop && s.loop.name.toLowerCase() === lower) return s.loop.item;
    }
    return undefined;
  }

  now(): number {
    return this.#shared.now();
  }

  newGuid(): string {
    return this.#shared.newGuid();
  }
}

export const defaultGuid = randomUUID;
