/**
 * @module flows/expressions/parser
 * Recursive descent over the lexer's tokens:
 *
 *     expression := primary selector*
 *     primary    := string | integer | float | true | false | null | name '(' [expression {',' expression}] ')'
 *     selector   := '.' name | '?' '.' name | '[' expression ']' | '?' '[' expression ']'
 *
 * There are no operators and no array or object literals (Azure has none: `createArray()`, `json()`). The
 * parser is bounded — expression length, nesting depth, arguments per call — so a definition cannot make
 * compiling it expensive. It knows no function: `compile.ts` checks names and argument counts.
 */
import type { Node } from './ast.ts';
import { ExpressionSyntaxError } from './errors.ts';
import { Lexer, type Token, type TokenKind } from './lexer.ts';
import { FloatNumber } from './values.ts';

export const LIMITS = {
  /** Azure's limit on the characters of one expression. */
  expressionLength: 8192,
  /** Calls and brackets inside one another; Azure publishes no limit, real definitions stay far below. */
  depth: 64,
  /** Arguments of one call. */
  args: 256,
} as const;

export interface ParsedExpression {
  node: Node;
  /** The expression's text as Azure quotes it: without the `@`, or between `@{` and `}`. */
  source: string;
  /** Offset of `source` in the text. */
  start: number;
  /** Offset just past the expression (past the `}` of an interpolation). */
  end: number;
}

class Parser {
  private readonly text: string;
  private readonly lexer: Lexer;
  private token: Token;
  private readonly source: string;

  constructor(text: string, start: number, source: string) {
    this.text = text;
    this.lexer = new Lexer(text, start);
    this.source = source;
    this.token = this.lexer.next();
  }

  get current(): Token {
    return this.token;
  }

  advance(): Token {
    const token = this.token;
    this.token = this.lexer.next();
    return token;
  }

  fail(expected: TokenKind): never {
    throw new ExpressionSyntaxError(
      `Unable to parse template language expression '${this.source}': expected token '${expected}' and actual '${this.token.kind}'.`,
      this.text,
      this.token.start,
      { quoted: true },
    );
  }

  expect(kind: TokenKind): Token {
    if (this.token.kind !== kind) this.fail(kind);
    return this.advance();
  }

  expression(depth: number): Node {
    if (depth > LIMITS.depth) {
      throw new ExpressionSyntaxError(
        `The template language expression '${this.source}' nests calls and selections deeper than ${LIMITS.depth} levels.`,
        this.text,
        this.token.start,
      );
    }
    let node = this.primary(depth);
    for (;;) {
      const kind = this.token.kind;
      if (kind === 'Dot') {
        this.advance();
        node = this.name(node, false);
      } else if (kind === 'LeftSquareBracket') {
        node = this.index(node, false, depth);
      } else if (kind === 'QuestionMark') {
        this.advance();
        if (this.token.kind === 'Dot') {
          this.advance();
          node = this.name(node, true);
        } else if (this.token.kind === 'LeftSquareBracket') {
          node = this.index(node, true, depth);
        } else {
          this.fail('LeftSquareBracket');
        }
      } else {
        return node;
      }
    }
  }

  private name(target: Node, optional: boolean): Node {
    const name = this.expect('Identifier');
    const key: Node = { type: 'literal', value: name.text, start: name.start, end: name.end };
    return { type: 'access', target, key, optional, start: target.start, end: name.end };
  }

  private index(target: Node, optional: boolean, depth: number): Node {
    this.advance();
    const key = this.expression(depth + 1);
    const close = this.expect('RightSquareBracket');
    return { type: 'access', target, key, optional, start: target.start, end: close.end };
  }

  private primary(depth: number): Node {
    const token = this.token;
    switch (token.kind) {
      case 'StringLiteral':
        this.advance();
        return { type: 'literal', value: token.text, start: token.start, end: token.end };
      case 'IntegerLiteral':
        this.advance();
        return { type: 'literal', value: token.number, start: token.start, end: token.end };
      case 'FloatLiteral': {
        this.advance();
        const value = Number.isInteger(token.number) ? new FloatNumber(token.number) : token.number;
        return { type: 'literal', value, start: token.start, end: token.end };
      }
      case 'Identifier':
        break;
      default:
        this.fail('Identifier');
    }
    this.advance();
    // the keywords are lower case; `True()` is a call of an unknown function, refused by the compiler
    if (token.text === 'true' || token.text === 'false' || token.text === 'null') {
      const value = token.text === 'null' ? null : token.text === 'true';
      return { type: 'literal', value, start: token.start, end: token.end };
    }
    this.expect('LeftParenthesis');
    const args: Node[] = [];
    if (this.token.kind !== 'RightParenthesis') {
      for (;;) {
        if (args.length === LIMITS.args) {
          throw new ExpressionSyntaxError(
            `The template language function '${token.text}' is given more than ${LIMITS.args} parameters.`,
            this.text,
            this.token.start,
          );
        }
        args.push(this.expression(depth + 1));
        if (this.token.kind !== 'Comma') break;
        this.advance();
      }
    }
    const close = this.expect('RightParenthesis');
    return {
      type: 'call',
      name: token.text,
      key: token.text.toLowerCase(),
      args,
      start: token.start,
      end: close.end,
    };
  }
}

function checkLength(text: string, source: string, start: number): void {
  if (source.length > LIMITS.expressionLength) {
    throw new ExpressionSyntaxError(
      `The template language expression starting at position '${start}' is ${source.length} characters long; the limit is ${LIMITS.expressionLength}.`,
      text,
      start,
    );
  }
}

/** A whole-value expression: `text` is `@…` and everything after the `@` is one expression. */
export function parseWhole(text: string): ParsedExpression {
  const source = text.slice(1);
  checkLength(text, source, 1);
  const parser = new Parser(text, 1, source);
  const node = parser.expression(1);
  if (parser.current.kind !== 'EndOfData') parser.fail('EndOfData');
  return { node, source, start: 1, end: text.length };
}

/**
 * The interpolation whose `@{` is at `at`: one expression, then `}`. Until it is parsed its end is not known,
 * so messages quote the text up to the next `}`.
 */
export function parseInterpolation(text: string, at: number): ParsedExpression {
  const start = at + 2;
  const brace = text.indexOf('}', start);
  const guess = text.slice(start, brace < 0 ? text.length : brace);
  // the expression reaches at least the first `}`, so a guess over the limit is refused before parsing
  checkLength(text, guess, start);
  const parser = new Parser(text, start, guess);
  const node = parser.expression(1);
  // checked, not consumed: what follows the brace is literal text, not tokens
  if (parser.current.kind !== 'RightCurlyBracket') parser.fail('RightCurlyBracket');
  const close = parser.current;
  const source = text.slice(start, close.start);
  checkLength(text, source, start);
  return { node, source, start, end: close.end };
}
