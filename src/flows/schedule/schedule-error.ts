/**
 * @module flows/schedule/schedule-error
 * The one error every schedule refusal raises: `ERR_FLOW_SCHEDULE`, with `details.field` naming the input (a
 * Recurrence property such as `recurrence.schedule.hours`, or a timer's `schedule`), `details.value` the value
 * refused, and a hint saying how to write it instead.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';

export function scheduleError(
  field: string,
  value: unknown,
  message: string,
  hint: string,
  extra: Record<string, unknown> = {},
): LanyardError {
  return new LanyardError('ERR_FLOW_SCHEDULE', message, {
    hint,
    details: { field, value: shown(value), ...extra },
  });
}

/** A value as the error shows it: strings and numbers as they are, anything else as short JSON. */
export function shown(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 200 ? `${value.slice(0, 200)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return value;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
