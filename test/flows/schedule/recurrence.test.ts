/**
 * @module test/flows/schedule/recurrence
 * The Logic Apps Recurrence trigger: what Azure accepts (bounds per frequency, schedule fields per frequency,
 * startTime forms and the Z override, Windows time zones), and when it runs: interval counting from
 * startTime, the first run, simple and complex schedules, month ends, week days, daylight-saving changes in
 * "W. Europe Standard Time", and no replay of missed occurrences.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  firstRecurrence,
  nextRecurrence,
  parseRecurrence,
  type Recurrence,
} from '../../../src/flows/schedule/recurrence.ts';
import { iso, refused } from './helpers.ts';

const WEST_EUROPE = 'W. Europe Standard Time';

/** The next `count` occurrences after `from`. */
function runs(recurrence: Recurrence, from: string, count: number, anchor?: string): string[] {
  const out: string[] = [];
  let at = new Date(from);
  const anchorDate = anchor === undefined ? undefined : new Date(anchor);
  for (let i = 0; i < count; i++) {
    const next = nextRecurrence(recurrence, at, anchorDate);
    if (next === null) break;
    out.push(next.toISOString());
    at = next;
  }
  return out;
}

describe('parseRecurrence', () => {
  it('reads the example Azure documents', () => {
    const r = parseRecurrence({
      frequency: 'Week',
      interval: 1,
      startTime: '2020-09-07T14:00:00',
      timeZone: 'Pacific Standard Time',
      schedule: { hours: [14, 10, 12], minutes: [30], weekDays: ['Monday'] },
    });
    assert.equal(r.frequency, 'Week');
    assert.equal(r.interval, 1);
    assert.equal(iso(r.startTime ?? null), '2020-09-07T21:00:00.000Z');
    assert.equal(r.zone.iana, 'America/Los_Angeles');
    assert.equal(r.timeZone, 'Pacific Standard Time');
    assert.equal(r.timeZoneIgnored, false);
    assert.deepEqual(r.schedule, {
      hours: [10, 12, 14],
      minutes: [30],
      weekDays: ['Monday'],
      monthDays: undefined,
    });
  });

  it('matches property names and values without regard to case, and takes single values for lists', () => {
    const r = parseRecurrence({ Frequency: 'day', INTERVAL: 2, schedule: { Hours: 8, minutes: '30' } });
    assert.equal(r.frequency, 'Day');
    assert.equal(r.interval, 2);
    assert.deepEqual(r.schedule?.hours, [8]);
    assert.deepEqual(r.schedule?.minutes, [30]);
    assert.deepEqual(
      parseRecurrence({ frequency: 'Week', interval: 1, schedule: { weekDays: 'friday' } }).schedule
        ?.weekDays,
      ['Friday'],
    );
  });

  it('accepts each frequency up to its largest interval and refuses one more', () => {
    const max = { Second: 9_999_999, Minute: 72_000, Hour: 12_000, Day: 500, Week: 71, Month: 16 };
    for (const [frequency, interval] of Object.entries(max)) {
      assert.equal(parseRecurrence({ frequency, interval }).interval, interval);
      const error = refused(
        () => parseRecurrence({ frequency, interval: interval + 1 }),
        'recurrence.interval',
      );
      assert.equal(error.details?.max, interval);
    }
  });

  it('refuses a missing, zero, negative or fractional interval, and an unknown frequency', () => {
    refused(() => parseRecurrence({ frequency: 'Day' }), 'recurrence.interval');
    refused(() => parseRecurrence({ frequency: 'Day', interval: 0 }), 'recurrence.interval');
    refused(() => parseRecurrence({ frequency: 'Day', interval: -1 }), 'recurrence.interval');
    refused(() => parseRecurrence({ frequency: 'Day', interval: 1.5 }), 'recurrence.interval');
    const error = refused(() => parseRecurrence({ frequency: 'Year', interval: 1 }), 'recurrence.frequency');
    assert.match(error.hint!, /Second, Minute, Hour, Day, Week, Month/);
    refused(() => parseRecurrence({ interval: 1 }), 'recurrence.frequency');
  });

  it('refuses schedule fields that do not go with the frequency, saying which frequency they go with', () => {
    let error = refused(
      () => parseRecurrence({ frequency: 'Day', interval: 1, schedule: { weekDays: ['Monday'] } }),
      'recurrence.schedule.weekDays',
    );
    assert.match(error.message, /frequency Day/);
    assert.match(error.message, /Week/);
    error = refused(
      () => parseRecurrence({ frequency: 'Week', interval: 1, schedule: { monthDays: [1] } }),
      'recurrence.schedule.monthDays',
    );
    assert.match(error.message, /Month/);
    refused(
      () => parseRecurrence({ frequency: 'Hour', interval: 1, schedule: { minutes: [15] } }),
      'recurrence.schedule.minutes',
    );
    refused(
      () => parseRecurrence({ frequency: 'Minute', interval: 5, schedule: { hours: [9] } }),
      'recurrence.schedule.hours',
    );
  });

  it('treats an empty schedule as none', () => {
    assert.equal(parseRecurrence({ frequency: 'Hour', interval: 1, schedule: {} }).schedule, undefined);
    assert.equal(
      parseRecurrence({ frequency: 'Day', interval: 1, schedule: { hours: [] } }).schedule,
      undefined,
    );
  });

  it('refuses schedule values out of range, and monthlyOccurrences as unsupported', () => {
    refused(
      () => parseRecurrence({ frequency: 'Day', interval: 1, schedule: { hours: [24] } }),
      'recurrence.schedule.hours',
    );
    refused(
      () => parseRecurrence({ frequency: 'Day', interval: 1, schedule: { minutes: [60] } }),
      'recurrence.schedule.minutes',
    );
    refused(
      () => parseRecurrence({ frequency: 'Month', interval: 1, schedule: { monthDays: [0] } }),
      'recurrence.schedule.monthDays',
    );
    refused(
      () => parseRecurrence({ frequency: 'Month', interval: 1, schedule: { monthDays: [32] } }),
      'recurrence.schedule.monthDays',
    );
    refused(
      () => parseRecurrence({ frequency: 'Week', interval: 1, schedule: { weekDays: ['Mon'] } }),
      'recurrence.schedule.weekDays',
    );
    refused(
      () =>
        parseRecurrence({
          frequency: 'Month',
          interval: 1,
          schedule: { monthlyOccurrences: [{ day: 'Friday', occurrence: 1 }] },
        }),
      'recurrence.schedule.monthlyOccurrences',
      'ERR_FLOW_UNSUPPORTED',
    );
  });

  it('refuses unknown properties and malformed start times', () => {
    refused(() => parseRecurrence({ frequency: 'Day', interval: 1, every: 2 }), 'recurrence.every');
    refused(
      () => parseRecurrence({ frequency: 'Day', interval: 1, startTime: '2024-02-30T10:00:00' }),
      'recurrence.startTime',
    );
    refused(
      () => parseRecurrence({ frequency: 'Day', interval: 1, startTime: '2024-02-10' }),
      'recurrence.startTime',
    );
    refused(
      () => parseRecurrence({ frequency: 'Day', interval: 1, startTime: '2024-02-10T25:00:00' }),
      'recurrence.startTime',
    );
    refused(() => parseRecurrence('every day'), 'recurrence');
  });

  it('reads a startTime without offset in timeZone, and in UTC without a timeZone', () => {
    const zoned = parseRecurrence({
      frequency: 'Day',
      interval: 1,
      startTime: '2024-07-01T09:00:00',
      timeZone: WEST_EUROPE,
    });
    assert.equal(iso(zoned.startTime ?? null), '2024-07-01T07:00:00.000Z');
    const utc = parseRecurrence({ frequency: 'Day', interval: 1, startTime: '2024-07-01T09:00:00' });
    assert.equal(iso(utc.startTime ?? null), '2024-07-01T09:00:00.000Z');
    assert.equal(utc.zone.iana, 'UTC');
  });

  it('lets a Z or an offset on startTime override timeZone: the schedule then runs in UTC', () => {
    const z = parseRecurrence({
      frequency: 'Day',
      interval: 1,
      startTime: '2024-07-01T09:00:00Z',
      timeZone: WEST_EUROPE,
    });
    assert.equal(iso(z.startTime ?? null), '2024-07-01T09:00:00.000Z');
    assert.equal(z.timeZoneIgnored, true);
    assert.equal(z.zone.iana, 'UTC');
    assert.equal(z.timeZone, WEST_EUROPE);
    const offset = parseRecurrence({
      frequency: 'Day',
      interval: 1,
      startTime: '2024-07-01T09:00:00+02:00',
      timeZone: WEST_EUROPE,
    });
    assert.equal(iso(offset.startTime ?? null), '2024-07-01T07:00:00.000Z');
    assert.equal(offset.timeZoneIgnored, true);
  });

  it('refuses an unknown time zone, naming the field', () => {
    refused(
      () => parseRecurrence({ frequency: 'Day', interval: 1, timeZone: 'Central Europe Time' }),
      'recurrence.timeZone',
    );
    refused(
      () => parseRecurrence({ frequency: 'Day', interval: 1, timeZone: 'Europe/Paris' }),
      'recurrence.timeZone',
    );
  });

  it('refuses an endTime not after startTime', () => {
    refused(
      () =>
        parseRecurrence({
          frequency: 'Day',
          interval: 1,
          startTime: '2024-07-01T09:00:00Z',
          endTime: '2024-07-01T09:00:00Z',
        }),
      'recurrence.endTime',
    );
  });

  it('names errors under the field the caller gives', () => {
    refused(
      () => parseRecurrence({ frequency: 'Day', interval: 0 }, 'triggers.Recurrence.recurrence'),
      'triggers.Recurrence.recurrence.interval',
    );
  });
});

