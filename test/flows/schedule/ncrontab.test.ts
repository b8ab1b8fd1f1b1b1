/**
 * @module test/flows/schedule/ncrontab
 * Timer schedules as Azure Functions reads them: six NCRONTAB fields with seconds (seed 001's
 * `0 *\/1 * * * *`), the documented examples, NCrontab's readings (names by prefix, `a/n`, day of month AND day
 * of week), the refusals with the field and value named, WEBSITE_TIME_ZONE, daylight-saving changes for
 * point-in-time and interval schedules, and the TimeSpan form with .NET's "24:00:00" quirk.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CronTimerSchedule,
  nextOccurrence,
  nextOccurrences,
  parseTimerSchedule,
} from '../../../src/flows/schedule/ncrontab.ts';
import { iso, refused } from './helpers.ts';

function cron(expression: string, timeZone?: string): CronTimerSchedule {
  const schedule = parseTimerSchedule(expression, { timeZone });
  assert.equal(schedule.kind, 'cron');
  return schedule as CronTimerSchedule;
}

function times(expression: string, from: string, count: number, timeZone?: string): string[] {
  return nextOccurrences(parseTimerSchedule(expression, { timeZone }), new Date(from), count).map((d) =>
    d.toISOString(),
  );
}

describe('NCRONTAB with seconds', () => {
  it("runs seed 001's timer (0 */1 * * * *) at second 0 of every minute, strictly after the time given", () => {
    assert.deepEqual(times('0 */1 * * * *', '2024-05-01T12:00:30.500Z', 3), [
      '2024-05-01T12:01:00.000Z',
      '2024-05-01T12:02:00.000Z',
      '2024-05-01T12:03:00.000Z',
    ]);
    assert.equal(
      iso(nextOccurrence(cron('0 */1 * * * *'), new Date('2024-05-01T12:01:00.000Z'))),
      '2024-05-01T12:02:00.000Z',
    );
    assert.equal(
      iso(nextOccurrence(cron('0 */1 * * * *'), new Date('2024-05-01T12:01:00.200Z'))),
      '2024-05-01T12:02:00.000Z',
    );
  });

  it('reads the seconds field: steps, ranges, lists', () => {
    assert.deepEqual(times('*/15 * * * * *', '2024-05-01T12:00:00Z', 4), [
      '2024-05-01T12:00:15.000Z',
      '2024-05-01T12:00:30.000Z',
      '2024-05-01T12:00:45.000Z',
      '2024-05-01T12:01:00.000Z',
    ]);
    assert.deepEqual(times('5-7 * * * * *', '2024-05-01T12:00:00Z', 4), [
      '2024-05-01T12:00:05.000Z',
      '2024-05-01T12:00:06.000Z',
      '2024-05-01T12:00:07.000Z',
      '2024-05-01T12:01:05.000Z',
    ]);
    assert.deepEqual(times('5,8,10 * * * * *', '2024-05-01T12:00:06Z', 2), [
      '2024-05-01T12:00:08.000Z',
      '2024-05-01T12:00:10.000Z',
    ]);
  });

  it('runs the examples Azure documents', () => {
    assert.deepEqual(times('0 */5 * * * *', '2024-05-01T18:55:00Z', 2), [
      '2024-05-01T19:00:00.000Z',
      '2024-05-01T19:05:00.000Z',
    ]);
    assert.deepEqual(times('0 0 */2 * * *', '2024-05-01T01:00:00Z', 2), [
      '2024-05-01T02:00:00.000Z',
      '2024-05-01T04:00:00.000Z',
    ]);
    assert.deepEqual(times('0 0 9-17 * * *', '2024-05-01T16:30:00Z', 2), [
      '2024-05-01T17:00:00.000Z',
      '2024-05-02T09:00:00.000Z',
    ]);
    // 2024-05-03 is a Friday: the next weekday 9:30 is Monday.
    assert.deepEqual(times('0 30 9 * * 1-5', '2024-05-03T10:00:00Z', 1), ['2024-05-06T09:30:00.000Z']);
    // Every Monday in January.
    assert.deepEqual(times('0 30 9 * Jan Mon', '2024-02-01T00:00:00Z', 2), [
      '2025-01-06T09:30:00.000Z',
      '2025-01-13T09:30:00.000Z',
    ]);
  });

  it('reads names by any prefix without regard to case, as NCrontab does', () => {
    assert.deepEqual(cron('0 0 0 * * T').fields.dayOfWeek, [2]);
    assert.deepEqual(cron('0 0 0 * * MONDAY').fields.dayOfWeek, [1]);
    assert.deepEqual(cron('0 0 0 * * mon-fri').fields.dayOfWeek, [1, 2, 3, 4, 5]);
    assert.deepEqual(cron('0 0 0 1 Ju *').fields.month, [6]);
    assert.deepEqual(cron('0 0 0 1 jan,JUL *').fields.month, [1, 7]);
  });

  it('reads a/n as from a to the end of the field', () => {
    assert.deepEqual(cron('0 5/20 * * * *').fields.minute, [5, 25, 45]);
    assert.deepEqual(cron('0 0 1-10/3 * * *').fields.hour, [1, 4, 7, 10]);
  });

  it('requires both day of month and day of week when both are given (Friday the 13th)', () => {
    assert.deepEqual(times('0 0 0 13 * 5', '2024-01-01T00:00:00Z', 2), [
      '2024-09-13T00:00:00.000Z',
      '2024-12-13T00:00:00.000Z',
    ]);
  });

  it('starts no timer', () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    nextOccurrences(parseTimerSchedule('* * * * * *'), new Date('2024-01-01T00:00:00Z'), 5);
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    assert.equal(after, before);
  });
});

