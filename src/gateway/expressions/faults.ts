/**
 * @module gateway/expressions/faults
 * Internal failures, positioned by offset inside one expression. The lexer, parser and compiler throw
 * `SyntaxFault`; the compiled code throws `RuntimeFault`. `index.ts` turns them into the public
 * `PolicyExpressionError` / `ExpressionEvaluationError`, which know the policy file's line and column.
 */

export class SyntaxFault extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

export class RuntimeFault extends Error {
  /** The C# exception API Management would have raised (`NullReferenceException`, …), for the message. */
  readonly exception: string;
  readonly offset: number;
  constructor(exception: string, message: string, offset: number) {
    super(message);
    this.exception = exception;
    this.offset = offset;
  }
}
