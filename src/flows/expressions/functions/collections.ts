/**
 * @module flows/expressions/functions/collections
 * Functions over strings, arrays and objects ("collections" in Azure's reference). `contains` looks for a
 * substring, an element (by `equals()`'s rules) or a member name, case-sensitively. `first` and `last` of an
 * empty string or array are null; `empty(null)` is true.
 */
import { isObject, toText, valuesEqual } from '../values.ts';
import { arrayArg, checkLength, MAX_STRING_LENGTH, stringArg, typeError } from './args.ts';
import type { FunctionDef } from './types.ts';

const length: FunctionDef = {
  name: 'length',
  min: 1,
  max: 1,
  call(args) {
    const v = args[0]!;
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    throw typeError(length, 0, 'an array or a string', v);
  },
};

const empty: FunctionDef = {
  name: 'empty',
  min: 1,
  max: 1,
  call(args) {
    const v = args[0]!;
    if (v === null) return true;
    if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
    if (isObject(v)) return Object.keys(v).length === 0;
    throw typeError(empty, 0, 'an object, an array or a string', v);
  },
};

const contains: FunctionDef = {
  name: 'contains',
  min: 2,
  max: 2,
  call(args) {
    const collection = args[0]!;
    const value = args[1]!;
    if (Array.isArray(collection)) return collection.some((element) => valuesEqual(element, value));
    if (typeof collection === 'string') return collection.includes(stringArg(contains, args, 1));
    if (isObject(collection)) return Object.hasOwn(collection, stringArg(contains, args, 1));
    throw typeError(contains, 0, 'a dictionary, an array or a string', collection);
  },
};

const join: FunctionDef = {
  name: 'join',
  min: 2,
  max: 2,
  call(args) {
    const items = arrayArg(join, args, 0);
    const delimiter = stringArg(join, args, 1);
    let out = '';
    for (let i = 0; i < items.length; i++) {
      const text = i === 0 ? toText(items[i]!) : delimiter + toText(items[i]!);
      if (out.length + text.length > MAX_STRING_LENGTH) checkLength(join, out + text);
      out += text;
    }
    return out;
  },
};

function end(name: string, pick: (length: number) => number): FunctionDef {
  const def: FunctionDef = {
    name,
    min: 1,
    max: 1,
    call(args) {
      const v = args[0]!;
      if (typeof v === 'string') return v.length === 0 ? null : v[pick(v.length)]!;
      if (Array.isArray(v)) return v.length === 0 ? null : v[pick(v.length)]!;
      throw typeError(def, 0, 'an array or a string', v);
    },
  };
  return def;
}

export const COLLECTION_FUNCTIONS: readonly FunctionDef[] = [
  length,
  empty,
  contains,
  join,
  end('first', () => 0),
  end('last', (n) => n - 1),
];
