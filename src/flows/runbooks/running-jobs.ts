/**
 * @module flows/runbooks/running-jobs
 * The jobs a server process is running (started through the admin API, and by the scheduler to come), per
 * runtime: so that stopping the plane stops them — they end Stopped and are recorded so — rather than leaving
 * them to be found Failed at the next start.
 */
import type { RunbookJob } from './run-job.ts';

const byRuntime = new WeakMap<object, Set<RunbookJob>>();

export function trackJob(runtime: object, job: RunbookJob): void {
  let set = byRuntime.get(runtime);
  if (!set) {
    set = new Set();
    byRuntime.set(runtime, set);
  }
  const jobs = set;
  jobs.add(job);
  void job.done.finally(() => jobs.delete(job));
}

/** Stops every job of `runtime` and waits until each has ended and is recorded. */
export async function stopJobs(runtime: object, reason: string): Promise<void> {
  const jobs = [...(byRuntime.get(runtime) ?? [])];
  for (const j of jobs) j.stop(reason);
  await Promise.all(jobs.map((j) => j.done));
}
