/**
 * @module gateway/expressions
 * API Management policy expressions (`@(…)` and `@{…}`, a subset of C#), compiled once when a policy loads
 * and evaluated per request. The pipeline: `scan.ts` finds an expression's end in raw policy text; `lexer.ts`
 * and `parser.ts` build the tree (`ast.ts`); `compiler.ts` type-checks it against the allow-list
 * (`members.ts`, over the object model of `context.ts`) and turns it into closures; `runtime.ts` bounds each
 * evaluation. Nothing is ever handed to `eval`, `Function` or `vm`.
 *
 * Every input is bounded: the source length and nesting at load time, the steps and produced string sizes at
 * run time. docs/gateway.md, "Policy expressions", lists what is supported.
 */

import { compileProgram } from './compiler.ts';
import type { ExpressionContext } from './context.ts';
import { ExpressionEvaluationError, PolicyExpressionError } from './errors.ts';
import { RuntimeFault, SyntaxFault } from './faults.ts';
import { parseProgram } from './parser.ts';
import { positionAt, type SourcePosition } from './position.ts';
import { Runtime } from './runtime.ts';
import { expressionEnd } from './scan.ts';
import { toText } from './values.ts';

export type * from './context.ts';
export { DEFAULT_EVALUATION_LIMITS } from './context.ts';
export { ExpressionEvaluationError, PolicyExpressionError } from './errors.ts';
export { Jwt, jwtFromParts, parseJwt } from './jwt.ts';
export type { SourcePosition } from './position.ts';
export { DateTimeValue, GuidValue, TimeSpanValue } from './values.ts';
export { expressionEnd };

/** Load-time bounds. */
export const COMPILE_LIMITS = Object.freeze({
  /** Characters in one expression, `@` and brackets included. */
  maxLength: 64 * 1024,
  /** Nesting of expressions and statements. */
  maxDepth: 64,
});

export interface CompiledExpression {
  /** The expression as written, `@(`…`)` or `@{`…`}` included. */
  readonly source: string;
  /** Where its `@` is in the policy file. */
  readonly at: SourcePosition;
  /**
   * Its C# static type (`bool`, `string`, `int`, `Jwt`, `object`, …), known at load time, so a policy
   * attribute that needs a bool (`condition`) or a number can be checked before any request.
   */
  readonly type: string;
  /** Runs it for one request. Throws `ExpressionEvaluationError` when it fails (null reference, bad cast, budget). */
  evaluate(ctx: ExpressionContext): unknown;
}

/** Whether the whole text (trimmed) is one expression: `@(…)` or `@{…}` and nothing after it. */
export function isExpression(text: string): boolean {
  const t = text.trim();
  if (!(t.startsWith('@(') || t.startsWith('@{'))) return false;
  try {
    return expressionEnd(t, 0) === t.length;
  } catch {
    return false;
  }
}

export interface CompileOptions {
  /**
   * The source holds a secret (a Secret or Key Vault named value was substituted into it): error messages
   * then name the expression by its position only, never by its text, so the secret stays out of logs.
   */
  redact?: boolean | undefined;
}

/** How messages name a redacted expression. */
const REDACTED = '@(…) (its text holds a secret named value)';

/** Compiles one expression (`source` includes `@(`…`)` or `@{`…`}`); `at` is the position of its `@`. */
export function compileExpression(
  source: string,
  at: SourcePosition,
  options: CompileOptions = {},
): CompiledExpression {
  const shown = options.redact ? REDACTED : source;
  if (source.length > COMPILE_LIMITS.maxLength) {
    throw new PolicyExpressionError(
      `the expression is ${source.length} characters long; at most ${COMPILE_LIMITS.maxLength} are allowed`,
      shown,
      at,
    );
  }
  let program: ReturnType<typeof compileProgram>;
  try {
    program = compileProgram(parseProgram(source, { maxDepth: COMPILE_LIMITS.maxDepth }));
  } catch (e) {
    if (e instanceof SyntaxFault)
      throw new PolicyExpressionError(
        options.redact
          ? 'it is not valid, or uses what is not supported (details withheld: it holds a secret)'
          : e.message,
        shown,
        positionAt(at, source, e.offset),
      );
    if (e instanceof RangeError) {
      // a stack overflow that slipped past the depth bound still refuses the policy, never the process
      throw new PolicyExpressionError('the expression is nested too deeply', shown, at);
    }
    throw e;
  }
  const { run, slots, type } = program;
  return Object.freeze({
    source,
    at,
    type,
    evaluate(ctx: ExpressionContext): unknown {
      const rt = new Runtime(ctx, slots);
      try {
        return run(rt);
      } catch (e) {
        if (e instanceof RuntimeFault) {
          // a run-time message may quote data or literals of the expression: only the exception's name when redacted
          throw new ExpressionEvaluationError(
            options.redact ? e.exception : `${e.exception}: ${e.message}`,
            shown,
            positionAt(at, source, e.offset),
          );
        }
        if (e instanceof RangeError) {
          throw new ExpressionEvaluationError(
            options.redact ? 'evaluation failed' : `evaluation failed: ${e.message}`,
            shown,
            at,
          );
        }
        throw e;
      }
    },
  });
}

/**
 * A value as the policy would write it into a header, variable text or body: C#'s `ToString()` (`True`,
 * ISO-like dates, the empty string for null).
 */
export function formatValue(value: unknown): string {
  return toText(value);
}
