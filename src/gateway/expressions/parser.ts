/**
 * @module gateway/expressions/parser
 * Recursive descent over the C# subset, with C#'s precedence. It refuses, with the offset, every construct
 * outside the subset (`new` other than an array, `typeof`, loops other than `foreach`, assignments to anything
 * but a local, lambdas outside a call's arguments, …) instead of skipping it, so nothing unknown runs. Nesting is
 * bounded (`maxDepth`) so a policy of ten thousand parentheses is an error, not a stack overflow.
 */
import type { Arg, BinaryOp, Expr, Program, Stmt, TypeRef } from './ast.ts';
import { SyntaxFault } from './faults.ts';
import { type Token, tokenize } from './lexer.ts';

/** C# keywords that name a type; a parenthesised one is always a cast. */
const PREDEFINED_TYPES = new Set([
  'string',
  'int',
  'bool',
  'double',
  'object',
  'char',
  'long',
  'byte',
  'float',
  'decimal',
]);

/** Keywords with a dedicated refusal, so the message says what is not supported rather than "unexpected". */
const REFUSED: Record<string, string> = {
  new: 'creating objects with "new" is not supported (only arrays: new[] { … })',
  typeof: '"typeof" is not supported',
  sizeof: '"sizeof" is not supported',
  default: '"default" is not supported',
  checked: '"checked" is not supported',
  unchecked: '"unchecked" is not supported',
  this: '"this" is not available in policy expressions',
  base: '"base" is not available in policy expressions',
  delegate: 'anonymous methods are not supported',
  stackalloc: '"stackalloc" is not supported',
  while: 'while loops are not supported (foreach over a collection is)',
  do: 'do loops are not supported (foreach over a collection is)',
  for: 'for loops are not supported (foreach over a collection is)',
  switch: '"switch" is not supported (use if/else)',
  try: '"try" is not supported',
  throw: '"throw" is not supported',
  goto: '"goto" is not supported',
  lock: '"lock" is not supported',
  using: '"using" is not supported',
  unsafe: '"unsafe" is not supported',
  fixed: '"fixed" is not supported',
  break: '"break" is not supported',
  continue: '"continue" is not supported',
  ref: '"ref" is not supported',
};

export interface ParseLimits {
  /** Deepest nesting of expressions and statements. */
  maxDepth: number;
}

export function parseProgram(source: string, limits: ParseLimits): Program {
  const kind = source[1];
  if (source[0] !== '@' || (kind !== '(' && kind !== '{')) {
    throw new SyntaxFault('a policy expression starts with @( or @{', 0);
  }
  const close = kind === '(' ? ')' : '}';
  if (source[source.length - 1] !== close) {
    throw new SyntaxFault(`the expression must end with "${close}"`, Math.max(0, source.length - 1));
  }
  const p = new Parser(source, tokenize(source, 2, source.length - 1), limits);
  if (kind === '(') {
    const expr = p.expression();
    p.expectEnd();
    return { kind: 'expression', expr };
  }
  const body: Stmt[] = [];
  while (!p.atEnd()) body.push(p.statement());
  return { kind: 'block', body };
}

class Parser {
  private readonly source: string;
  private readonly tokens: Token[];
  private readonly limits: ParseLimits;
  private pos = 0;
  private depth = 0;

  constructor(source: string, tokens: Token[], limits: ParseLimits) {
    this.source = source;
    this.tokens = tokens;
    this.limits = limits;
  }

