/**
 * @module gateway/expressions/lexer
 * C# tokens, as far as policy expressions need them. Offsets are relative to the expression's own source
 * (the `@` is offset 0) so every error can be placed in the policy file. Literals are decoded here, with C#'s
 * rules: an unknown escape, an int literal beyond Int32, or a `long`/`decimal`/`float` suffix is refused
 * rather than read as something close to it.
 */
import { SyntaxFault } from './faults.ts';

export type TokenKind =
  | 'ident'
  | 'keyword'
  | 'int'
  | 'double'
  | 'string'
  | 'char'
  | 'interp'
  | 'punct'
  | 'eof';

/** A piece of an interpolated string: literal text, or a hole's code (`start` is its offset in the source). */
export type InterpolationPart = { text: string } | { code: string; start: number };

export interface Token {
  kind: TokenKind;
  /** The identifier, keyword or punctuator; the decoded string or char; the number's text. */
  value: string;
  start: number;
  end: number;
  parts?: InterpolationPart[];
}

/** Every C# keyword: a keyword is never an identifier, so `typeof`, `new` or `class` reach the parser as such. */
const KEYWORDS = new Set(
  (
    'abstract as base bool break byte case catch char checked class const continue decimal default delegate do ' +
    'double else enum event explicit extern false finally fixed float for foreach goto if implicit in int ' +
    'interface internal is lock long namespace new null object operator out override params private protected ' +
    'public readonly ref return sbyte sealed short sizeof stackalloc static string struct switch this throw ' +
    'true try typeof uint ulong unchecked unsafe ushort using virtual void volatile while var'
  ).split(' '),
);

/** Longest first, so `??` wins over `?` and `=>` over `=`. */
const PUNCTUATORS = [
  '<<=',
  '>>=',
  '??=',
  '...',
  '?.',
  '??',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '=>',
  '++',
  '--',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '<<',
  '->',
  '::',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  '.',
  ',',
  ';',
  ':',
  '?',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '!',
  '=',
  '&',
  '|',
  '^',
  '~',
];

const isIdentStart = (c: string) => /[A-Za-z_]/.test(c) || (c > '\x7f' && /\p{L}/u.test(c));
const isIdentPart = (c: string) => /[A-Za-z0-9_]/.test(c) || (c > '\x7f' && /[\p{L}\p{N}]/u.test(c));

export function tokenize(source: string, from: number, to: number): Token[] {
  const tokens: Token[] = [];
  let i = from;
  while (true) {
    // whitespace and comments
    while (i < to) {
      const c = source[i]!;
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v') i++;
      else if (c === '/' && source[i + 1] === '/') {
        while (i < to && source[i] !== '\n') i++;
      } else if (c === '/' && source[i + 1] === '*') {
        const close = source.indexOf('*/', i + 2);
        if (close < 0 || close + 2 > to) throw new SyntaxFault('a /* comment is not closed', i);
        i = close + 2;
      } else break;
    }
    if (i >= to) {
      tokens.push({ kind: 'eof', value: '', start: to, end: to });
      return tokens;
    }
    const start = i;
    const c = source[i]!;
    const next = source[i + 1];
    if (isIdentStart(c) || (c === '@' && next !== undefined && isIdentStart(next))) {
      const verbatim = c === '@';
      if (verbatim) i++;
      while (i < to && isIdentPart(source[i]!)) i++;
      const word = source.slice(verbatim ? start + 1 : start, i);
      tokens.push({
        kind: !verbatim && KEYWORDS.has(word) ? 'keyword' : 'ident',
        value: word,
        start,
        end: i,
      });
    } else if (/[0-9]/.test(c) || (c === '.' && next !== undefined && /[0-9]/.test(next))) {
      i = number(source, i, to, tokens);
    } else if (c === '"' || (c === '@' && next === '"')) {
      const verbatim = c === '@';
      const r = readString(source, verbatim ? i + 2 : i + 1, to, verbatim, false, start);
      tokens.push({ kind: 'string', value: r.text, start, end: r.end });
      i = r.end;
    } else if (
      (c === '$' && next === '"') ||
      (c === '$' && next === '@' && source[i + 2] === '"') ||
      (c === '@' && next === '$' && source[i + 2] === '"')
    ) {
      const verbatim = next === '@' || c === '@';
      const r = readString(source, i + (verbatim ? 3 : 2), to, verbatim, true, start);
      tokens.push({ kind: 'interp', value: '', start, end: r.end, parts: r.parts });
      i = r.end;
    } else if (c === "'") {
      i = charLiteral(source, i, to, tokens);
    } else {
      const p = PUNCTUATORS.find((p) => source.startsWith(p, i) && i + p.length <= to);
      if (p === undefined) throw new SyntaxFault(`unexpected character ${JSON.stringify(c)}`, i);
      i += p.length;
      tokens.push({ kind: 'punct', value: p, start, end: i });
    }
  }
}

