/**
 * @module flows/expressions/functions/encoding
 * `base64` (UTF-8 bytes of the value's text), `base64ToString` (and its deprecated name `decodeBase64`), and
 * `uriComponent` (and `encodeUriComponent`), which escapes every character but the unreserved ones of RFC 3986
 * as .NET's `Uri.EscapeDataString` does: JavaScript's `encodeURIComponent` leaves `!'()*` as they are.
 */
import { toText } from '../values.ts';
import { checkLength, conversionError, stringArg } from './args.ts';
import type { FunctionDef } from './types.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const base64: FunctionDef = {
  name: 'base64',
  min: 1,
  max: 1,
  call: (args) => checkLength(base64, Buffer.from(toText(args[0]!), 'utf8').toString('base64')),
};

function base64ToString(name: string): FunctionDef {
  const def: FunctionDef = {
    name,
    min: 1,
    max: 1,
    call(args) {
      // .NET ignores white space in base64 and refuses anything else that is not base64
      const text = stringArg(def, args, 0).replace(/\s+/g, '');
      if (text.length % 4 !== 0 || !BASE64.test(text)) throw conversionError(def);
      return Buffer.from(text, 'base64').toString('utf8');
    },
  };
  return def;
}

function uriComponent(name: string): FunctionDef {
  const def: FunctionDef = {
    name,
    min: 1,
    max: 1,
    call(args) {
      try {
        return encodeURIComponent(toText(args[0]!)).replace(
          /[!'()*]/g,
          (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
        );
      } catch {
        // a lone surrogate has no UTF-8 form
        throw conversionError(def);
      }
    },
  };
  return def;
}

export const ENCODING_FUNCTIONS: readonly FunctionDef[] = [
  base64,
  base64ToString('base64ToString'),
  base64ToString('decodeBase64'),
  uriComponent('uriComponent'),
  uriComponent('encodeUriComponent'),
];
