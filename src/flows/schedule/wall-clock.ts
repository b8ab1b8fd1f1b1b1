/**
 * @module flows/schedule/wall-clock
 * Wall-clock times in a time zone, and the one rule every schedule here uses to turn a wall-clock slot into an
 * instant across daylight-saving changes.
 *
 * A wall-clock time is kept as "wall milliseconds": the local date and time read as if they were UTC
 * (`Date.UTC(y, m, d, h, mi, s)`), so that slot arithmetic (days, months, cron fields) is plain UTC
 * arithmetic. A wall time maps to one instant, to none (it falls in the gap when clocks go forward), or to two
 * (it occurs twice when clocks go back). The rule, which is the Azure Functions timer's (its CronSchedule):
 *
 * - a slot in a gap runs at the same wall time plus the gap's length (02:30 becomes 03:30 on a one-hour gap),
 *   once reached from before the gap;
 * - a slot that occurs twice runs at its first occurrence only, unless the schedule is an "interval" one
 *   (`repeated: 'both'`), which runs in both passes of the repeated hour;
 * - an interval schedule that has run through the first pass starts the second pass from its first slot in
 *   the repeated hour, as Functions does.
 *
 * The time-zone data is the runtime's ICU (Intl); no table of transitions is kept here.
 */

const DAY_MS = 86_400_000;

const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = FORMATTERS.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    FORMATTERS.set(zone, f);
  }
  return f;
}

export function isUtcZone(zone: string): boolean {
  return zone === 'UTC' || zone === 'Etc/UTC';
}

/** The wall-clock time of an instant in `zone`, as wall milliseconds (milliseconds kept). */
export function wallMs(instantMs: number, zone: string): number {
  if (isUtcZone(zone)) return instantMs;
  const whole = Math.floor(instantMs / 1000) * 1000;
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatter(zone).formatToParts(whole)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
    }
  }
  const wall = new Date(0);
  wall.setUTCFullYear(year, month - 1, day);
  wall.setUTCHours(hour, minute, second, 0);
  return wall.getTime() + (instantMs - whole);
}

/** The zone's offset from UTC at an instant, in milliseconds (east positive). */
export function offsetMs(instantMs: number, zone: string): number {
  return isUtcZone(zone) ? 0 : wallMs(instantMs, zone) - instantMs;
}

/** The instants whose wall-clock time in `zone` is `wall`: none (a gap), one, or two (ascending). */
export function instantsAt(wall: number, zone: string): number[] {
  if (isUtcZone(zone)) return [wall];
  const offsets = new Set([
    offsetMs(wall - DAY_MS, zone),
    offsetMs(wall, zone),
    offsetMs(wall + DAY_MS, zone),
  ]);
  const found: number[] = [];
  for (const offset of offsets) {
    const instant = wall - offset;
    if (offsetMs(instant, zone) === offset && !found.includes(instant)) found.push(instant);
  }
  return found.sort((a, b) => a - b);
}

/** Where a wall time in a gap runs: read with the offset in force before the gap, so later by its length. */
export function gapInstant(wall: number, zone: string): number {
  return wall - offsetMs(wall - DAY_MS, zone);
}

/** One instant for a wall time: its first occurrence, or the gap rule's instant. */
export function firstInstantAt(wall: number, zone: string): number {
  const instants = instantsAt(wall, zone);
  return instants[0] ?? gapInstant(wall, zone);
}

/** Where a schedule's wall-clock slots come from: the next slot strictly after a wall time, or null if none. */
export interface WallSlots {
  nextAfter(wall: number): number | null;
}

/** How a slot that occurs twice (clocks going back) runs: at its first occurrence, or at both. */
export type RepeatedSlots = 'first' | 'both';

/** At most this many slots are looked at per call; a schedule slots can't satisfy ends the search. */
const MAX_SLOTS = 10_000;

/**
 * The first instant strictly after `afterMs` at which a slot of `slots`, read in `zone`, falls due by the rule
 * in this module's header; null when the slots end.
 */
export function nextInstant(
  slots: WallSlots,
  afterMs: number,
  zone: string,
  repeated: RepeatedSlots,
): number | null {
  if (isUtcZone(zone)) return slots.nextAfter(afterMs);
  const afterOffset = offsetMs(afterMs, zone);
  let cursor = afterMs + afterOffset;
  for (let i = 0; i < MAX_SLOTS; i++) {
    const slot = slots.nextAfter(cursor);
    if (slot === null) return null;
    const instants = instantsAt(slot, zone);
    const [first, second] = instants;
    if (first === undefined) {
      const shifted = gapInstant(slot, zone);
      if (shifted > afterMs) return shifted;
    } else if (second === undefined) {
      if (first > afterMs) {
        return repeated === 'both'
          ? (secondPassSlot(slots, afterMs, afterOffset, first, zone) ?? first)
          : first;
      }
    } else {
      if (first > afterMs) return first;
      if (repeated === 'both' && second > afterMs) return second;
    }
    cursor = slot;
  }
  return null;
}

/**
 * For an interval schedule whose next slot lies after a repeated hour that `afterMs` was in or before: the first
 * slot of the hour's second pass still ahead, which comes before `next`. Undefined when clocks did not go back
 * in between or no slot falls in the repeated hour.
 */
function secondPassSlot(
  slots: WallSlots,
  afterMs: number,
  afterOffset: number,
  next: number,
  zone: string,
): number | undefined {
  const nextOffset = offsetMs(next, zone);
  if (nextOffset >= afterOffset) return undefined;
  const change = transitionBetween(afterMs, next, afterOffset, zone);
  // The repeated wall times are [change + nextOffset, change + afterOffset); in the second pass each runs at
  // wall - nextOffset, which must still be after `afterMs`.
  const from = Math.max(change + nextOffset - 1, afterMs + nextOffset);
  const slot = slots.nextAfter(from);
  if (slot === null || slot >= change + afterOffset) return undefined;
  return slot - nextOffset;
}

/** The first instant in (a, b] whose offset differs from `offsetA`, the offset at `a`; b's offset must differ. */
function transitionBetween(a: number, b: number, offsetA: number, zone: string): number {
  let low = a;
  let high = b;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (offsetMs(mid, zone) === offsetA) low = mid;
    else high = mid;
  }
  return high;
}

/** Wall milliseconds → { year, month (1–12), day, hour, minute, second, weekday (0 = Sunday) }. */
export function wallFields(wall: number): {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
} {
  const d = new Date(wall);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export { DAY_MS };
