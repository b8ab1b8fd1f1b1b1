/**
 * @module errors/lanyard-error
 * The one error base class. Every refusal Lanyard makes carries a stable `code` (listed with its HTTP
 * status in `codes.ts` and documented in docs/errors.md), a message a person can act on, and optionally a
 * `hint` (how to fix it) and `details` (machine-readable context). Never put a secret or token in any of them.
 */
import { ERROR_CODES, type ErrorCode } from './codes.ts';

export interface LanyardErrorOptions {
  hint?: string | undefined;
  details?: Record<string, unknown> | undefined;
  cause?: unknown;
}

export class LanyardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: LanyardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LanyardError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.hint = options.hint;
    this.details = options.details;
  }

  /** The JSON body the admin API and `--output json` print for this error. */
  toJSON(): {
    error: { code: ErrorCode; message: string; hint?: string; details?: Record<string, unknown> };
  } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.hint === undefined ? {} : { hint: this.hint }),
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function isLanyardError(value: unknown): value is LanyardError {
  return value instanceof LanyardError;
}
