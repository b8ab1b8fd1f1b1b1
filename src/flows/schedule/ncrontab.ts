/**
 * @module flows/schedule/ncrontab
 * Timer schedules as Azure Functions writes them (`[TimerTrigger("0 *\/5 * * * *")]`, a binding's
 * `schedule`), and as `lanyard.yaml` gives runbook schedules: an NCRONTAB expression of six fields
 * `{second} {minute} {hour} {day} {month} {day-of-week}` read in a time zone (WEBSITE_TIME_ZONE: a Windows
 * id or an IANA name; UTC by default), or a TimeSpan (`hh:mm:ss`) between runs.
 *
 * The fields are read as the NCrontab library Functions uses reads them: values, `*`, ranges `a-b`, lists,
 * steps `*\/n`, `a-b/n` and `a/n` (from a to the field's end); month and day names in English, any prefix,
 * without regard to case (`Mon`, `January`); day of week 0–6 with 0 Sunday. When both day of month and day of
 * week are restricted, a day must match both (NCrontab's rule; classic cron takes either). croner computes the
 * occurrences, over the zone's wall clock; daylight-saving changes follow wall-clock.ts, with Functions'
 * split between point-in-time schedules and "interval" ones (a `*` or a run of consecutive values in the
 * second, minute or hour field), which run through both passes of a repeated hour.
 *
 * Lanyard refuses three things Azure would read: five fields (newer Functions hosts take them as minute
 * precision; the hint shows the six-field form), a step of 0 (NCrontab reads it as 1), and a range written
 * high-low (NCrontab swaps the ends, so `22-2` means 2-22, not the wrap-around one would expect).
 */
import { Cron } from 'croner';
import { MONTHS, WEEK_DAYS } from '../calendar-names.ts';
import { scheduleError } from './schedule-error.ts';
import { type ResolvedTimeZone, timerTimeZone } from './time-zones.ts';
import { nextInstant, type RepeatedSlots } from './wall-clock.ts';

export interface CronTimerSchedule {
  readonly kind: 'cron';
  /** The expression as given. */
  readonly expression: string;
  /** The zone its fields are read in. */
  readonly timeZone: ResolvedTimeZone;
  /** The values each field allows, ascending. */
  readonly fields: CronFields;
  /**
   * Functions' "interval" schedule (its CronSchedule.IsInterval): a `*` or consecutive values in the second,
   * minute or hour field. An interval schedule runs in both passes of an hour clocks repeat; a point-in-time one
   * (`0 30 9 * * *`) once.
   */
  readonly isInterval: boolean;
}

export interface CronFields {
  readonly second: readonly number[];
  readonly minute: readonly number[];
  readonly hour: readonly number[];
  readonly day: readonly number[];
  readonly month: readonly number[];
  readonly dayOfWeek: readonly number[];
}

export interface TimeSpanTimerSchedule {
  readonly kind: 'timespan';
  readonly expression: string;
  /** Milliseconds from the start of one run to the next. */
  readonly intervalMs: number;
}

export type TimerSchedule = CronTimerSchedule | TimeSpanTimerSchedule;

export interface TimerScheduleOptions {
  /** WEBSITE_TIME_ZONE: a Windows id or an IANA name; UTC when absent. Ignored by TimeSpan schedules. */
  readonly timeZone?: string | undefined;
  /** The name errors give the expression (`schedule`, `functions.cleanup.schedule`). */
  readonly field?: string | undefined;
  /** The name errors give the time zone. */
  readonly timeZoneField?: string | undefined;
}

