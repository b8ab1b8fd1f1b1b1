/**
 * @module bench/identity/run
 * The managed-identity endpoint benchmark, in one invocation on loopback (plain HTTP, as the endpoint is):
 *   1. ceiling   — a plain node:http server answering a fixed JSON body of the same size as the endpoint's
 *                  token response: what one core serves with no logic (server.ts ceiling);
 *   2. cached    — App Service GETs for one (identity, resource) pair: the token comes from the cache, as it
 *                  does for every request after the first in a real workload (server.ts identity);
 *   3. uncached  — every request a new (identity, resource) pair, so each one is a signature, a store read or
 *                  two and an audit row (same process, pairs walked in order; checked against the number of
 *                  tokens the server says it signed).
 * Servers run pinned to core 0 (`taskset -c 0`) when the machine has taskset and two or more cores; this process
 * (autocannon) moves to the other cores. Rate limiting is off in the measured server (`rateLimit: 0`). Ceiling and
 * cached run in alternating rounds (`--rounds`, each phase `--seconds` ≤ 10) so that a neighbour's load on a
 * shared machine hits both alike; the medians are reported, with each round's ratio.
 *
 *   node_modules/.bin/node bench/identity/run.ts [--seconds 5] [--rounds 3] [--connections 20] [--no-log] [--json]
 *     [--cpu-prof-dir DIR]   (a CPU profile of the identity server process)
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import { runAutocannon } from '../lib/load.ts';
import { cpuSeconds } from '../lib/proc.ts';
import { tableLines } from '../lib/report.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '2' },
    'no-log': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'cpu-prof-dir': { type: 'string' },
  },
});
const seconds = Math.min(Math.max(Number(args.seconds), 1), 10);
const rounds = Math.min(Math.max(Math.round(Number(args.rounds)), 1), 5);
const warmup = Math.min(Math.max(Number(args.warmup), 0), 5);
const connections = Math.min(Math.max(Number(args.connections), 1), 50);
const profileDir = args['cpu-prof-dir'] ? path.resolve(args['cpu-prof-dir']) : undefined;
const here = import.meta.dirname;

const cores = os.availableParallelism();
const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
const pin = hasTaskset && cores >= 2;
if (pin) spawnSync('taskset', ['-a', '-cp', `1-${cores - 1}`, String(process.pid)], { stdio: 'ignore' });

/** Servers still running; a watchdog ends them (and this process) if anything ever stalls. */
const running = new Set<import('node:child_process').ChildProcess>();
setTimeout(() => {
  console.error('bench/identity: stalled for 120 s; stopping');
  for (const c of running) c.kill('SIGKILL');
  process.exit(1);
}, 120_000).unref();

interface Child<T> {
  ready: Promise<T>;
  /** CPU seconds (user + system) the server process has used so far, or NaN where /proc is not available. */
  cpu(): number;
  /** SIGTERM, then the child's `BENCH_STATS` line. */
  stop(): Promise<Record<string, unknown>>;
}

function startServer<T>(serverArgs: string[], profile: boolean): Child<T> {
  const prof = profile && profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const argv = [...prof, path.join(here, 'server.ts'), ...serverArgs];
  // The request log goes to stderr, as `lanyard up` writes it — into a file, not a pipe to this busy process:
  // pino writes synchronously, and a full pipe would stall the server on the load generator's reads.
  const logFile = path.join(os.tmpdir(), `lanyard-mi-bench-${process.pid}-${serverArgs[0]}.log`);
  const logFd = fs.openSync(logFile, 'w');
  const stdio: ['ignore', 'pipe', number] = ['ignore', 'pipe', logFd];
  const child = pin
    ? spawn('taskset', ['-c', '0', process.execPath, ...argv], { stdio })
    : spawn(process.execPath, argv, { stdio });
  fs.closeSync(logFd);
  running.add(child);
  const tail = () => {
    try {
      return fs.readFileSync(logFile, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  };
  child.once('exit', () => {
    running.delete(child);
    setImmediate(() => fs.rmSync(logFile, { force: true }));
  });
  let out = '';
  const lines: ((line: string) => void)[] = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    let nl = out.indexOf('\n');
    while (nl !== -1) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      for (const l of lines) l(line);
      nl = out.indexOf('\n');
    }
  });
  const marker = (name: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      lines.push((line) => {
        if (line.startsWith(`${name} `))
          resolve(JSON.parse(line.slice(name.length + 1)) as Record<string, unknown>);
      });
      child.once('exit', (code) =>
        reject(new Error(`server.ts ${serverArgs[0]} exited (${code}) before ${name}: ${tail()}`)),
      );
    });
  const ready = marker('BENCH_READY') as Promise<T>;
  const stats = marker('BENCH_STATS');
  ready.catch(() => {});
  stats.catch(() => {});
  return {
    ready,
    cpu: () => cpuSeconds(child.pid),
    async stop() {
      if (child.exitCode !== null) return {};
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      try {
        return await stats;
      } finally {
        clearTimeout(timer);
        if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      }
    },
  };
}

