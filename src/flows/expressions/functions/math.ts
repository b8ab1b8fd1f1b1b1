/**
 * @module flows/expressions/functions/math
 * Arithmetic on integers and floats. Two integers give an integer (`div(11, 5)` is 2, truncated toward zero
 * as .NET divides; `mod(-5, 3)` is -2, the sign of the dividend); a float on either side gives a float
 * (`div(11.0, 5)` is 2.2). Dividing by zero fails, as Azure's reference says the divisor cannot be 0. An
 * integer result beyond ±2^53−1 fails too: JavaScript could not hold it exactly.
 */
import { floatResult, isFloat, numberValue } from '../values.ts';
import { fail, numberArg } from './args.ts';
import type { FunctionDef } from './types.ts';

function arithmetic(
  name: string,
  op: (a: number, b: number, integers: boolean) => number,
  divides = false,
): FunctionDef {
  const def: FunctionDef = {
    name,
    min: 2,
    max: 2,
    call(args) {
      const a = numberArg(def, args, 0);
      const b = numberArg(def, args, 1);
      const x = numberValue(a);
      const y = numberValue(b);
      if (divides && y === 0) throw fail(def, 'cannot divide by zero: its second parameter is 0.');
      if (isFloat(a) || isFloat(b)) return floatResult(op(x, y, false));
      const result = op(x, y, true);
      if (!Number.isSafeInteger(result)) {
        throw fail(
          def,
          `produced the integer ${result}, outside the range Lanyard represents exactly (±9007199254740991).`,
        );
      }
      return result === 0 ? 0 : result;
    },
  };
  return def;
}

export const MATH_FUNCTIONS: readonly FunctionDef[] = [
  arithmetic('add', (a, b) => a + b),
  arithmetic('sub', (a, b) => a - b),
  arithmetic('mul', (a, b) => a * b),
  arithmetic('div', (a, b, integers) => (integers ? Math.trunc(a / b) : a / b), true),
  arithmetic('mod', (a, b) => a % b, true),
];
