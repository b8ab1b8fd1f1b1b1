/**
 * @module flows/expressions/values
 * The values expressions compute. Outside an expression everything is JSON (`JsonValue`). Inside one, Azure
 * keeps integers and floats apart (`div(11, 5)` is 2, `div(11.0, 5)` is 2.2) while JavaScript has one number
 * type, so a float whose value happens to be whole (`11.0`, `float('5')`, `add(1.5, 1.5)`) travels as a
 * `FloatNumber` until it leaves the expression; every other number is an integer when it is whole and a float
 * when it is not. Also here: `string()`'s conversion rules, `equals()`'s coercions, and property lookup.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A float-typed number with a whole value; only ever a scalar result inside one evaluation. */
export class FloatNumber {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

export type Value = JsonValue | FloatNumber;

/** Azure's type names, as its messages print them ("The provided value is of type 'Null'"). */
export type TypeName = 'Null' | 'Boolean' | 'Integer' | 'Float' | 'String' | 'Array' | 'Object';

export function typeName(v: Value): TypeName {
  if (v === null) return 'Null';
  switch (typeof v) {
    case 'boolean':
      return 'Boolean';
    case 'string':
      return 'String';
    case 'number':
      return Number.isInteger(v) ? 'Integer' : 'Float';
  }
  if (v instanceof FloatNumber) return 'Float';
  return Array.isArray(v) ? 'Array' : 'Object';
}

export function isNumber(v: Value): v is number | FloatNumber {
  return typeof v === 'number' || v instanceof FloatNumber;
}

export function isFloat(v: Value): boolean {
  return v instanceof FloatNumber || (typeof v === 'number' && !Number.isInteger(v));
}

/** The numeric value of a number (boxed or not). */
export function numberValue(v: number | FloatNumber): number {
  return typeof v === 'number' ? v : v.value;
}

/** A float result: boxed when whole, so it stays a float for the next function. */
export function floatResult(n: number): number | FloatNumber {
  return Number.isInteger(n) ? new FloatNumber(n) : n;
}

export function isObject(v: Value): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof FloatNumber);
}

/** A value leaving an expression: the float box, if any, becomes a plain JSON number. */
export function toJson(v: Value): JsonValue {
  return v instanceof FloatNumber ? v.value : v;
}

/**
 * Sets an own property; `__proto__` as a key (it may come from a definition or a parsed body) is defined as
 * data instead of replacing the object's prototype.
 */
export function setOwn(target: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * The property of `obj` named `key`: the exact name first, else the first name equal ignoring case (Azure
 * selects properties case-insensitively; an exact match wins when names differ only in case).
 */
export function findProperty(obj: JsonObject, key: string): JsonValue | undefined {
  if (Object.hasOwn(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  for (const name of Object.keys(obj)) {
    if (name.toLowerCase() === lower) return obj[name];
  }
  return undefined;
}

/** 0.0001 prints plainly and 0.00001 as 1E-05, 1e14 plainly and 1e15 as 1E+15, as .NET's double does. */
export function formatFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return 'Infinity';
  if (n === Number.NEGATIVE_INFINITY) return '-Infinity';
  const abs = Math.abs(n);
  if (abs !== 0 && (abs >= 1e15 || abs < 1e-4)) {
    const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
    const e = Number(exponent);
    return `${mantissa}E${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return String(n === 0 ? 0 : n);
}

/**
 * `string()`'s rules, which interpolation (`@{…}`) and `concat()` use too: null is "", booleans are `True` and
 * `False` (.NET's spelling, which Azure writes), numbers in invariant culture, arrays and objects as compact
 * JSON.
 */
export function toText(v: Value): string {
  if (v === null) return '';
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
      return v ? 'True' : 'False';
    case 'number':
      return Number.isInteger(v) ? String(v) : formatFloat(v);
  }
  if (v instanceof FloatNumber) return formatFloat(v.value);
  return JSON.stringify(v);
}

/**
 * `equals()`: deep equality where null equals "" (Azure converts null to "" in comparisons), a boolean equals
 * a number when the number is non-zero for true and zero for false (`equals(true, 1)`), integers equal floats
 * of the same value, strings compare case-sensitively and object member names exactly.
 */
export function valuesEqual(a: Value, b: Value): boolean {
  const x = a === null ? '' : a instanceof FloatNumber ? a.value : a;
  const y = b === null ? '' : b instanceof FloatNumber ? b.value : b;
  if (typeof x !== 'object' || typeof y !== 'object') {
    if (typeof x === 'boolean' && typeof y === 'number') return x === (y !== 0);
    if (typeof x === 'number' && typeof y === 'boolean') return y === (x !== 0);
    return x === y;
  }
  if (Array.isArray(x) || Array.isArray(y)) {
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!valuesEqual(x[i]!, y[i]!)) return false;
    return true;
  }
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(y, key) || !valuesEqual(x[key]!, y[key]!)) return false;
  }
  return true;
}