describe('the first run', () => {
  it('is at once without startTime, even with a schedule', () => {
    const now = new Date('2024-05-05T10:11:12.345Z');
    assert.equal(
      iso(firstRecurrence(parseRecurrence({ frequency: 'Minute', interval: 15 }), now)),
      now.toISOString(),
    );
    const daily = parseRecurrence({ frequency: 'Day', interval: 1, schedule: { hours: [8], minutes: [0] } });
    assert.equal(iso(firstRecurrence(daily, now)), now.toISOString());
  });

  it('is startTime itself when it lies ahead (simple)', () => {
    const r = parseRecurrence({ frequency: 'Hour', interval: 4, startTime: '2024-05-06T00:15:00Z' });
    assert.equal(iso(firstRecurrence(r, new Date('2024-05-05T10:00:00Z'))), '2024-05-06T00:15:00.000Z');
  });

  it('drops the occurrences of a start in the past: the example Azure documents', () => {
    // Start 2017-09-07 14:00, every two days, now 2017-09-08 13:00: first run 09-09 14:00, then 09-11, 09-13.
    const r = parseRecurrence({ frequency: 'Day', interval: 2, startTime: '2017-09-07T14:00:00Z' });
    const first = firstRecurrence(r, new Date('2017-09-08T13:00:00Z'));
    assert.equal(iso(first), '2017-09-09T14:00:00.000Z');
    assert.deepEqual(runs(r, first!.toISOString(), 2), [
      '2017-09-11T14:00:00.000Z',
      '2017-09-13T14:00:00.000Z',
    ]);
  });

  it('is no sooner than startTime with a schedule: the Friday start and Monday slots Azure documents', () => {
    const r = parseRecurrence({
      frequency: 'Week',
      interval: 1,
      startTime: '2020-09-18T08:00:00',
      timeZone: 'Pacific Standard Time',
      schedule: { hours: [10, 12, 14], minutes: [30], weekDays: ['Monday'] },
    });
    const first = firstRecurrence(r, new Date('2020-09-04T12:00:00Z'));
    // Monday 2020-09-21 10:30 PDT (UTC-7), then 12:30 and 14:30, then the next Monday.
    assert.equal(iso(first), '2020-09-21T17:30:00.000Z');
    assert.deepEqual(runs(r, first!.toISOString(), 3), [
      '2020-09-21T19:30:00.000Z',
      '2020-09-21T21:30:00.000Z',
      '2020-09-28T17:30:00.000Z',
    ]);
  });

  it('refuses a startTime more than 49 years ahead', () => {
    const r = parseRecurrence({ frequency: 'Day', interval: 1, startTime: '2080-01-01T00:00:00Z' });
    refused(() => firstRecurrence(r, new Date('2024-01-01T00:00:00Z')), 'recurrence.startTime');
    assert.equal(iso(firstRecurrence(r, new Date('2031-01-01T00:00:00Z'))), '2080-01-01T00:00:00.000Z');
  });
});