  // ---- token helpers ------------------------------------------------------------------------------------

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }
  private is(value: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return (t.kind === 'punct' || t.kind === 'keyword') && t.value === value;
  }
  private accept(value: string): boolean {
    if (!this.is(value)) return false;
    this.next();
    return true;
  }
  private expect(value: string): Token {
    if (!this.is(value)) throw this.unexpected(`expected "${value}"`);
    return this.next();
  }
  private ident(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'ident') throw this.unexpected(`expected ${what}`);
    return this.next();
  }
  atEnd(): boolean {
    return this.peek().kind === 'eof';
  }
  expectEnd(): void {
    if (!this.atEnd()) throw this.unexpected('expected the end of the expression');
  }
  private unexpected(expected: string): SyntaxFault {
    const t = this.peek();
    if (t.kind === 'keyword' && Object.hasOwn(REFUSED, t.value))
      return new SyntaxFault(REFUSED[t.value]!, t.start);
    if (t.kind === 'punct' && /^([+\-*/%&|^]|<<|>>|\?\?)?=$/.test(t.value)) {
      return new SyntaxFault(
        `assignment "${t.value}" is only allowed to a local variable, as a statement`,
        t.start,
      );
    }
    if (t.kind === 'punct' && (t.value === '++' || t.value === '--')) {
      return new SyntaxFault(`"${t.value}" is not supported`, t.start);
    }
    if (t.kind === 'punct' && ['&', '|', '^', '~', '<<'].includes(t.value)) {
      return new SyntaxFault(`bitwise operator "${t.value}" is not supported`, t.start);
    }
    const shown = t.kind === 'eof' ? 'the end' : `"${this.source.slice(t.start, t.end).slice(0, 40)}"`;
    return new SyntaxFault(`${expected}, found ${shown}`, t.start);
  }
  private enter(at: number): void {
    if (++this.depth > this.limits.maxDepth) {
      throw new SyntaxFault(`the expression is nested more than ${this.limits.maxDepth} levels deep`, at);
    }
  }
  private leave(): void {
    this.depth--;
  }

  // ---- statements ---------------------------------------------------------------------------------------

  statement(): Stmt {
    const t = this.peek();
    this.enter(t.start);
    try {
      return this.statementInner(t);
    } finally {
      this.leave();
    }
  }

  private statementInner(t: Token): Stmt {
    if (this.accept('{')) {
      const body: Stmt[] = [];
      while (!this.is('}')) {
        if (this.atEnd()) throw this.unexpected('expected "}"');
        body.push(this.statement());
      }
      this.next();
      return { kind: 'block', start: t.start, body };
    }
    if (this.accept('if')) {
      this.expect('(');
      const test = this.expression();
      this.expect(')');
      const then = this.statement();
      const otherwise = this.accept('else') ? this.statement() : null;
      return { kind: 'if', start: t.start, test, then, otherwise };
    }
    if (this.accept('return')) {
      if (this.is(';')) throw this.unexpected('a policy expression returns a value: expected an expression');
      const value = this.expression();
      this.expect(';');
      return { kind: 'return', start: t.start, value };
    }
    if (this.accept('foreach')) {
      this.expect('(');
      const type = this.accept('var') ? 'var' : this.type();
      const name = this.ident('a loop variable name').value;
      this.expect('in');
      const source = this.expression();
      this.expect(')');
      return { kind: 'foreach', start: t.start, type, name, source, body: this.statement() };
    }
    if (this.accept(';')) return { kind: 'block', start: t.start, body: [] };
    // a declaration: `var x = …;`, `string x;`, `string[] value;`, `Jwt jwt = …;`
    const declared = this.tryDeclaration();
    if (declared) return declared;
    if (t.kind === 'ident' && this.is('=', 1)) {
      this.next();
      this.next();
      const value = this.expression();
      this.expect(';');
      return { kind: 'assign', start: t.start, name: t.value, value };
    }
    const expr = this.expression();
    if (!this.is(';')) throw this.unexpected('expected ";"');
    this.next();
    return { kind: 'expr', start: t.start, expr };
  }

  private tryDeclaration(): Stmt | null {
    const t = this.peek();
    if (t.kind === 'keyword' && t.value === 'var') {
      this.next();
      const name = this.ident('a variable name').value;
      this.expect('=');
      const init = this.expression();
      this.expect(';');
      return { kind: 'declare', start: t.start, type: 'var', name, init };
    }
    if (!(t.kind === 'ident' || (t.kind === 'keyword' && PREDEFINED_TYPES.has(t.value)))) return null;
    const save = this.pos;
    const type = this.tryType(true);
    if (type === null || this.peek().kind !== 'ident' || !(this.is('=', 1) || this.is(';', 1))) {
      this.pos = save;
      return null;
    }
    const name = this.next().value;
    const init = this.accept('=') ? this.expression() : null;
    this.expect(';');
    return { kind: 'declare', start: t.start, type, name, init };
  }

  // ---- types --------------------------------------------------------------------------------------------

  private type(): TypeRef {
    const t = this.tryType();
    if (t === null) throw this.unexpected('expected a type');
    return t;
  }

  /**
   * A type, or null (position restored) when the tokens do not spell one. In a declaration `int? x` the `?`
   * is always part of the type; elsewhere a `?` before an operand is the conditional operator.
   */
  private tryType(declaration = false): TypeRef | null {
    const save = this.pos;
    const start = this.peek().start;
    const first = this.peek();
    let name: string;
    if (first.kind === 'keyword' && PREDEFINED_TYPES.has(first.value)) {
      name = this.next().value;
    } else if (first.kind === 'ident') {
      name = this.next().value;
      while (this.is('.') && this.peek(1).kind === 'ident') {
        this.next();
        name += `.${this.next().value}`;
      }
      if (this.is('<')) {
        this.next();
        const args: string[] = [];
        do {
          const a = this.tryType();
          if (a === null) {
            this.pos = save;
            return null;
          }
          args.push(a.name);
        } while (this.accept(','));
        if (!this.accept('>')) {
          this.pos = save;
          return null;
        }
        name += `<${args.join(',')}>`;
      }
    } else {
      return null;
    }
    if (this.is('?') && (declaration || !this.startsOperand(1))) {
      this.next();
      name += '?';
    }
    while (this.is('[') && this.is(']', 1)) {
      this.next();
      this.next();
      name += '[]';
    }
    return { name, start };
  }

  /** Whether the token `ahead` can begin an operand (to tell `int?` from a `?:` after a name). */
  private startsOperand(ahead: number): boolean {
    const t = this.peek(ahead);
    if (['ident', 'int', 'double', 'string', 'char', 'interp'].includes(t.kind)) return true;
    if (t.kind === 'keyword')
      return ['true', 'false', 'null', 'new', 'typeof', 'string', 'int'].includes(t.value);
    return t.kind === 'punct' && ['(', '!', '-', '+', '@'].includes(t.value);
  }

  // ---- expressions --------------------------------------------------------------------------------------

  expression(): Expr {
    const t = this.peek();
    this.enter(t.start);
    try {
      return this.conditional();
    } finally {
      this.leave();
    }
  }

  private conditional(): Expr {
    const test = this.coalesce();
    if (!this.is('?')) return test;
    this.next();
    const then = this.expression();
    this.expect(':');
    const otherwise = this.expression();
    return { kind: 'conditional', start: test.start, test, then, otherwise };
  }

  private coalesce(): Expr {
    const left = this.binary(0);
    if (!this.is('??')) return left;
    this.next();
    // right-associative: a ?? b ?? c is a ?? (b ?? c)
    const right = this.expression();
    return { kind: 'binary', start: left.start, op: '??', left, right };
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [
    ['||'],
    ['&&'],
    ['==', '!='],
    ['<', '>', '<=', '>=', 'is', 'as'],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private binary(level: number): Expr {
    if (level >= Parser.LEVELS.length) return this.unary();
    const ops = Parser.LEVELS[level]!;
    let left = this.binary(level + 1);
    // a left-associative chain (1 + 1 + 1 …) builds a tree as deep as it is long: bound it like nesting
    let links = 0;
    while (true) {
      const t = this.peek();
      if (!((t.kind === 'punct' || t.kind === 'keyword') && ops.includes(t.value))) return left;
      if (++links + this.depth > this.limits.maxDepth) {
        throw new SyntaxFault(
          `the expression is nested more than ${this.limits.maxDepth} levels deep`,
          t.start,
        );
      }
      this.next();
      if (t.value === 'is') {
        if (this.accept('null')) {
          left = { kind: 'is', start: left.start, operand: left, type: null };
        } else {
          const type = this.type();
          if (this.peek().kind === 'ident') {
            throw new SyntaxFault(
              'declaration patterns ("is T name") are not supported: use "as"',
              this.peek().start,
            );
          }
          left = { kind: 'is', start: left.start, operand: left, type };
        }
      } else if (t.value === 'as') {
        left = { kind: 'as', start: left.start, operand: left, type: this.type() };
      } else {
        this.enter(t.start);
        try {
          const right = this.binary(level + 1);
          // positioned at the operator, where a type error between the operands is reported
          left = { kind: 'binary', start: t.start, op: t.value as BinaryOp, left, right };
        } finally {
          this.leave();
        }
      }
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.kind === 'punct' && (t.value === '!' || t.value === '-' || t.value === '+')) {
      this.next();
      this.enter(t.start);
      try {
        return { kind: 'unary', start: t.start, op: t.value, operand: this.unary() };
      } finally {
        this.leave();
      }
    }
    if (t.kind === 'punct' && t.value === '(') {
      const cast = this.tryCast();
      if (cast) return cast;
    }
    return this.postfix(this.primary());
  }

  /** `(T)x`: a predefined type in parentheses is always a cast; another type only before an operand. */
  private tryCast(): Expr | null {
    const save = this.pos;
    const open = this.next();
    const type = this.tryType();
    if (type === null || !this.is(')')) {
      this.pos = save;
      return null;
    }
    const first = this.tokens[save + 1]!;
    const predefined = first.kind === 'keyword' && PREDEFINED_TYPES.has(first.value);
    const after = this.peek(1);
    const operandFollows =
      ['ident', 'int', 'double', 'string', 'char', 'interp'].includes(after.kind) ||
      (after.kind === 'keyword' && !['is', 'as', 'in'].includes(after.value)) ||
      (after.kind === 'punct' && (after.value === '(' || after.value === '!'));
    if (!predefined && !operandFollows) {
      this.pos = save;
      return null;
    }
    if (
      predefined &&
      !operandFollows &&
      !(after.kind === 'punct' && (after.value === '-' || after.value === '+'))
    ) {
      this.pos = save;
      return null;
    }
    this.next(); // ')'
    this.enter(open.start);
    try {
      return { kind: 'cast', start: open.start, type, operand: this.unary() };
    } finally {
      this.leave();
    }
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'int':
        this.next();
        return { kind: 'literal', start: t.start, type: 'int', value: Number(t.value) };
      case 'double':
        this.next();
        return { kind: 'literal', start: t.start, type: 'double', value: Number(t.value) };
      case 'string':
        this.next();
        return { kind: 'literal', start: t.start, type: 'string', value: t.value };
      case 'char':
        this.next();
        return { kind: 'literal', start: t.start, type: 'char', value: t.value };
      case 'interp':
        this.next();
        return this.interpolated(t);
      case 'ident':
        this.next();
        if (this.is('=>'))
          throw new SyntaxFault('a lambda is only allowed as an argument of a LINQ method', t.start);
        return { kind: 'name', start: t.start, name: t.value };
      case 'keyword':
        if (t.value === 'true' || t.value === 'false') {
          this.next();
          return { kind: 'literal', start: t.start, type: 'bool', value: t.value === 'true' };
        }
        if (t.value === 'null') {
          this.next();
          return { kind: 'literal', start: t.start, type: 'null', value: null };
        }
        if (t.value === 'new') return this.newArray();
        if (PREDEFINED_TYPES.has(t.value)) {
          // `string.IsNullOrEmpty(…)`, `int.Parse(…)`: the keyword names the type's static members
          this.next();
          return { kind: 'name', start: t.start, name: t.value };
        }
        throw this.unexpected('expected an expression');
      case 'punct':
        if (t.value === '(') {
          this.next();
          const inner = this.expression();
          this.expect(')');
          return inner;
        }
        throw this.unexpected('expected an expression');
      default:
        throw this.unexpected('expected an expression');
    }
  }

  /** `new[] { … }` or `new T[] { … }`: the only `new` there is. */
  private newArray(): Expr {
    const t = this.next();
    let elementType: TypeRef | null = null;
    if (!this.is('[')) {
      const save = this.pos;
      const type = this.tryType();
      if (type === null || !type.name.endsWith('[]') || !this.is('{')) {
        this.pos = save;
        throw new SyntaxFault(REFUSED.new!, t.start);
      }
      elementType = { name: type.name.slice(0, -2), start: type.start };
    } else {
      this.next();
      this.expect(']');
    }
    this.expect('{');
    const items: Expr[] = [];
    if (!this.is('}')) {
      do {
        if (this.is('}')) break;
        items.push(this.expression());
      } while (this.accept(','));
    }
    this.expect('}');
    return { kind: 'array', start: t.start, elementType, items };
  }

  private interpolated(t: Token): Expr {
    const parts: (string | Expr)[] = [];
    for (const part of t.parts ?? []) {
      if ('text' in part) {
        parts.push(part.text);
        continue;
      }
      const end = part.start + part.code.length;
      const sub = new Parser(this.source, tokenize(this.source, part.start, end), this.limits);
      sub.depth = this.depth;
      if (sub.atEnd()) throw new SyntaxFault('an interpolation hole is empty', part.start);
      const expr = sub.expression();
      if (sub.is(':') || sub.is(',')) {
        throw new SyntaxFault(
          'format and alignment in interpolation holes are not supported',
          sub.peek().start,
        );
      }
      sub.expectEnd();
      parts.push(expr);
    }
    return { kind: 'interpolated', start: t.start, parts };
  }

  private postfix(target: Expr): Expr {
    let expr = target;
    let steps = 0;
    while (true) {
      const t = this.peek();
      if (t.kind !== 'punct') return expr;
      if (t.value === '.' || t.value === '?.') {
        this.next();
        const conditional = t.value === '?.';
        if (conditional && this.is('[')) {
          expr = this.indexer(expr, true);
        } else {
          const name = this.ident('a member name');
          expr = this.memberOrCall(expr, name, conditional);
        }
      } else if (t.value === '[') {
        expr = this.indexer(expr, false);
      } else if (t.value === '?' && this.is('[', 1)) {
        // `a?[k]`: C# 7 has no collection literal, so `?` before `[` is always the null-conditional indexer
        this.next();
        expr = this.indexer(expr, true);
      } else if (t.value === '(') {
        throw new SyntaxFault('only methods of a type can be called', t.start);
      } else {
        return expr;
      }
      // a chain a.b.c… nests one level per link
      if (++steps + this.depth > this.limits.maxDepth) {
        throw new SyntaxFault(
          `the expression is nested more than ${this.limits.maxDepth} levels deep`,
          t.start,
        );
      }
    }
  }

  private indexer(target: Expr, conditional: boolean): Expr {
    const open = this.expect('[');
    const index = this.expression();
    if (this.is(',')) throw this.unexpected('indexers take one argument');
    this.expect(']');
    return { kind: 'index', start: open.start, target, index, conditional };
  }

  private memberOrCall(target: Expr, name: Token, conditional: boolean): Expr {
    let typeArgs: TypeRef[] = [];
    if (this.is('<')) {
      // generic method call `Name<T>(…)`: only when the type list is followed by "(" (C#'s own rule)
      const save = this.pos;
      this.next();
      const args: TypeRef[] = [];
      let ok = true;
      do {
        const a = this.tryType();
        if (a === null) {
          ok = false;
          break;
        }
        args.push(a);
      } while (this.accept(','));
      if (ok && this.accept('>') && this.is('(')) typeArgs = args;
      else this.pos = save;
    }
    if (!this.is('(')) {
      if (typeArgs.length > 0) throw this.unexpected('expected "("');
      return { kind: 'member', start: name.start, target, name: name.value, conditional };
    }
    this.next();
    const args: Arg[] = [];
    if (!this.is(')')) {
      do args.push(this.argument());
      while (this.accept(','));
    }
    this.expect(')');
    return { kind: 'call', start: name.start, target, name: name.value, conditional, typeArgs, args };
  }

  private argument(): Arg {
    const t = this.peek();
    if (t.kind === 'keyword' && t.value === 'out') {
      this.next();
      if (this.accept('var'))
        return { kind: 'out', start: t.start, name: this.ident('a variable name').value, declare: 'var' };
      if (this.peek().kind === 'ident' && !this.is('.', 1) && !this.is('<', 1) && !this.is('[', 1)) {
        if (this.peek(1).kind === 'ident') {
          const type = this.type();
          return { kind: 'out', start: t.start, name: this.ident('a variable name').value, declare: type };
        }
        return { kind: 'out', start: t.start, name: this.next().value, declare: null };
      }
      const type = this.type();
      return { kind: 'out', start: t.start, name: this.ident('a variable name').value, declare: type };
    }
    // lambdas: `x => …`, `(x) => …`, `(x, y) => …`
    if (t.kind === 'ident' && this.is('=>', 1)) {
      this.next();
      this.next();
      return {
        kind: 'value',
        expr: { kind: 'lambda', start: t.start, params: [t.value], body: this.lambdaBody() },
      };
    }
    if (this.is('(')) {
      const save = this.pos;
      this.next();
      const params: string[] = [];
      while (this.peek().kind === 'ident') {
        params.push(this.next().value);
        if (!this.accept(',')) break;
      }
      if (this.accept(')') && this.is('=>')) {
        this.next();
        return { kind: 'value', expr: { kind: 'lambda', start: t.start, params, body: this.lambdaBody() } };
      }
      this.pos = save;
    }
    if (t.kind === 'ident' && this.is(':', 1)) {
      // C# named arguments: only the one policies use (`As<string>(preserveContent: true)`), in its position
      if (t.value !== 'preserveContent') throw new SyntaxFault('named arguments are not supported', t.start);
      this.next();
      this.next();
    }
    if (t.kind === 'keyword' && (t.value === 'ref' || t.value === 'in')) {
      throw new SyntaxFault(`"${t.value}" arguments are not supported`, t.start);
    }
    return { kind: 'value', expr: this.expression() };
  }

  private lambdaBody(): Expr {
    if (this.is('{')) throw this.unexpected('a lambda body is one expression, not a block');
    return this.expression();
  }
}