interface Phase {
  name: string;
  /** Server CPU time per successful request, in microseconds. */
  cpuUs?: number | undefined;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
}

async function load(
  name: string,
  server: { port: number; cpu(): number },
  options: { path?: string; headers?: Record<string, string>; paths?: string[]; duration: number },
): Promise<Phase> {
  let i = 0;
  const paths = options.paths;
  const cpuBefore = server.cpu();
  const r = await runAutocannon(
    {
      url: `http://127.0.0.1:${server.port}${options.path ?? '/'}`,
      headers: options.headers ?? {},
      connections,
      duration: options.duration,
      ...(paths
        ? {
            // One request per pair, in order; stop early if the pairs run out before the time does.
            amount: paths.length,
            requests: [
              {
                setupRequest: (req: autocannon.Request) => {
                  req.path = paths[i++ % paths.length]!;
                  return req;
                },
              },
            ],
          }
        : {}),
    },
    200,
  );
  return {
    name,
    cpuUs: ((server.cpu() - cpuBefore) * 1e6) / r.ok,
    rps: r.rps,
    p50: r.p50,
    p99: r.p99,
    requests: r.requests,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

// The identity server first: its token response fixes the ceiling's body size.
const identity = startServer<{ port: number; secret: string; cached: string; pairs: string[] }>(
  ['identity', ...(args['no-log'] ? ['--no-log'] : [])],
  true,
);
const ceilings: Phase[] = [];
const hits: Phase[] = [];
let uncached: Phase;
let uncachedSigned = 0;
let bodyBytes = 0;
try {
  const info = await identity.ready;
  const headers = { 'X-IDENTITY-HEADER': info.secret };
  const sample = await fetch(`http://127.0.0.1:${info.port}${info.cached}`, { headers });
  if (sample.status !== 200)
    throw new Error(`the endpoint answered ${sample.status}: ${await sample.text()}`);
  bodyBytes = Buffer.byteLength(await sample.text());

  const ceilingServer = startServer<{ port: number; bytes: number }>(['ceiling', String(bodyBytes)], false);
  try {
    const c = { ...(await ceilingServer.ready), cpu: ceilingServer.cpu };
    const mi = { port: info.port, cpu: identity.cpu };
    // The ceiling gets the very same requests (path and header) as the endpoint.
    const same = { path: info.cached, headers };
    if (warmup > 0) {
      await load('warm-up', c, { ...same, duration: warmup });
      await load('warm-up', mi, { ...same, duration: warmup });
    }
    // Alternating rounds: on a shared machine, noise then hits both sides alike; medians are reported.
    for (let round = 0; round < rounds; round++) {
      const ceilingRun = () => load('ceiling: node:http, fixed JSON body', c, { ...same, duration: seconds });
      const cachedRun = () => load('App Service GET, cached pair', mi, { ...same, duration: seconds });
      if (round % 2 === 0) {
        ceilings.push(await ceilingRun());
        hits.push(await cachedRun());
      } else {
        hits.push(await cachedRun());
        ceilings.push(await ceilingRun());
      }
    }
  } finally {
    await ceilingServer.stop();
  }
  // The first pair was used above; walk the others once each.
  uncached = await load(
    'App Service GET, uncached pairs',
    { port: info.port, cpu: identity.cpu },
    {
      headers,
      paths: info.pairs.slice(1),
      duration: Math.min(10, seconds * 2),
    },
  );
  const stats = await identity.stop();
  uncachedSigned = Number(stats.signed ?? 0) - 1;
} catch (err) {
  await identity.stop().catch(() => {});
  throw err;
}
if (profileDir) console.error(`CPU profile of the identity server: ${profileDir}`);

const median = (runs: Phase[]): Phase => {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const ceiling = median(ceilings);
const cached = median(hits);
const phases = [ceiling, cached, uncached];
const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores,
  node: process.version,
  pinned: pin ? 'servers on core 0 (taskset -c 0), load on the other cores' : 'not pinned',
  connections,
  seconds,
  rounds,
  requestLog: !args['no-log'],
  bodyBytes,
};
const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ceilingCpu = medianOf(ceilings.map((p) => p.cpuUs ?? Number.NaN));
const cachedCpu = medianOf(hits.map((p) => p.cpuUs ?? Number.NaN));
const ratios = {
  cachedVsCeiling: cached.rps / ceiling.rps,
  /** The throughput ratio on an otherwise idle core: CPU per request of the ceiling over the endpoint's. */
  cachedVsCeilingByCpu: ceilingCpu / cachedCpu,
  uncachedVsCeiling: uncached.rps / ceiling.rps,
  perRound: hits.map((h, i) => h.rps / ceilings[i]!.rps),
};
// Requests still in flight when a phase stops are signed but not counted, hence ≥.
const allMissed = uncachedSigned >= uncached.requests;

if (args.json) {
  process.stdout.write(
    `${JSON.stringify({ machine, phases, rounds: { ceilings, hits }, ratios, uncachedSigned }, null, 2)}\n`,
  );
} else {
  const fmt = (n: number, digits = 0) => n.toFixed(digits);
  const rows = phases.map((p) => [
    p.name,
    fmt(p.rps),
    `${fmt(p.p50, 1)} ms`,
    `${fmt(p.p99, 1)} ms`,
    p.cpuUs === undefined || Number.isNaN(p.cpuUs) ? '-' : `${fmt(p.cpuUs)} µs`,
    `${p.errors}/${p.non2xx}`,
  ]);
  const head = ['phase', 'rps', 'p50', 'p99', 'CPU/request', 'errors/non-2xx'];
  console.log(`${machine.cpu}, ${cores} cores, node ${machine.node}; ${machine.pinned}`);
  console.log(
    `load: autocannon, ${connections} connections, keep-alive, plain HTTP; ${warmup} s warm-up, then ${rounds} ` +
      `alternating rounds of ceiling and cached (${seconds} s each, medians shown); body ${bodyBytes} B; ` +
      `request log ${machine.requestLog ? 'on (as lanyard up)' : 'off'}`,
  );
  for (const l of tableLines(head, rows)) console.log(l);
  console.log(
    `cached / ceiling:   ${(ratios.cachedVsCeiling * 100).toFixed(1)}%  (target ≥ 80%; per round: ${ratios.perRound
      .map((r) => `${(r * 100).toFixed(0)}%`)
      .join(', ')})`,
  );
  console.log(
    `cached / ceiling by server CPU per request: ${(ratios.cachedVsCeilingByCpu * 100).toFixed(1)}%  ` +
      '(the same ratio on an idle core; robust to other load on the machine)',
  );
  console.log(`uncached / ceiling: ${(ratios.uncachedVsCeiling * 100).toFixed(1)}%`);
  console.log(
    `uncached phase: ${uncached.requests} requests, ${uncachedSigned} tokens signed${allMissed ? ' (every one a miss)' : ' (fewer signatures than requests: some were cache hits)'}`,
  );
}
if (phases.some((p) => p.errors || p.non2xx)) {
  console.error('warning: some requests failed; the rates count successful (2xx) responses only');
}
