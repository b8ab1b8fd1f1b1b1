/**
 * @module flows/runbooks/run-job
 * Starts a runbook's job and keeps its record: the job row first (refused while another job of the runbook
 * runs), then the job itself (job.ts) with its status changes and stream records written as they come (records
 * in small batches, so a long job's output is readable while it runs and a crash loses at most a moment of it),
 * and its end. `lanyard runbook start` and the plane's scheduler both start jobs here.
 */

import type { Logger } from '../../http/logger.ts';
import type { IdentityDeps } from '../../identity/deps.ts';
import { type JobLimits, type JobResult, type JobStreamRecord, startJob } from './job.ts';
import {
  appendStreams,
  createJob,
  finishJob,
  type Job,
  type NewJobInput,
  type Runbook,
  setJobStatus,
} from './store.ts';

export interface RunbookJob {
  readonly job: Job;
  /** The job's end, once recorded; never rejects. */
  readonly done: Promise<JobResult>;
  stop(reason?: string): void;
}

export interface RunJobOptions extends NewJobInput {
  readonly logger: Logger;
  readonly limits?: Partial<JobLimits> | undefined;
  /** Each record as it is read (masked), e.g. to print it. */
  readonly onRecord?: ((r: JobStreamRecord) => void) | undefined;
  /** Records are written when this many are waiting, or at the end. */
  readonly flushEvery?: number | undefined;
}

/** Records a new job of `rb` and starts it (ERR_FLOW_JOB_RUNNING when one runs already). */
export async function startRunbookJob(
  deps: IdentityDeps,
  rb: Runbook,
  o: RunJobOptions,
): Promise<RunbookJob> {
  const d = deps.directory;
  const job = await createJob(d, rb, o);
  const flushEvery = o.flushEvery ?? 50;
  let stored = 0;
  let waiting: JobStreamRecord[] = [];
  // Writes go one after another: records keep their order and statuses never overtake each other.
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (write: () => Promise<void>) => {
    chain = chain.then(write).catch((err: unknown) => {
      o.logger.error({ err, jobId: job.id }, 'writing a job record failed');
    });
  };
  const flush = () => {
    if (waiting.length === 0) return;
    const batch = waiting;
    const from = stored;
    waiting = [];
    stored += batch.length;
    enqueue(() => appendStreams(d, job.id, from, batch));
  };
  const running = startJob(
    deps,
    {
      tenant: rb.tenantId,
      resource: rb.resource,
      command: rb.command,
      cwd: rb.cwd ?? undefined,
      env: rb.env,
      timeoutMs: rb.timeoutSeconds * 1000,
      label: `runbook ${rb.resource}/${rb.name} job ${job.id}`,
    },
    {
      logger: o.logger,
      limits: o.limits,
      onStatus: (s) => {
        if (s === 'New') return;
        const at = new Date().toISOString();
        enqueue(() => setJobStatus(d, job.id, s, at));
      },
      onRecord: (r) => {
        o.onRecord?.(r);
        waiting.push(r);
        if (waiting.length >= flushEvery) flush();
      },
    },
  );
  const done = running.done.then(async (result) => {
    flush();
    await chain;
    try {
      await finishJob(d, job.id, result);
    } catch (err) {
      o.logger.error({ err, jobId: job.id }, 'recording the end of a job failed');
    }
    return result;
  });
  return { job, done, stop: running.stop };
}
