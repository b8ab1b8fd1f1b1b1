/**
 * @module flows/expressions/functions/types
 * What a function of the expression language is to the compiler and the evaluator: its name, how many
 * arguments it takes (checked when a definition is saved), what it does with evaluated arguments, and
 * optionally a check of arguments written as literals (a date format, a GUID format) so a definition that can
 * never run is refused when it is saved rather than on every run.
 */
import type { ExpressionContext } from '../context.ts';
import type { Value } from '../values.ts';

export interface CallEnv {
  readonly ctx: ExpressionContext;
  /** The expression being evaluated, as Azure's messages quote it. */
  readonly source: string;
}

export interface FunctionDef {
  /** The name as Azure's reference spells it (`triggerBody`). */
  readonly name: string;
  readonly min: number;
  /** `Infinity` for functions that take any number of arguments. */
  readonly max: number;
  /** Arguments arrive evaluated, left to right. */
  call(args: readonly Value[], env: CallEnv): Value;
  /**
   * For the functions that evaluate only the arguments they need (`if`, `and`, `or`): `arg(i)` evaluates
   * argument `i`. The evaluator uses this instead of `call` when it is there.
   */
  lazy?(arg: (index: number) => Value, count: number, env: CallEnv): Value;
  /** An Azure-style message when the literal argument at `index` can never be accepted. */
  checkLiteral?(index: number, value: Value): string | undefined;
}
