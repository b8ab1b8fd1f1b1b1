/**
 * @module demo/flows
 * The demo's hands on the flows the seed manifest declares (`runbooks:` and `workflows:`):
 *  - `pointAtFronts` saves the declared runbooks and workflows again with this run's Easy Auth front URLs (the
 *    fronts listen on ports picked at start, so the manifest's URLs carry none): a runbook's variables, a
 *    workflow's parameter values — what `lanyard runbook set --env` and `lanyard workflow set --parameters-file`
 *    save. Nothing else of them changes. An apply of the manifest puts the declared values back; `keepPointed`
 *    points them at the fronts again while the demo serves.
 *  - `declaredJobs` starts a job of a declared runbook by hand in this server, as `POST …/runbooks/:name/start`
 *    does (when the scheduler's own job of it is running, it waits for that one to end: one job at a time),
 *    waits for its end and hands back its streams; and says when the scheduler runs the runbook next.
 *  - `adminClient` speaks HTTPS to the main listener, trusting the local CA: the admin API with the admin token
 *    (a Request trigger's callback URL, a run's record) and a POST to a callback URL, as a Flow button does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Agent, fetch } from 'undici';
import { isLanyardError } from '../errors/lanyard-error.ts';
import type { JobStatus } from '../flows/runbooks/job.ts';
import type { Job, Runbook } from '../flows/runbooks/store.ts';
import type { Runtime } from '../host/runtime.ts';
import type { Logger } from '../http/logger.ts';

const REPO = path.resolve(import.meta.dirname, '../..');

export interface RunbookPointer {
  account: string;
  name: string;
  env: Record<string, string>;
}

export interface WorkflowPointer {
  name: string;
  /** Parameter values by name. */
  parameters: Record<string, string>;
}

export interface Pointers {
  runbooks: readonly RunbookPointer[];
  workflows: readonly WorkflowPointer[];
}

/**
 * Saves each runbook with `env` over its variables (and, when the demo runs outside the checkout, the checkout as
 * its folder: the seed commands are relative to it), and each workflow with `parameters` over its values — only
 * those not pointed so already. Returns what it saved (`runbook <name>`, `workflow <name>`).
 */
export async function pointAtFronts(runtime: Runtime, tenantId: string, o: Pointers): Promise<string[]> {
  const d = runtime.directory;
  const rbs = await import('../flows/runbooks/store.ts');
  const wfs = await import('../flows/workflows/store.ts');
  const saved: string[] = [];
  for (const p of o.runbooks) {
    const rb = await rbs.getRunbook(d, tenantId, p.account, p.name);
    // Relative to the checkout; named only when the demo runs elsewhere (npm start runs in the checkout).
    const cwd = rb.cwd ?? (path.resolve(process.cwd()) === REPO ? null : REPO);
    if (cwd === rb.cwd && Object.entries(p.env).every(([k, v]) => rb.env[k] === v)) continue;
    await rbs.putRunbook(d, tenantId, p.account, {
      name: rb.name,
      command: rb.command,
      cwd,
      env: { ...rb.env, ...p.env },
      timeoutSeconds: rb.timeoutSeconds,
      schedule: rb.schedule,
      timeZone: rb.timeZone,
      catchUp: rb.catchUp,
      enabled: rb.enabled,
    });
    saved.push(`runbook ${rb.name}`);
  }
  for (const p of o.workflows) {
    const wf = await wfs.getWorkflow(d, tenantId, p.name);
    const values = (wf.parameters ?? {}) as Record<string, { value?: unknown } | undefined>;
    if (Object.entries(p.parameters).every(([k, v]) => values[k]?.value === v)) continue;
    const given = Object.fromEntries(Object.entries(p.parameters).map(([k, value]) => [k, { value }]));
    await wfs.putWorkflow(
      d,
      tenantId,
      p.name,
      { definition: wf.source, parameters: { ...values, ...given }, state: wf.state },
      runtime.envelope,
    );
    saved.push(`workflow ${wf.name}`);
  }
  return saved;
}

/**
 * Points them again whenever something else saved them otherwise — `lanyard apply` of the seed manifest in
 * another terminal puts its port-less URLs back — looking every `everyMs`; `onPointed` hears what was saved.
 * Returns the stop.
 */
export function keepPointed(
  runtime: Runtime,
  tenantId: string,
  o: Pointers,
  onPointed: (saved: string[]) => void,
  logger: Logger,
  everyMs = 2_000,
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    timer = setTimeout(() => {
      pointAtFronts(runtime, tenantId, o)
        .then((saved) => {
          if (saved.length > 0 && !stopped) onPointed(saved);
        })
        // Deleted meanwhile (apply --prune of another manifest): nothing to point.
        .catch((err: unknown) => logger.debug({ err }, 'demo: pointing the flows at the fronts failed'))
        .finally(() => {
          if (!stopped) loop();
        });
    }, everyMs);
    timer.unref();
  };
  loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export interface JobRun {
  id: string;
  status: JobStatus;
  exception: string | null;
  /** The Output stream's lines (masked, as stored). */
  output: string[];
  /** The Error stream's lines. */
  errors: string[];
}