describe('refusals', () => {
  it('refuses five fields, showing the six-field form', () => {
    const error = refused(() => parseTimerSchedule('*/5 * * * *'), 'schedule');
    assert.match(error.message, /5 fields/);
    assert.match(error.hint!, /"0 \*\/5 \* \* \* \*"/);
  });

  it('refuses other field counts', () => {
    refused(() => parseTimerSchedule('0 0 * * * * 2024'), 'schedule');
    refused(() => parseTimerSchedule('hourly'), 'schedule');
    refused(() => parseTimerSchedule(''), 'schedule');
  });

  it('names the field and the value that is wrong', () => {
    let error = refused(() => parseTimerSchedule('0 61 * * * *'), 'schedule');
    assert.equal(error.details?.part, 'minute');
    assert.equal(error.details?.partValue, '61');
    assert.match(error.message, /minute "61" is out of range 0–59/);
    error = refused(() => parseTimerSchedule('0 0 24 * * *'), 'schedule');
    assert.equal(error.details?.part, 'hour');
    error = refused(() => parseTimerSchedule('0 0 0 0 * *'), 'schedule');
    assert.equal(error.details?.part, 'day');
    error = refused(() => parseTimerSchedule('0 0 0 * 13 *'), 'schedule');
    assert.equal(error.details?.part, 'month');
    error = refused(() => parseTimerSchedule('60 * * * * *'), 'schedule');
    assert.equal(error.details?.part, 'second');
  });

  it('refuses 7 for Sunday with a hint, and unknown names', () => {
    const error = refused(() => parseTimerSchedule('0 0 0 * * 7'), 'schedule');
    assert.match(error.hint!, /Sunday as 0/);
    const name = refused(() => parseTimerSchedule('0 0 0 * * Funday'), 'schedule');
    assert.equal(name.details?.partValue, 'Funday');
    refused(() => parseTimerSchedule('0 0 0 * Smarch *'), 'schedule');
    // Names only in the month and day-of-week fields.
    refused(() => parseTimerSchedule('0 0 Mon * * *'), 'schedule');
  });

  it('refuses what NCrontab would read surprisingly: a step of 0, a range from high to low', () => {
    assert.match(refused(() => parseTimerSchedule('0 */0 * * * *'), 'schedule').message, /step of 0/);
    const wrap = refused(() => parseTimerSchedule('0 0 22-2 * * *'), 'schedule');
    assert.match(wrap.hint!, /22-23,0-2/);
  });

  it('refuses syntax NCrontab does not have', () => {
    refused(() => parseTimerSchedule('0 0 0 L * *'), 'schedule');
    refused(() => parseTimerSchedule('0 0 0 ? * 1'), 'schedule');
    refused(() => parseTimerSchedule('0 0 0 * * 5#2'), 'schedule');
    refused(() => parseTimerSchedule('0 1,,2 * * * *'), 'schedule');
    refused(() => parseTimerSchedule('0 /5 * * * *'), 'schedule');
  });

  it('refuses a schedule that never fires', () => {
    assert.match(refused(() => parseTimerSchedule('0 0 0 30 2 *'), 'schedule').message, /never fires/);
    // February 29th comes round.
    assert.deepEqual(times('0 0 0 29 2 *', '2024-03-01T00:00:00Z', 1), ['2028-02-29T00:00:00.000Z']);
  });

  it('refuses an app-setting reference left unresolved, and an unknown time zone', () => {
    refused(() => parseTimerSchedule('%CleanupSchedule%'), 'schedule');
    refused(() => parseTimerSchedule('0 0 * * * *', { timeZone: 'Moon Standard Time' }), 'WEBSITE_TIME_ZONE');
  });

  it('names the expression as the caller does', () => {
    refused(
      () => parseTimerSchedule('0 99 * * * *', { field: 'functions.cleanup.schedule' }),
      'functions.cleanup.schedule',
    );
  });
});

