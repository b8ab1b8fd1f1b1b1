/**
 * @module bench/issuer/run
 * The issuer benchmark, in one invocation on loopback (docs/performance.md has the figures and how to read them):
 *   1. ceiling       — raw RS256 signatures/s of Node's crypto, 2048-bit key, JWT-sized input (ceiling.ts);
 *   2. https + sign  — a bare node:https server that only signs (https-sign-server.ts): the ceiling once TLS
 *                      and HTTP are paid for;
 *   3. lanyard       — v2 client-credentials tokens/s from Lanyard's HTTPS token endpoint (lanyard-server.ts);
 *   4. oidc-provider — the same grant from oidc-provider over HTTPS, JWT access tokens signed RS256
 *                      (oidc-provider-server.ts).
 * Measured processes run on one core (`taskset -c <first allowed core>`) when taskset exists and two or more
 * cores are allowed; this process, the load generator (autocannon), moves itself to the other cores. Every
 * phase is bounded (warm-up + measurement ≤ 15 s) and only talks to 127.0.0.1.
 *
 *   node_modules/.bin/node bench/issuer/run.ts [--seconds 10] [--warmup 2] [--connections 20] [--json]
 *     [--rounds 1]              run every phase this many times, interleaved (the order rotated by one phase each
 *                               round); report each phase's best round
 *                               (other load on the machine only ever slows a phase down) and the median
 *     [--only ceiling,https-sign,lanyard,oidc-provider]
 *     [--data-dir-root DIR]     where Lanyard's data folder goes (default the OS temp folder; /dev/shm = no fsync)
 *     [--cpu-prof-dir DIR]      write a CPU profile of each server process there
 */
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { allowedCores, cpuSeconds } from '../lib/proc.ts';
import { tableLines } from '../lib/report.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    only: { type: 'string', default: 'ceiling,https-sign,lanyard,oidc-provider' },
    'data-dir-root': { type: 'string' },
    'cpu-prof-dir': { type: 'string' },
  },
});
const seconds = Math.max(1, Math.min(Number(args.seconds), 13));
const warmup = Math.max(0, Math.min(Number(args.warmup), 15 - seconds));
const connections = Math.max(1, Math.min(Number(args.connections), 200));
const rounds = Math.max(1, Math.min(Number(args.rounds), 9));
const only = new Set(args.only.split(',').map((s) => s.trim()));
const profileDir = args['cpu-prof-dir'] ? path.resolve(args['cpu-prof-dir']) : undefined;
const here = import.meta.dirname;

interface Phase {
  key: string;
  name: string;
  rps: number;
  p50?: number | undefined;
  p99?: number | undefined;
  errors?: number | undefined;
  non2xx?: number | undefined;
  /** Server CPU time (all threads) per successful token, µs: what one core can do, whatever else ran. */
  cpuUs?: number | undefined;
  /** With several rounds: the median rate and the rate of every round. */
  median?: number | undefined;
  rounds?: number[] | undefined;
}

const cores = allowedCores();
const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
const serverCore = hasTaskset && cores.length >= 2 ? cores[0] : undefined;
if (serverCore !== undefined) {
  // Every thread of this process (autocannon) onto the other cores: load generation never competes with the server.
  spawnSync('taskset', ['-a', '-cp', cores.slice(1).join(','), String(process.pid)], { stdio: 'ignore' });
}

