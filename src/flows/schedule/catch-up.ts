/**
 * @module flows/schedule/catch-up
 * What a scheduler does about runs it missed (Lanyard was stopped, the machine slept) and runs that outlast
 * their interval. Pure: the caller passes the schedule's next-occurrence function, what it stored, and the time.
 *
 * One rule, with a `catchUp` flag (default off in the plane):
 *
 * - `catchUp: false` — what Logic Apps' Recurrence and Automation schedules do: a missed occurrence is never
 *   run later; the job waits for its next occurrence after now.
 * - `catchUp: true` — what an Azure Functions timer does with its schedule monitor (`useMonitor`, on by default
 *   for schedules less frequent than once a minute): the stored status `{ last, next, lastUpdated }` says which
 *   occurrence the job was waiting for; if that time has passed, the job runs once, at once, flagged
 *   `isPastDue`, however many occurrences were missed, and then follows its schedule from that run. A status
 *   whose `next` is not what the schedule gives from `last` (or from `lastUpdated` before any run) means the
 *   schedule changed: its next occurrence is worked out afresh and, if that has passed too, from now, and
 *   nothing is past due.
 *
 * Runs of one job never overlap: the next occurrence is computed from the start of a run (or from its slot, if
 * it started a little early), so a run that outlasts the interval is followed at once by one more run, not one
 * per slot it covered (Functions' behaviour); without `catchUp`, slots passed during the run are skipped.
 */

/** The next occurrence strictly after a time, or null when the schedule has no more. */
export type NextOccurrence = (after: Date) => Date | null;

/** What a scheduler stores for a job between runs and restarts: a Functions timer's ScheduleStatus. */
export interface ScheduleStatus {
  /** When the last run started (its slot, if it started before it); undefined before the first run. */
  readonly last: Date | undefined;
  /** The occurrence the job was waiting for when the status was written; undefined when the schedule had none. */
  readonly next: Date | undefined;
  /** The time `next` was computed from. */
  readonly lastUpdated: Date;
}

/** Why a run starts now rather than at an occurrence. */
export interface RunNow {
  /** `pastDue`: a missed occurrence (Functions' `IsPastDue`); `startup`: `runOnStartup`. */
  readonly reason: 'pastDue' | 'startup';
  readonly isPastDue: boolean;
  /** The missed occurrence it stands for (`pastDue` only). */
  readonly scheduledTime: Date | undefined;
}

export interface StartDecision {
  /** Run once now, before waiting for `next`; undefined when nothing is due now. */
  readonly runNow: RunNow | undefined;
  /** The next occurrence to wait for (after now); null when the schedule has none. */
  readonly next: Date | null;
  /** The status to store. */
  readonly status: ScheduleStatus;
}

export interface StartInput {
  readonly nextOccurrence: NextOccurrence;
  /** What was stored, or undefined for a job never started before. */
  readonly status: ScheduleStatus | undefined;
  readonly now: Date;
  readonly catchUp: boolean;
  /** Run once whenever the scheduler starts (Functions' `runOnStartup`); a past-due run takes its place. */
  readonly runOnStartup?: boolean | undefined;
}

/** What to do when a scheduler starts (or a job is enabled): run a missed occurrence now, and what to wait for. */
export function decideOnStart(input: StartInput): StartDecision {
  const { nextOccurrence, status, now, catchUp } = input;
  const startup: RunNow | undefined = input.runOnStartup
    ? { reason: 'startup', isPastDue: false, scheduledTime: undefined }
    : undefined;

  if (!catchUp || status === undefined) {
    // Nothing to catch up: wait for the first occurrence after now.
    const next = nextOccurrence(now);
    return {
      runNow: startup,
      next,
      status: { last: status?.last, next: next ?? undefined, lastUpdated: now },
    };
  }

  let waitingFor = status.next;
  let stored = status;
  const basis = status.last ?? status.lastUpdated;
  const expected = nextOccurrence(basis);
  if (!sameTime(expected, status.next)) {
    // The schedule changed since the status was written: no occurrence of the old one is owed.
    const fresh = expected !== null && expected.getTime() < now.getTime() ? nextOccurrence(now) : expected;
    const freshBasis = expected !== null && expected.getTime() < now.getTime() ? now : basis;
    waitingFor = fresh ?? undefined;
    stored = { last: undefined, next: waitingFor, lastUpdated: freshBasis };
  }

  if (waitingFor !== undefined && now.getTime() > waitingFor.getTime()) {
    return {
      runNow: { reason: 'pastDue', isPastDue: true, scheduledTime: waitingFor },
      // After the past-due run the schedule resumes from that run: afterRun gives the next occurrence.
      next: nextOccurrence(now),
      status: stored,
    };
  }
  return { runNow: startup, next: waitingFor ?? null, status: stored };
}

export interface RunInput {
  readonly nextOccurrence: NextOccurrence;
  /** When the run started. */
  readonly startedAt: Date;
  /** The occurrence it ran for; undefined for an unscheduled run (past due, on startup, by hand). */
  readonly scheduledTime: Date | undefined;
  /** When the run ended (the time the scheduler decides at). */
  readonly finishedAt: Date;
  readonly catchUp: boolean;
}

export interface RunDecision {
  /** The next occurrence to wait for; at or before `finishedAt` means: start the next run at once. */
  readonly next: Date | null;
  readonly status: ScheduleStatus;
}

/** After a run ends: the status to store and the next occurrence, with no overlap and no pile-up. */
export function afterRun(input: RunInput): RunDecision {
  const { nextOccurrence, startedAt, scheduledTime, finishedAt, catchUp } = input;
  // A run that fired a little before its slot counts from the slot, or the same slot would come round again.
  const last =
    scheduledTime !== undefined && scheduledTime.getTime() > startedAt.getTime() ? scheduledTime : startedAt;
  let next = nextOccurrence(last);
  if (!catchUp && next !== null && next.getTime() <= finishedAt.getTime()) {
    // Slots that passed while the run was going are skipped, as a missed occurrence is.
    next = nextOccurrence(finishedAt);
  }
  return { next, status: { last, next: next ?? undefined, lastUpdated: last } };
}

function sameTime(a: Date | null | undefined, b: Date | null | undefined): boolean {
  return (a ?? undefined)?.getTime() === (b ?? undefined)?.getTime();
}
