/**
 * @module flows/expressions/functions/conversion
 * Converting between types: `string` (the rules interpolation uses), `int`, `float`, `bool`, `json`, and
 * `createArray`. Numbers are read in invariant culture; `int` accepts thousands separators and a zero
 * fraction (`'1,000'`, `'1.0'`) as .NET's number parsing does, and refuses anything it would have to round.
 */
import { FloatNumber, floatResult, type JsonValue, toJson, toText } from '../values.ts';
import { checkLength, conversionError, fail } from './args.ts';
import type { FunctionDef } from './types.ts';

const INTEGER_TEXT = /^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.0*)?$/;
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const string: FunctionDef = {
  name: 'string',
  min: 1,
  max: 1,
  call: (args) => checkLength(string, toText(args[0]!)),
};

const int: FunctionDef = {
  name: 'int',
  min: 1,
  max: 1,
  call(args) {
    const v = args[0]!;
    let n: number;
    if (typeof v === 'number') n = v;
    else if (v instanceof FloatNumber) n = v.value;
    else if (typeof v === 'string' && INTEGER_TEXT.test(v.trim())) n = Number(v.trim().replaceAll(',', ''));
    else throw conversionError(int);
    if (!Number.isSafeInteger(n)) throw conversionError(int);
    return n === 0 ? 0 : n;
  },
};

const float: FunctionDef = {
  name: 'float',
  min: 1,
  max: 1,
  call(args) {
    const v = args[0]!;
    let n: number;
    if (typeof v === 'number') n = v;
    else if (v instanceof FloatNumber) n = v.value;
    else if (typeof v === 'string' && FLOAT_TEXT.test(v.trim())) n = Number(v.trim());
    else throw conversionError(float);
    if (!Number.isFinite(n)) throw conversionError(float);
    return floatResult(n);
  },
};

const bool: FunctionDef = {
  name: 'bool',
  min: 1,
  max: 1,
  call(args) {
    const v = args[0]!;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    if (v instanceof FloatNumber) return v.value !== 0;
    if (typeof v === 'string') {
      const text = v.trim().toLowerCase();
      if (text === 'true') return true;
      if (text === 'false') return false;
    }
    throw conversionError(bool);
  },
};

const json: FunctionDef = {
  name: 'json',
  min: 1,
  max: 1,
  call(args) {
    const v = args[0]!;
    if (v === null) return {};
    if (typeof v !== 'string') return toJson(v);
    try {
      return JSON.parse(v) as JsonValue;
    } catch (e) {
      throw fail(json, `parameter is not valid JSON: ${(e as Error).message}.`);
    }
  },
};

export const CONVERSION_FUNCTIONS: readonly FunctionDef[] = [
  string,
  int,
  float,
  bool,
  json,
  { name: 'createArray', min: 1, max: Number.POSITIVE_INFINITY, call: (args) => args.map(toJson) },
];
