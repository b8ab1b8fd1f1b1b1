/**
 * @module flows/expressions/errors
 * The two ways a workflow expression fails, each carrying Azure's own text so a run or a refused definition
 * reads as it would in Azure:
 *
 * - at save time (`ExpressionSyntaxError`, ERR_FLOW_EXPRESSION): the string cannot be compiled. Azure refuses
 *   the PUT with `InvalidTemplate`; `templateValidationMessage` builds that message around `azureMessage`.
 * - at run time (`ExpressionEvaluationError`, ERR_FLOW_EXPRESSION_EVALUATION): one action fails with code
 *   `InvalidTemplate`; `actionInputsMessage` builds Azure's outer message around `inner`.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';

/** The code Azure gives an action (and a refused definition) whose expressions fail. */
export const INVALID_TEMPLATE = 'InvalidTemplate';

/** The tail Azure appends to most expression messages; with a function, its anchor in the reference. */
export function usageHint(fn?: string): string {
  return `Please see https://aka.ms/logicexpressions${fn === undefined ? '' : `#${fn}`} for usage details.`;
}

/** Messages quote the string up to this length, so a huge value does not flood a log line. */
const QUOTE_LIMIT = 200;

function quote(text: string): string {
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT - 1)}…` : text;
}

/** A path into an action's inputs, as the walker reports it: keys and array indexes from the root. */
export type ValuePath = readonly (string | number)[];

/** `inputs.body.items[2]`-style text for a path (for Lanyard's own messages only). */
export function formatPath(path: ValuePath): string {
  let out = '';
  for (const step of path) out += typeof step === 'number' ? `[${step}]` : out === '' ? step : `.${step}`;
  return out;
}

export interface SyntaxErrorOptions {
  /** Azure quotes the parser's messages inside a validation failure, not the scanner's. */
  quoted?: boolean;
  path?: ValuePath;
}

export class ExpressionSyntaxError extends LanyardError {
  /** Azure's text for the problem, ending with its period (what `templateValidationMessage` embeds). */
  readonly azureMessage: string;
  readonly quoted: boolean;
  /** The whole JSON string the expression is in. */
  readonly text: string;
  /** 0-based offset in `text` of the offending character or token. */
  readonly position: number;
  /** Where the string sits in the value being compiled (set by `compileValue`); empty for a lone string. */
  readonly path: ValuePath;

  constructor(azureMessage: string, text: string, position: number, options: SyntaxErrorOptions = {}) {
    const path = options.path ?? [];
    const where = path.length === 0 ? '' : ` at ${formatPath(path)}`;
    super('ERR_FLOW_EXPRESSION', `workflow expression${where}, position ${position}: ${azureMessage}`, {
      hint: 'docs/flows.md, "Expressions", lists the syntax and the functions Lanyard supports.',
      details: { expression: quote(text), position, ...(path.length === 0 ? {} : { path: [...path] }) },
    });
    this.name = 'ExpressionSyntaxError';
    this.azureMessage = azureMessage;
    this.quoted = options.quoted ?? false;
    this.text = text;
    this.position = position;
    this.path = path;
  }

  /** The same error, placed at `path` in the value being compiled. */
  at(path: ValuePath): ExpressionSyntaxError {
    return new ExpressionSyntaxError(this.azureMessage, this.text, this.position, {
      quoted: this.quoted,
      path,
    });
  }
}

export class ExpressionEvaluationError extends LanyardError {
  /** The code the failing action gets. */
  readonly azureCode = INVALID_TEMPLATE;
  /** Azure's inner message (what goes inside `actionInputsMessage`). */
  readonly inner: string;

  constructor(inner: string) {
    super('ERR_FLOW_EXPRESSION_EVALUATION', inner, { details: { azureCode: INVALID_TEMPLATE, inner } });
    this.name = 'ExpressionEvaluationError';
    this.inner = inner;
  }
}

/**
 * Azure's message for an action whose inputs could not be evaluated. Line and column point into the action's
 * serialized JSON; Azure itself often reports `'0'` and `'0'`, the default here.
 */
export function actionInputsMessage(action: string, inner: string, line = 0, column = 0): string {
  return `Unable to process template language expressions in action '${action}' inputs at line '${line}' and column '${column}': '${inner}'.`;
}

/** Azure's message for a definition refused at save time because an action's expression does not compile. */
export function templateValidationMessage(
  action: string,
  err: ExpressionSyntaxError,
  line = 1,
  column = 0,
): string {
  const what = err.quoted ? `"${err.azureMessage}"` : err.azureMessage;
  return `The template validation failed: 'The template action '${action}' at line '${line}' and column '${column}' is not valid: ${what}'.`;
}

/** The `error` object a failed action carries: `{ code: 'InvalidTemplate', message }`. */
export function actionError(
  action: string,
  err: ExpressionEvaluationError,
  line = 0,
  column = 0,
): { code: string; message: string } {
  return { code: INVALID_TEMPLATE, message: actionInputsMessage(action, err.inner, line, column) };
}
