/**
 * @module bench/easyauth/instructions
 * The Easy Auth benchmark's servers (server.ts) counted in instructions instead of seconds: each measured server
 * runs under valgrind's callgrind (Debian: apt-get install valgrind), is warmed up, then serves a fixed number
 * of requests while callgrind counts the instructions every thread of it executes. On a shared host whose speed
 * swings by ±30 % from one second to the next (docs/performance.md), the count is repeatable to a fraction of a
 * percent, so it settles differences of a few percent that timed runs cannot.
 *
 * What it does not see: the kernel (syscalls, TCP, softirqs — a third of a proxy's time here), and how fast each
 * instruction runs (RSA's big-number code and V8's compiled regular expressions do much more per cycle than
 * the rest). It answers "how much work does the front do per request", not "how fast is it": read it beside
 * run.ts's timed figures, never instead of them.
 *
 *   node_modules/.bin/node bench/easyauth/instructions.ts [--requests 6000] [--warmup 2000]
 *     [--windows 5] [--connections 16] [--v8-flags=--single-threaded]
 *     [--only proxy,proxy-identity,repeated]
 *
 * Phases: `proxy` (the plain undici proxy, the baseline), `proxy-identity` (it, adding the identity headers
 * Easy Auth sends for the repeated token) and `repeated` (Easy Auth, one token: cache hits). The load is a Node
 * client on the other cores with 16 keep-alive connections, the same request as run.ts's. ~3 min.
 * No fresh-token phase: under valgrind OpenSSL takes its generic big-number and SHA-256 code (valgrind hides the
 * CPU's AVX-512 and SHA extensions), so a signature check's count says nothing about the native one.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { pinLoadToOtherCores } from '../lib/proc.ts';
import { benchWorkspace } from '../lib/workspace.ts';
import { identityHeadersFor, writeProxyCertificate } from './fixtures.ts';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '6000' },
    windows: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2000' },
    only: { type: 'string', default: 'proxy,proxy-identity,repeated' },
    connections: { type: 'string', default: '16' },
    'v8-flags': { type: 'string', default: '' },
  },
});
const requests = Math.min(Math.max(Math.round(Number(args.requests)), 500), 50_000);
const warmup = Math.min(Math.max(Math.round(Number(args.warmup)), 200), 20_000);
const only = new Set(args.only.split(',').map((s) => s.trim()));
const windows = Math.min(Math.max(Math.round(Number(args.windows)), 1), 20);
const CONNECTIONS = Math.min(Math.max(Math.round(Number(args.connections)), 1), 64);
/** V8 flags for the counted servers (e.g. --single-threaded, --predictable); only --flag[=value] words. */
const v8Flags = args['v8-flags'].split(/\s+/).filter(Boolean);
if (v8Flags.some((f) => !/^--[a-z0-9-]+(=[\w.-]+)?$/.test(f)))
  throw new Error('--v8-flags: --flag[=value] words only');
const here = import.meta.dirname;

if (spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status !== 0) {
  process.stderr.write('valgrind is not installed (Debian: apt-get install valgrind); nothing measured.\n');
  process.exit(2);
}

const { measuredCore, otherCores } = pinLoadToOtherCores();
const pinned = measuredCore !== undefined;

const { dir: workDir, running, cleanup } = benchWorkspace('lanyard-ea-instr-');

interface Started {
  child: ChildProcess;
  info: { port: number; tokensFile?: string };
  /** The callgrind output file (prefix) when under valgrind. */
  out?: string | undefined;
}

