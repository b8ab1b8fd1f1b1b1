/**
 * @module flows/plane
 * The flows plane: Automation runbooks (a command run with its automation resource's identity, jobs with
 * Automation's statuses and streams; runbooks/) and, being built, Logic Apps workflows (definitions/,
 * expressions/) and schedules (schedule/). Its rows are in migration `0013-runbooks`; its noun of the CLI is
 * `lanyard runbook` (cli/commands.ts). When it starts, jobs a stopped Lanyard left running are ended as Failed.
 */
import type { Plane } from '../plane/contract.ts';
import type { FlowsDeps } from './deps.ts';
import * as m0013 from './migrations/0013-runbooks.ts';
import { failOrphanedJobs } from './runbooks/store.ts';

export const flowsPlane: Plane<FlowsDeps> = {
  name: 'flows',
  owns: 'Automation runbooks and their jobs (and, being built, Logic Apps workflows and schedules)',
  migrations: { '0013-runbooks': m0013 },
  async start(deps, ctx) {
    const n = await failOrphanedJobs(deps.directory);
    if (n > 0) ctx.logger.warn({ jobs: n }, 'flows: jobs left running by a stopped Lanyard ended as Failed');
    return undefined;
  },
};
