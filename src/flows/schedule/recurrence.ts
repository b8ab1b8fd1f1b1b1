/**
 * @module flows/schedule/recurrence
 * The Logic Apps `Recurrence` trigger's `recurrence` object: parsed and checked as Azure checks it, and its
 * occurrences computed from a clock the caller passes in (nothing here reads the time or starts a timer).
 *
 * - `frequency` Second…Month and `interval` within Azure's bounds for that frequency.
 * - `startTime` ISO 8601; without an offset it is a wall-clock time in `timeZone` (UTC without one); a `Z` or
 *   an offset makes it an instant and Azure then ignores `timeZone`: the schedule runs in UTC.
 * - `timeZone` a Windows id, mapped to IANA (time-zones.ts).
 * - `schedule`: `hours` and `minutes` with Day, Week or Month; `weekDays` with Week; `monthDays` with Month.
 *
 * Occurrences: a simple recurrence (no `schedule`) runs at `startTime` and then every `interval` units counted
 * from it: Second, Minute and Hour as elapsed time, Day, Week and Month on the wall clock of the time zone (a
 * month from the 31st is the month's last day when it is shorter). A complex one runs at the schedule's
 * wall-clock times inside every `interval`-th day, week (weeks start on Monday) or month counted from the
 * start, never before `startTime`; what the schedule leaves out comes from the start (`hours` without
 * `minutes` run at the start's minute). Without `startTime` the first run is immediate and the count starts
 * from an anchor the caller keeps (the time the workflow was saved; Azure counts from the save). Slots that
 * clocks skip or repeat follow wall-clock.ts. Missed occurrences are never replayed: `nextRecurrence(r, now)`
 * is the first occurrence after now, whatever was missed before it.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import { WEEK_DAYS, type WeekDay } from '../calendar-names.ts';
import { scheduleError } from './schedule-error.ts';
import { type ResolvedTimeZone, UTC_ZONE, windowsTimeZone } from './time-zones.ts';
import {
  DAY_MS,
  daysInMonth,
  firstInstantAt,
  nextInstant,
  type WallSlots,
  wallFields,
  wallMs,
} from './wall-clock.ts';

export const RECURRENCE_FREQUENCIES = ['Second', 'Minute', 'Hour', 'Day', 'Week', 'Month'] as const;
export type RecurrenceFrequency = (typeof RECURRENCE_FREQUENCIES)[number];

/** Azure's largest `interval` for each frequency (the smallest is 1). */
export const RECURRENCE_INTERVAL_MAX: Readonly<Record<RecurrenceFrequency, number>> = {
  Second: 9_999_999,
  Minute: 72_000,
  Hour: 12_000,
  Day: 500,
  Week: 71,
  Month: 16,
};

export { WEEK_DAYS, type WeekDay };

/** Which `schedule` fields go with which frequency. */
const SCHEDULE_FIELDS: Readonly<Record<RecurrenceFrequency, readonly string[]>> = {
  Second: [],
  Minute: [],
  Hour: [],
  Day: ['hours', 'minutes'],
  Week: ['hours', 'minutes', 'weekDays'],
  Month: ['hours', 'minutes', 'monthDays'],
};

/** How far ahead Azure lets `startTime` be. */
const MAX_START_YEARS_AHEAD = 49;

export interface RecurrenceSchedule {
  /** 0–23, ascending, or undefined: the start's hour. */
  readonly hours: readonly number[] | undefined;
  /** 0–59, ascending, or undefined: the start's minute. */
  readonly minutes: readonly number[] | undefined;
  /** Week days (Week only), or undefined: the start's week day. */
  readonly weekDays: readonly WeekDay[] | undefined;
  /** 1–31 and -31…-1 (-1 the last day; Month only), or undefined: the start's day of the month. */
  readonly monthDays: readonly number[] | undefined;
}

export interface Recurrence {
  readonly frequency: RecurrenceFrequency;
  readonly interval: number;
  /** The first occurrence (simple) or the earliest one (complex), as an instant; undefined: run at once. */
  readonly startTime: Date | undefined;
  /** No occurrence after this instant; undefined: none. */
  readonly endTime: Date | undefined;
  /** The zone wall-clock slots are computed in: `timeZone`, or UTC without one or when `startTime` has a Z. */
  readonly zone: ResolvedTimeZone;
  /** `timeZone` as given (canonical Windows spelling), undefined when absent. */
  readonly timeZone: string | undefined;
  /** True when `timeZone` was given but `startTime`'s `Z` or offset overrides it (Azure ignores it then). */
  readonly timeZoneIgnored: boolean;
  /** Undefined for a simple recurrence (no `schedule`, or an empty one). */
  readonly schedule: RecurrenceSchedule | undefined;
}

