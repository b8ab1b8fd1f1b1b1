/**
 * @module bench/flows/runs
 * What the workflow engine costs per action: a 3-action workflow run 1,000 times beside a plain script doing the
 * same three steps, in one invocation, on loopback.
 *
 * The workflow (saved through the admin API on a resource of kind workflow with a system-assigned identity):
 *   manual       Request trigger, called at its signed callback URL (listCallbackUrl) with `{"order":"42"}`;
 *   Get_order    Http GET <backend>/orders/@{triggerBody()?['order']}, ManagedServiceIdentity, audience
 *                `api://reporter` (an app of the tenant);
 *   Get_service  Http GET <backend>/services/@{body('Get_order')?['service']}, the same identity and audience,
 *                after Get_order — it uses a value of the first answer;
 *   Combine      Compose `{ order: body('Get_order'), service: body('Get_service') }`;
 *   Reply        Response 200 with the Compose's output: the caller gets its answer once the three actions
 *                have run, so what the caller measures is the whole run (the record's last write, after the
 *                Response, is not in it; the run's end time in its record is taken before that write too).
 * The backend is bench/easyauth/server.ts upstream: a plain node:http server answering a fixed 38-byte JSON body
 * (`{"ok":true,"service":"bench-upstream"}`) to every request, the same process for every phase.
 *
 * Lanyard runs in this process as `lanyard up` serves it (bench/lib/lanyard-up.ts: runtime on a fresh SQLite
 * data folder, on disk by default so each run record's commit is fsynced; startHost on 127.0.0.1, every plane;
 * request and audit log lines at info level, to a file). This process — Lanyard, the callers, the plain script —
 * is pinned to the first allowed core (`taskset`, every thread), the backend to the others.
 *
 * Phases, each `--runs` times (default and at most 1,000: the runs the runtime keeps per workflow, read back after
 * each phase) after `--warmup` unmeasured ones, in rounds (`--rounds`, the order rotated by one each round):
 *   baseline-1, baseline-C   the plain script: a token from the same in-process managed-identity service the
 *               engine asks (`ManagedIdentityService.token` for the workflow's system-assigned identity and the
 *               same audience, once per run; the engine asks once per Http action), GET /orders/42 with it, GET
 *               /services/<service of the first answer>, both through a `workflowDispatcher()` configured as the
 *               runtime's (the same undici Agent code and options: keep-alive pool, local CA), bodies parsed as
 *               JSON, composed into one object and serialised (what the Response sends). The token is cached
 *               after the first mint on both sides, so neither pays an RS256 signature per run: a fixed token
 *               would leave out the cache lookup the engine makes, a fresh one per run would add a signature
 *               (~0.3 ms) to both;
 *   engine-1, engine-C       POST to the callback URL over HTTPS (undici, keep-alive) until the Response answers;
 *               the run's duration also read from its stored record (endTime − startTime, whole milliseconds);
 * one at a time (-1) and `--concurrency` (C, default 8) at once; and one at a time:
 *   fire        `WorkflowRuntime.fire` called in-process (no HTTP trigger, no callback lookups): until the
 *               Response (answered) and until the run is recorded (done: both record writes included);
 *   writes      the two store writes every run makes, alone: `createRun` (the Running record) then `finishRun`
 *               (the whole record, ~3.6 KB) of a copy of a finished run's record;
 *   healthz     `GET /healthz` on the same listener from the same caller: the trigger request's HTTPS transport
 *               and request log line without any work.
 *
 * Printed: runs per second, p50/p99 per run from the caller's side and from the run records, this process's CPU
 * per run (utime + stime of every thread, the callers' included), and what the engine adds per action at p50 =
 * (workflow p50 − plain script p50) / 3, against the target of 2 ms — by the records (the engine's own run
 * duration), by the caller (the whole request: TLS, the callback URL's lookups and signature, the run) and by
 * the in-process fire — and by CPU. The Response action's cost is in the workflow's figures and divided by the
 * three actions too. Then one JSON line. No assertion on any time; exits 0 unless a run fails.
 *
 *   node_modules/.bin/node bench/flows/runs.ts [--runs 1000] [--concurrency 8] [--warmup 50] [--rounds 1]
 *     [--only baseline-1,engine-1,baseline-c,engine-c,fire,writes,healthz]
 *     [--data-dir-root DIR]   Lanyard's data folder (default: the OS temp folder, on disk; /dev/shm takes the
 *                             commits' fsync out)
 *     [--json]                only the JSON line
 * A CPU profile: `node_modules/.bin/node --cpu-prof --cpu-prof-dir=/tmp/flows-prof bench/flows/runs.ts --only
 * engine-c`, then `node_modules/.bin/node bench/lib/cpu-profile.ts /tmp/flows-prof/<file> --skip-ms 2500`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import type { FlowTables } from '../../src/flows/tables.ts';
import { azureTime, newRunName } from '../../src/flows/workflows/engine/run-names.ts';
import { workflowDispatcher } from '../../src/flows/workflows/http-client.ts';
import type { RunRecord } from '../../src/flows/workflows/records.ts';
import { runtimeOf, type WorkflowRuntime } from '../../src/flows/workflows/runtime.ts';
import { createRun, DEFAULT_RUNS_KEPT, finishRun } from '../../src/flows/workflows/store.ts';
import type { Workload } from '../../src/identity/workloads.ts';
import { tablesOf } from '../../src/store/handle.ts';
import { openBenchLanyard } from '../lib/lanyard-up.ts';
import { allowedCores, pinAllThreads } from '../lib/proc.ts';
import { medianOf, tableLines } from '../lib/report.ts';
import { startNodeServer } from '../lib/servers.ts';
import { benchWorkspace, watchdog } from '../lib/workspace.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '1' },
    only: { type: 'string' },
    'data-dir-root': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
// A phase's runs are read back from the store after it: at most the 1,000 the runtime keeps per workflow.
const N = Math.min(Math.max(Math.round(Number(args.runs)), 10), DEFAULT_RUNS_KEPT);
const C = Math.min(Math.max(Math.round(Number(args.concurrency)), 2), 64);
const WARMUP = Math.min(Math.max(Math.round(Number(args.warmup)), 1), 1_000);
const ROUNDS = Math.min(Math.max(Math.round(Number(args.rounds)), 1), 5);
const ACTIONS = 3;
const TARGET_MS = 2;
if (args['data-dir-root']) process.env.BENCH_DATA_ROOT = path.resolve(args['data-dir-root']);
const say = (line = '') => {
  if (!args.json) console.log(line);
};

// ---------------------------------------------------------------------------------------------- cores, work

const cores = allowedCores();
const pinned = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0 && cores.length >= 2;
const measuredCore = pinned ? String(cores[0]) : undefined;
const otherCores = pinned ? cores.slice(1).join(',') : undefined;
pinAllThreads(process.pid, measuredCore);

const { dir: workDir, running, cleanup } = benchWorkspace('lanyard-flows-runs-');
watchdog('bench/flows/runs', 60_000 + ROUNDS * 150_000, cleanup);
const loadBefore = os.loadavg();

// ---------------------------------------------------------------------------------------------- set-up

/** What the backend answers to every request (its BENCH_UPSTREAM_BODY). */
const UPSTREAM_BODY = '{"ok":true,"service":"bench-upstream"}';
const backend = await startNodeServer<{ port: number }>({
  name: 'backend',
  argv: [path.join(import.meta.dirname, '../easyauth/server.ts'), 'upstream'],
  logFile: path.join(workDir, 'backend.log'),
  running,
  cores: otherCores,
  env: { BENCH_UPSTREAM_BODY: UPSTREAM_BODY },
});
const backendUrl = `http://127.0.0.1:${backend.info.port}`;