interface FieldSpec {
  readonly name: keyof CronFields;
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELD_SPECS: readonly FieldSpec[] = [
  { name: 'second', label: 'second', min: 0, max: 59 },
  { name: 'minute', label: 'minute', min: 0, max: 59 },
  { name: 'hour', label: 'hour', min: 0, max: 23 },
  { name: 'day', label: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    label: 'month',
    min: 1,
    max: 12,
    names: MONTHS,
  },
  {
    name: 'dayOfWeek',
    label: 'day of week',
    min: 0,
    max: 6,
    names: WEEK_DAYS,
  },
];

const SIX_FIELDS = '{second} {minute} {hour} {day} {month} {day-of-week}';

/** Largest day each month can have, for refusing a day/month pair no year has (`0 0 0 30 2 *`). */
const MONTH_MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Reads a timer schedule: an NCRONTAB expression, or failing that a TimeSpan, as Functions tries them. A
 * schedule given as `%AppSetting%` must be resolved by the caller first.
 */
export function parseTimerSchedule(expression: unknown, options: TimerScheduleOptions = {}): TimerSchedule {
  const field = options.field ?? 'schedule';
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw scheduleError(
      field,
      expression,
      `${field} must be an NCRONTAB expression or a TimeSpan.`,
      `Write six fields ${SIX_FIELDS}, such as "0 */5 * * * *", or a TimeSpan such as "01:00:00".`,
    );
  }
  const text = expression.trim();
  if (/^[\d.:]+$/.test(text) && text.includes(':')) return parseTimeSpan(text, field);
  if (/%[^%]+%/.test(text)) {
    throw scheduleError(
      field,
      expression,
      `${field} "${text}" names an app setting; it must be resolved before it is read.`,
      'Put the expression itself in the setting the name refers to, and resolve it first.',
    );
  }
  const timeZone = timerTimeZone(options.timeZone, options.timeZoneField ?? 'WEBSITE_TIME_ZONE');
  // NCrontab splits on spaces only.
  const parts = text.split(' ').filter((p) => p !== '');
  if (parts.length === 5) {
    throw scheduleError(
      field,
      expression,
      `${field} "${text}" has 5 fields; Azure Functions timers take 6, starting with the second.`,
      `Add a seconds field in front: "0 ${parts.join(' ')}" (${SIX_FIELDS}).`,
      { fields: 5 },
    );
  }
  if (parts.length !== 6) {
    throw scheduleError(
      field,
      expression,
      `${field} "${text}" has ${parts.length} field${parts.length === 1 ? '' : 's'}; an NCRONTAB expression has 6.`,
      `Write ${SIX_FIELDS}, such as "0 */5 * * * *" (every five minutes), or a TimeSpan such as "00:05:00".`,
      { fields: parts.length },
    );
  }
  const sets = FIELD_SPECS.map((spec, i) => parseField(parts[i]!, spec, field, text));
  const [second, minute, hour, day, month, dayOfWeek] = sets as [
    number[],
    number[],
    number[],
    number[],
    number[],
    number[],
  ];
  if (!month.some((m) => day.some((d) => d <= MONTH_MAX_DAYS[m - 1]!))) {
    throw scheduleError(
      field,
      expression,
      `${field} "${text}" never fires: no month it allows has the days it allows.`,
      'Choose days that the months have (February has at most 29).',
    );
  }
  const fields: CronFields = { second, minute, hour, day, month, dayOfWeek };
  const isInterval = [second, minute, hour].some((values, i) => isRun(values, FIELD_SPECS[i]!));
  return { kind: 'cron', expression: text, timeZone, fields, isInterval };
}

/** The first occurrence strictly after `after`; null when the schedule has no later one. */
export function nextOccurrence(schedule: TimerSchedule, after: Date): Date | null {
  if (schedule.kind === 'timespan') return new Date(after.getTime() + schedule.intervalMs);
  const cron = cronOf(schedule);
  const repeated: RepeatedSlots = schedule.isInterval ? 'both' : 'first';
  const next = nextInstant(
    { nextAfter: (wall) => cron.nextRun(new Date(wall))?.getTime() ?? null },
    after.getTime(),
    schedule.timeZone.iana,
    repeated,
  );
  return next === null ? null : new Date(next);
}

/** The next `count` occurrences after `after`, for showing a schedule (Functions logs the next five). */
export function nextOccurrences(schedule: TimerSchedule, after: Date, count: number): Date[] {
  const out: Date[] = [];
  let cursor: Date | null = after;
  while (out.length < count && cursor !== null) {
    cursor = nextOccurrence(schedule, cursor);
    if (cursor !== null) out.push(cursor);
  }
  return out;
}

// croner reads the fields over the zone's wall clock, written as UTC; a schedule's Cron is made once.
const CRONS = new WeakMap<CronTimerSchedule, Cron>();

function cronOf(schedule: CronTimerSchedule): Cron {
  let cron = CRONS.get(schedule);
  if (cron === undefined) {
    const f = schedule.fields;
    const pattern = FIELD_SPECS.map((spec) => {
      const values = f[spec.name];
      return values.length === spec.max - spec.min + 1 ? '*' : values.join(',');
    }).join(' ');
    // No callback: croner only computes, it starts no timer.
    cron = new Cron(pattern, { timezone: 'UTC', mode: '6-part', domAndDow: true });
    CRONS.set(schedule, cron);
  }
  return cron;
}

/** A full field or one with two consecutive values: how Functions tells an interval schedule. */
function isRun(values: readonly number[], spec: FieldSpec): boolean {
  if (values.length === spec.max - spec.min + 1) return true;
  return values.some((v, i) => i > 0 && values[i - 1] === v - 1);
}