const KNOWN_KEYS = ['frequency', 'interval', 'startTime', 'endTime', 'timeZone', 'schedule'] as const;
const SCHEDULE_KEYS = ['hours', 'minutes', 'weekDays', 'monthDays', 'monthlyOccurrences'] as const;

/**
 * Checks a `recurrence` object as a workflow definition carries it. Property names and enum values match
 * without regard to case, as Azure's JSON reader does. `field` prefixes the names in errors.
 */
export function parseRecurrence(input: unknown, field = 'recurrence'): Recurrence {
  const props = objectProps(
    input,
    field,
    KNOWN_KEYS,
    'frequency, interval, startTime, endTime, timeZone, schedule',
  );

  const frequency = parseFrequency(props.get('frequency'), `${field}.frequency`);
  const interval = parseInterval(props.get('interval'), frequency, `${field}.interval`);

  const timeZoneValue = props.get('timeZone');
  const namedZone =
    timeZoneValue === undefined || timeZoneValue === null
      ? undefined
      : windowsTimeZone(timeZoneValue, `${field}.timeZone`);

  const startText = props.get('startTime');
  const start =
    startText === undefined || startText === null
      ? undefined
      : parseDateTime(startText, `${field}.startTime`);
  const endText = props.get('endTime');
  const end =
    endText === undefined || endText === null ? undefined : parseDateTime(endText, `${field}.endTime`);

  // A Z or offset on startTime makes the whole schedule run in UTC: Azure ignores timeZone then.
  const timeZoneIgnored = namedZone !== undefined && start?.offsetMs !== undefined;
  const zone = namedZone === undefined || timeZoneIgnored ? UTC_ZONE : namedZone;

  const startTime = start === undefined ? undefined : new Date(toInstant(start, zone.iana));
  const endTime = end === undefined ? undefined : new Date(toInstant(end, zone.iana));
  if (startTime !== undefined && endTime !== undefined && endTime.getTime() <= startTime.getTime()) {
    throw scheduleError(
      `${field}.endTime`,
      endText,
      `${field}.endTime "${String(endText)}" is not after startTime "${String(startText)}".`,
      'Give an endTime after startTime, or leave endTime out.',
    );
  }

  const schedule = parseSchedule(props.get('schedule'), frequency, `${field}.schedule`);
  return {
    frequency,
    interval,
    startTime,
    endTime,
    zone,
    timeZone: namedZone?.id,
    timeZoneIgnored,
    schedule,
  };
}

/**
 * When a recurrence first runs, given the time it is enabled (`now`): at once without `startTime`; otherwise
 * its first occurrence not before `now` (occurrences before `now`, from a start in the past, are dropped, as
 * Azure does). Null when `endTime` has passed. Refuses a `startTime` more than 49 years after `now`.
 */
export function firstRecurrence(recurrence: Recurrence, now: Date): Date | null {
  const { startTime } = recurrence;
  if (startTime === undefined) return endsBefore(recurrence, now.getTime()) ? null : now;
  const limit = new Date(now.getTime());
  limit.setUTCFullYear(limit.getUTCFullYear() + MAX_START_YEARS_AHEAD);
  if (startTime.getTime() > limit.getTime()) {
    throw scheduleError(
      'recurrence.startTime',
      startTime.toISOString(),
      `recurrence.startTime ${startTime.toISOString()} is more than ${MAX_START_YEARS_AHEAD} years ahead.`,
      `Azure accepts a start at most ${MAX_START_YEARS_AHEAD} years in the future; give an earlier startTime.`,
    );
  }
  return nextRecurrence(recurrence, new Date(Math.max(now.getTime(), startTime.getTime()) - 1));
}

