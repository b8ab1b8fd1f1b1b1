/**
 * The runbook scheduler on both stores, with real timers and real jobs: a runbook every second gets scheduled
 * jobs, never two at once; disabling it stops them; a missed occurrence with catchUp runs once at start,
 * flagged past due (and without catchUp is skipped); two schedulers on one store run each occurrence once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stopJobs } from '../../../src/flows/runbooks/running-jobs.ts';
import { RunbookScheduler } from '../../../src/flows/runbooks/scheduler.ts';
import {
  getRunbook,
  listJobs,
  putRunbook,
  putScheduleState,
  scheduleKey,
} from '../../../src/flows/runbooks/store.ts';
import type { Runtime } from '../../../src/host/runtime.ts';
import { createLogger } from '../../../src/http/logger.ts';
import { openTestRuntime } from '../../helpers/runtime.ts';
import { STORE_KINDS } from '../../helpers/stores.ts';

const logger = createLogger({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of STORE_KINDS) {
  describe(`runbook scheduler (${kind})`, () => {
    let runtime: Runtime;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ runtime, cleanup } = await openTestRuntime(kind));
      await runtime.directory.createTenant({ name: 'contoso' });
      await runtime.directory.createResource('contoso', {
        name: 'nightly',
        kind: 'automation',
        systemAssignedIdentity: true,
      });
    });
    after(async () => {
      await stopJobs(runtime, 'test over');
      await cleanup?.();
    });

    it('starts jobs on the schedule, one at a time, and stops when the runbook is disabled', async () => {
      const d = runtime.directory;
      await putRunbook(d, 'contoso', 'nightly', {
        name: 'tick',
        command: ['sh', '-c', 'echo tick'],
        schedule: '00:00:01',
      });
      const s = new RunbookScheduler(runtime, { logger });
      await s.reload();
      assert.equal(s.scheduled().length, 1);
      await sleep(3_300);
      const rb = await getRunbook(d, 'contoso', 'nightly', 'tick');
      const jobs = (await listJobs(d, rb)).filter((j) => j.status === 'Completed');
      assert.ok(jobs.length >= 2, `${jobs.length} jobs`);
      assert.ok(jobs.every((j) => j.startedBy === 'schedule' && j.scheduledTime !== null && !j.isPastDue));
      assert.equal(new Set(jobs.map((j) => j.scheduledTime)).size, jobs.length, 'each occurrence once');
      await putRunbook(d, 'contoso', 'nightly', {
        name: 'tick',
        command: ['sh', '-c', 'echo tick'],
        schedule: '00:00:01',
        enabled: false,
      });
      await s.reload();
      assert.equal(s.scheduled().length, 0);
      await sleep(300);
      const count = (await listJobs(d, rb)).length;
      await sleep(1_500);
      assert.equal((await listJobs(d, rb)).length, count, 'no job after it was disabled');
      await s.close();
    });

    it('runs a missed occurrence once at start with catchUp, flagged past due; skips it without', async () => {
      const d = runtime.directory;
      // The last 03:00 UTC before now, and the one a day before it: a scheduler stopped after running the first
      // and before the second would have stored exactly this.
      const missed = new Date();
      missed.setUTCHours(3, 0, 0, 0);
      if (missed.getTime() > Date.now()) missed.setUTCDate(missed.getUTCDate() - 1);
      const ran = new Date(missed.getTime() - 86_400_000);
      for (const [name, catchUp] of [
        ['owed', true],
        ['skipped', false],
      ] as const) {
        const rb = await putRunbook(d, 'contoso', 'nightly', {
          name,
          command: ['true'],
          schedule: '0 0 3 * * *',
          timeZone: 'UTC',
          catchUp,
        });
        await putScheduleState(d, rb, {
          schedule: scheduleKey(rb),
          last: ran.toISOString(),
          next: missed.toISOString(),
          lastUpdated: ran.toISOString(),
        });
      }
      const s = new RunbookScheduler(runtime, { logger });
      await s.reload();
      await sleep(800);
      const owed = await listJobs(d, await getRunbook(d, 'contoso', 'nightly', 'owed'));
      const skipped = await listJobs(d, await getRunbook(d, 'contoso', 'nightly', 'skipped'));
      await s.close();
      assert.equal(skipped.length, 0, 'without catchUp a missed occurrence is skipped');
      assert.equal(owed.length, 1, 'with catchUp it runs once, however long ago');
      assert.equal(owed[0]!.isPastDue, true);
      assert.equal(owed[0]!.scheduledTime, missed.toISOString());
      assert.equal(owed[0]!.status, 'Completed');
    });

    it('two schedulers on one store run each occurrence once', async () => {
      const d = runtime.directory;
      await putRunbook(d, 'contoso', 'nightly', { name: 'shared', command: ['true'], schedule: '00:00:01' });
      const a = new RunbookScheduler(runtime, { logger });
      const b = new RunbookScheduler(runtime, { logger });
      await a.reload();
      await b.reload();
      await sleep(3_300);
      await a.close();
      await b.close();
      const jobs = await listJobs(d, await getRunbook(d, 'contoso', 'nightly', 'shared'));
      assert.ok(jobs.length >= 2, `${jobs.length} jobs`);
      assert.equal(new Set(jobs.map((j) => j.scheduledTime)).size, jobs.length, 'no occurrence ran twice');
    });
  });
}