/** Starts a child (on the server core when pinning) and resolves with its first `<marker> <json>` line. */
function startChild(script: string, childArgs: string[], marker: string) {
  const prof = profileDir && marker === 'BENCH_READY' ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const argv = [...prof, path.join(here, script), ...childArgs];
  const env = {
    ...process.env,
    ...(args['data-dir-root'] ? { BENCH_DATA_ROOT: args['data-dir-root'] } : {}),
  };
  const child =
    serverCore !== undefined
      ? spawn('taskset', ['-c', String(serverCore), process.execPath, ...argv], { stdio: 'pipe', env })
      : spawn(process.execPath, argv, { stdio: 'pipe', env });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    // Lanyard's request log arrives here (one line per request, as `lanyard up` writes it); keep the tail only.
    stderr = (stderr + s).slice(-4000);
  });
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const line = out.split('\n').find((l) => l.startsWith(`${marker} `));
      if (line) resolve(JSON.parse(line.slice(marker.length + 1)) as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before ${marker}: ${stderr}`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return { ready, stop, pid: () => child.pid };
}

function load(url: string, body: string, duration: number) {
  return autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
    connections,
    duration,
  });
}

async function serverPhase(key: string, name: string, script: string): Promise<Phase> {
  const child = startChild(script, [], 'BENCH_READY');
  try {
    const info = (await child.ready) as { url: string; body: string };
    if (!/^https:\/\/(localhost|127\.0\.0\.1):\d+\//.test(info.url))
      throw new Error(`${name}: not loopback HTTPS`);
    if (warmup > 0) await load(info.url, info.body, warmup);
    const cpuBefore = cpuSeconds(child.pid());
    const r = await load(info.url, info.body, seconds);
    const cpu = cpuSeconds(child.pid()) - cpuBefore;
    return {
      cpuUs: r['2xx'] > 0 ? (cpu * 1e6) / r['2xx'] : undefined,
      key,
      name,
      rps: r['2xx'] / seconds,
      p50: r.latency.p50,
      p99: r.latency.p99,
      errors: r.errors + r.timeouts,
      non2xx: r.non2xx,
    };
  } finally {
    await child.stop();
  }
}

async function ceilingPhase(): Promise<Phase> {
  const child = startChild('ceiling.ts', [String(Math.min(seconds, 5))], 'BENCH_RESULT');
  try {
    const r = (await child.ready) as { rps: number; cpuUs: number };
    // CPU per signature as the loop measured it (process.cpuUsage), not 1/rate: under load the wall clock also
    // counts other processes' time on the core, which made the ceiling look dearer than it is.
    return { key: 'ceiling', name: 'ceiling: crypto.sign RS256-2048', rps: r.rps, cpuUs: r.cpuUs };
  } finally {
    await child.stop();
  }
}

const plan: [string, () => Promise<Phase>][] = [
  ['ceiling', ceilingPhase],
  ['https-sign', () => serverPhase('https-sign', 'node:https + sign only', 'https-sign-server.ts')],
  ['lanyard', () => serverPhase('lanyard', 'lanyard v2 token endpoint', 'lanyard-server.ts')],
  ['oidc-provider', () => serverPhase('oidc-provider', 'oidc-provider token', 'oidc-provider-server.ts')],
];
const loadBefore = os.loadavg()[0]!;
const runs = new Map<string, Phase[]>();
const wantedPlan = plan.filter(([key]) => only.has(key));
for (let round = 0; round < rounds; round++) {
  // Rotated by one phase each round, so every phase runs first, second, … equally often: a phase that always
  // ran right after another (or on a machine warming up or slowing down) would carry that into its figure.
  const order = wantedPlan.map((_, i) => wantedPlan[(i + round) % wantedPlan.length]!);
  for (const [key, run] of order) {
    const phase = await run();
    runs.set(key, [...(runs.get(key) ?? []), phase]);
    if (rounds > 1) console.error(`round ${round + 1}/${rounds}: ${phase.name} ${phase.rps.toFixed(0)} rps`);
  }
}
/**
 * Each phase's best round (with that round's latencies): on a shared machine, other work only ever slows a phase
 * down, so the best round is the closest to its undisturbed rate. The median is kept to show the spread.
 */
const phases: Phase[] = [...runs.values()].map((list) => {
  const sorted = [...list].sort((a, b) => a.rps - b.rps);
  return {
    ...sorted[sorted.length - 1]!,
    median: sorted[Math.floor((sorted.length - 1) / 2)]!.rps,
    rounds: list.map((p) => Math.round(p.rps)),
  };
});
const rate = (key: string) => phases.find((p) => p.key === key)?.rps;
const ratio = (a: string, b: string) => {
  const x = rate(a);
  const y = rate(b);
  return x === undefined || y === undefined ? undefined : x / y;
};
/** CPU per token, median over the rounds: busy minutes inflate it less than they cut rates. */
const cpuOf = (key: string) => {
  const xs = (runs.get(key) ?? [])
    .map((p) => p.cpuUs)
    .filter((x): x is number => x !== undefined && !Number.isNaN(x));
  return xs.length === 0 ? undefined : xs.sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
};
/** `a` as a share of `b` by CPU: b's CPU per token ÷ a's (higher is better for a). */
const cpuRatio = (a: string, b: string) => {
  const x = cpuOf(a);
  const y = cpuOf(b);
  return x === undefined || y === undefined ? undefined : y / x;
};
/** The same ratio within each round (phases of one round run back to back, so they share the machine's state). */
const perRound = (a: string, b: string) =>
  (runs.get(a) ?? []).flatMap((x, i) => {
    const y = runs.get(b)?.[i];
    return y ? [x.rps / y.rps] : [];
  });
const ratios = {
  lanyardVsCeiling: ratio('lanyard', 'ceiling'),
  lanyardVsOidcProvider: ratio('lanyard', 'oidc-provider'),
  lanyardVsHttpsSign: ratio('lanyard', 'https-sign'),
  httpsSignVsCeiling: ratio('https-sign', 'ceiling'),
};
const ratiosPerRound = {
  lanyardVsCeiling: perRound('lanyard', 'ceiling'),
  lanyardVsOidcProvider: perRound('lanyard', 'oidc-provider'),
  lanyardVsHttpsSign: perRound('lanyard', 'https-sign'),
  httpsSignVsCeiling: perRound('https-sign', 'ceiling'),
};
const ratiosByCpu = {
  lanyardVsCeiling: cpuRatio('lanyard', 'ceiling'),
  lanyardVsOidcProvider: cpuRatio('lanyard', 'oidc-provider'),
  lanyardVsHttpsSign: cpuRatio('lanyard', 'https-sign'),
  httpsSignVsCeiling: cpuRatio('https-sign', 'ceiling'),
};
const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: cores.length || os.availableParallelism(),
  node: process.version,
  pinning:
    serverCore !== undefined
      ? `servers and ceiling on core ${serverCore} (taskset), load on cores ${cores.slice(1).join(',')}`
      : 'not pinned (no taskset or a single core): figures include the load generator',
  dataDir: args['data-dir-root'] ?? os.tmpdir(),
  load: `autocannon, ${connections} connections, keep-alive, ${warmup} s warm-up + ${seconds} s, HTTPS for every server`,
  rounds,
  /** The machine's 1-minute load average before and after: other work on the cores shows up here. */
  loadAverage: [Number(loadBefore.toFixed(2)), Number(os.loadavg()[0]!.toFixed(2))],
};

if (args.json) {
  process.stdout.write(
    `${JSON.stringify({ machine, phases, ratios, ratiosPerRound, ratiosByCpu }, null, 2)}\n`,
  );
} else {
  const fmt = (n: number | undefined, unit = '') => (n === undefined ? '-' : `${n.toFixed(0)}${unit}`);
  const several = rounds > 1;
  const rows = phases.map((p) => [
    p.name,
    fmt(p.rps),
    ...(several ? [fmt(p.median), `[${p.rounds?.join(', ')}]`] : []),
    fmt(p.p50, ' ms'),
    fmt(p.p99, ' ms'),
    fmt(cpuOf(p.key), ' µs'),
    ...(several ? [`[${(runs.get(p.key) ?? []).map((r) => fmt(r.cpuUs)).join(', ')}]`] : []),
    p.errors === undefined ? '-' : `${p.errors}/${p.non2xx}`,
  ]);
  const head = [
    'phase',
    several ? `rps (best of ${rounds})` : 'rps',
    ...(several ? ['median', 'every round'] : []),
    'p50',
    'p99',
    'CPU/token (median)',
    ...(several ? ['CPU every round (µs)'] : []),
    'errors/non-2xx',
  ];
  const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
  console.log(`${machine.cpu}, ${machine.cores} cores, node ${machine.node}; ${machine.pinning}`);
  console.log(`load: ${machine.load}; Lanyard data folder under ${machine.dataDir}`);
  console.log(`machine load average (1 min) before/after: ${machine.loadAverage.join(' / ')}`);
  for (const l of tableLines(head, rows)) console.log(l);
  const each = (xs: number[], f: (x: number) => string) =>
    rounds > 1 ? `  per round [${xs.map(f).join(', ')}]` : '';
  const times = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(2)}×`);
  console.log(
    `lanyard / ceiling:        ${pct(ratios.lanyardVsCeiling)}  (target ≥ 70%)${each(ratiosPerRound.lanyardVsCeiling, pct)}`,
  );
  console.log(
    `lanyard / oidc-provider:  ${times(ratios.lanyardVsOidcProvider)}  (target > 1.00×)${each(ratiosPerRound.lanyardVsOidcProvider, times)}`,
  );
  console.log(
    `lanyard / https + sign:   ${pct(ratios.lanyardVsHttpsSign)}${each(ratiosPerRound.lanyardVsHttpsSign, pct)}`,
  );
  console.log(
    `https + sign / ceiling:   ${pct(ratios.httpsSignVsCeiling)}${each(ratiosPerRound.httpsSignVsCeiling, pct)}`,
  );
  console.log(
    `by CPU per token: lanyard / ceiling ${pct(ratiosByCpu.lanyardVsCeiling)}, lanyard / oidc-provider ${times(ratiosByCpu.lanyardVsOidcProvider)}, lanyard / https + sign ${pct(ratiosByCpu.lanyardVsHttpsSign)}, https + sign / ceiling ${pct(ratiosByCpu.httpsSignVsCeiling)}`,
  );
}
if (phases.some((p) => p.errors || p.non2xx)) {
  console.error('warning: some requests failed; rates count successful (2xx) responses only');
}
if (profileDir) console.error(`CPU profiles of the server processes: ${profileDir}`);
