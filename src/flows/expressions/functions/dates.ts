/**
 * @module flows/expressions/functions/dates
 * `utcNow`, `addSeconds`/`addMinutes`/`addHours`/`addDays` and `formatDateTime`. The result is text in the
 * optional format, `o` by default (`2018-03-15T00:00:10.0000000Z`). A format written as a literal that Lanyard
 * cannot honour is refused when the definition is saved; one computed at run time fails the action.
 */
import {
  addMilliseconds,
  formatProblem,
  formatTimestamp,
  parseTimestamp,
  type Timestamp,
} from '../datetime.ts';
import { ExpressionEvaluationError } from '../errors.ts';
import type { Value } from '../values.ts';
import { fail, integerArg, optionalStringArg, stringArg } from './args.ts';
import type { FunctionDef } from './types.ts';

function problemText(name: string, format: string, problem: string): string {
  return `The template language function '${name}' was given the date and time format '${format}', which Lanyard does not support: ${problem}.`;
}

/** `checkLiteral` for a format at `formatIndex`. */
function checkFormatAt(name: string, formatIndex: number) {
  return (index: number, value: Value): string | undefined => {
    if (index !== formatIndex || typeof value !== 'string' || value === '') return undefined;
    const problem = formatProblem(value);
    return problem === undefined ? undefined : problemText(name, value, problem);
  };
}

function format(def: FunctionDef, args: readonly Value[], index: number, t: Timestamp): string {
  const given = optionalStringArg(def, args, index) ?? 'o';
  const problem = formatProblem(given);
  if (problem !== undefined) throw new ExpressionEvaluationError(problemText(def.name, given, problem));
  return formatTimestamp(t, given);
}

function timestampArg(def: FunctionDef, args: readonly Value[], index: number): Timestamp {
  const text = stringArg(def, args, index);
  const t = parseTimestamp(text);
  if (t === undefined) {
    throw new ExpressionEvaluationError(
      `In function '${def.name}', the value provided for date time string '${text}' was not valid. The datetime string must match ISO 8601 format.`,
    );
  }
  return t;
}

const utcNow: FunctionDef = {
  name: 'utcNow',
  min: 0,
  max: 1,
  call: (args, env) => format(utcNow, args, 0, { ms: env.ctx.now(), sub: 0, utc: true }),
  checkLiteral: checkFormatAt('utcNow', 0),
};

function adder(name: string, unitMs: number): FunctionDef {
  const def: FunctionDef = {
    name,
    min: 2,
    max: 3,
    call(args) {
      const t = timestampArg(def, args, 0);
      const moved = addMilliseconds(t, integerArg(def, args, 1) * unitMs);
      if (moved === undefined) throw fail(def, 'produced a timestamp outside the years 1 to 9999.');
      return format(def, args, 2, moved);
    },
    checkLiteral: checkFormatAt(name, 2),
  };
  return def;
}

const formatDateTime: FunctionDef = {
  name: 'formatDateTime',
  min: 1,
  max: 2,
  call: (args) => format(formatDateTime, args, 1, timestampArg(formatDateTime, args, 0)),
  checkLiteral: checkFormatAt('formatDateTime', 1),
};

export const DATE_FUNCTIONS: readonly FunctionDef[] = [
  utcNow,
  adder('addSeconds', 1000),
  adder('addMinutes', 60_000),
  adder('addHours', 3_600_000),
  adder('addDays', 86_400_000),
  formatDateTime,
];