function number(source: string, i: number, to: number, tokens: Token[]): number {
  const start = i;
  const hex = /^0[xX][0-9A-Fa-f_]+/.exec(source.slice(i, to));
  let text: string;
  let isDouble = false;
  if (hex) {
    text = hex[0];
    i += text.length;
  } else {
    const m = /^[0-9_]*(\.[0-9][0-9_]*)?([eE][+-]?[0-9]+)?/.exec(source.slice(i, to))!;
    text = m[0];
    isDouble = m[1] !== undefined || m[2] !== undefined;
    i += text.length;
  }
  const suffix = /^[A-Za-z]+/.exec(source.slice(i, to))?.[0] ?? '';
  i += suffix.length;
  const s = suffix.toLowerCase();
  if (s === 'd') isDouble = true;
  else if (s !== '') {
    const what =
      s === 'm' ? 'decimal' : s === 'f' ? 'float' : s.includes('l') || s.includes('u') ? 'long/unsigned' : '';
    throw new SyntaxFault(
      what ? `${what} literals are not supported (int and double only)` : `invalid number suffix "${suffix}"`,
      start,
    );
  }
  const digits = text.replaceAll('_', '');
  if (isDouble) {
    tokens.push({ kind: 'double', value: digits, start, end: i });
  } else {
    const n = Number(digits);
    if (!Number.isSafeInteger(n) || n > 2147483647) {
      throw new SyntaxFault(`integer literal ${text} is out of range for int (long is not supported)`, start);
    }
    tokens.push({ kind: 'int', value: String(n), start, end: i });
  }
  return i;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "'": "'",
  '"': '"',
  '\\': '\\',
  '0': '\0',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** Decodes the escape at `source[i]` (the backslash); returns the text and the index after it. */
function decodeEscape(source: string, i: number, to: number): { text: string; end: number } {
  const e = source[i + 1];
  if (e === undefined || i + 1 >= to) throw new SyntaxFault('an escape sequence is cut short', i);
  if (Object.hasOwn(SIMPLE_ESCAPES, e)) return { text: SIMPLE_ESCAPES[e]!, end: i + 2 };
  if (e === 'u' || e === 'U' || e === 'x') {
    const m = (e === 'x' ? /^[0-9A-Fa-f]{1,4}/ : e === 'u' ? /^[0-9A-Fa-f]{4}/ : /^[0-9A-Fa-f]{8}/).exec(
      source.slice(i + 2, to),
    );
    if (!m) throw new SyntaxFault(`invalid \\${e} escape sequence`, i);
    const code = Number.parseInt(m[0], 16);
    if (code > 0x10ffff) throw new SyntaxFault('invalid \\U escape sequence', i);
    return { text: String.fromCodePoint(code), end: i + 2 + m[0].length };
  }
  throw new SyntaxFault(`unrecognized escape sequence \\${e}`, i);
}

function readString(
  source: string,
  i: number,
  to: number,
  verbatim: boolean,
  interpolated: boolean,
  start: number,
): { text: string; end: number; parts: InterpolationPart[] } {
  const parts: InterpolationPart[] = [];
  let text = '';
  while (i < to) {
    const c = source[i]!;
    if (c === '"') {
      if (verbatim && source[i + 1] === '"') {
        text += '"';
        i += 2;
        continue;
      }
      if (interpolated && text !== '') parts.push({ text });
      return { text, end: i + 1, parts };
    }
    if (c === '\\' && !verbatim) {
      const e = decodeEscape(source, i, to);
      text += e.text;
      i = e.end;
      continue;
    }
    if (interpolated && (c === '{' || c === '}')) {
      if (source[i + 1] === c) {
        text += c;
        i += 2;
        continue;
      }
      if (c === '}') throw new SyntaxFault('a "}" in an interpolated string must be doubled', i);
      const end = holeEnd(source, i, to);
      if (text !== '') parts.push({ text });
      text = '';
      parts.push({ code: source.slice(i + 1, end - 1), start: i + 1 });
      i = end;
      continue;
    }
    if (c === '\n' && !verbatim) break;
    text += c;
    i++;
  }
  throw new SyntaxFault('a string literal is not closed', start);
}

/** The end (just past `}`) of an interpolation hole starting at `source[i]` (`{`). */
function holeEnd(source: string, i: number, to: number): number {
  // Re-use the lexer itself: tokens inside the hole carry their own strings, so a "}" in them never counts.
  let depth = 0;
  let j = i;
  while (j < to) {
    const c = source[j]!;
    if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') {
      depth--;
      if (depth === 0) return j + 1;
    } else if (c === '"' || c === "'" || c === '@' || c === '$') {
      const toks = tokenizeOne(source, j, to);
      j = toks;
      continue;
    }
    j++;
  }
  throw new SyntaxFault('an interpolation hole is not closed', i);
}

/** The end of the one token at `source[j]` (used to step over literals inside holes). */
function tokenizeOne(source: string, j: number, to: number): number {
  const c = source[j]!;
  if (c === "'") {
    const sink: Token[] = [];
    return charLiteral(source, j, to, sink);
  }
  if (c === '"' || (c === '@' && source[j + 1] === '"')) {
    return readString(source, c === '@' ? j + 2 : j + 1, to, c === '@', false, j).end;
  }
  if (c === '$' || c === '@') {
    const verbatim = (c === '$' && source[j + 1] === '@') || (c === '@' && source[j + 1] === '$');
    const q = verbatim ? j + 2 : j + 1;
    if (source[q] === '"') return readString(source, q + 1, to, verbatim, true, j).end;
  }
  return j + 1;
}

function charLiteral(source: string, i: number, to: number, tokens: Token[]): number {
  const start = i;
  let j = i + 1;
  let text: string;
  if (source[j] === '\\') {
    const e = decodeEscape(source, j, to);
    text = e.text;
    j = e.end;
  } else {
    const cp = source.codePointAt(j);
    if (cp === undefined || j >= to || source[j] === "'" || source[j] === '\n') {
      throw new SyntaxFault('empty or unclosed char literal', start);
    }
    text = String.fromCodePoint(cp);
    j += text.length;
  }
  if (source[j] !== "'" || j >= to)
    throw new SyntaxFault('a char literal holds exactly one character', start);
  if (text.length !== 1) throw new SyntaxFault('a char literal holds one UTF-16 code unit', start);
  tokens.push({ kind: 'char', value: text, start, end: j + 1 });
  return j + 1;
}
