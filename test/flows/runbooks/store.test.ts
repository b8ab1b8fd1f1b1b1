/**
 * Runbooks and jobs at rest, on both stores: a runbook saved, replaced, listed and deleted (its jobs with it);
 * its fields checked with the field named; a job recorded from New to its end with its streams in order and
 * masked; one job of a runbook at a time; jobs a stopped Lanyard left running end Failed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRunbookJob } from '../../../src/flows/runbooks/run-job.ts';
import {
  createJob,
  deleteRunbook,
  failOrphanedJobs,
  getJob,
  getRunbook,
  jobStreams,
  listJobs,
  listRunbooks,
  putRunbook,
} from '../../../src/flows/runbooks/store.ts';
import type { Runtime } from '../../../src/host/runtime.ts';
import { createLogger } from '../../../src/http/logger.ts';
import { openTestRuntime } from '../../helpers/runtime.ts';
import { STORE_KINDS } from '../../helpers/stores.ts';

const logger = createLogger({ level: 'silent' });
const code = (err: unknown) => (err as { code?: string }).code;

for (const kind of STORE_KINDS) {
  describe(`runbooks and jobs (${kind})`, () => {
    let runtime: Runtime;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ runtime, cleanup } = await openTestRuntime(kind));
      const d = runtime.directory;
      await d.createTenant({ name: 'contoso' });
      await d.createResource('contoso', {
        name: 'nightly',
        kind: 'automation',
        systemAssignedIdentity: true,
      });
      await d.createResource('contoso', { name: 'web', kind: 'app', systemAssignedIdentity: true });
      await d.createResource('contoso', { name: 'flow', kind: 'workflow', systemAssignedIdentity: true });
    });
    after(async () => cleanup?.());

    it('saves, replaces, lists and checks runbooks', async () => {
      const d = runtime.directory;
      const rb = await putRunbook(d, 'contoso', 'nightly', {
        name: 'Report',
        command: ['sh', '-c', 'echo hi'],
        schedule: '0 */5 * * * *',
        timeZone: 'UTC',
      });
      assert.equal(rb.timeoutSeconds, 3 * 3600);
      assert.equal(rb.enabled, true);
      const again = await putRunbook(d, 'contoso', 'nightly', {
        name: 'report',
        command: ['true'],
        timeoutSeconds: 60,
      });
      assert.equal(again.name, 'report');
      assert.equal(again.schedule, null);
      assert.deepEqual(
        (await listRunbooks(d, 'contoso')).map((r) => `${r.resource}/${r.name}`),
        ['nightly/report'],
      );
      const refused = async (input: object, field: string, want = 'ERR_FLOW_RUNBOOK') => {
        await assert.rejects(
          putRunbook(d, 'contoso', 'nightly', { name: 'x', command: ['true'], ...input }),
          (err: unknown) =>
            code(err) === want &&
            (want !== 'ERR_FLOW_RUNBOOK' || (err as { details: { field: string } }).details.field === field),
        );
      };
      await refused({ name: '1bad' }, 'name');
      await refused({ command: [] }, 'command');
      await refused({ env: { 'BAD-NAME': 'x' } }, 'env');
      await refused({ timeoutSeconds: 0 }, 'timeoutSeconds');
      await refused({ timeZone: 'UTC' }, 'timeZone');
      await refused({ schedule: '*/5 * * * *' }, 'schedule', 'ERR_FLOW_SCHEDULE');
      // A function app's timer trigger is one too; a workflow's resource is not.
      const timer = await putRunbook(d, 'contoso', 'web', {
        name: 'Tick',
        command: ['true'],
        schedule: '0 * * * * *',
      });
      assert.equal(timer.resource, 'web');
      assert.deepEqual((await listRunbooks(d, 'contoso')).map((r) => `${r.resource}/${r.name}`).sort(), [
        'nightly/report',
        'web/Tick',
      ]);
      await deleteRunbook(d, 'contoso', 'web', 'Tick');
      await assert.rejects(
        putRunbook(d, 'contoso', 'flow', { name: 'x', command: ['true'] }),
        (e) =>
          code(e) === 'ERR_VALIDATION' &&
          /kind automation\) or a function app's timer \(kind app\)/.test((e as Error).message),
      );
      await assert.rejects(getRunbook(d, 'contoso', 'web', 'nope'), (e) =>
        /^Function app web has no runbook nope\.$/.test((e as Error).message),
      );
      await assert.rejects(getRunbook(d, 'contoso', 'nightly', 'nope'), (e) => code(e) === 'ERR_NOT_FOUND');
    });

    it('records a job from start to end, streams in order and masked', async () => {
      const d = runtime.directory;
      const rb = await putRunbook(d, 'contoso', 'nightly', {
        name: 'talk',
        command: [
          'sh',
          '-c',
          'for i in 1 2 3 4 5; do echo out-$i; done; echo "header $IDENTITY_HEADER" >&2; exit 2',
        ],
      });
      const started = await startRunbookJob(runtime, rb, { startedBy: 'manual', logger, flushEvery: 2 });
      const result = await started.done;
      assert.equal(result.status, 'Failed');
      const job = await getJob(d, 'contoso', started.job.id);
      assert.equal(job.status, 'Failed');
      assert.equal(job.exitCode, 2);
      assert.equal(job.exception, 'The command exited with code 2.');
      assert.equal(job.startedBy, 'manual');
      assert.ok(job.startTime && job.endTime);
      const out = await jobStreams(d, job.id, 'Output');
      assert.deepEqual(
        out.map((s) => s.streamText),
        ['out-1', 'out-2', 'out-3', 'out-4', 'out-5'],
      );
      assert.deepEqual(
        (await jobStreams(d, job.id, 'Error')).map((s) => s.streamText),
        ['header ***'],
      );
      assert.deepEqual(
        (await listJobs(d, rb)).map((j) => j.id),
        [job.id],
      );
    });

    it('runs one job of a runbook at a time, and fails jobs a stopped Lanyard left behind', async () => {
      const d = runtime.directory;
      const rb = await putRunbook(d, 'contoso', 'nightly', { name: 'long', command: ['sleep', '30'] });
      const first = await startRunbookJob(runtime, rb, { startedBy: 'manual', logger });
      await assert.rejects(
        startRunbookJob(runtime, rb, { startedBy: 'schedule', logger }),
        (err) => code(err) === 'ERR_FLOW_JOB_RUNNING',
      );
      first.stop('Stopped by the test.');
      assert.equal((await first.done).status, 'Stopped');
      assert.equal((await getJob(d, 'contoso', first.job.id)).status, 'Stopped');
      // A job recorded but never finished, as a killed process would leave it.
      const orphan = await createJob(d, rb, { startedBy: 'schedule' });
      assert.equal(await failOrphanedJobs(d), 1);
      const failed = await getJob(d, 'contoso', orphan.id);
      assert.equal(failed.status, 'Failed');
      assert.match(failed.exception ?? '', /Lanyard stopped while the job was running/);
    });

    it('deletes a runbook with its jobs', async () => {
      const d = runtime.directory;
      const rb = await getRunbook(d, 'contoso', 'nightly', 'talk');
      const jobId = (await listJobs(d, rb))[0]!.id;
      await deleteRunbook(d, 'contoso', 'nightly', 'talk');
      await assert.rejects(getJob(d, 'contoso', jobId), (e) => code(e) === 'ERR_NOT_FOUND');
      assert.deepEqual(await jobStreams(d, jobId), []);
    });
  });
}
