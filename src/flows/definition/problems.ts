/**
 * @module flows/definition/problems
 * The two refusals of the definition loader. Every message starts with the place in the definition
 * (`actions.Scope.actions.Call.inputs.retryPolicy`) so a person finds it in the file; `details` repeats it for
 * programs, with a `reason` tests and callers can branch on.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';

/** Why a definition was refused; stable, for callers that branch on it. */
export type DefinitionReason =
  | 'form'
  | 'json'
  | 'shape'
  | 'schema'
  | 'limit'
  | 'name'
  | 'parameter'
  | 'duration'
  | 'retry-policy'
  | 'authentication'
  | 'run-after'
  | 'cycle'
  | 'placement'
  | 'variable'
  | 'reference'
  | 'arm-expression';

const HINT = 'docs/flows.md, "Workflow definitions", lists the forms, types and rules Lanyard accepts.';

export function invalid(
  path: string,
  reason: DefinitionReason,
  message: string,
  options: { hint?: string; details?: Record<string, unknown> } = {},
): LanyardError {
  const where = path === '' ? 'Workflow definition' : `Workflow definition, ${path}`;
  return new LanyardError('ERR_FLOW_DEFINITION', `${where}: ${message}`, {
    hint: options.hint ?? HINT,
    details: { path, reason, ...options.details },
  });
}

/** A type or option Azure accepts and Lanyard does not run: refused by name, never skipped. */
export function unsupported(
  path: string,
  what: string,
  type: string,
  supported: readonly string[],
  why = '',
): LanyardError {
  const list = supported.length === 0 ? '' : ` Supported: ${supported.join(', ')}.`;
  return new LanyardError(
    'ERR_FLOW_UNSUPPORTED',
    `Workflow definition, ${path}: ${what} '${type}' is not supported by Lanyard${why}.${list}`,
    { hint: HINT, details: { path, type, supported: [...supported] } },
  );
}
