/**
 * @module flows/workflows/engine/run-names
 * Run ids and times as Logic Apps writes them. A run id is 20 digits, `CU` and 2 digits; the digits count down
 * with time (so a plain sort lists the newest run first), the last 6 of them and the suffix random so two runs
 * started in the same millisecond differ. Times are ISO 8601 in UTC with seven fractional digits.
 */
import { randomInt } from 'node:crypto';

const TOP = 10n ** 20n - 1n;

export function newRunName(nowMs: number): string {
  const digits = TOP - BigInt(nowMs) * 1_000_000n - BigInt(randomInt(1_000_000));
  return `${digits.toString().padStart(20, '0')}CU${String(randomInt(100)).padStart(2, '0')}`;
}

/** `2026-12-06T02:50:00.1230000Z`. */
export function azureTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '0000Z');
}