/** Starts `server.ts <mode>`, under callgrind with counting off when `counted`, and waits for BENCH_READY. */
function start(mode: string, modeArgs: string[], counted: boolean, env: Record<string, string> = {}) {
  const out = counted ? path.join(workDir, `${mode}-${running.size}.callgrind`) : undefined;
  const node = [
    process.execPath,
    ...(counted ? v8Flags : []),
    path.join(here, 'server.ts'),
    mode,
    ...modeArgs,
  ];
  const command = counted
    ? [
        'valgrind',
        '--tool=callgrind',
        '--instr-atstart=no',
        // V8 writes and rewrites machine code at run time.
        '--smc-check=all-non-file',
        `--callgrind-out-file=${out}`,
        ...node,
      ]
    : node;
  const core = counted ? measuredCore : otherCores;
  const argv = core === undefined ? command : ['-c', core, ...command];
  const child = spawn(core === undefined ? argv[0]! : 'taskset', core === undefined ? argv.slice(1) : argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, BENCH_DATA_ROOT: workDir, BENCH_KEEPALIVE_MS: '600000' },
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });
  return new Promise<Started>((resolve, reject) => {
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      text += s;
      const line = text.split('\n').find((l) => l.startsWith('BENCH_READY '));
      if (line) resolve({ child, info: JSON.parse(line.slice('BENCH_READY '.length)), out });
    });
    child.once('exit', (code) => reject(new Error(`server.ts ${mode} exited (${code}): ${stderr}`)));
  });
}

function callgrind(pid: number, ...flags: string[]): void {
  const r = spawnSync('callgrind_control', [...flags, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`callgrind_control ${flags.join(' ')}: ${r.stderr || r.stdout}`);
}

const certDir = await writeProxyCertificate(workDir);
// Loopback only, to servers this script started; the fronts' certificates come from their own data folders' CAs.
// Generous timeouts: under callgrind on a busy host the server can stall for seconds, and a connection closed and
// opened again would put a TLS handshake into the count. Connections made while counting are reported.
const agent = new Agent({
  connections: CONNECTIONS,
  keepAliveTimeout: 600_000,
  keepAliveMaxTimeout: 600_000,
  connect: { rejectUnauthorized: false, timeout: 60_000 },
});
let connects = 0;
agent.on('connect', () => connects++);

/** `count` requests, CONNECTIONS at a time; every answer must be a 200. */
async function load(url: string, token: string, count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < count) {
        next++;
        const res = await agent.request({
          origin: url,
          path: '/api/data',
          method: 'GET',
          headers: { authorization: `Bearer ${token}`, 'user-agent': 'lanyard-bench' },
        });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`${url}: status ${res.statusCode}`);
      }
    }),
  );
}

/** The instruction total of each dump callgrind has written so far for `out`, in dump order. */
function dumpTotals(out: string): number[] {
  const dir = path.dirname(out);
  const prefix = `${path.basename(out)}.`;
  return fs
    .readdirSync(dir)
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
    .map((f) => Number(/^totals:\s+(\d+)/m.exec(fs.readFileSync(path.join(dir, f), 'utf8'))?.[1] ?? 0));
}

/**
 * Instructions per request of a counted server: warm-up uncounted, then `requests` counted in `windows` equal
 * windows, each dumped on its own (a dump zeroes the counters). One-off events — a major GC, a JIT
 * re-optimisation, a reconnection after a stall of the shared host — land in one window; the median window is
 * the figure, the min–max shows how far one run can move.
 */
async function measure(server: Started, token: string): Promise<Measured> {
  const url = `https://127.0.0.1:${server.info.port}`;
  const pid = server.child.pid!;
  await load(url, token, warmup);
  const perWindow = Math.ceil(requests / windows);
  const connectsBefore = connects;
  callgrind(pid, '-i', 'on');
  for (let w = 1; w <= windows; w++) {
    await load(url, token, perWindow);
    callgrind(pid, '-d');
    // The dump is written by valgrind when it next gets to it.
    for (let i = 0; i < 600 && dumpTotals(server.out!).filter((t) => t > 0).length < w; i++)
      await new Promise((r) => setTimeout(r, 100));
  }
  callgrind(pid, '-i', 'off');
  const totals = dumpTotals(server.out!).slice(0, windows);
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
  if (totals.length < windows || totals.some((t) => t === 0)) throw new Error('callgrind wrote no counts');
  const inOrder = totals.map((t) => t / perWindow);
  const perRequest = [...inOrder].sort((a, b) => a - b);
  return {
    windows: inOrder,
    median: perRequest[Math.floor((perRequest.length - 1) / 2)]!,
    min: perRequest[0]!,
    max: perRequest.at(-1)!,
    mean: totals.reduce((a, b) => a + b, 0) / (perWindow * windows),
    connects: connects - connectsBefore,
  };
}

