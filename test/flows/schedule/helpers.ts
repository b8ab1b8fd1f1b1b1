/**
 * @module test/flows/schedule/helpers
 * Shared checks for the schedule tests: a refusal's code, field and hint.
 */
import assert from 'node:assert/strict';
import type { ErrorCode } from '../../../src/errors/codes.ts';
import { LanyardError } from '../../../src/errors/lanyard-error.ts';

/** Asserts `fn` throws a LanyardError with `code` whose details name `field`; returns it for more checks. */
export function refused(
  fn: () => unknown,
  field: string,
  code: ErrorCode = 'ERR_FLOW_SCHEDULE',
): LanyardError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof LanyardError, `expected a LanyardError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  const named = caught.details?.field ?? caught.details?.path;
  assert.equal(named, field, caught.message);
  assert.ok(caught.hint !== undefined && caught.hint.length > 0, 'a hint saying how to fix it');
  return caught;
}

export function iso(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}
