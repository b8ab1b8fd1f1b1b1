/**
 * @module flows/expressions/functions/args
 * Reading a function's arguments with the type checks and messages Azure gives: "The template language
 * function 'join' expects its first parameter to be an array. The provided value is of type 'Null'."
 */
import { ExpressionEvaluationError, usageHint } from '../errors.ts';
import { type FloatNumber, isNumber, type JsonValue, typeName, type Value } from '../values.ts';
import type { FunctionDef } from './types.ts';

/** Azure's limit on the strings `concat`, `join` and interpolation build. */
export const MAX_STRING_LENGTH = 104_857_600;

const ORDINALS = [
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
  'tenth',
];

function ordinal(index: number): string {
  const word = ORDINALS[index];
  if (word !== undefined) return word;
  const n = index + 1;
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** "its parameter" for a one-parameter function, "its second parameter" otherwise. */
export function parameterWord(def: FunctionDef, index: number): string {
  return def.max === 1 ? 'its parameter' : `its ${ordinal(index)} parameter`;
}

export function fail(def: FunctionDef, problem: string): ExpressionEvaluationError {
  return new ExpressionEvaluationError(
    `The template language function '${def.name}' ${problem} ${usageHint(def.name)}`,
  );
}

export function typeError(
  def: FunctionDef,
  index: number,
  expected: string,
  value: Value,
): ExpressionEvaluationError {
  return fail(
    def,
    `expects ${parameterWord(def, index)} to be ${expected}. The provided value is of type '${typeName(value)}'.`,
  );
}

/** Azure's message for a value a conversion function cannot convert. */
export function conversionError(def: FunctionDef): ExpressionEvaluationError {
  return new ExpressionEvaluationError(
    `The template language function '${def.name}' was invoked with a parameter that is not valid. The value cannot be converted to the target type.`,
  );
}

export function stringArg(def: FunctionDef, args: readonly Value[], index: number): string {
  const v = args[index]!;
  if (typeof v !== 'string') throw typeError(def, index, 'a string', v);
  return v;
}

/** An optional string argument (a format): absent, null and "" all mean "the default". */
export function optionalStringArg(
  def: FunctionDef,
  args: readonly Value[],
  index: number,
): string | undefined {
  const v = args[index];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw typeError(def, index, 'a string', v);
  return v;
}

export function integerArg(def: FunctionDef, args: readonly Value[], index: number): number {
  const v = args[index]!;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(def, index, 'an integer', v);
  return v;
}

export function numberArg(def: FunctionDef, args: readonly Value[], index: number): number | FloatNumber {
  const v = args[index]!;
  if (!isNumber(v)) throw typeError(def, index, 'an integer or a float', v);
  return v;
}

export function booleanArg(def: FunctionDef, args: readonly Value[], index: number): boolean {
  const v = args[index]!;
  if (typeof v !== 'boolean') throw typeError(def, index, 'of type boolean', v);
  return v;
}

export function arrayArg(def: FunctionDef, args: readonly Value[], index: number): JsonValue[] {
  const v = args[index]!;
  if (!Array.isArray(v)) throw typeError(def, index, 'an array', v);
  return v;
}

export function checkLength(def: FunctionDef, text: string): string {
  if (text.length > MAX_STRING_LENGTH) {
    throw fail(def, `would return a string of ${text.length} characters; the limit is ${MAX_STRING_LENGTH}.`);
  }
  return text;
}