interface Measured {
  /** Each window's instructions per request, in order. */
  windows: number[];
  /** The median window's instructions per request: the figure reported and compared. */
  median: number;
  min: number;
  max: number;
  /** Over all counted requests. */
  mean: number;
  /** Connections the client opened while counting (0 unless the server closed some). */
  connects: number;
}

const results = new Map<string, Measured>();
try {
  const upstream = await start('upstream', [], false);
  const upstreamUrl = `http://127.0.0.1:${upstream.info.port}`;
  // The front mints the token the repeated phase sends (and the proxies forward).
  const front = await start('easyauth', [upstreamUrl, '0'], only.has('repeated'));
  const token = fs.readFileSync(front.info.tokensFile!, 'utf8').trim().split('\n')[0]!;
  if (only.has('repeated')) results.set('repeated', await measure(front, token));
  else front.child.kill('SIGTERM');
  if (only.has('proxy')) {
    const proxy = await start('proxy', [upstreamUrl, certDir], true);
    results.set('proxy', await measure(proxy, token));
  }
  if (only.has('proxy-identity')) {
    const proxy = await start('proxy', [upstreamUrl, certDir], true, {
      BENCH_EXTRA_HEADERS: JSON.stringify(identityHeadersFor(token)),
    });
    results.set('proxy-identity', await measure(proxy, token));
  }
  upstream.child.kill('SIGTERM');
} finally {
  await agent.close();
  cleanup();
}

const names: Record<string, string> = {
  proxy: 'plain undici proxy (HTTPS)',
  'proxy-identity': 'plain proxy + the same identity headers',
  repeated: 'Easy Auth, one repeated token',
};
process.stdout.write(
  `node ${process.version}; ${pinned ? `servers on core ${measuredCore} under callgrind` : 'not pinned'}; ` +
    `${CONNECTIONS} connections; ${warmup} requests warm-up, then ${Math.ceil(requests / windows) * windows} counted per server` +
    `${v8Flags.length > 0 ? `; V8 flags ${v8Flags.join(' ')}` : ''}\n`,
);
const k = (n: number) => (n / 1000).toFixed(1);
process.stdout.write(
  `k instructions per request: the median of ${windows} windows (min–max of the windows; mean)\n`,
);
for (const [key, m] of results) {
  process.stdout.write(
    `${names[key]!.padEnd(42)} ${k(m.median).padStart(8)}  (${k(m.min)}–${k(m.max)}; ${k(m.mean)})` +
      `${m.connects > 0 ? `  ${m.connects} connections opened while counting` : ''}\n` +
      `${''.padEnd(42)} windows in order: ${m.windows.map(k).join(', ')}\n`,
  );
}
/** Capacity ratio: a/b requests per instruction, i.e. b's instructions over a's. */
const ratio = (a: string, b: string, label: string, target?: string) => {
  const x = results.get(a)?.median;
  const y = results.get(b)?.median;
  if (x === undefined || y === undefined) return;
  process.stdout.write(
    `${label.padEnd(42)} ${((y / x) * 100).toFixed(1).padStart(7)} %${target ? `  (target ${target}, by time)` : ''}\n`,
  );
};
ratio('repeated', 'proxy', 'repeated token / plain proxy', '≥ 90 %');
ratio('repeated', 'proxy-identity', 'repeated / proxy + identity headers');
ratio('proxy-identity', 'proxy', 'proxy + identity headers / plain proxy');