describe('time zones and daylight saving', () => {
  it('reads the fields in WEBSITE_TIME_ZONE, a Windows id or an IANA name', () => {
    assert.deepEqual(times('0 0 10 * * *', '2024-01-10T00:00:00Z', 1, 'Eastern Standard Time'), [
      '2024-01-10T15:00:00.000Z',
    ]);
    assert.deepEqual(times('0 0 10 * * *', '2024-07-10T00:00:00Z', 1, 'America/New_York'), [
      '2024-07-10T14:00:00.000Z',
    ]);
    assert.deepEqual(times('0 0 10 * * *', '2024-07-10T00:00:00Z', 1), ['2024-07-10T10:00:00.000Z']);
  });

  it('tells point-in-time schedules from interval ones as Functions does', () => {
    assert.equal(cron('0 30 9 * * *').isInterval, false);
    assert.equal(cron('0 0 */2 * * *').isInterval, false); // 0,2,4…: no two consecutive hours
    assert.equal(cron('0 30 1,2 * * *').isInterval, true); // hours 1 and 2 are consecutive
    assert.equal(cron('0 */5 * * * *').isInterval, true); // every hour
    assert.equal(cron('0 0 9-17 * * *').isInterval, true);
    assert.equal(cron('* 0 0 * * *').isInterval, true);
  });

  it('runs a point-in-time slot clocks skip an hour later, and a repeated one once (W. Europe)', () => {
    const tz = 'W. Europe Standard Time';
    assert.deepEqual(times('0 30 2 * * *', '2024-03-30T00:00:00Z', 3, tz), [
      '2024-03-30T01:30:00.000Z', // 02:30 CET
      '2024-03-31T01:30:00.000Z', // no 02:30 on the last Sunday of March: 03:30 CEST
      '2024-04-01T00:30:00.000Z', // 02:30 CEST
    ]);
    assert.deepEqual(times('0 30 2 * * *', '2024-10-26T00:00:00Z', 3, tz), [
      '2024-10-26T00:30:00.000Z', // 02:30 CEST
      '2024-10-27T00:30:00.000Z', // 02:30 CEST only, not 02:30 CET
      '2024-10-28T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('runs an interval schedule through both passes of the repeated hour, and on through the gap', () => {
    const tz = 'W. Europe Standard Time';
    assert.deepEqual(times('0 */30 * * * *', '2024-10-27T00:00:00Z', 5, tz), [
      '2024-10-27T00:30:00.000Z', // 02:30 CEST
      '2024-10-27T01:00:00.000Z', // 02:00 CET
      '2024-10-27T01:30:00.000Z', // 02:30 CET
      '2024-10-27T02:00:00.000Z', // 03:00 CET
      '2024-10-27T02:30:00.000Z',
    ]);
    // After the last first-pass slot, the second pass starts at its first slot.
    assert.equal(
      iso(nextOccurrence(cron('0 */30 * * * *', tz), new Date('2024-10-27T00:45:00Z'))),
      '2024-10-27T01:00:00.000Z',
    );
    assert.deepEqual(times('0 */30 * * * *', '2024-03-31T00:00:00Z', 3, tz), [
      '2024-03-31T00:30:00.000Z', // 01:30 CET
      '2024-03-31T01:00:00.000Z', // 02:00 does not exist: 03:00 CEST
      '2024-03-31T01:30:00.000Z', // 03:30 CEST
    ]);
  });

  it('keeps a daily 09:00 at 09:00 local across both changes (Pacific)', () => {
    assert.deepEqual(times('0 0 9 * * *', '2024-03-09T00:00:00Z', 3, 'Pacific Standard Time'), [
      '2024-03-09T17:00:00.000Z',
      '2024-03-10T16:00:00.000Z',
      '2024-03-11T16:00:00.000Z',
    ]);
  });
});

describe('TimeSpan schedules', () => {
  it('read hh:mm:ss, d.hh:mm:ss and d:hh:mm:ss', () => {
    assert.deepEqual(parseTimerSchedule('01:00:00'), {
      kind: 'timespan',
      expression: '01:00:00',
      intervalMs: 3_600_000,
    });
    const minute = parseTimerSchedule('00:01:00');
    assert.equal(minute.kind === 'timespan' ? minute.intervalMs : 0, 60_000);
    const day = parseTimerSchedule('1.00:00:00');
    assert.equal(day.kind === 'timespan' ? day.intervalMs : 0, 86_400_000);
    const days = parseTimerSchedule('25:00:00:00');
    assert.equal(days.kind === 'timespan' ? days.intervalMs : 0, 25 * 86_400_000);
    const half = parseTimerSchedule('00:00:30.5');
    assert.equal(half.kind === 'timespan' ? half.intervalMs : 0, 30_500);
  });

  it('read "24:00:00" as 24 days, as .NET and so Azure do', () => {
    const s = parseTimerSchedule('24:00:00');
    assert.equal(s.kind === 'timespan' ? s.intervalMs : 0, 24 * 86_400_000);
  });

  it('refuse zero and out-of-range parts', () => {
    refused(() => parseTimerSchedule('00:00:00'), 'schedule');
    refused(() => parseTimerSchedule('01:60:00'), 'schedule');
    refused(() => parseTimerSchedule('1.24:00:00'), 'schedule');
    refused(() => parseTimerSchedule('1:2:3:4:5'), 'schedule');
  });

  it('run the interval after each start, whatever the time zone', () => {
    const s = parseTimerSchedule('00:05:00', { timeZone: 'W. Europe Standard Time' });
    assert.equal(iso(nextOccurrence(s, new Date('2024-10-27T00:58:00Z'))), '2024-10-27T01:03:00.000Z');
  });
});
