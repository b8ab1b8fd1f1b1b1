/**
 * @module flows/admin-routes
 * The flows plane's part of the admin API — what `lanyard runbook …` does, as JSON:
 *   GET    /admin/tenants/:tenant/runbooks[?account=]                       list
 *   GET|PUT|DELETE /admin/tenants/:tenant/automation/:account/runbooks/:name  show, create or replace, delete
 *   POST   …/runbooks/:name/start                                            202: a job started in the server
 *   GET    …/runbooks/:name/jobs                                             the runbook's jobs, newest first
 *   GET    /admin/tenants/:tenant/jobs/:job[?stream=Output|Error]            a job with its stream records
 * A job started here runs in the server process, with the account's identity, and is stopped (Stopped) when the
 * server stops. Validation is the store's (ERR_FLOW_RUNBOOK, ERR_FLOW_SCHEDULE, ERR_FLOW_JOB_RUNNING).
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import { type AdminRoutes, noContent, ok, onlyFields } from '../plane/admin-kit.ts';
import type { FlowsDeps } from './deps.ts';

const store = () => import('./runbooks/store.ts');

type Body = Record<string, unknown>;
const FIELDS = ['command', 'cwd', 'env', 'timeoutSeconds', 'schedule', 'timeZone', 'catchUp', 'enabled'];

export function flowsAdminRoutes(routes: AdminRoutes<FlowsDeps>): void {
  const runbook = '/admin/tenants/:tenant/automation/:account/runbooks/:name';

  routes.add(
    'GET',
    '/admin/tenants/:tenant/runbooks',
    async ({ deps, params, query }) =>
      ok(await (await store()).listRunbooks(deps.directory, params.tenant!, query.account)),
    ['account'],
  );
  routes.add('GET', runbook, async ({ deps, params }) =>
    ok(await (await store()).getRunbook(deps.directory, params.tenant!, params.account!, params.name!)),
  );
  routes.add('PUT', runbook, async ({ deps, params, body }) => {
    const b = onlyFields(await body<Body>(), FIELDS);
    return ok(
      await (await store()).putRunbook(deps.directory, params.tenant!, params.account!, {
        name: params.name!,
        command: b.command as string[],
        cwd: b.cwd as string | null | undefined,
        env: b.env as Record<string, string> | undefined,
        timeoutSeconds: b.timeoutSeconds as number | undefined,
        schedule: b.schedule as string | null | undefined,
        timeZone: b.timeZone as string | null | undefined,
        catchUp: b.catchUp as boolean | undefined,
        enabled: b.enabled as boolean | undefined,
      }),
    );
  });
  routes.add('DELETE', runbook, async ({ deps, params }) => {
    await (await store()).deleteRunbook(deps.directory, params.tenant!, params.account!, params.name!);
    return noContent();
  });
  routes.add('POST', `${runbook}/start`, async ({ deps, params, logger }) => {
    const s = await store();
    const rb = await s.getRunbook(deps.directory, params.tenant!, params.account!, params.name!);
    const [{ startRunbookJob }, { trackJob }] = await Promise.all([
      import('./runbooks/run-job.ts'),
      import('./runbooks/running-jobs.ts'),
    ]);
    const started = await startRunbookJob(deps, rb, { startedBy: 'manual', logger });
    trackJob(deps, started);
    return { status: 202, body: started.job };
  });
  routes.add('GET', `${runbook}/jobs`, async ({ deps, params }) => {
    const s = await store();
    const rb = await s.getRunbook(deps.directory, params.tenant!, params.account!, params.name!);
    return ok(await s.listJobs(deps.directory, rb));
  });
  routes.add(
    'GET',
    '/admin/tenants/:tenant/jobs/:job',
    async ({ deps, params, query }) => {
      const s = await store();
      const stream = query.stream;
      if (stream !== undefined && stream !== 'Output' && stream !== 'Error') {
        throw new LanyardError('ERR_VALIDATION', 'stream is Output or Error.');
      }
      const job = await s.getJob(deps.directory, params.tenant!, params.job!);
      return ok({ ...job, streams: await s.jobStreams(deps.directory, job.id, stream) });
    },
    ['stream'],
  );
}
