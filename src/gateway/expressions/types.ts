/**
 * @module gateway/expressions/types
 * Static types, by C# name. The compiler gives every expression a type, as C# does, so a member that does not
 * exist, a call with the wrong arguments, or `"a" == 1` is refused when the policy loads instead of on some
 * request later. Where C# itself only knows `object` (`context.Variables["x"]`), the cast or comparison is
 * checked when it runs.
 */
import { Jwt } from './jwt.ts';
import { DateTimeValue, GuidValue, TimeSpanValue } from './values.ts';

export type TypeName = string;

/** Spellings of the same type (`String`, `System.String`, `Int32`…) → the one name used here. */
const ALIASES: Record<string, TypeName> = {
  String: 'string',
  'System.String': 'string',
  Int32: 'int',
  'System.Int32': 'int',
  Boolean: 'bool',
  'System.Boolean': 'bool',
  Double: 'double',
  'System.Double': 'double',
  Object: 'object',
  'System.Object': 'object',
  Char: 'char',
  'System.Char': 'char',
  'System.DateTime': 'DateTime',
  'System.TimeSpan': 'TimeSpan',
  'System.Guid': 'Guid',
  'IEnumerable<String>': 'IEnumerable<string>',
};

/** Types a policy may name (declarations, casts, `as`, `is`, type arguments). */
const NAMEABLE = new Set([
  'string',
  'int',
  'double',
  'bool',
  'char',
  'object',
  'Jwt',
  'DateTime',
  'TimeSpan',
  'Guid',
  'byte[]',
  'string[]',
  'int[]',
  'IEnumerable<string>',
  'IEnumerable<int>',
]);

const VALUE_TYPES = new Set([
  'int',
  'double',
  'bool',
  'char',
  'DateTime',
  'TimeSpan',
  'Guid',
  'StringComparison',
  'StringSplitOptions',
]);

/** The canonical name of a written type, or undefined when policies cannot use it. */
export function resolveTypeName(written: string): TypeName | undefined {
  let name = written.replace(/\s+/g, '');
  const nullable = name.endsWith('?');
  if (nullable) name = name.slice(0, -1);
  let suffix = '';
  while (name.endsWith('[]')) {
    suffix += '[]';
    name = name.slice(0, -2);
  }
  if (Object.hasOwn(ALIASES, name)) name = ALIASES[name]!;
  const full = name + suffix;
  if (!NAMEABLE.has(full)) return undefined;
  if (nullable) return VALUE_TYPES.has(full) ? `${full}?` : full;
  return full;
}

export const isNullableValue = (t: TypeName): boolean => t.endsWith('?');
export const underlying = (t: TypeName): TypeName => (t.endsWith('?') ? t.slice(0, -1) : t);
export const isValueType = (t: TypeName): boolean => VALUE_TYPES.has(t);
/** `T?` for a value type (what `a?.b` yields when `b` is an int), `T` otherwise. */
export const liftNullable = (t: TypeName): TypeName => (VALUE_TYPES.has(t) ? `${t}?` : t);
export const isNumeric = (t: TypeName): boolean => ['int', 'double', 'char'].includes(underlying(t));

/** Whether null is a value of `t`. */
export function acceptsNull(t: TypeName): boolean {
  return !VALUE_TYPES.has(t) && t !== 'void';
}

/** The element type of an array or sequence, or undefined. */
export function elementOf(t: TypeName): TypeName | undefined {
  if (t === 'byte[]') return 'int';
  if (t.endsWith('[]')) return t.slice(0, -2);
  const m = /^IEnumerable<(.+)>$/.exec(t);
  return m?.[1];
}

/** C#'s implicit conversions that matter here. */
export function isAssignable(from: TypeName, to: TypeName): boolean {
  if (from === to || to === 'object') return true;
  if (from === 'null') return acceptsNull(to);
  if (to.endsWith('?')) return isAssignable(from, to.slice(0, -1));
  if (from === 'int' && to === 'double') return true;
  if (from === 'char' && (to === 'int' || to === 'double')) return true;
  const fromElement = elementOf(from);
  if (fromElement !== undefined && from !== 'byte[]' && to === `IEnumerable<${fromElement}>`) return true;
  return false;
}

/** Whether a value of static type `from` could be of type `to` at run time (so a cast may succeed). */
export function isCastable(from: TypeName, to: TypeName): boolean {
  if (isAssignable(from, to) || from === 'object') return true;
  const f = underlying(from);
  const t = underlying(to);
  if (isNumeric(f) && isNumeric(t)) return true;
  if (f === t) return true;
  return from.startsWith('IEnumerable<') && to.endsWith('[]') && elementOf(from) === elementOf(to);
}

/** The run-time test behind casts, `as` and `is` on values typed `object`. */
export function hasRuntimeType(value: unknown, t: TypeName): boolean {
  if (value === null || value === undefined) return false;
  switch (underlying(t)) {
    case 'object':
      return true;
    case 'string':
      return typeof value === 'string';
    case 'char':
      return typeof value === 'string' && value.length === 1;
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2147483648;
    case 'double':
      return typeof value === 'number';
    case 'bool':
      return typeof value === 'boolean';
    case 'Jwt':
      return value instanceof Jwt;
    case 'DateTime':
      return value instanceof DateTimeValue;
    case 'TimeSpan':
      return value instanceof TimeSpanValue;
    case 'Guid':
      return value instanceof GuidValue;
    case 'byte[]':
      return value instanceof Uint8Array;
    case 'string[]':
    case 'IEnumerable<string>':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'int[]':
    case 'IEnumerable<int>':
      return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isInteger(v));
    default:
      return false;
  }
}

/** A value's C# type name for messages (`InvalidCastException: … from System.String`). */
export function runtimeTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double';
  if (typeof value === 'boolean') return 'bool';
  if (value instanceof Jwt) return 'Jwt';
  if (value instanceof DateTimeValue) return 'DateTime';
  if (value instanceof TimeSpanValue) return 'TimeSpan';
  if (value instanceof GuidValue) return 'Guid';
  if (value instanceof Uint8Array) return 'byte[]';
  if (Array.isArray(value)) return 'array';
  return 'object';
}
