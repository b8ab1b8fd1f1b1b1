/**
 * @module flows/runbooks/scheduler
 * Starts runbooks' jobs on their schedules, in the running server. Per enabled runbook with a schedule: the
 * next occurrence from the schedule module (NCRONTAB or TimeSpan, in its time zone), what is owed on start
 * from its stored state (`decideOnStart`: with `catchUp`, one past-due run at once; without, missed ones are
 * skipped), a timer, and after each run the next occurrence (`afterRun`: runs never overlap). The state is
 * stored after each decision, so schedules survive restarts on either store; an occurrence is claimed in the
 * store before its job starts, so of several Lanyards on one store only one runs it. `reload()` follows
 * changes to runbooks (the plane watches the `flows` topic).
 */
import type { Logger } from '../../http/logger.ts';
import type { FlowsDeps } from '../deps.ts';
import { afterRun, decideOnStart, type ScheduleStatus } from '../schedule/catch-up.ts';
import { nextOccurrence, parseTimerSchedule } from '../schedule/ncrontab.ts';
import { startRunbookJob } from './run-job.ts';
import { trackJob } from './running-jobs.ts';
import {
  claimOccurrence,
  getScheduleState,
  listScheduledRunbooks,
  putScheduleState,
  type Runbook,
  scheduleKey,
} from './store.ts';

/** setTimeout's longest delay; a longer wait is taken in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

interface Entry {
  rb: Runbook;
  /** What the entry was made for: a change to any of it makes a new entry. */
  key: string;
  next: (after: Date) => Date | null;
  timer: NodeJS.Timeout | undefined;
  /** The occurrence the timer is for. */
  waitingFor: Date | null;
  running: boolean;
  closed: boolean;
}

export interface SchedulerOptions {
  readonly logger: Logger;
  readonly now?: (() => Date) | undefined;
}

const idOf = (rb: Runbook) => `${rb.resourceId}/${rb.name.toLowerCase()}`;
const entryKey = (rb: Runbook) =>
  `${scheduleKey(rb)}|${rb.catchUp}|${rb.timeoutSeconds}|${JSON.stringify(rb.command)}|${JSON.stringify(rb.env)}|${rb.cwd ?? ''}`;

export class RunbookScheduler {
  readonly #deps: FlowsDeps;
  readonly #o: SchedulerOptions;
  readonly #entries = new Map<string, Entry>();
  #closed = false;
  #reloading: Promise<void> = Promise.resolve();

  constructor(deps: FlowsDeps, options: SchedulerOptions) {
    this.#deps = deps;
    this.#o = options;
  }