describe('simple recurrences', () => {
  it('count the interval from startTime (Second, Minute and Hour as elapsed time)', () => {
    const r = parseRecurrence({ frequency: 'Hour', interval: 5, startTime: '2024-01-01T00:15:00Z' });
    // Slots 00:15 + 5h·k: the first after 2024-01-02 03:00 is 06:15 (k = 6).
    assert.equal(iso(nextRecurrence(r, new Date('2024-01-02T03:00:00Z'))), '2024-01-02T06:15:00.000Z');
    assert.equal(iso(nextRecurrence(r, new Date('2024-01-02T06:15:00Z'))), '2024-01-02T11:15:00.000Z');
    // Before the start: the start.
    assert.equal(iso(nextRecurrence(r, new Date('2023-12-01T00:00:00Z'))), '2024-01-01T00:15:00.000Z');
    const seconds = parseRecurrence({ frequency: 'Second', interval: 90, startTime: '2024-01-01T00:00:00Z' });
    assert.deepEqual(runs(seconds, '2024-01-01T00:02:00Z', 2), [
      '2024-01-01T00:03:00.000Z',
      '2024-01-01T00:04:30.000Z',
    ]);
  });

  it('count from the caller anchor without startTime, or from the last run', () => {
    const r = parseRecurrence({ frequency: 'Minute', interval: 15 });
    assert.equal(
      iso(nextRecurrence(r, new Date('2024-01-01T10:07:00Z'), new Date('2024-01-01T09:05:00Z'))),
      '2024-01-01T10:20:00.000Z',
    );
    assert.equal(iso(nextRecurrence(r, new Date('2024-01-01T10:07:00Z'))), '2024-01-01T10:22:00.000Z');
  });

  it('keep the wall-clock time across daylight-saving changes for Day (09:00 in W. Europe)', () => {
    const r = parseRecurrence({
      frequency: 'Day',
      interval: 1,
      startTime: '2024-03-29T09:00:00',
      timeZone: WEST_EUROPE,
    });
    assert.deepEqual(runs(r, '2024-03-29T00:00:00Z', 4), [
      '2024-03-29T08:00:00.000Z',
      '2024-03-30T08:00:00.000Z',
      '2024-03-31T07:00:00.000Z',
      '2024-04-01T07:00:00.000Z',
    ]);
  });

  it('count hours as elapsed time across a daylight-saving change', () => {
    const r = parseRecurrence({
      frequency: 'Hour',
      interval: 1,
      startTime: '2024-03-31T00:30:00',
      timeZone: WEST_EUROPE,
    });
    // 00:30 CET, 01:30 CET, 03:30 CEST: one hour apart each.
    assert.deepEqual(runs(r, '2024-03-30T00:00:00Z', 3), [
      '2024-03-30T23:30:00.000Z',
      '2024-03-31T00:30:00.000Z',
      '2024-03-31T01:30:00.000Z',
    ]);
  });

  it('run in UTC when startTime has a Z, whatever timeZone says', () => {
    const r = parseRecurrence({
      frequency: 'Day',
      interval: 1,
      startTime: '2024-03-29T09:00:00Z',
      timeZone: WEST_EUROPE,
    });
    assert.deepEqual(runs(r, '2024-03-29T00:00:00Z', 4), [
      '2024-03-29T09:00:00.000Z',
      '2024-03-30T09:00:00.000Z',
      '2024-03-31T09:00:00.000Z',
      '2024-04-01T09:00:00.000Z',
    ]);
  });

  it('run weekly on the start day, every interval weeks', () => {
    const r = parseRecurrence({ frequency: 'Week', interval: 2, startTime: '2024-01-03T17:00:00Z' });
    assert.deepEqual(runs(r, '2024-01-01T00:00:00Z', 3), [
      '2024-01-03T17:00:00.000Z',
      '2024-01-17T17:00:00.000Z',
      '2024-01-31T17:00:00.000Z',
    ]);
  });

  it('run monthly from the 31st on the last day of shorter months, back on the 31st after', () => {
    const r = parseRecurrence({ frequency: 'Month', interval: 1, startTime: '2024-01-31T06:00:00Z' });
    assert.deepEqual(runs(r, '2024-01-01T00:00:00Z', 4), [
      '2024-01-31T06:00:00.000Z',
      '2024-02-29T06:00:00.000Z',
      '2024-03-31T06:00:00.000Z',
      '2024-04-30T06:00:00.000Z',
    ]);
  });

  it('stop at endTime', () => {
    const r = parseRecurrence({
      frequency: 'Day',
      interval: 1,
      startTime: '2024-01-01T06:00:00Z',
      endTime: '2024-01-03T06:00:00Z',
    });
    assert.deepEqual(runs(r, '2024-01-01T00:00:00Z', 5), [
      '2024-01-01T06:00:00.000Z',
      '2024-01-02T06:00:00.000Z',
      '2024-01-03T06:00:00.000Z',
    ]);
    assert.equal(firstRecurrence(r, new Date('2024-02-01T00:00:00Z')), null);
  });
});