/**
 * The first occurrence strictly after `after`, never before `startTime`; null when there is none (past
 * `endTime`, or a schedule whose days never come, such as monthDays 31 every 12 months from February).
 * Missed occurrences are not replayed: pass the current time to skip them all.
 *
 * `anchor` is what the interval counts from when the recurrence has no `startTime`: the time the workflow
 * was saved or enabled, kept by the caller. It defaults to `after`, which is right for a simple recurrence
 * computed from its last run ("every interval after the last run", as Azure documents).
 */
export function nextRecurrence(recurrence: Recurrence, after: Date, anchor?: Date): Date | null {
  const { startTime } = recurrence;
  const anchorMs = Math.floor((startTime ?? anchor ?? after).getTime() / 1000) * 1000;
  // Never before startTime: the search starts just before it.
  const fromMs =
    startTime === undefined ? after.getTime() : Math.max(after.getTime(), startTime.getTime() - 1);

  let next: number | null;
  const step = elapsedStep(recurrence);
  if (step !== undefined && recurrence.schedule === undefined) {
    next = fromMs < anchorMs ? anchorMs : anchorMs + (Math.floor((fromMs - anchorMs) / step) + 1) * step;
  } else {
    next = nextInstant(wallSlots(recurrence, anchorMs), fromMs, recurrence.zone.iana, 'first');
  }
  if (next === null || endsBefore(recurrence, next)) return null;
  return new Date(next);
}

function endsBefore(recurrence: Recurrence, instantMs: number): boolean {
  return recurrence.endTime !== undefined && instantMs > recurrence.endTime.getTime();
}

/** The step of a simple Second, Minute or Hour recurrence, which counts elapsed time, not the wall clock. */
function elapsedStep(recurrence: Recurrence): number | undefined {
  switch (recurrence.frequency) {
    case 'Second':
      return recurrence.interval * 1000;
    case 'Minute':
      return recurrence.interval * 60_000;
    case 'Hour':
      return recurrence.interval * 3_600_000;
    default:
      return undefined;
  }
}

/**
 * The wall-clock slots of a Day, Week or Month recurrence (simple or complex), counted from the anchor's wall
 * clock: the days of every `interval`-th period, the times of each day.
 */
function wallSlots(recurrence: Recurrence, anchorMs: number): WallSlots {
  const anchorWall = wallMs(anchorMs, recurrence.zone.iana);
  const a = wallFields(anchorWall);
  const anchorDay = Math.floor(anchorWall / DAY_MS);
  const { frequency, interval, schedule } = recurrence;
  const timed = schedule?.hours !== undefined || schedule?.minutes !== undefined;
  const second = timed ? 0 : a.second;
  const times: number[] = [];
  for (const h of schedule?.hours ?? [a.hour]) {
    for (const m of schedule?.minutes ?? [a.minute]) times.push(((h * 60 + m) * 60 + second) * 1000);
  }
  times.sort((x, y) => x - y);
  const weekDays = new Set((schedule?.weekDays ?? [WEEK_DAYS[a.weekday]!]).map((d) => WEEK_DAYS.indexOf(d)));
  const anchorWeek = weekIndex(anchorDay);
  const anchorMonth = a.year * 12 + (a.month - 1);

  const dayIncluded = (day: number): boolean => {
    if (day < anchorDay) return false;
    switch (frequency) {
      case 'Week':
        return (
          (weekIndex(day) - anchorWeek) % interval === 0 && weekDays.has(new Date(day * DAY_MS).getUTCDay())
        );
      case 'Month': {
        const d = new Date(day * DAY_MS);
        const year = d.getUTCFullYear();
        const month = d.getUTCMonth() + 1;
        if ((year * 12 + month - 1 - anchorMonth) % interval !== 0) return false;
        return monthDaysOf(schedule?.monthDays, a.day, year, month).has(d.getUTCDate());
      }
      default:
        // Day; Second/Minute/Hour with a schedule never get here (parse refuses their schedule fields).
        return (day - anchorDay) % interval === 0;
    }
  };

  // Long enough for the sparsest schedule to come round several times (16 months, 71 weeks, 500 days).
  const searchDays = 366 * 8;
  return {
    nextAfter(wall: number): number | null {
      const from = Math.max(wall, anchorWall - 1);
      let day = Math.floor(from / DAY_MS);
      for (let i = 0; i < searchDays; i++, day++) {
        if (!dayIncluded(day)) continue;
        for (const t of times) {
          const slot = day * DAY_MS + t;
          if (slot > from) return slot;
        }
      }
      return null;
    },
  };
}