function parseField(text: string, spec: FieldSpec, field: string, expression: string): number[] {
  const fail = (value: string, why: string, hint: string) =>
    scheduleError(field, expression, `${field} "${expression}": ${spec.label} "${value}" ${why}.`, hint, {
      part: spec.name,
      partValue: value,
    });
  const rangeHint = `The ${spec.label} field takes ${spec.min}–${spec.max}${
    spec.names ? ` or names (${spec.names.map((n) => n.slice(0, 3)).join(', ')})` : ''
  }, as a value, a range a-b, a list a,b or a step */n.`;
  const values = new Set<number>();
  // NCrontab reads a list only when the comma is not the first character.
  const items = text.indexOf(',') > 0 ? text.split(',') : [text];
  for (const item of items) {
    if (item === '') throw fail(text, 'has an empty list item', rangeHint);
    let base = item;
    let step = 1;
    let stepped = false;
    const slash = item.indexOf('/');
    if (slash > 0) {
      const stepText = item.slice(slash + 1);
      if (!/^\d+$/.test(stepText)) throw fail(item, 'has a step that is not a whole number', rangeHint);
      step = Number(stepText);
      if (step < 1) throw fail(item, 'has a step of 0', `Use a step of 1 or more, such as */5; ${rangeHint}`);
      base = item.slice(0, slash);
      stepped = true;
    }
    let from: number;
    let to: number;
    if (base === '*') {
      from = spec.min;
      to = spec.max;
    } else {
      const dash = base.indexOf('-');
      if (dash > 0) {
        from = value(base.slice(0, dash), item);
        to = value(base.slice(dash + 1), item);
        if (from > to) {
          throw fail(
            item,
            'is a range from high to low',
            `Write ranges low-high; for one that wraps around, list both parts (such as 22-23,0-2 for hours).`,
          );
        }
      } else {
        from = value(base, item);
        // "a/n" runs from a to the field's end, as NCrontab reads it.
        to = stepped ? spec.max : from;
      }
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);

  function value(raw: string, item: string): number {
    if (raw === '') throw fail(item, 'has an empty value', rangeHint);
    let n: number | undefined;
    if (/^\d+$/.test(raw)) n = Number(raw);
    else if (spec.names !== undefined && /^[A-Za-z]+$/.test(raw)) {
      // NCrontab takes any prefix of a name, the first name it begins in the list's order.
      const index = spec.names.findIndex((name) => name.toLowerCase().startsWith(raw.toLowerCase()));
      if (index >= 0) n = spec.min + index;
      else throw fail(item, `is not a ${spec.label} name`, rangeHint);
    }
    if (n === undefined) throw fail(item, 'is not a number', rangeHint);
    if (n < spec.min || n > spec.max) {
      throw fail(
        item,
        `is out of range ${spec.min}–${spec.max}`,
        spec.name === 'dayOfWeek' && n === 7 ? `Write Sunday as 0 (or Sun); ${rangeHint}` : rangeHint,
      );
    }
    return n;
  }
}

/**
 * A TimeSpan as .NET's `TimeSpan.Parse` reads it: `hh:mm`, `hh:mm:ss`, `d.hh:mm[:ss]`, `d:hh:mm:ss`, with
 * optional fractions of a second; and, the quirk Azure's documentation describes, `hh:mm:ss` with hours of 24
 * or more read as `d:hh:mm` ("24:00:00" is every 24 days; every day is "1.00:00:00").
 */
function parseTimeSpan(text: string, field: string): TimeSpanTimerSchedule {
  const fail = (why: string) =>
    scheduleError(
      field,
      text,
      `${field} "${text}" ${why}.`,
      'Write a TimeSpan as hh:mm:ss ("01:00:00" hourly) or d.hh:mm:ss ("1.00:00:00" daily); "24:00:00" is read as 24 days, as Azure reads it.',
    );
  let m =
    /^(\d+)\.(\d+):(\d+)(?::(\d+)(?:\.(\d{1,7}))?)?$/.exec(text) ??
    /^(\d+):(\d+):(\d+):(\d+)(?:\.(\d{1,7}))?$/.exec(text);
  let days = 0;
  let hours: number;
  let minutes: number;
  let seconds: number;
  let fraction: string | undefined;
  if (m !== null) {
    days = Number(m[1]);
    hours = Number(m[2]);
    minutes = Number(m[3]);
    seconds = m[4] === undefined ? 0 : Number(m[4]);
    fraction = m[5];
  } else {
    m = /^(\d+):(\d+)(?::(\d+)(?:\.(\d{1,7}))?)?$/.exec(text);
    if (m === null) throw fail('is not a TimeSpan');
    hours = Number(m[1]);
    minutes = Number(m[2]);
    seconds = m[3] === undefined ? 0 : Number(m[3]);
    fraction = m[4];
    if (hours >= 24 && m[3] !== undefined && fraction === undefined) {
      // .NET: an hour field of 24 or more makes hh:mm:ss into d:hh:mm.
      [days, hours, minutes, seconds] = [hours, minutes, seconds, 0];
    }
  }
  if (hours > 23 || minutes > 59 || seconds > 59) throw fail('has hours, minutes or seconds out of range');
  const fractionMs = fraction === undefined ? 0 : Number(`0.${fraction}`) * 1000;
  const ms = Math.round((((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000 + fractionMs);
  if (ms <= 0) throw fail('is zero');
  return { kind: 'timespan', expression: text, intervalMs: ms };
}
