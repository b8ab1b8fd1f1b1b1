/**
 * @module gateway/expressions/ast
 * The syntax tree of the C# subset. Every node keeps `start`, its offset in the expression source, so the
 * compiler and the running code can say where a problem is. Anything the parser meets outside this tree is
 * refused there, so the compiler never sees it.
 */

/** A type as written: `string`, `Jwt`, `string[]`, `int?`, `IEnumerable<string>`. */
export interface TypeRef {
  name: string;
  start: number;
}

export type Expr =
  | {
      kind: 'literal';
      start: number;
      type: 'string' | 'int' | 'double' | 'bool' | 'char' | 'null';
      value: unknown;
    }
  | { kind: 'interpolated'; start: number; parts: (string | Expr)[] }
  | { kind: 'name'; start: number; name: string }
  | { kind: 'member'; start: number; target: Expr; name: string; conditional: boolean }
  | { kind: 'index'; start: number; target: Expr; index: Expr; conditional: boolean }
  | {
      kind: 'call';
      start: number;
      target: Expr;
      name: string;
      conditional: boolean;
      typeArgs: TypeRef[];
      args: Arg[];
    }
  | { kind: 'unary'; start: number; op: '!' | '-' | '+'; operand: Expr }
  | { kind: 'binary'; start: number; op: BinaryOp; left: Expr; right: Expr }
  | { kind: 'conditional'; start: number; test: Expr; then: Expr; otherwise: Expr }
  | { kind: 'cast'; start: number; type: TypeRef; operand: Expr }
  | { kind: 'as'; start: number; operand: Expr; type: TypeRef }
  | { kind: 'is'; start: number; operand: Expr; type: TypeRef | null }
  | { kind: 'lambda'; start: number; params: string[]; body: Expr }
  | { kind: 'array'; start: number; elementType: TypeRef | null; items: Expr[] };

export type BinaryOp =
  | '=='
  | '!='
  | '<'
  | '>'
  | '<='
  | '>='
  | '&&'
  | '||'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '??';

/** A call argument: plain, or `out` into a local (`out value`, `out var jwt`, `out Jwt jwt`). */
export type Arg =
  | { kind: 'value'; expr: Expr }
  | { kind: 'out'; start: number; name: string; declare: TypeRef | 'var' | null };

export type Stmt =
  | { kind: 'declare'; start: number; type: TypeRef | 'var'; name: string; init: Expr | null }
  | { kind: 'assign'; start: number; name: string; value: Expr }
  | { kind: 'if'; start: number; test: Expr; then: Stmt; otherwise: Stmt | null }
  | { kind: 'return'; start: number; value: Expr }
  | { kind: 'block'; start: number; body: Stmt[] }
  | { kind: 'foreach'; start: number; type: TypeRef | 'var'; name: string; source: Expr; body: Stmt }
  | { kind: 'expr'; start: number; expr: Expr };

/** A compiled expression's tree: `@(…)` is one expression, `@{…}` a block. */
export type Program = { kind: 'expression'; expr: Expr } | { kind: 'block'; body: Stmt[] };
