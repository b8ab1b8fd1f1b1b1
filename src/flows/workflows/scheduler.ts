/**
 * @module flows/workflows/scheduler
 * Fires enabled workflows' Recurrence triggers in the running server, with Azure's semantics (docs/flows.md,
 * "Recurrence"): the first run at once when the trigger has no startTime, else at its first occurrence from
 * now; after each, the next occurrence after the time it fired (missed occurrences are never replayed — a
 * Lanyard that was down simply carries on from now). A trigger whose run is still going when the next
 * occurrence comes skips it when the trigger allows one run at a time (`SingleInstance` or
 * `runtimeConfiguration.concurrency.runs: 1`); otherwise runs may overlap, as in Azure. `reload()` follows
 * changes to workflows.
 */
import type { Logger } from '../../http/logger.ts';
import type { RecurrenceTrigger } from '../definition/types.ts';
import { firstRecurrence, nextRecurrence } from '../schedule/recurrence.ts';
import type { WorkflowRuntime } from './runtime.ts';
import type { StoredWorkflow } from './store.ts';

const MAX_DELAY_MS = 2 ** 31 - 1;

interface Entry {
  readonly wf: StoredWorkflow;
  readonly trigger: RecurrenceTrigger;
  /** What the recurrence counts from when it has no startTime: when the entry was made. */
  readonly anchor: Date;
  timer: NodeJS.Timeout | undefined;
  next: Date | null;
  running: number;
  closed: boolean;
}

export interface WorkflowSchedulerOptions {
  readonly logger: Logger;
  readonly now?: () => number;
  /** Lists every stored workflow (all tenants). */
  readonly list: () => Promise<StoredWorkflow[]>;
}

export class WorkflowScheduler {
  readonly #runtime: WorkflowRuntime;
  readonly #o: WorkflowSchedulerOptions;
  readonly #entries = new Map<string, Entry>();
  #reloading: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(runtime: WorkflowRuntime, o: WorkflowSchedulerOptions) {
    this.#runtime = runtime;
    this.#o = o;
  }

  #now(): Date {
    return new Date((this.#o.now ?? Date.now)());
  }

  /** The recurrences waiting, with their next occurrence. */
  scheduled(): { workflow: string; trigger: string; next: string | null }[] {
    return [...this.#entries.values()].map((e) => ({
      workflow: e.wf.name,
      trigger: e.trigger.name,
      next: e.next?.toISOString() ?? null,
    }));
  }

  reload(): Promise<void> {
    this.#reloading = this.#reloading
      .then(() => this.#reload())
      .catch((err) => {
        this.#o.logger.error({ err }, 'flows: workflow schedules could not be loaded');
      });
    return this.#reloading;
  }

  async #reload(): Promise<void> {
    if (this.#closed) return;
    const wanted = new Map<string, { wf: StoredWorkflow; trigger: RecurrenceTrigger }>();
    for (const wf of await this.#o.list()) {
      if (wf.state !== 'Enabled') continue;
      for (const t of wf.definition.triggers) {
        if (t.type === 'Recurrence')
          wanted.set(`${wf.resourceId}\n${wf.version}\n${t.name}`, { wf, trigger: t });
      }
    }
    for (const [key, e] of this.#entries) {
      if (!wanted.has(key)) {
        e.closed = true;
        clearTimeout(e.timer);
        this.#entries.delete(key);
      }
    }
    for (const [key, { wf, trigger }] of wanted) {
      if (this.#entries.has(key)) continue;
      const now = this.#now();
      const e: Entry = { wf, trigger, anchor: now, timer: undefined, next: null, running: 0, closed: false };
      try {
        e.next = firstRecurrence(trigger.recurrence, now);
      } catch (err) {
        this.#o.logger.error(
          { err, workflow: wf.name, trigger: trigger.name },
          'flows: recurrence not scheduled',
        );
        continue;
      }
      this.#entries.set(key, e);
      this.#arm(e);
    }
  }

  #arm(e: Entry): void {
    if (e.closed || e.next === null) return;
    const delay = Math.max(0, e.next.getTime() - this.#now().getTime());
    e.timer = setTimeout(
      () => (delay > MAX_DELAY_MS ? this.#arm(e) : void this.#fire(e)),
      Math.min(delay, MAX_DELAY_MS),
    );
    e.timer.unref?.();
  }

  #singleInstance(t: RecurrenceTrigger): boolean {
    return t.operationOptions.includes('SingleInstance') || t.concurrency?.runs === 1;
  }

  async #fire(e: Entry): Promise<void> {
    if (e.closed) return;
    const occurrence = e.next!;
    e.next = nextRecurrence(
      e.trigger.recurrence,
      new Date(Math.max(occurrence.getTime(), this.#now().getTime())),
      e.anchor,
    );
    this.#arm(e);
    if (e.running > 0 && this.#singleInstance(e.trigger)) {
      this.#o.logger.info(
        { workflow: e.wf.name, trigger: e.trigger.name, occurrence: occurrence.toISOString() },
        'flows: recurrence skipped, the previous run is still going',
      );
      return;
    }
    e.running++;
    try {
      const fired = await this.#runtime.fire({
        tenant: e.wf.tenantId,
        workflow: e.wf.resourceId,
        trigger: e.trigger.name,
        wait: false,
        scheduledTime: occurrence.toISOString(),
      });
      await fired.done;
    } catch (err) {
      this.#o.logger.warn(
        { err, workflow: e.wf.name, trigger: e.trigger.name },
        'flows: recurrence did not fire',
      );
    } finally {
      e.running--;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#reloading;
    for (const e of this.#entries.values()) {
      e.closed = true;
      clearTimeout(e.timer);
    }
    this.#entries.clear();
  }
}
