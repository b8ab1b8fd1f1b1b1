/**
 * @module flows/admin-routes
 * The flows plane's part of the admin API — what `lanyard runbook …` and `lanyard workflow …` do, as JSON:
 *   GET    /admin/tenants/:tenant/runbooks[?account=]                       list
 *   GET|PUT|DELETE /admin/tenants/:tenant/automation/:account/runbooks/:name  show, create or replace, delete
 *   POST   …/runbooks/:name/start                                            202: a job started in the server
 *   GET    …/runbooks/:name/jobs                                             the runbook's jobs, newest first
 *   GET    /admin/tenants/:tenant/jobs/:job[?stream=Output|Error]            a job with its stream records
 *   GET    /admin/tenants/:tenant/workflows                                 the tenant's workflows
 *   GET|PUT|DELETE /admin/tenants/:tenant/workflows/:name                   show, create or replace, delete
 *   POST   …/workflows/:name/enable, …/disable                              its state
 *   POST   …/workflows/:name/triggers/:trigger/listCallbackUrl              Azure's callback URL answer
 *   POST   …/workflows/:name/triggers/:trigger/run[?wait=true]              fire a trigger: 202, or 200 with the Response
 *   POST   …/workflows/:name/regenerateAccessKey                            { keyType: Primary|Secondary }
 *   GET    …/workflows/:name/runs[?top=&status=]                            its runs, newest first
 *   GET    …/workflows/:name/runs/:run                                      one run's whole record
 * A job started here runs in the server process, with the account's identity, and is stopped (Stopped) when the
 * server stops. Validation is the store's (ERR_FLOW_RUNBOOK, ERR_FLOW_SCHEDULE, ERR_FLOW_JOB_RUNNING; for
 * workflows ERR_FLOW_DEFINITION, ERR_FLOW_UNSUPPORTED, ERR_FLOW_EXPRESSION, ERR_VALIDATION). A workflow is
 * shown without its source text and secure parameter values (workflows/store.ts `workflowView`); its access
 * keys never leave the server, only URLs signed with them.
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import { type AdminRoutes, noContent, ok, onlyFields } from '../plane/admin-kit.ts';
import type { FlowsDeps } from './deps.ts';

const store = () => import('./runbooks/store.ts');
const workflows = () => import('./workflows/store.ts');

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
  workflowRoutes(routes);
}

function keyTypeOf(value: unknown): 'Primary' | 'Secondary' {
  if (value === 'Primary' || value === 'Secondary') return value;
  throw new LanyardError('ERR_VALIDATION', 'keyType is Primary or Secondary.', {
    details: { field: 'keyType' },
  });
}

function workflowRoutes(routes: AdminRoutes<FlowsDeps>): void {
  const wf = '/admin/tenants/:tenant/workflows/:name';

  routes.add('GET', '/admin/tenants/:tenant/workflows', async ({ deps, params }) => {
    const s = await workflows();
    return ok((await s.listWorkflows(deps.directory, params.tenant!)).map(s.workflowView));
  });
  routes.add('GET', wf, async ({ deps, params }) => {
    const s = await workflows();
    return ok(s.workflowView(await s.getWorkflow(deps.directory, params.tenant!, params.name!)));
  });
  routes.add('PUT', wf, async ({ deps, params, body }) => {
    const b = onlyFields(await body<Body>(), ['definition', 'parameters', 'state']);
    const s = await workflows();
    const saved = await s.putWorkflow(
      deps.directory,
      params.tenant!,
      params.name!,
      {
        definition: b.definition as string | object,
        parameters: b.parameters as Record<string, unknown> | null | undefined,
        state: b.state as 'Enabled' | 'Disabled' | undefined,
      },
      deps.envelope,
    );
    return ok(s.workflowView(saved));
  });
  routes.add('DELETE', wf, async ({ deps, params }) => {
    await (await workflows()).deleteWorkflow(deps.directory, params.tenant!, params.name!);
    return noContent();
  });
  for (const [verb, state] of [
    ['enable', 'Enabled'],
    ['disable', 'Disabled'],
  ] as const) {
    routes.add('POST', `${wf}/${verb}`, async ({ deps, params }) => {
      const s = await workflows();
      return ok(
        s.workflowView(await s.setWorkflowState(deps.directory, params.tenant!, params.name!, state)),
      );
    });
  }
  routes.add('POST', `${wf}/triggers/:trigger/listCallbackUrl`, async ({ deps, params, body }) => {
    const b = onlyFields(await body<Body>(), ['keyType']);
    const keyType = b.keyType === undefined ? 'Primary' : keyTypeOf(b.keyType);
    const [s, c] = await Promise.all([workflows(), import('./workflows/callback.ts')]);
    const w = await s.getWorkflow(deps.directory, params.tenant!, params.name!);
    const keys = await s.workflowAccessKeys(deps.directory, deps.envelope, params.tenant!, w.resourceId);
    const key = keyType === 'Primary' ? keys.primary : keys.secondary;
    return ok(c.listCallbackUrl(c.callbackOrigin(deps.dataDir), w, params.trigger!, key));
  });
  routes.add(
    'POST',
    `${wf}/triggers/:trigger/run`,
    async ({ deps, params, body, query }) => {
      const b = onlyFields(await body<Body>(), ['body', 'headers']);
      const runtime = (await import('./workflows/runtime.ts')).runtimeOf(deps.directory);
      if (!runtime)
        throw new LanyardError('ERR_CONFLICT', 'Workflows do not run in this process yet.', {
          hint: 'Try again once the server has started.',
        });
      const headers = b.headers === undefined ? {} : b.headers;
      if (typeof headers !== 'object' || headers === null || Array.isArray(headers))
        throw new LanyardError('ERR_VALIDATION', 'headers is an object of names and values.', {
          details: { field: 'headers' },
        });
      const fired = await runtime.fire({
        tenant: params.tenant!,
        workflow: params.name!,
        trigger: params.trigger!,
        outputs: {
          headers: headers as Record<string, string>,
          ...(b.body === undefined ? {} : { body: b.body as never }),
        },
        wait: query.wait === 'true',
      });
      const answer = {
        run: fired.run,
        outcome: fired.outcome,
        ...(fired.response ? { response: fired.response } : {}),
      };
      return { status: fired.outcome === 'accepted' ? 202 : 200, body: answer };
    },
    ['wait'],
  );
  routes.add('POST', `${wf}/regenerateAccessKey`, async ({ deps, params, body }) => {
    const b = onlyFields(await body<Body>(), ['keyType']);
    await (await workflows()).regenerateAccessKey(
      deps.directory,
      deps.envelope,
      params.tenant!,
      params.name!,
      keyTypeOf(b.keyType),
    );
    return noContent();
  });
  routes.add(
    'GET',
    `${wf}/runs`,
    async ({ deps, params, query }) => {
      const top = query.top === undefined ? undefined : Number(query.top);
      return ok(
        await (await workflows()).listRuns(deps.directory, params.tenant!, params.name!, {
          top,
          status: query.status,
        }),
      );
    },
    ['top', 'status'],
  );
  routes.add('GET', `${wf}/runs/:run`, async ({ deps, params }) =>
    ok(await (await workflows()).getRun(deps.directory, params.tenant!, params.name!, params.run!)),
  );
}