describe('complex recurrences', () => {
  it('run at the listed hours and minutes each day', () => {
    const r = parseRecurrence({
      frequency: 'Day',
      interval: 1,
      schedule: { hours: [8, 16], minutes: [30, 45] },
    });
    assert.deepEqual(runs(r, '2024-01-01T09:00:00Z', 4), [
      '2024-01-01T16:30:00.000Z',
      '2024-01-01T16:45:00.000Z',
      '2024-01-02T08:30:00.000Z',
      '2024-01-02T08:45:00.000Z',
    ]);
  });

  it('take the minute from the start when only hours are given', () => {
    const r = parseRecurrence({
      frequency: 'Day',
      interval: 1,
      startTime: '2024-01-01T00:25:00Z',
      schedule: { hours: [8, 9] },
    });
    assert.deepEqual(runs(r, '2024-01-01T00:00:00Z', 3), [
      '2024-01-01T08:25:00.000Z',
      '2024-01-01T09:25:00.000Z',
      '2024-01-02T08:25:00.000Z',
    ]);
  });

  it('count every interval-th day from the start', () => {
    const r = parseRecurrence({
      frequency: 'Day',
      interval: 3,
      startTime: '2024-01-01T00:00:00Z',
      schedule: { hours: [12], minutes: [0] },
    });
    assert.deepEqual(runs(r, '2024-01-01T00:00:00Z', 3), [
      '2024-01-01T12:00:00.000Z',
      '2024-01-04T12:00:00.000Z',
      '2024-01-07T12:00:00.000Z',
    ]);
  });

  it('run on the listed week days of every other week (weeks start on Monday)', () => {
    const r = parseRecurrence({
      frequency: 'Week',
      interval: 2,
      startTime: '2024-01-03T00:00:00Z', // a Wednesday
      schedule: { weekDays: ['Monday', 'Friday'], hours: [9], minutes: [0] },
    });
    // Week of Mon 01-01: Monday is before the start, Friday 01-05 runs; then the week of 01-15.
    assert.deepEqual(runs(r, '2024-01-01T00:00:00Z', 4), [
      '2024-01-05T09:00:00.000Z',
      '2024-01-15T09:00:00.000Z',
      '2024-01-19T09:00:00.000Z',
      '2024-01-29T09:00:00.000Z',
    ]);
  });

  it('skip months without day 31 for monthDays 31, and run on the last day for -1', () => {
    const d31 = parseRecurrence({
      frequency: 'Month',
      interval: 1,
      startTime: '2024-01-01T09:00:00Z',
      schedule: { monthDays: [31] },
    });
    assert.deepEqual(runs(d31, '2024-01-01T00:00:00Z', 4), [
      '2024-01-31T09:00:00.000Z',
      '2024-03-31T09:00:00.000Z',
      '2024-05-31T09:00:00.000Z',
      '2024-07-31T09:00:00.000Z',
    ]);
    const last = parseRecurrence({
      frequency: 'Month',
      interval: 1,
      startTime: '2024-01-01T09:00:00Z',
      schedule: { monthDays: [-1] },
    });
    assert.deepEqual(runs(last, '2024-01-01T00:00:00Z', 4), [
      '2024-01-31T09:00:00.000Z',
      '2024-02-29T09:00:00.000Z',
      '2024-03-31T09:00:00.000Z',
      '2024-04-30T09:00:00.000Z',
    ]);
  });

  it('return null for days that never come', () => {
    // Every 12 months from February: only Februaries, which have no day 30.
    const r = parseRecurrence({
      frequency: 'Month',
      interval: 12,
      startTime: '2024-02-01T00:00:00Z',
      schedule: { monthDays: [30] },
    });
    assert.equal(nextRecurrence(r, new Date('2024-02-01T00:00:00Z')), null);
  });

  it('run at the wall-clock time across the March change, an hour later for a slot clocks skip', () => {
    const r = parseRecurrence({
      frequency: 'Day',
      interval: 1,
      timeZone: WEST_EUROPE,
      startTime: '2024-03-29T00:00:00',
      schedule: { hours: [2, 9], minutes: [30] },
    });
    assert.deepEqual(runs(r, '2024-03-30T00:00:00Z', 5), [
      '2024-03-30T01:30:00.000Z', // 02:30 CET
      '2024-03-30T08:30:00.000Z', // 09:30 CET
      '2024-03-31T01:30:00.000Z', // 02:30 does not exist: 03:30 CEST
      '2024-03-31T07:30:00.000Z', // 09:30 CEST
      '2024-04-01T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('run once for a slot clocks repeat in October (its first occurrence)', () => {
    const r = parseRecurrence({
      frequency: 'Week',
      interval: 1,
      timeZone: WEST_EUROPE,
      startTime: '2024-10-01T00:00:00',
      schedule: { weekDays: ['Sunday'], hours: [2], minutes: [30] },
    });
    assert.deepEqual(runs(r, '2024-10-20T00:00:00Z', 3), [
      '2024-10-20T00:30:00.000Z', // 02:30 CEST
      '2024-10-27T00:30:00.000Z', // 02:30 CEST; not again at 02:30 CET
      '2024-11-03T01:30:00.000Z', // 02:30 CET
    ]);
    // Asked from inside the repeated hour's second pass, the slot already ran: next week.
    assert.equal(iso(nextRecurrence(r, new Date('2024-10-27T01:10:00Z'))), '2024-11-03T01:30:00.000Z');
  });
});

describe('missed occurrences', () => {
  it('are not replayed: the next run after an outage is the next slot after now', () => {
    const r = parseRecurrence({ frequency: 'Minute', interval: 10, startTime: '2024-01-01T00:00:00Z' });
    // Last ran 00:10; back at 03:47: every slot in between is skipped.
    assert.equal(iso(nextRecurrence(r, new Date('2024-01-01T03:47:00Z'))), '2024-01-01T03:50:00.000Z');
    const daily = parseRecurrence({ frequency: 'Day', interval: 1, schedule: { hours: [6], minutes: [0] } });
    assert.equal(iso(nextRecurrence(daily, new Date('2024-01-09T07:00:00Z'))), '2024-01-10T06:00:00.000Z');
  });
});
