/**
 * @module flows/workflows/engine/variables
 * The variable actions: InitializeVariable (top level only, checked at save), SetVariable, IncrementVariable
 * and AppendToArrayVariable. Variables belong to the run and keep their declared type; a value of another type
 * fails the action with Azure's wording. Integer means a whole number; Float takes any number.
 */
import type { VariableType } from '../../definition/types.ts';
import type { JsonValue } from '../../expressions/values.ts';

export class VariableError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

function typeOfValue(value: JsonValue): VariableType | 'Null' {
  if (value === null) return 'Null';
  if (typeof value === 'boolean') return 'Boolean';
  if (typeof value === 'string') return 'String';
  if (typeof value === 'number') return Number.isInteger(value) ? 'Integer' : 'Float';
  if (Array.isArray(value)) return 'Array';
  return 'Object';
}

function fits(type: VariableType, value: JsonValue): boolean {
  const actual = typeOfValue(value);
  if (type === 'Float') return actual === 'Float' || actual === 'Integer';
  return actual === type;
}

function mismatch(name: string, type: string, value: JsonValue): VariableError {
  return new VariableError(
    'InvalidVariableValue',
    `The variable '${name}' of type '${type}' cannot be initialized or updated with value of type '${typeOfValue(value)}'. The variable '${name}' only supports values of types '${type}'.`,
  );
}

export type Variables = Map<string, { readonly type: string; value: JsonValue }>;

const EMPTY: Record<VariableType, JsonValue> = {
  Integer: 0,
  Float: 0,
  Boolean: false,
  String: '',
  Array: [],
  Object: {},
};

export function initializeVariable(
  vars: Variables,
  name: string,
  type: VariableType,
  value: JsonValue | undefined,
): JsonValue {
  const key = name.toLowerCase();
  if (vars.has(key))
    throw new VariableError('InvalidVariable', `The variable '${name}' has already been initialized.`);
  const v = value === undefined ? EMPTY[type] : value;
  if (!fits(type, v)) throw mismatch(name, type, v);
  vars.set(key, { type, value: v });
  return v;
}

function existing(vars: Variables, name: string) {
  const v = vars.get(name.toLowerCase());
  if (!v)
    throw new VariableError(
      'InvalidVariable',
      `The variable '${name}' is not initialized. Add an InitializeVariable action for it at the top level of the workflow, before this one.`,
    );
  return v;
}

export function setVariable(vars: Variables, name: string, value: JsonValue): JsonValue {
  const v = existing(vars, name);
  if (!fits(v.type as VariableType, value)) throw mismatch(name, v.type, value);
  v.value = value;
  return value;
}

/** Adds `by` (default 1) at once: two iterations of a parallel loop never lose an increment. */
export function incrementVariable(vars: Variables, name: string, by: JsonValue | undefined): JsonValue {
  const v = existing(vars, name);
  if (v.type !== 'Integer' && v.type !== 'Float')
    throw new VariableError(
      'InvalidVariable',
      `The variable '${name}' of type '${v.type}' cannot be incremented; only Integer and Float variables can.`,
    );
  const step = by === undefined ? 1 : by;
  if (typeof step !== 'number' || (v.type === 'Integer' && !Number.isInteger(step)))
    throw mismatch(name, v.type, step);
  v.value = (v.value as number) + step;
  return v.value;
}

export function appendToArrayVariable(vars: Variables, name: string, value: JsonValue): JsonValue {
  const v = existing(vars, name);
  if (v.type !== 'Array')
    throw new VariableError(
      'InvalidVariable',
      `The variable '${name}' of type '${v.type}' cannot be appended to; only Array variables can.`,
    );
  v.value = [...(v.value as JsonValue[]), value];
  return v.value;
}
