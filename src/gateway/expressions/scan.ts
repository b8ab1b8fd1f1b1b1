/**
 * @module gateway/expressions/scan
 * Finding where a policy expression ends, in raw policy text, before any XML parsing. API Management accepts
 * expressions that are not well-formed XML (`condition="@(x == "POST")"`, `@{ if (a && b) … }` in element
 * text), so the loader cuts each one out with `expressionEnd`, parses the XML, and puts them back.
 *
 * The scan balances `()`, `{}` and `[]` and skips everything whose brackets do not count: C# string literals
 * (regular with `\` escapes, verbatim `@"…"` with `""`, interpolated `$"…{hole}…"` whose holes are scanned as
 * code, raw-ish combinations `$@"…"` / `@$"…"`), char literals (`'x'`, `'\''`) and comments. It never looks
 * at XML: a `"` inside the expression belongs to C#, which is the point.
 */
import { PolicyExpressionError } from './errors.ts';
import { positionAt, type SourcePosition } from './position.ts';

const CLOSER: Record<string, string> = { '(': ')', '{': '}', '[': ']' };

class Unclosed extends Error {
  readonly offset: number;
  readonly what: string;
  constructor(what: string, offset: number) {
    super(what);
    this.what = what;
    this.offset = offset;
  }
}

/**
 * Index just past the end of the expression starting at `text[start]` (`@(` or `@{`). Throws
 * `PolicyExpressionError` (positioned from `origin`, the position of `text[0]`, line 1 column 1 by default)
 * when the expression is not closed or its brackets do not match.
 */
export function expressionEnd(
  text: string,
  start: number,
  origin: SourcePosition = { line: 1, column: 1 },
): number {
  const open = text[start + 1];
  if (text[start] !== '@' || (open !== '(' && open !== '{')) {
    throw new PolicyExpressionError(
      'an expression starts with @( or @{',
      text.slice(start, start + 20),
      positionAt(origin, text, start),
      undefined,
      start,
    );
  }
  try {
    return scanCode(text, start + 1, true);
  } catch (e) {
    if (!(e instanceof Unclosed)) throw e;
    throw new PolicyExpressionError(
      `${e.what} (at ${formatRelative(text, start, e.offset)})`,
      text.slice(start, Math.min(text.length, start + 120)),
      positionAt(origin, text, start),
      'Close every bracket and string of the expression; a ")" or "}" inside a C# string does not count.',
      start,
    );
  }
}

function formatRelative(text: string, start: number, offset: number): string {
  const p = positionAt({ line: 1, column: 1 }, text, offset);
  const s = positionAt({ line: 1, column: 1 }, text, start);
  return p.line === s.line
    ? `column +${p.column - s.column}`
    : `line +${p.line - s.line}, column ${p.column}`;
}

/**
 * Scans code from the bracket at `text[i]` to just past its partner. `outer` is the expression itself (an
 * interpolation hole is scanned the same way, starting at its `{`).
 */
function scanCode(text: string, i: number, outer: boolean): number {
  const stack: string[] = [];
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '(' || c === '{' || c === '[') {
      stack.push(CLOSER[c]!);
      i++;
    } else if (c === ')' || c === '}' || c === ']') {
      const want = stack.pop();
      if (want !== c) {
        throw new Unclosed(
          want === undefined ? `unexpected "${c}"` : `"${c}" where "${want}" closes the bracket`,
          i,
        );
      }
      i++;
      if (stack.length === 0) return i;
    } else if (c === '"') {
      i = skipString(text, i + 1, false, false);
    } else if (c === '@' && text[i + 1] === '"') {
      i = skipString(text, i + 2, true, false);
    } else if (c === '$' && text[i + 1] === '"') {
      i = skipString(text, i + 2, false, true);
    } else if ((c === '$' && text[i + 1] === '@') || (c === '@' && text[i + 1] === '$')) {
      if (text[i + 2] === '"') i = skipString(text, i + 3, true, true);
      else i++;
    } else if (c === "'") {
      i = skipChar(text, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      const nl = text.indexOf('\n', i);
      if (nl < 0) throw new Unclosed('a // comment runs to the end of the text', i);
      i = nl + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) throw new Unclosed('a /* comment is not closed', i);
      i = close + 2;
    } else {
      i++;
    }
  }
  throw new Unclosed(outer ? 'the expression is not closed' : 'an interpolation hole is not closed', n);
}

/** From just after the opening quote to just past the closing one. */
function skipString(text: string, i: number, verbatim: boolean, interpolated: boolean): number {
  const from = i - 1;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '"') {
      if (verbatim && text[i + 1] === '"') {
        i += 2;
        continue;
      }
      return i + 1;
    }
    if (c === '\\' && !verbatim) {
      i += 2;
      continue;
    }
    if (interpolated && c === '{') {
      if (text[i + 1] === '{') {
        i += 2;
        continue;
      }
      i = scanCode(text, i, false);
      continue;
    }
    if (c === '\n' && !verbatim) throw new Unclosed('a string literal is not closed on its line', from);
    i++;
  }
  throw new Unclosed('a string literal is not closed', from);
}

function skipChar(text: string, i: number): number {
  const from = i - 1;
  // A char literal is short: at most an escape like '\u0041' or '\U0001F600'. Anything longer is an error
  // here rather than a scan to some far-away quote.
  const limit = Math.min(text.length, i + 12);
  while (i < limit) {
    const c = text[i]!;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === "'") return i + 1;
    if (c === '\n') break;
    i++;
  }
  throw new Unclosed('a char literal is not closed', from);
}