  #now(): Date {
    return this.#o.now?.() ?? new Date();
  }

  /** The runbooks it schedules and the occurrence each waits for (for status lines and tests). */
  scheduled(): { runbook: string; next: Date | null }[] {
    return [...this.#entries.values()].map((e) => ({
      runbook: `${e.rb.resource}/${e.rb.name}`,
      next: e.waitingFor,
    }));
  }

  /** Reads the scheduled runbooks again and follows what changed; calls are queued, never run side by side. */
  reload(): Promise<void> {
    this.#reloading = this.#reloading
      .then(() => this.#reload())
      .catch((err: unknown) => {
        this.#o.logger.error({ err }, 'flows: reading the runbook schedules failed');
      });
    return this.#reloading;
  }

  async #reload(): Promise<void> {
    if (this.#closed) return;
    const runbooks = await listScheduledRunbooks(this.#deps.directory);
    const seen = new Set<string>();
    for (const rb of runbooks) {
      const id = idOf(rb);
      seen.add(id);
      const key = entryKey(rb);
      const current = this.#entries.get(id);
      if (current && current.key === key) {
        current.rb = rb;
        continue;
      }
      if (current) this.#drop(id);
      await this.#add(id, rb, key);
    }
    for (const id of [...this.#entries.keys()]) if (!seen.has(id)) this.#drop(id);
  }

  #drop(id: string): void {
    const e = this.#entries.get(id);
    if (!e) return;
    e.closed = true;
    if (e.timer) clearTimeout(e.timer);
    this.#entries.delete(id);
  }

  async #add(id: string, rb: Runbook, key: string): Promise<void> {
    let schedule: ReturnType<typeof parseTimerSchedule>;
    try {
      schedule = parseTimerSchedule(rb.schedule, { timeZone: rb.timeZone ?? undefined });
    } catch (err) {
      // Saved schedules were checked; one that no longer parses (a zone gone from this Node) is skipped, said.
      this.#o.logger.error(
        { err, runbook: `${rb.resource}/${rb.name}` },
        'flows: a runbook schedule cannot be read',
      );
      return;
    }
    const entry: Entry = {
      rb,
      key,
      next: (after) => nextOccurrence(schedule, after),
      timer: undefined,
      waitingFor: null,
      running: false,
      closed: false,
    };
    this.#entries.set(id, entry);
    const stored = await getScheduleState(this.#deps.directory, rb);
    const status: ScheduleStatus | undefined =
      stored && stored.schedule === scheduleKey(rb)
        ? {
            last: stored.last ? new Date(stored.last) : undefined,
            next: stored.next ? new Date(stored.next) : undefined,
            lastUpdated: new Date(stored.lastUpdated),
          }
        : undefined;
    const now = this.#now();
    const decision = decideOnStart({ nextOccurrence: entry.next, status, now, catchUp: rb.catchUp });
    if (decision.runNow?.isPastDue && decision.runNow.scheduledTime) {
      // The missed occurrence is owed: claim it as stored, then run it.
      await this.#store(entry, { ...decision.status, next: decision.runNow.scheduledTime });
      void this.#fire(entry, decision.runNow.scheduledTime, true);
      return;
    }
    const adopted = this.#storedNext(stored, rb, now);
    if (adopted && !rb.catchUp) {
      // Another scheduler on this store waits for this occurrence already: wait for the same one, so that
      // exactly one of them claims it (a TimeSpan's next occurrence depends on when it is asked).
      this.#arm(entry, adopted);
      return;
    }
    await this.#store(entry, decision.status);
    this.#arm(entry, decision.next);
  }

  async #store(e: Entry, s: ScheduleStatus): Promise<void> {
    await putScheduleState(this.#deps.directory, e.rb, {
      schedule: scheduleKey(e.rb),
      last: s.last?.toISOString() ?? null,
      next: s.next?.toISOString() ?? null,
      lastUpdated: s.lastUpdated.toISOString(),
    });
  }

  #arm(e: Entry, at: Date | null): void {
    if (e.timer) clearTimeout(e.timer);
    e.timer = undefined;
    e.waitingFor = at;
    if (at === null || e.closed || this.#closed) return;
    const wait = at.getTime() - this.#now().getTime();
    e.timer = setTimeout(
      () => {
        e.timer = undefined;
        if (wait > MAX_DELAY_MS) this.#arm(e, at);
        else void this.#fire(e, at, false);
      },
      Math.max(0, Math.min(wait, MAX_DELAY_MS)),
    );
    e.timer.unref();
  }

  async #fire(e: Entry, scheduledTime: Date, isPastDue: boolean): Promise<void> {
    if (e.closed || this.#closed || e.running) return;
    const d = this.#deps.directory;
    const logger = this.#o.logger;
    const name = `${e.rb.resource}/${e.rb.name}`;
    e.running = true;
    const startedAt = this.#now();
    try {
      if (!(await claimOccurrence(d, e.rb, scheduledTime.toISOString(), startedAt.toISOString()))) {
        // Another Lanyard on this store claimed it (or the state moved on): wait for the next one.
        logger.info(
          { runbook: name, scheduledTime },
          'flows: a scheduled occurrence was taken by another process',
        );
        e.running = false;
        await this.#follow(e);
        return;
      }
      const job = await startRunbookJob(this.#deps, e.rb, {
        startedBy: 'schedule',
        scheduledTime: scheduledTime.toISOString(),
        isPastDue,
        logger,
      });
      trackJob(this.#deps, job);
      logger.info(
        { runbook: name, jobId: job.job.id, scheduledTime, isPastDue },
        'flows: a scheduled job started',
      );
      const result = await job.done;
      logger.info(
        { runbook: name, jobId: job.job.id, status: result.status },
        'flows: a scheduled job ended',
      );
    } catch (err) {
      logger.error({ err, runbook: name }, 'flows: a scheduled job could not start');
    }
    e.running = false;
    if (e.closed || this.#closed) return;
    const finishedAt = this.#now();
    const decision = afterRun({
      nextOccurrence: e.next,
      startedAt,
      scheduledTime: isPastDue ? undefined : scheduledTime,
      finishedAt,
      catchUp: e.rb.catchUp,
    });
    try {
      await this.#store(e, decision.status);
    } catch (err) {
      logger.error({ err, runbook: name }, 'flows: storing a schedule state failed');
    }
    this.#arm(e, decision.next);
  }

  /**
   * After another scheduler claimed an occurrence: wait for the one it stores next (it stores it when its job
   * ends), looking once a second; when the store names none ahead, schedule from the schedule itself.
   */
  async #follow(e: Entry): Promise<void> {
    if (e.closed || this.#closed) return;
    const now = this.#now();
    const stored = await getScheduleState(this.#deps.directory, e.rb);
    const adopted = this.#storedNext(stored, e.rb, now);
    if (adopted) {
      this.#arm(e, adopted);
      return;
    }
    if (stored && stored.schedule === scheduleKey(e.rb) && stored.next === null) {
      // Claimed, its job still running.
      e.waitingFor = null;
      e.timer = setTimeout(() => void this.#follow(e), 1_000);
      e.timer.unref();
      return;
    }
    const next = e.next(now);
    await this.#store(e, { last: undefined, next: next ?? undefined, lastUpdated: now });
    this.#arm(e, next);
  }

  /** The stored occurrence still ahead for this schedule, if any. */
  #storedNext(
    stored: Awaited<ReturnType<typeof getScheduleState>>,
    rb: Runbook,
    now: Date,
  ): Date | undefined {
    if (!stored || stored.schedule !== scheduleKey(rb) || !stored.next) return undefined;
    const next = new Date(stored.next);
    return next.getTime() > now.getTime() ? next : undefined;
  }

  /** Stops every timer; running jobs are stopped by the plane (running-jobs.ts). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const id of [...this.#entries.keys()]) this.#drop(id);
    await this.#reloading;
  }
}
