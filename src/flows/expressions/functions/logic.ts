/**
 * @module flows/expressions/functions/logic
 * Comparison and logic. `if` evaluates its condition and then only the argument it returns; `and` stops at
 * the first false and `or` at the first true, so `if(empty(x), 'none', first(x))` works on an empty x.
 * Every other function gets all its arguments evaluated, left to right (docs/flows.md, "Expressions", gives
 * the evidence for short-circuiting). `and`/`or`/`not` and `if`'s condition take booleans only. In
 * comparisons null is "" (Azure's rule), so `equals(null, '')` is true.
 */
import { isNumber, numberValue, type Value, valuesEqual } from '../values.ts';
import { booleanArg, typeError } from './args.ts';
import type { CallEnv, FunctionDef } from './types.ts';

type Lazy = NonNullable<FunctionDef['lazy']>;

/** A short-circuiting function, callable with evaluated arguments too. */
function lazyFunction(name: string, min: number, max: number, lazy: (def: FunctionDef) => Lazy): FunctionDef {
  const def: FunctionDef = {
    name,
    min,
    max,
    call: (args: readonly Value[], env: CallEnv) => def.lazy!((i) => args[i]!, args.length, env),
  };
  def.lazy = lazy(def);
  return def;
}

function condition(def: FunctionDef, arg: (index: number) => Value, index: number): boolean {
  const v = arg(index);
  if (typeof v !== 'boolean') throw typeError(def, index, 'of type boolean', v);
  return v;
}

const not: FunctionDef = { name: 'not', min: 1, max: 1, call: (args) => !booleanArg(not, args, 0) };

const and = lazyFunction('and', 1, Number.POSITIVE_INFINITY, (def) => (arg, count) => {
  for (let i = 0; i < count; i++) if (!condition(def, arg, i)) return false;
  return true;
});

const or = lazyFunction('or', 1, Number.POSITIVE_INFINITY, (def) => (arg, count) => {
  for (let i = 0; i < count; i++) if (condition(def, arg, i)) return true;
  return false;
});

const ifFunction = lazyFunction('if', 3, 3, (def) => (arg) => (condition(def, arg, 0) ? arg(1) : arg(2)));

/** Numbers compare by value, strings ordinally; null counts as "". */
function compare(def: FunctionDef, args: readonly Value[]): number {
  const a = args[0] === null ? '' : args[0]!;
  const b = args[1] === null ? '' : args[1]!;
  if (isNumber(a)) {
    if (!isNumber(b)) throw typeError(def, 1, 'an integer or a float', b);
    return numberValue(a) - numberValue(b);
  }
  if (typeof a === 'string') {
    if (typeof b !== 'string') throw typeError(def, 1, 'a string', b);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  throw typeError(def, 0, 'an integer, a float or a string', a);
}

function comparison(name: string, test: (order: number) => boolean): FunctionDef {
  const def: FunctionDef = { name, min: 2, max: 2, call: (args) => test(compare(def, args)) };
  return def;
}

export const LOGIC_FUNCTIONS: readonly FunctionDef[] = [
  { name: 'equals', min: 2, max: 2, call: (args) => valuesEqual(args[0]!, args[1]!) },
  not,
  and,
  or,
  ifFunction,
  {
    name: 'coalesce',
    min: 1,
    max: Number.POSITIVE_INFINITY,
    call: (args) => args.find((v) => v !== null) ?? null,
  },
  comparison('greater', (order) => order > 0),
  comparison('greaterOrEquals', (order) => order >= 0),
  comparison('less', (order) => order < 0),
  comparison('lessOrEquals', (order) => order <= 0),
];