/** Monday-based week number of a day number (day 0, 1970-01-01, was a Thursday). */
function weekIndex(day: number): number {
  return Math.floor((day + 3) / 7);
}

function monthDaysOf(
  monthDays: readonly number[] | undefined,
  anchorDay: number,
  year: number,
  month: number,
) {
  const length = daysInMonth(year, month);
  // Without monthDays the start's day, pulled back to the month's last day when the month is shorter.
  if (monthDays === undefined) return new Set([Math.min(anchorDay, length)]);
  const days = new Set<number>();
  for (const d of monthDays) {
    const day = d > 0 ? d : length + 1 + d;
    if (day >= 1 && day <= length) days.add(day);
  }
  return days;
}

// ---- parsing ----------------------------------------------------------------------------------------------

function objectProps(
  input: unknown,
  field: string,
  known: readonly string[],
  knownText: string,
): Map<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw scheduleError(
      field,
      input,
      `${field} must be an object.`,
      `Write ${field} as a JSON object with ${knownText}.`,
    );
  }
  const props = new Map<string, unknown>();
  for (const [key, value] of Object.entries(input)) {
    const name = known.find((k) => k.toLowerCase() === key.toLowerCase());
    if (name === undefined) {
      throw scheduleError(
        `${field}.${key}`,
        key,
        `${field} has an unknown property "${key}".`,
        `${field} takes ${knownText}; remove "${key}" or correct its spelling.`,
      );
    }
    if (props.has(name)) {
      throw scheduleError(
        `${field}.${key}`,
        key,
        `${field} gives "${name}" twice (names are compared without regard to case).`,
        `Keep one "${name}".`,
      );
    }
    props.set(name, value);
  }
  return props;
}

function parseFrequency(value: unknown, field: string): RecurrenceFrequency {
  const found =
    typeof value === 'string'
      ? RECURRENCE_FREQUENCIES.find((f) => f.toLowerCase() === value.trim().toLowerCase())
      : undefined;
  if (found === undefined) {
    throw scheduleError(
      field,
      value,
      value === undefined
        ? `${field} is missing.`
        : `${field} "${String(value)}" is not a recurrence frequency.`,
      `Give one of ${RECURRENCE_FREQUENCIES.join(', ')}.`,
    );
  }
  return found;
}

function parseInterval(value: unknown, frequency: RecurrenceFrequency, field: string): number {
  const max = RECURRENCE_INTERVAL_MAX[frequency];
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
    throw scheduleError(
      field,
      value,
      value === undefined
        ? `${field} is missing.`
        : `${field} ${JSON.stringify(value)} is not a whole number from 1 to ${max.toLocaleString('en-US')}, Azure's range for frequency ${frequency}.`,
      `Give an interval from 1 to ${max.toLocaleString('en-US')} for ${frequency}; the ranges are Month 1–16, Week 1–71, Day 1–500, Hour 1–12,000, Minute 1–72,000, Second 1–9,999,999.`,
      { frequency, min: 1, max },
    );
  }
  return n;
}

function parseSchedule(
  value: unknown,
  frequency: RecurrenceFrequency,
  field: string,
): RecurrenceSchedule | undefined {
  if (value === undefined || value === null) return undefined;
  const props = objectProps(value, field, SCHEDULE_KEYS, 'hours, minutes, weekDays, monthDays');
  if (props.has('monthlyOccurrences')) {
    throw new LanyardError(
      'ERR_FLOW_UNSUPPORTED',
      `${field}.monthlyOccurrences is not supported by Lanyard.`,
      {
        hint: 'Use monthDays (with Month) or weekDays (with Week) instead; docs/flows.md, "Schedules".',
        details: {
          path: `${field}.monthlyOccurrences`,
          supported: ['hours', 'minutes', 'weekDays', 'monthDays'],
        },
      },
    );
  }
  const allowed = SCHEDULE_FIELDS[frequency];
  for (const [name, v] of props) {
    if (isEmpty(v) || allowed.includes(name)) continue;
    const goesWith = name === 'weekDays' ? 'Week' : name === 'monthDays' ? 'Month' : 'Day, Week or Month';
    throw scheduleError(
      `${field}.${name}`,
      v,
      `${field}.${name} cannot be used with frequency ${frequency}: it goes with ${goesWith}.`,
      allowed.length === 0
        ? `A ${frequency} recurrence takes no schedule: remove ${field}, or use frequency ${goesWith === 'Day, Week or Month' ? 'Day' : goesWith}.`
        : `With ${frequency} the schedule takes ${allowed.join(', ')}: remove ${name}, or change the frequency to ${goesWith}.`,
      { frequency },
    );
  }
  const hours = intList(props.get('hours'), `${field}.hours`, 0, 23);
  const minutes = intList(props.get('minutes'), `${field}.minutes`, 0, 59);
  const monthDays = intList(props.get('monthDays'), `${field}.monthDays`, -31, 31, true);
  const weekDays = weekDayList(props.get('weekDays'), `${field}.weekDays`);
  if (hours === undefined && minutes === undefined && monthDays === undefined && weekDays === undefined) {
    return undefined;
  }
  return { hours, minutes, weekDays, monthDays };
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
}

