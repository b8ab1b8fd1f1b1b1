/**
 * @module test/flows/schedule/catch-up
 * Missed runs and long runs: without catchUp (Logic Apps, Automation) a missed occurrence is skipped; with it
 * (a Functions timer's schedule monitor) one past-due run happens at once, flagged isPastDue, however many were
 * missed; a changed schedule owes nothing; runOnStartup; a run that fired early or ran long.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterRun, decideOnStart, type ScheduleStatus } from '../../../src/flows/schedule/catch-up.ts';
import { nextOccurrence, parseTimerSchedule } from '../../../src/flows/schedule/ncrontab.ts';
import { nextRecurrence, parseRecurrence } from '../../../src/flows/schedule/recurrence.ts';
import { iso } from './helpers.ts';

// Seed 001's timer: second 0 of every minute.
const everyMinute = parseTimerSchedule('0 */1 * * * *');
const next = (after: Date) => nextOccurrence(everyMinute, after);
const at = (text: string) => new Date(text);

/** What the scheduler stored after the run at 10:03:00: waiting for 10:04:00. */
const stored: ScheduleStatus = {
  last: at('2024-05-01T10:03:00Z'),
  next: at('2024-05-01T10:04:00Z'),
  lastUpdated: at('2024-05-01T10:03:00Z'),
};

describe('decideOnStart', () => {
  it('without catchUp skips whatever was missed and waits for the next occurrence', () => {
    const d = decideOnStart({
      nextOccurrence: next,
      status: stored,
      now: at('2024-05-01T10:10:20Z'),
      catchUp: false,
    });
    assert.equal(d.runNow, undefined);
    assert.equal(iso(d.next), '2024-05-01T10:11:00.000Z');
    assert.equal(iso(d.status.next ?? null), '2024-05-01T10:11:00.000Z');
    assert.equal(iso(d.status.last ?? null), '2024-05-01T10:03:00.000Z');
  });

  it('with catchUp runs once now, flagged isPastDue, for seven missed occurrences', () => {
    const d = decideOnStart({
      nextOccurrence: next,
      status: stored,
      now: at('2024-05-01T10:10:20Z'),
      catchUp: true,
    });
    assert.deepEqual(d.runNow, {
      reason: 'pastDue',
      isPastDue: true,
      scheduledTime: at('2024-05-01T10:04:00Z'),
    });
    assert.equal(iso(d.next), '2024-05-01T10:11:00.000Z');
  });

  it('with catchUp owes nothing when the awaited occurrence has not come', () => {
    const d = decideOnStart({
      nextOccurrence: next,
      status: stored,
      now: at('2024-05-01T10:03:40Z'),
      catchUp: true,
    });
    assert.equal(d.runNow, undefined);
    assert.equal(iso(d.next), '2024-05-01T10:04:00.000Z');
  });

  it('counts from lastUpdated for a job that never ran', () => {
    const status: ScheduleStatus = {
      last: undefined,
      next: at('2024-05-01T10:04:00Z'),
      lastUpdated: at('2024-05-01T10:03:10Z'),
    };
    const d = decideOnStart({ nextOccurrence: next, status, now: at('2024-05-01T11:00:00Z'), catchUp: true });
    assert.equal(d.runNow?.isPastDue, true);
    assert.equal(iso(d.runNow?.scheduledTime ?? null), '2024-05-01T10:04:00.000Z');
  });

  it('starts a new job without a past-due run and stores what it waits for', () => {
    const now = at('2024-05-01T10:00:30Z');
    const d = decideOnStart({ nextOccurrence: next, status: undefined, now, catchUp: true });
    assert.equal(d.runNow, undefined);
    assert.deepEqual(d.status, { last: undefined, next: at('2024-05-01T10:01:00Z'), lastUpdated: now });
  });

  it('owes nothing after a schedule change: the stored next is not what the schedule gives', () => {
    const hourly = (after: Date) => nextOccurrence(parseTimerSchedule('0 0 * * * *'), after);
    // Stored under the every-minute schedule; now hourly. Its next after 10:03 (11:00) has passed too.
    const d = decideOnStart({
      nextOccurrence: hourly,
      status: stored,
      now: at('2024-05-01T12:30:00Z'),
      catchUp: true,
    });
    assert.equal(d.runNow, undefined);
    assert.equal(iso(d.next), '2024-05-01T13:00:00.000Z');
    assert.equal(d.status.last, undefined);
    // Changed, but its next occurrence from the last run is still ahead: wait for that.
    const later = decideOnStart({
      nextOccurrence: hourly,
      status: stored,
      now: at('2024-05-01T10:30:00Z'),
      catchUp: true,
    });
    assert.equal(later.runNow, undefined);
    assert.equal(iso(later.next), '2024-05-01T11:00:00.000Z');
  });

  it('runs on startup when asked, but a past-due run takes its place', () => {
    const early = decideOnStart({
      nextOccurrence: next,
      status: stored,
      now: at('2024-05-01T10:03:40Z'),
      catchUp: true,
      runOnStartup: true,
    });
    assert.deepEqual(early.runNow, { reason: 'startup', isPastDue: false, scheduledTime: undefined });
    const late = decideOnStart({
      nextOccurrence: next,
      status: stored,
      now: at('2024-05-01T10:10:00Z'),
      catchUp: true,
      runOnStartup: true,
    });
    assert.equal(late.runNow?.reason, 'pastDue');
  });

  it('works the same over a Recurrence: at most one past-due run', () => {
    const daily = parseRecurrence({ frequency: 'Day', interval: 1, schedule: { hours: [6], minutes: [0] } });
    const nextDaily = (after: Date) => nextRecurrence(daily, after);
    const status: ScheduleStatus = {
      last: at('2024-05-01T06:00:00Z'),
      next: at('2024-05-02T06:00:00Z'),
      lastUpdated: at('2024-05-01T06:00:00Z'),
    };
    const now = at('2024-05-05T09:00:00Z');
    const caught = decideOnStart({ nextOccurrence: nextDaily, status, now, catchUp: true });
    assert.equal(iso(caught.runNow?.scheduledTime ?? null), '2024-05-02T06:00:00.000Z');
    assert.equal(iso(caught.next), '2024-05-06T06:00:00.000Z');
    const skipped = decideOnStart({ nextOccurrence: nextDaily, status, now, catchUp: false });
    assert.equal(skipped.runNow, undefined);
    assert.equal(iso(skipped.next), '2024-05-06T06:00:00.000Z');
  });
});

