/**
 * @module gateway/expressions/errors
 * The two ways a policy expression fails. Load time (`PolicyExpressionError`): the policy is refused before it
 * serves anything, with the expression and its position, because a policy that cannot be compiled must never
 * half-run. Run time (`ExpressionEvaluationError`): one request fails, as API Management's
 * `ExpressionValueEvaluationFailure` does (a 500, or the policy's `on-error` section).
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import { formatPosition, type SourcePosition } from './position.ts';

/** Expressions are quoted in messages up to this length, so a huge block does not flood a log line. */
const QUOTE_LIMIT = 120;

/** The expression as messages quote it: one line, shortened. */
export function quoteExpression(source: string): string {
  const flat = source.replace(/\s+/g, ' ').trim();
  return flat.length > QUOTE_LIMIT ? `${flat.slice(0, QUOTE_LIMIT - 1)}…` : flat;
}

export class PolicyExpressionError extends LanyardError {
  /** Where the problem is (absolute, in the policy file). */
  readonly position: SourcePosition;
  /** From the scanner: the offset in the scanned text where the unclosed expression starts. */
  readonly offset: number | undefined;

  constructor(problem: string, source: string, position: SourcePosition, hint?: string, offset?: number) {
    super(
      'ERR_GATEWAY_POLICY_EXPRESSION',
      `${formatPosition(position)}: policy expression ${quoteExpression(source)}: ${problem}`,
      {
        hint:
          hint ??
          'Policy expressions support a subset of C#; docs/gateway.md, "Policy expressions", lists what is supported.',
        details: {
          line: position.line,
          column: position.column,
          ...(position.file ? { file: position.file } : {}),
        },
      },
    );
    this.name = 'PolicyExpressionError';
    this.position = position;
    this.offset = offset;
  }
}

export class ExpressionEvaluationError extends LanyardError {
  /** API Management's `context.LastError.Reason` for this failure. */
  readonly reason = 'ExpressionValueEvaluationFailure';
  readonly position: SourcePosition | undefined;

  constructor(problem: string, source?: string, position?: SourcePosition) {
    const where = position === undefined ? '' : `${formatPosition(position)}: `;
    const what = source === undefined ? 'policy expression' : `policy expression ${quoteExpression(source)}`;
    super('ERR_GATEWAY_EXPRESSION_EVALUATION', `${where}${what} failed: ${problem}`, {
      details:
        position === undefined
          ? undefined
          : {
              line: position.line,
              column: position.column,
              ...(position.file ? { file: position.file } : {}),
            },
    });
    this.name = 'ExpressionEvaluationError';
    this.position = position;
  }
}