const lanyard = await openBenchLanyard('lanyard-flows-runs-');
const rt = lanyard.runtime;
// A failed run ends the script with an error: the backend and both folders go with it all the same.
process.once('exit', () => {
  cleanup();
  fs.rmSync(rt.dataDir, { recursive: true, force: true });
});
const d = rt.directory;
await d.createTenant({ name: 'bench', domains: ['bench.onmicrosoft.com'] });
await d.createApp('bench', { name: 'reporter', identifierUris: ['api://reporter'] });
const resource = await d.createResource('bench', {
  name: 'orders-flow',
  kind: 'workflow',
  systemAssignedIdentity: true,
});
const logFile = path.join(workDir, 'lanyard.log');
const host = await lanyard.serve({ logDestination: pino.destination({ dest: logFile, sync: false }) });
const origin = host.server.url;
const ca = fs.readFileSync(host.server.caCertPath, 'utf8');
const wfRuntime = runtimeOf(d) as WorkflowRuntime;
if (!wfRuntime) throw new Error('the flows plane did not start its workflow runtime');

/** Calls to Lanyard's main listener (the admin API, the callback URL): HTTPS, keep-alive. */
const caller = new Agent({ connect: { ca }, connections: C * 2 });
async function admin(method: 'PUT' | 'POST', p: string, body?: unknown) {
  const res = await request(`${origin}${p}`, {
    method,
    dispatcher: caller,
    headers: {
      authorization: `Bearer ${lanyard.adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${method} ${p}: ${res.statusCode} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const AUDIENCE = 'api://reporter';
const msi = { type: 'ManagedServiceIdentity', audience: AUDIENCE };
await admin('PUT', '/admin/tenants/bench/workflows/orders-flow', {
  definition: {
    $schema:
      'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#',
    contentVersion: '1.0.0.0',
    triggers: { manual: { type: 'Request', kind: 'Http', inputs: { schema: {} } } },
    actions: {
      Get_order: {
        type: 'Http',
        inputs: {
          method: 'GET',
          uri: `${backendUrl}/orders/@{triggerBody()?['order']}`,
          authentication: msi,
        },
        runAfter: {},
      },
      Get_service: {
        type: 'Http',
        inputs: {
          method: 'GET',
          uri: `${backendUrl}/services/@{body('Get_order')?['service']}`,
          authentication: msi,
        },
        runAfter: { Get_order: ['Succeeded'] },
      },
      Combine: {
        type: 'Compose',
        inputs: { order: "@body('Get_order')", service: "@body('Get_service')" },
        runAfter: { Get_service: ['Succeeded'] },
      },
      Reply: {
        type: 'Response',
        kind: 'Http',
        inputs: { statusCode: 200, body: "@outputs('Combine')" },
        runAfter: { Combine: ['Succeeded'] },
      },
    },
  },
});
const callback = new URL(
  (await admin('POST', '/admin/tenants/bench/workflows/orders-flow/triggers/manual/listCallbackUrl'))
    .value as string,
);
const callbackPath = callback.pathname + callback.search;
const TRIGGER_BODY = JSON.stringify({ order: '42' });
const upstream = JSON.parse(UPSTREAM_BODY) as { service: string };
const EXPECTED = JSON.stringify({ order: upstream, service: upstream });

// ---------------------------------------------------------------------------------------------- one run each way

/** One run through the callback URL: resolves with the run's name once the Response answered. */
async function engineRun(): Promise<string> {
  const res = await request(`${origin}${callbackPath}`, {
    method: 'POST',
    dispatcher: caller,
    headers: { 'content-type': 'application/json' },
    body: TRIGGER_BODY,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`the callback URL answered ${res.statusCode}: ${text}`);
  return res.headers['x-ms-workflow-run-id'] as string;
}

// The plain script: what WorkflowRuntime asks for an Http action's token, through the same service.
const workload: Workload = {
  id: `workflow:${resource.id}`,
  tenantId: resource.tenantId,
  resourceId: resource.id,
  resourceName: resource.name,
  label: `workflow ${resource.name}`,
  createdAt: '',
  expiresAt: '',
  revokedAt: null,
};
const plainDispatcher = workflowDispatcher({ caPem: ca });
async function getJson(url: string, token: string): Promise<Record<string, unknown>> {
  const res = await request(url, {
    method: 'GET',
    dispatcher: plainDispatcher,
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.statusCode !== 200) throw new Error(`the backend answered ${res.statusCode}`);
  return (await res.body.json()) as Record<string, unknown>;
}
async function baselineRun(): Promise<string> {
  const token = (await rt.identity.token(workload, { by: 'system' }, AUDIENCE, 'bench')).accessToken;
  const order = await getJson(`${backendUrl}/orders/42`, token);
  const service = await getJson(`${backendUrl}/services/${encodeURIComponent(String(order.service))}`, token);
  return JSON.stringify({ order, service });
}

// Both ways answer the same, before anything is timed.
{
  const name = await engineRun();
  await settled();
  const rec = (await records([name])).get(name);
  if (rec?.status !== 'Succeeded')
    throw new Error(`the first run ended ${rec?.status}: ${JSON.stringify(rec)}`);
  const answer = JSON.stringify(
    (rec.actions.find((a) => a.name === 'Combine') as { outputs?: unknown }).outputs,
  );
  if (answer !== EXPECTED) throw new Error(`the workflow composed ${answer}, not ${EXPECTED}`);
  if ((await baselineRun()) !== EXPECTED) throw new Error('the plain script composed something else');
}

/** Until no run is in flight in the runtime (the last record written). */
async function settled(): Promise<void> {
  const until = Date.now() + 30_000;
  while (wfRuntime.running > 0) {
    if (Date.now() > until) throw new Error(`${wfRuntime.running} runs still running after 30 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The stored records of these runs. */
async function records(names: readonly string[]): Promise<Map<string, RunRecord>> {
  const wanted = new Set(names);
  const rows = await tablesOf<FlowTables>(rt.store.db)
    .selectFrom('flow_workflow_runs')
    .select(['name', 'record'])
    .where('resource_id', '=', resource.id)
    .execute();
  const out = new Map<string, RunRecord>();
  for (const r of rows) if (wanted.has(r.name)) out.set(r.name, JSON.parse(r.record) as RunRecord);
  return out;
}

// ---------------------------------------------------------------------------------------------- phases

interface Timed {
  /** Per run, ms. */
  latencies: number[];
  wallMs: number;
  cpuUs: number;
  names: string[];
}

/** `n` calls of `one`, `c` at a time; each call's time, the wall time and this process's CPU time. */
async function timed(n: number, c: number, one: () => Promise<string>): Promise<Timed> {
  const latencies: number[] = [];
  const names: string[] = [];
  let started = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (started < n) {
        started++;
        const s = performance.now();
        const name = await one();
        latencies.push(performance.now() - s);
        names.push(name);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { latencies, wallMs, cpuUs: cpu.user + cpu.system, names };
}

function pct(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

interface PhaseResult {
  runsPerSecond: number;
  p50: number;
  p99: number;
  cpuUsPerRun: number;
  /** engine: from the run records (endTime − startTime). */
  recordP50?: number;
  recordP99?: number;
}

const summary = (t: Timed): PhaseResult => ({
  runsPerSecond: t.latencies.length / (t.wallMs / 1000),
  p50: pct(t.latencies, 0.5),
  p99: pct(t.latencies, 0.99),
  cpuUsPerRun: t.cpuUs / t.latencies.length,
});

async function baselinePhase(c: number): Promise<PhaseResult> {
  await timed(WARMUP, c, baselineRun);
  return summary(await timed(N, c, baselineRun));
}

async function enginePhase(c: number): Promise<PhaseResult> {
  await timed(WARMUP, c, engineRun);
  await settled();
  const t = await timed(N, c, engineRun);
  await settled();
  const recs = await records(t.names);
  const durations: number[] = [];
  for (const name of t.names) {
    const r = recs.get(name);
    if (r?.status !== 'Succeeded' || r.endTime === undefined)
      throw new Error(`run ${name} is ${r?.status ?? 'not recorded'}`);
    durations.push(Date.parse(r.endTime) - Date.parse(r.startTime));
  }
  return { ...summary(t), recordP50: pct(durations, 0.5), recordP99: pct(durations, 0.99) };
}

/** The trigger request's transport alone: `GET /healthz` on the same listener, the same caller. */
async function healthzPhase(): Promise<PhaseResult> {
  const one = async () => {
    const res = await request(`${origin}/healthz`, { method: 'GET', dispatcher: caller });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`/healthz answered ${res.statusCode}`);
    return '';
  };
  await timed(WARMUP, 1, one);
  return summary(await timed(N, 1, one));
}

interface FireResult {
  answeredP50: number;
  answeredP99: number;
  doneP50: number;
  doneP99: number;
}

/** In-process fires, one at a time: to the Response, and to the run's last record write. */
async function firePhase(): Promise<FireResult> {
  const answered: number[] = [];
  const done: number[] = [];
  const outputs = { headers: { 'content-type': 'application/json' }, body: { order: '42' } };
  for (let i = 0; i < WARMUP + N; i++) {
    const s = performance.now();
    const r = await wfRuntime.fire({ tenant: 'bench', workflow: 'orders-flow', outputs, wait: true });
    const a = performance.now() - s;
    const end = await r.done;
    const e = performance.now() - s;
    if (r.outcome !== 'answered' || end.status !== 'Succeeded')
      throw new Error(`an in-process run ended ${r.outcome} / ${end.status}`);
    if (i >= WARMUP) {
      answered.push(a);
      done.push(e);
    }
  }
  return {
    answeredP50: pct(answered, 0.5),
    answeredP99: pct(answered, 0.99),
    doneP50: pct(done, 0.5),
    doneP99: pct(done, 0.99),
  };
}

interface WritesResult {
  createP50: number;
  finishP50: number;
  bothP50: number;
  bothP99: number;
  recordBytes: number;
}

/** createRun + finishRun alone, one run after the other, of copies of a finished run's record. */
async function writesPhase(sample: RunRecord): Promise<WritesResult> {
  const create: number[] = [];
  const finish: number[] = [];
  const both: number[] = [];
  for (let i = 0; i < WARMUP + N; i++) {
    const name = newRunName(Date.now());
    const startTime = azureTime(Date.now());
    const whole: RunRecord = { ...sample, name, startTime };
    const { endTime: _e, response: _r, ...rest } = whole;
    const first: RunRecord = { ...rest, status: 'Running', actions: [], outputs: {} };
    const s = performance.now();
    await createRun(d, first);
    const m = performance.now();
    await finishRun(d, whole);
    const e = performance.now();
    if (i >= WARMUP) {
      create.push(m - s);
      finish.push(e - m);
      both.push(e - s);
    }
  }
  return {
    createP50: pct(create, 0.5),
    finishP50: pct(finish, 0.5),
    bothP50: pct(both, 0.5),
    bothP99: pct(both, 0.99),
    recordBytes: Buffer.byteLength(JSON.stringify(sample)),
  };
}

// ---------------------------------------------------------------------------------------------- rounds

const KEYS = ['baseline-1', 'engine-1', `baseline-${C}`, `engine-${C}`, 'fire', 'writes', 'healthz'] as const;
type Key = (typeof KEYS)[number];
const only = new Set((args.only ?? KEYS.join(',')).split(',').map((k) => k.trim().replace(/-c$/, `-${C}`)));
for (const k of only)
  if (!(KEYS as readonly string[]).includes(k))
    throw new Error(`--only: ${k}? (${KEYS.join(', ')}; -c for -${C})`);
const results = new Map<Key, (PhaseResult | FireResult | WritesResult)[]>(KEYS.map((k) => [k, []]));
const sampleName = await engineRun();
await settled();
const sample = (await records([sampleName])).get(sampleName)!;

say(
  `bench/flows/runs: ${N} runs a phase after ${WARMUP} of warm-up, ${ROUNDS} round(s); ` +
    (pinned
      ? `Lanyard, callers and plain script on core ${measuredCore}, backend on ${otherCores}`
      : 'not pinned') +
    `; data folder under ${process.env.BENCH_DATA_ROOT ?? os.tmpdir()}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
);
for (let round = 0; round < ROUNDS; round++) {
  const order = KEYS.map((_, i) => KEYS[(i + round) % KEYS.length]!);
  for (const key of order.filter((k) => only.has(k))) {
    const started = performance.now();
    const r =
      key === 'baseline-1'
        ? await baselinePhase(1)
        : key === 'engine-1'
          ? await enginePhase(1)
          : key === `baseline-${C}`
            ? await baselinePhase(C)
            : key === `engine-${C}`
              ? await enginePhase(C)
              : key === 'fire'
                ? await firePhase()
                : key === 'writes'
                  ? await writesPhase(sample)
                  : await healthzPhase();
    results.get(key)!.push(r);
    if (process.env.BENCH_VERBOSE)
      console.error(`round ${round + 1} ${key}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}
const loadAfter = os.loadavg();

// ---------------------------------------------------------------------------------------------- report

const ran = (key: Key) => results.get(key)!.length > 0;
/** The median over the rounds of one field. */
function med<T>(key: Key, field: keyof T): number {
  return medianOf((results.get(key)! as T[]).map((r) => r[field] as number));
}
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

const rows: string[][] = [];
for (const c of [1, C]) {
  for (const kind of ['baseline', 'engine'] as const) {
    const key = `${kind}-${c}` as Key;
    if (!ran(key)) continue;
    rows.push([
      `${kind === 'baseline' ? 'plain script' : 'workflow'}, ${c === 1 ? 'one at a time' : `${c} at once`}`,
      f1(med<PhaseResult>(key, 'runsPerSecond')),
      f2(med<PhaseResult>(key, 'p50')),
      f2(med<PhaseResult>(key, 'p99')),
      kind === 'engine' ? String(med<PhaseResult>(key, 'recordP50')) : '–',
      kind === 'engine' ? String(med<PhaseResult>(key, 'recordP99')) : '–',
      f1(med<PhaseResult>(key, 'cpuUsPerRun')),
    ]);
  }
}
if (ran('healthz'))
  rows.push([
    'GET /healthz, one at a time',
    f1(med<PhaseResult>('healthz', 'runsPerSecond')),
    f2(med<PhaseResult>('healthz', 'p50')),
    f2(med<PhaseResult>('healthz', 'p99')),
    '–',
    '–',
    f1(med<PhaseResult>('healthz', 'cpuUsPerRun')),
  ]);
if (rows.length > 0) {
  say();
  for (const line of tableLines(
    ['phase', 'runs/s', 'p50 ms', 'p99 ms', 'record p50', 'record p99', 'CPU µs/run'],
    rows,
  ))
    say(line);
  say(
    '(p50/p99: from the caller; record: the run record’s endTime − startTime, whole ms; CPU: this process, callers included)',
  );
}

const fire = ran('fire')
  ? {
      answeredP50: med<FireResult>('fire', 'answeredP50'),
      answeredP99: med<FireResult>('fire', 'answeredP99'),
      doneP50: med<FireResult>('fire', 'doneP50'),
      doneP99: med<FireResult>('fire', 'doneP99'),
    }
  : undefined;
const writes = ran('writes')
  ? {
      createP50: med<WritesResult>('writes', 'createP50'),
      finishP50: med<WritesResult>('writes', 'finishP50'),
      bothP50: med<WritesResult>('writes', 'bothP50'),
      bothP99: med<WritesResult>('writes', 'bothP99'),
      recordBytes: med<WritesResult>('writes', 'recordBytes'),
    }
  : undefined;
if (fire || writes) say();
if (fire)
  say(
    `in-process fire (no HTTP trigger), one at a time: to the Response p50 ${f2(fire.answeredP50)} ms (p99 ${f2(fire.answeredP99)}), to the last record write p50 ${f2(fire.doneP50)} ms (p99 ${f2(fire.doneP99)})`,
  );
if (writes)
  say(
    `the run's two record writes alone: createRun p50 ${f2(writes.createP50)} ms + finishRun p50 ${f2(writes.finishP50)} ms (a ${writes.recordBytes} B record); both p50 ${f2(writes.bothP50)}, p99 ${f2(writes.bothP99)} ms`,
  );

/** (engine − baseline) / 3 at p50, by the records and by the caller; CPU per action. */
function perActionAt(c: number) {
  const e = `engine-${c}` as Key;
  const b = `baseline-${c}` as Key;
  if (!ran(e) || !ran(b)) return undefined;
  const base = med<PhaseResult>(b, 'p50');
  return {
    baselineP50: base,
    byRecord: (med<PhaseResult>(e, 'recordP50') - base) / ACTIONS,
    byCaller: (med<PhaseResult>(e, 'p50') - base) / ACTIONS,
    cpuMs: (med<PhaseResult>(e, 'cpuUsPerRun') - med<PhaseResult>(b, 'cpuUsPerRun')) / ACTIONS / 1000,
    throughput: med<PhaseResult>(e, 'runsPerSecond') / med<PhaseResult>(b, 'runsPerSecond'),
  };
}
const seq = perActionAt(1);
const conc = perActionAt(C);
const byFire =
  fire && ran('baseline-1')
    ? (fire.answeredP50 - med<PhaseResult>('baseline-1', 'p50')) / ACTIONS
    : undefined;
const met = seq ? seq.byRecord <= TARGET_MS && seq.byCaller <= TARGET_MS : undefined;
if (seq || conc) {
  say();
  say(`what the engine adds per action at p50, (workflow − plain script) / ${ACTIONS}:`);
}
if (seq)
  say(
    `  one at a time: ${f2(seq.byRecord)} ms by the run records, ${f2(seq.byCaller)} ms by the caller (the trigger's HTTPS request included)` +
      (byFire === undefined ? '' : `, ${f2(byFire)} ms by an in-process fire`) +
      `; CPU ${f2(seq.cpuMs)} ms per action`,
  );
if (conc)
  say(
    `  ${C} at once:     ${f2(conc.byRecord)} ms by the run records, ${f2(conc.byCaller)} ms by the caller; CPU ${f2(conc.cpuMs)} ms per action; runs/s ${(100 * conc.throughput).toFixed(1)} % of the plain script's`,
  );
if (met !== undefined)
  say(
    `target ≤ ${TARGET_MS} ms per action at p50 (one run at a time, by the records and by the caller): ${met ? 'met' : 'NOT met'}`,
  );
say(`load average after: ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`);

console.log(
  JSON.stringify({
    bench: 'flows/runs',
    runs: N,
    warmup: WARMUP,
    rounds: ROUNDS,
    concurrency: C,
    pinned,
    dataDirRoot: process.env.BENCH_DATA_ROOT ?? os.tmpdir(),
    loadAverage: { before: loadBefore[0], after: loadAfter[0] },
    phases: Object.fromEntries(KEYS.filter(ran).map((k) => [k, results.get(k)])),
    perActionMs: { sequential: seq, concurrent: conc, inProcessFire: byFire },
    targetMs: TARGET_MS,
    targetMet: met,
  }),
);

// ---------------------------------------------------------------------------------------------- stop

await caller.close();
await plainDispatcher.close();
await host.close();
await lanyard.close();
await backend.stop();
cleanup();
process.exit(0);