function intList(
  value: unknown,
  field: string,
  min: number,
  max: number,
  monthDays = false,
): number[] | undefined {
  if (isEmpty(value)) return undefined;
  const items = Array.isArray(value) ? value : [value];
  const out = new Set<number>();
  for (const item of items) {
    const n = typeof item === 'string' && /^\s*-?\d+\s*$/.test(item) ? Number(item) : item;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max || (monthDays && n === 0)) {
      throw scheduleError(
        field,
        item,
        `${field} has ${JSON.stringify(item)}, which is not ${monthDays ? 'a day of the month' : `a whole number from ${min} to ${max}`}.`,
        monthDays
          ? 'Give days from 1 to 31, or -1 for the last day of the month (-2 the one before, down to -31).'
          : `Give whole numbers from ${min} to ${max}, as a number or an array.`,
      );
    }
    out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

function weekDayList(value: unknown, field: string): WeekDay[] | undefined {
  if (isEmpty(value)) return undefined;
  const items = Array.isArray(value) ? value : [value];
  const out = new Set<WeekDay>();
  for (const item of items) {
    const day =
      typeof item === 'string'
        ? WEEK_DAYS.find((d) => d.toLowerCase() === item.trim().toLowerCase())
        : undefined;
    if (day === undefined) {
      throw scheduleError(
        field,
        item,
        `${field} has ${JSON.stringify(item)}, which is not a week day.`,
        `Give week days spelt out: ${[...WEEK_DAYS.slice(1), WEEK_DAYS[0]].join(', ')}.`,
      );
    }
    out.add(day);
  }
  return WEEK_DAYS.filter((d) => out.has(d));
}

interface ParsedDateTime {
  /** The date and time as written, as wall milliseconds. */
  readonly wall: number;
  /** The offset written (`Z` is 0), or undefined when none was. */
  readonly offsetMs: number | undefined;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function parseDateTime(value: unknown, field: string): ParsedDateTime {
  const m = typeof value === 'string' ? DATE_TIME.exec(value.trim()) : null;
  const bad = (why: string): LanyardError =>
    scheduleError(
      field,
      value,
      `${field} ${JSON.stringify(value)} ${why}.`,
      'Write YYYY-MM-DDThh:mm:ss (read in timeZone), or YYYY-MM-DDThh:mm:ssZ for UTC; a Z makes Azure ignore timeZone.',
    );
  if (m === null) throw bad('is not an ISO 8601 date and time');
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
    throw bad('is not a date of the calendar');
  if (hour > 23 || minute > 59 || second > 59) throw bad('has a time of day out of range');
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  let offset: number | undefined;
  const zone = m[8];
  if (zone !== undefined) {
    if (zone.toUpperCase() === 'Z') offset = 0;
    else {
      const digits = zone.replace(':', '');
      const h = Number(digits.slice(1, 3));
      const mi = Number(digits.slice(3, 5));
      if (h > 14 || mi > 59) throw bad('has an offset out of range');
      offset = (zone.startsWith('-') ? -1 : 1) * (h * 60 + mi) * 60_000;
    }
  }
  return { wall, offsetMs: offset };
}

function toInstant(parsed: ParsedDateTime, zone: string): number {
  return parsed.offsetMs !== undefined ? parsed.wall - parsed.offsetMs : firstInstantAt(parsed.wall, zone);
}
