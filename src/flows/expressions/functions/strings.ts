/**
 * @module flows/expressions/functions/strings
 * String functions. `replace` and `contains` are case-sensitive; `startsWith`, `endsWith` and `indexOf` are
 * not (Azure's reference says so for each). Case mapping is .NET's invariant one: a character whose mapping
 * would change the string's length (`ß` → `SS`, `İ` → `i̇`) is left as it is, so indexes found on the folded
 * text are indexes in the original. `substring` refuses a range past the end instead of clamping it.
 */

import { toText } from '../values.ts';
import { checkLength, fail, integerArg, MAX_STRING_LENGTH, optionalStringArg, stringArg } from './args.ts';
import type { FunctionDef } from './types.ts';

function mapCase(text: string, map: (s: string) => string): string {
  const mapped = map(text);
  if (mapped.length === text.length) return mapped;
  let out = '';
  for (const ch of text) {
    const m = map(ch);
    out += m.length === ch.length ? m : ch;
  }
  return out;
}

const lower = (s: string) => s.toLowerCase();
const upper = (s: string) => s.toUpperCase();

/** The text compared without regard to case, of the same length as `text`. */
export function foldCase(text: string): string {
  return mapCase(text, lower);
}

const concat: FunctionDef = {
  name: 'concat',
  min: 1,
  max: Number.POSITIVE_INFINITY,
  call(args) {
    let out = '';
    for (const arg of args) {
      const text = toText(arg);
      if (out.length + text.length > MAX_STRING_LENGTH) checkLength(concat, out + text);
      out += text;
    }
    return out;
  },
};

const split: FunctionDef = {
  name: 'split',
  min: 2,
  max: 2,
  call(args) {
    const text = stringArg(split, args, 0);
    const delimiter = stringArg(split, args, 1);
    return delimiter === '' ? [text] : text.split(delimiter);
  },
};

const substring: FunctionDef = {
  name: 'substring',
  min: 2,
  max: 3,
  call(args) {
    const text = stringArg(substring, args, 0);
    const start = integerArg(substring, args, 1);
    const length = args.length > 2 ? integerArg(substring, args, 2) : text.length - start;
    if (start < 0 || length < 0 || start + length > text.length) {
      throw fail(
        substring,
        "parameters are out of range: 'start index' and 'length' must be non-negative integers and their sum must be no larger than the length of the string.",
      );
    }
    return text.slice(start, start + length);
  },
};

const replace: FunctionDef = {
  name: 'replace',
  min: 3,
  max: 3,
  call(args) {
    const text = stringArg(replace, args, 0);
    const old = stringArg(replace, args, 1);
    const by = stringArg(replace, args, 2);
    if (old === '') throw fail(replace, 'expects its second parameter to be a non-empty string.');
    return checkLength(replace, text.split(old).join(by));
  },
};

const startsWith: FunctionDef = {
  name: 'startsWith',
  min: 2,
  max: 2,
  call: (args) =>
    foldCase(stringArg(startsWith, args, 0)).startsWith(foldCase(stringArg(startsWith, args, 1))),
};

const endsWith: FunctionDef = {
  name: 'endsWith',
  min: 2,
  max: 2,
  call: (args) => foldCase(stringArg(endsWith, args, 0)).endsWith(foldCase(stringArg(endsWith, args, 1))),
};

const indexOf: FunctionDef = {
  name: 'indexOf',
  min: 2,
  max: 2,
  call: (args) => foldCase(stringArg(indexOf, args, 0)).indexOf(foldCase(stringArg(indexOf, args, 1))),
};

const toLower: FunctionDef = {
  name: 'toLower',
  min: 1,
  max: 1,
  call: (args) => mapCase(stringArg(toLower, args, 0), lower),
};

const toUpper: FunctionDef = {
  name: 'toUpper',
  min: 1,
  max: 1,
  call: (args) => mapCase(stringArg(toUpper, args, 0), upper),
};

const GUID_FORMATS = new Set(['n', 'd', 'b', 'p', 'x']);

function formatGuid(d: string, format: string): string {
  switch (format) {
    case 'n':
      return d.replaceAll('-', '');
    case 'b':
      return `{${d}}`;
    case 'p':
      return `(${d})`;
    case 'x': {
      const h = d.replaceAll('-', '');
      const bytes = h
        .slice(16)
        .match(/../g)!
        .map((b) => `0x${b}`);
      return `{0x${h.slice(0, 8)},0x${h.slice(8, 12)},0x${h.slice(12, 16)},{${bytes.join(',')}}}`;
    }
    default:
      return d;
  }
}

const guidProblem = (format: string) =>
  `expects its parameter to be one of the format specifiers 'N', 'D', 'B', 'P' or 'X'; '${format}' is not one.`;

const guid: FunctionDef = {
  name: 'guid',
  min: 0,
  max: 1,
  call(args, env) {
    const given = optionalStringArg(guid, args, 0) ?? 'D';
    const format = given.toLowerCase();
    if (!GUID_FORMATS.has(format)) throw fail(guid, guidProblem(given));
    return formatGuid(env.ctx.newGuid().toLowerCase(), format);
  },
  checkLiteral: (_index, value) =>
    typeof value === 'string' && value !== '' && !GUID_FORMATS.has(value.toLowerCase())
      ? `The template language function 'guid' ${guidProblem(value)}`
      : undefined,
};

export const STRING_FUNCTIONS: readonly FunctionDef[] = [
  concat,
  toLower,
  toUpper,
  split,
  substring,
  replace,
  startsWith,
  endsWith,
  indexOf,
  guid,
];
