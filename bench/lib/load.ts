/**
 * @module bench/lib/load
 * The load generators of the HTTP benches, each run for a fixed time against one server: wrk (C, keep-alive;
 * it keeps the measured server the bottleneck) with a Lua `done` hook printing one `WRK_RESULT {json}` line,
 * or autocannon (one Node thread: near 11–14k requests/s it is the bottleneck itself) where wrk is not
 * installed or a fixed rate is offered. Both give a LoadResult read the same way: 2xx answers per second,
 * p50/p99, errors; the bench reads servers' CPU around the call. bench/easyauth, bench/gateway,
 * bench/vault/gets and bench/identity measure with this one copy, so their figures mean the same.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { onPath } from './proc.ts';

export interface LoadResult {
  /** Successful answers per second (wrk: every answer not counted as a status error; autocannon: 2xx). */
  rps: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  /** Successful answers. */
  ok: number;
  /** Requests answered (wrk: every request it counted; autocannon: 2xx + non-2xx). */
  requests: number;
  /** Connect, read and write errors and timeouts. */
  errors: number;
  non2xx: number;
}

/**
 * The wrk binary for `--load-generator auto|wrk|autocannon`, or undefined for autocannon. `usable` false (a
 * fixed offered rate, which wrk cannot do) means autocannon; asking for wrk where there is none is an error.
 */
export function pickWrk(generator: string, usable = true): string | undefined {
  if (!['auto', 'wrk', 'autocannon'].includes(generator))
    throw new Error('--load-generator: auto, wrk or autocannon');
  const wrk = generator === 'autocannon' || !usable ? undefined : onPath('wrk');
  if (generator === 'wrk' && !wrk)
    throw new Error('--load-generator wrk: no wrk on PATH (Debian: apt-get install wrk)');
  return wrk;
}

/** wrk's `done` hook: runWrk ends every script with it and reads the line it prints. */
const WRK_RESULT_LUA = `
function done(summary, latency, requests)
  io.write(string.format('WRK_RESULT {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
`;

/**
 * wrk requests `GET <path>` with `Authorization: Bearer <token>`, the tokens read from a file (one a line);
 * script arguments: the file, wrk's thread count, the path. Each thread takes every n-th token of the list
 * from its own offset: with one token, the same token every time; with many, no token comes back before the
 * whole list has gone by.
 */
export const BEARER_TOKENS_LUA = `
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
local tokens, i, step, target
function init(args)
  tokens = {}
  for line in io.lines(args[1]) do tokens[#tokens + 1] = "Bearer " .. line end
  step = tonumber(args[2])
  target = args[3]
  i = tid
end
function request()
  local t = tokens[i % #tokens + 1]
  i = i + step
  return wrk.format("GET", target, { Authorization = t })
end
`;

export interface WrkRun {
  readonly binary: string;
  /** Lua that makes the requests (BEARER_TOKENS_LUA), if not the same GET of `url` each time. */
  readonly requestLua?: string | undefined;
  /** Where the script file is written (once). */
  readonly workDir: string;
  /** What wrk requests (the script's `request` may change the path). */
  readonly url: string;
  readonly connections: number;
  /** Seconds. */
  readonly duration: number;
  /** wrk threads (default 1). */
  readonly threads?: number | undefined;
  /** Request headers (`-H`). */
  readonly headers?: Record<string, string> | undefined;
  /** Arguments to the script's `init` (after `--`). */
  readonly scriptArgs?: readonly string[] | undefined;
  /** The bench's workspace children: wrk is in it while it runs. */
  readonly running: Set<ChildProcess>;
  /** What errors call the target. */
  readonly name: string;
}

/**
 * Runs wrk for `duration` s (killed 10 s after that if it has not ended) and reads its `WRK_RESULT` line. wrk
 * inherits this process's cores: the benches have already moved it onto the load cores.
 */
export async function runWrk(o: WrkRun): Promise<LoadResult> {
  const lua = `${o.requestLua ?? ''}${WRK_RESULT_LUA}`;
  const script = path.join(
    o.workDir,
    `wrk-${createHash('sha256').update(lua).digest('hex').slice(0, 12)}.lua`,
  );
  if (!fs.existsSync(script)) fs.writeFileSync(script, lua);
  const threads = o.threads ?? 1;
  const argv = [
    '-t',
    String(threads),
    '-c',
    String(o.connections),
    '-d',
    `${o.duration}s`,
    '--timeout',
    '5s',
    '-s',
    script,
    ...Object.entries(o.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    o.url,
    ...(o.scriptArgs ? ['--', ...o.scriptArgs] : []),
  ];
  const child = spawn(o.binary, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  o.running.add(child);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  const stopper = setTimeout(() => child.kill('SIGKILL'), o.duration * 1000 + 10_000);
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  clearTimeout(stopper);
  o.running.delete(child);
  const line = out.split('\n').find((l) => l.startsWith('WRK_RESULT '));
  if (!line) throw new Error(`wrk gave no result for ${o.name}: ${out.slice(-500)}`);
  const w = JSON.parse(line.slice('WRK_RESULT '.length)) as Record<string, number>;
  const ok = w.requests! - w.status!;
  return {
    rps: ok / (w.duration_us! / 1e6),
    p50: w.p50_us! / 1000,
    p99: w.p99_us! / 1000,
    ok,
    requests: w.requests!,
    errors: w.connect! + w.read! + w.write! + w.timeout!,
    non2xx: w.status!,
  };
}

export type AutocannonOptions = autocannon.Options & {
  /** Seconds. */
  duration: number;
  /** TLS SNI. */
  servername?: string;
  /** Requests per second offered in all. */
  overallRate?: number;
};

/** Runs autocannon with `options`, stopped `graceMs` after its duration if it has not ended by then. */
export async function runAutocannon(options: AutocannonOptions, graceMs = 2_000): Promise<LoadResult> {
  const instance = autocannon(options);
  const stopper = setTimeout(() => instance.stop(), options.duration * 1000 + graceMs);
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    instance.once('done', resolve);
    instance.once('error', reject);
  }).finally(() => clearTimeout(stopper));
  const ok = r['2xx'];
  return {
    rps: ok / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok,
    requests: ok + r.non2xx,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}
