/**
 * @module flows/workflows/start
 * The workflows' part of the running flows plane: the Request trigger host on the main listener
 * (request-host.ts), and, when the plane starts, the runtime (runtime.ts) with an Http client that trusts
 * Lanyard's CA and reaches `*.localhost` and — under `--azure-hosts` — Azure's host names, plus the Recurrence
 * scheduler. Runs a stopped Lanyard left Running are ended Failed first. Stopping cancels the runs in flight
 * and waits until each is recorded.
 */
import { ensureLocalCa } from '../../crypto/local-ca.ts';
import type { RouteGroup } from '../../http/route-group.ts';
import type { StartContext } from '../../plane/contract.ts';
import type { FlowsDeps } from '../deps.ts';
import { workflowDispatcher } from './http-client.ts';
import { requestTriggerRoutes } from './request-host.ts';
import { runtimeOf, setRuntime, WorkflowRuntime } from './runtime.ts';
import { WorkflowScheduler } from './scheduler.ts';
import { failOrphanedRuns, listWorkflows, type StoredWorkflow } from './store.ts';

export function workflowRoutes(deps: FlowsDeps): RouteGroup {
  return requestTriggerRoutes({
    directory: deps.directory,
    audit: deps.audit,
    envelope: deps.envelope,
    runtime: () => runtimeOf(deps.directory),
  });
}

export interface RunningWorkflows {
  readonly lines: readonly string[];
  changed(topic: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWorkflows(deps: FlowsDeps, ctx: StartContext): Promise<RunningWorkflows> {
  const orphans = await failOrphanedRuns(deps.directory);
  if (orphans > 0)
    ctx.logger.warn(
      { runs: orphans },
      'flows: workflow runs left running by a stopped Lanyard ended as Failed',
    );
  const ca = await ensureLocalCa({ dataDir: deps.dataDir, envelope: deps.envelope });
  const main = ctx.mainUrl ? new URL(ctx.mainUrl) : undefined;
  const dispatcher = workflowDispatcher({
    caPem: ca.caCertPem,
    ...(main ? { azureHostsTarget: `${main.hostname}:${main.port || 443}` } : {}),
  });
  const runtime = new WorkflowRuntime(deps, { logger: ctx.logger, dispatcher });
  setRuntime(deps.directory, runtime);
  const list = async (): Promise<StoredWorkflow[]> => {
    const out: StoredWorkflow[] = [];
    for (const t of await deps.directory.listTenants())
      out.push(...(await listWorkflows(deps.directory, t.id)));
    return out;
  };
  const scheduler = new WorkflowScheduler(runtime, { logger: ctx.logger, list });
  await scheduler.reload();
  const scheduled = scheduler.scheduled().length;
  return {
    lines: scheduled > 0 ? [`workflows on a recurrence: ${scheduled} (lanyard workflow list)`] : [],
    changed: async (topic) => {
      if (topic === 'flows' || topic === 'directory') {
        await scheduler.reload();
      }
    },
    close: async () => {
      await scheduler.close();
      await runtime.close();
      setRuntime(deps.directory, undefined);
      await dispatcher.close();
    },
  };
}
