/**
 * @module flows/expressions/lexer
 * The tokens of the workflow expression language, read one at a time from a position in the JSON string the
 * expression sits in, so every offset is one a person can count in their definition. Token kinds carry
 * Azure's names because its parse errors print them ("expected token 'LeftParenthesis' and actual
 * 'Identifier'"). Literals are decoded here: `'it''s'` is `it's`; `1`, `-51`, `+54` are integers; `0.5`,
 * `.3`, `+.5`, `1.`, `3e1` are floats.
 */
import { ExpressionSyntaxError } from './errors.ts';

export type TokenKind =
  | 'Identifier'
  | 'StringLiteral'
  | 'IntegerLiteral'
  | 'FloatLiteral'
  | 'LeftParenthesis'
  | 'RightParenthesis'
  | 'LeftSquareBracket'
  | 'RightSquareBracket'
  | 'RightCurlyBracket'
  | 'Comma'
  | 'Dot'
  | 'QuestionMark'
  | 'EndOfData';

export interface Token {
  kind: TokenKind;
  /** Offset of the token's first character in the text. */
  start: number;
  /** Offset just past it. */
  end: number;
  /** The identifier as written, or the decoded string. */
  text: string;
  /** The value of a number literal. */
  number: number;
}

const PUNCTUATION: Record<string, TokenKind> = {
  '(': 'LeftParenthesis',
  ')': 'RightParenthesis',
  '[': 'LeftSquareBracket',
  ']': 'RightSquareBracket',
  '}': 'RightCurlyBracket',
  ',': 'Comma',
  '.': 'Dot',
  '?': 'QuestionMark',
};

const LETTER = /\p{L}/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isIdentifierStart(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f) return true;
  return c > 0x7f && LETTER.test(ch);
}

function isIdentifierPart(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || isDigit(c)) return true;
  return c > 0x7f && LETTER_OR_DIGIT.test(ch);
}

/** The scanner's complaint about one character, as Azure words it. */
export function unexpectedCharacter(text: string, position: number): ExpressionSyntaxError {
  return new ExpressionSyntaxError(
    `the string character '${text[position]}' at position '${position}' is not expected.`,
    text,
    position,
  );
}

export class Lexer {
  readonly text: string;
  private pos: number;

  constructor(text: string, start: number) {
    this.text = text;
    this.pos = start;
  }

  /** Where the next token would start scanning. */
  get position(): number {
    return this.pos;
  }

  next(): Token {
    const text = this.text;
    let c = text.charCodeAt(this.pos);
    while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = text.charCodeAt(++this.pos);
    const start = this.pos;
    if (start >= text.length) return { kind: 'EndOfData', start, end: start, text: '', number: 0 };
    const ch = text[start]!;
    // `.3` is a number (Azure's own example: `sub(10.3, .3)`); a name after a dot never starts with a digit
    if (ch === '.' && isDigit(text.charCodeAt(start + 1))) return this.number(start);
    const punctuation = PUNCTUATION[ch];
    if (punctuation !== undefined) {
      this.pos++;
      return { kind: punctuation, start, end: this.pos, text: ch, number: 0 };
    }
    if (ch === "'") return this.string(start);
    if (isDigit(c) || ch === '-' || ch === '+') return this.number(start);
    if (isIdentifierStart(ch)) {
      let end = start + 1;
      while (end < text.length && isIdentifierPart(text[end]!)) end++;
      this.pos = end;
      return { kind: 'Identifier', start, end, text: text.slice(start, end), number: 0 };
    }
    throw unexpectedCharacter(text, start);
  }

  private string(start: number): Token {
    const text = this.text;
    let value = '';
    let from = start + 1;
    for (;;) {
      const quote = text.indexOf("'", from);
      if (quote < 0) {
        throw new ExpressionSyntaxError(
          `the string literal starting at position '${start}' is not terminated.`,
          text,
          start,
        );
      }
      value += text.slice(from, quote);
      if (text.charCodeAt(quote + 1) === 0x27) {
        value += "'";
        from = quote + 2;
      } else {
        this.pos = quote + 1;
        return { kind: 'StringLiteral', start, end: this.pos, text: value, number: 0 };
      }
    }
  }

  private number(start: number): Token {
    const text = this.text;
    let i = start;
    if (text[i] === '-' || text[i] === '+') i++;
    const intStart = i;
    while (isDigit(text.charCodeAt(i))) i++;
    let digits = i - intStart;
    let float = false;
    if (text[i] === '.') {
      float = true;
      i++;
      const fracStart = i;
      while (isDigit(text.charCodeAt(i))) i++;
      digits += i - fracStart;
    }
    if (digits === 0) throw this.badNumber(start, i);
    if (text[i] === 'e' || text[i] === 'E') {
      float = true;
      i++;
      if (text[i] === '-' || text[i] === '+') i++;
      const expStart = i;
      while (isDigit(text.charCodeAt(i))) i++;
      if (i === expStart) throw this.badNumber(start, i);
    }
    const literal = text.slice(start, i);
    const value = Number(literal.endsWith('.') ? `${literal}0` : literal);
    if (!float && !Number.isSafeInteger(value)) {
      throw new ExpressionSyntaxError(
        `the integer literal '${literal}' at position '${start}' is outside the range Lanyard represents exactly (±9007199254740991).`,
        text,
        start,
      );
    }
    this.pos = i;
    return { kind: float ? 'FloatLiteral' : 'IntegerLiteral', start, end: i, text: literal, number: value };
  }

  private badNumber(start: number, at: number): ExpressionSyntaxError {
    if (at < this.text.length) return unexpectedCharacter(this.text, at);
    return new ExpressionSyntaxError(
      `the number literal '${this.text.slice(start, at)}' at position '${start}' is not complete.`,
      this.text,
      start,
    );
  }
}