describe('afterRun', () => {
  it('counts from the slot when the run fired a little early, so the slot does not come round again', () => {
    const d = afterRun({
      nextOccurrence: next,
      startedAt: at('2024-05-01T10:03:59.800Z'),
      scheduledTime: at('2024-05-01T10:04:00Z'),
      finishedAt: at('2024-05-01T10:04:01Z'),
      catchUp: true,
    });
    assert.equal(iso(d.next), '2024-05-01T10:05:00.000Z');
    assert.equal(iso(d.status.last ?? null), '2024-05-01T10:04:00.000Z');
  });

  it('with catchUp follows a run that outlasted its interval at once, once', () => {
    const d = afterRun({
      nextOccurrence: next,
      startedAt: at('2024-05-01T10:04:00Z'),
      scheduledTime: at('2024-05-01T10:04:00Z'),
      finishedAt: at('2024-05-01T10:07:30Z'),
      catchUp: true,
    });
    // 10:05 has passed: the scheduler starts the next run now; 10:06 and 10:07 are not owed.
    assert.equal(iso(d.next), '2024-05-01T10:05:00.000Z');
    const following = afterRun({
      nextOccurrence: next,
      startedAt: at('2024-05-01T10:07:30Z'),
      scheduledTime: d.next ?? undefined,
      finishedAt: at('2024-05-01T10:07:31Z'),
      catchUp: true,
    });
    assert.equal(iso(following.next), '2024-05-01T10:08:00.000Z');
  });

  it('without catchUp skips the slots a long run covered', () => {
    const d = afterRun({
      nextOccurrence: next,
      startedAt: at('2024-05-01T10:04:00Z'),
      scheduledTime: at('2024-05-01T10:04:00Z'),
      finishedAt: at('2024-05-01T10:07:30Z'),
      catchUp: false,
    });
    assert.equal(iso(d.next), '2024-05-01T10:08:00.000Z');
  });

  it('times a TimeSpan schedule from the start of the run', () => {
    const every5 = parseTimerSchedule('00:05:00');
    const d = afterRun({
      nextOccurrence: (after) => nextOccurrence(every5, after),
      startedAt: at('2024-05-01T10:00:00Z'),
      scheduledTime: at('2024-05-01T10:00:00Z'),
      finishedAt: at('2024-05-01T10:01:00Z'),
      catchUp: true,
    });
    assert.equal(iso(d.next), '2024-05-01T10:05:00.000Z');
  });
});