export interface DeclaredJobs {
  runbook(account: string, name: string): Promise<Runbook>;
  /** A job started by hand, to its end. */
  run(account: string, name: string): Promise<JobRun>;
  /** The occurrence the server's scheduler waits for (else the schedule's next one), or null. */
  next(rb: Runbook): Promise<Date | null>;
  /**
   * Calls `onJob` for each job of these runbooks that ends from now on, whoever started it (the scheduler,
   * `lanyard runbook start` in another terminal), looking every `everyMs`; returns the stop.
   */
  watch(
    runbooks: readonly { account: string; name: string }[],
    onJob: (job: Job, output: string[]) => void,
    everyMs?: number,
  ): () => void;
}

export function declaredJobs(runtime: Runtime, tenantId: string, logger: Logger): DeclaredJobs {
  const d = runtime.directory;
  const store = () => import('../flows/runbooks/store.ts');
  return {
    runbook: async (account, name) => (await store()).getRunbook(d, tenantId, account, name),
    async run(account, name) {
      const s = await store();
      const [{ startRunbookJob }, { trackJob }] = await Promise.all([
        import('../flows/runbooks/run-job.ts'),
        import('../flows/runbooks/running-jobs.ts'),
      ]);
      const rb = await s.getRunbook(d, tenantId, account, name);
      const until = Date.now() + 2 * rb.timeoutSeconds * 1000;
      for (;;) {
        try {
          const started = await startRunbookJob(runtime, rb, { startedBy: 'manual', logger });
          // Stopped (and recorded Stopped) with the server, as a job started through the admin API is.
          trackJob(runtime, started);
          const result = await started.done;
          const lines = (type: string) =>
            result.streams.filter((r) => r.streamType === type).map((r) => r.streamText);
          return {
            id: started.job.id,
            status: result.status,
            exception: result.exception ?? null,
            output: lines('Output'),
            errors: lines('Error'),
          };
        } catch (err) {
          // The scheduler's job of the same runbook is running: one job at a time; wait for its end.
          if (!isLanyardError(err) || err.code !== 'ERR_FLOW_JOB_RUNNING' || Date.now() > until) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },
    async next(rb) {
      const s = await store();
      const state = await s.getScheduleState(d, rb);
      if (state?.next && state.schedule === s.scheduleKey(rb)) return new Date(state.next);
      if (!rb.schedule) return null;
      const { nextOccurrence, parseTimerSchedule } = await import('../flows/schedule/ncrontab.ts');
      return nextOccurrence(
        parseTimerSchedule(rb.schedule, { timeZone: rb.timeZone ?? undefined }),
        new Date(),
      );
    },
    watch(runbooks, onJob, everyMs = 1_000) {
      const seen = new Set<string>();
      let first = true;
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const look = async () => {
        const s = await store();
        for (const r of runbooks) {
          const rb = await s.getRunbook(d, tenantId, r.account, r.name);
          for (const job of (await s.listJobs(d, rb, 10)).reverse()) {
            if (seen.has(job.id) || job.endTime === null) continue;
            seen.add(job.id);
            if (first || stopped) continue;
            const output = (await s.jobStreams(d, job.id, 'Output')).map((x) => x.streamText);
            onJob(job, output);
          }
        }
        first = false;
      };
      const loop = () => {
        timer = setTimeout(() => {
          look()
            .catch((err: unknown) => logger.warn({ err }, 'demo: reading the runbooks’ jobs failed'))
            .finally(() => {
              if (!stopped) loop();
            });
        }, everyMs);
        timer.unref();
      };
      // The jobs that ended before now are not news.
      void look()
        .catch(() => {})
        .finally(loop);
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    },
  };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON, when it is. */
  json: unknown;
}

export interface AdminClient {
  /** `<method> <admin API path>` with the admin token. */
  admin(method: string, apiPath: string, body?: unknown): Promise<HttpAnswer>;
  /** A POST with a JSON body to any https URL on the listener (a callback URL). */
  post(url: string, body: unknown): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export function adminClient(o: { url: string; token: string; caPath: string }): AdminClient {
  const agent = new Agent({ connect: { ca: fs.readFileSync(o.caPath, 'utf8') } });
  const send = async (
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string },
  ) => {
    const res = await fetch(url, { ...init, dispatcher: agent, signal: AbortSignal.timeout(150_000) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: Object.fromEntries(res.headers), text, json };
  };
  return {
    admin: (method, apiPath, body) =>
      send(`${o.url}${apiPath}`, {
        method,
        headers: {
          authorization: `Bearer ${o.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    post: (url, body) =>
      send(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    close: () => agent.close(),
  };
}
