/**
 * @module flows/plane
 * The flows plane: Automation runbooks (a command run with its automation resource's identity, jobs with
 * Automation's statuses and streams; runbooks/) and, being built, Logic Apps workflows (definitions/,
 * expressions/; saved with their runs and access keys in workflows/store.ts) and schedules (schedule/). Its rows
 * are in migrations `0013-runbooks` and `0014-workflows`; its nouns of the CLI are `lanyard runbook`
 * (cli/commands.ts) and `lanyard workflow` (cli/workflow-commands.ts), and its admin routes are in
 * admin-routes.ts. When it starts, jobs and workflow runs a stopped Lanyard left running are ended as Failed,
 * and runbooks with a schedule get their jobs started on it (runbooks/scheduler.ts); when it stops, the jobs it
 * runs are stopped.
 */
import type { Directory } from '../directory/directory.ts';
import type { Plane } from '../plane/contract.ts';
import { flowsAdminRoutes } from './admin-routes.ts';
import type { FlowsDeps } from './deps.ts';
import { flowsManifest } from './manifest-section.ts';
import * as m0013 from './migrations/0013-runbooks.ts';
import * as m0014 from './migrations/0014-workflows.ts';
import { stopJobs } from './runbooks/running-jobs.ts';
import { RunbookScheduler } from './runbooks/scheduler.ts';
import { failOrphanedJobs } from './runbooks/store.ts';
import { startWorkflows, workflowRoutes } from './workflows/start.ts';

export const flowsPlane: Plane<FlowsDeps, Directory> = {
  name: 'flows',
  owns: 'Automation runbooks and their jobs, Logic Apps workflows and their runs, and their schedules',
  migrations: { '0013-runbooks': m0013, '0014-workflows': m0014 },
  admin: flowsAdminRoutes,
  manifest: flowsManifest,
  auditActions: ['workflow.run', 'callback.refuse'],
  watches: ['flows', 'directory'],
  routes: (deps) => [workflowRoutes(deps)],
  async start(deps, ctx) {
    const n = await failOrphanedJobs(deps.directory);
    if (n > 0) ctx.logger.warn({ jobs: n }, 'flows: jobs left running by a stopped Lanyard ended as Failed');
    const workflows = await startWorkflows(deps, ctx);
    const scheduler = new RunbookScheduler(deps, { logger: ctx.logger });
    await scheduler.reload();
    const n2 = scheduler.scheduled().length;
    return {
      lines: [
        ...(n2 > 0 ? [`runbooks on a schedule: ${n2} (lanyard runbook list)`] : []),
        ...workflows.lines,
      ],
      changed: async (topic) => {
        if (topic === 'flows' || topic === 'directory') await scheduler.reload();
        await workflows.changed(topic);
      },
      close: async () => {
        await scheduler.close();
        await workflows.close();
        // Jobs this process runs end Stopped, and are recorded so, before it stops.
        await stopJobs(deps, 'Lanyard stopped; the job was stopped with it.');
      },
    };
  },
};
