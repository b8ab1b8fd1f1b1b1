/**
 * @module bench/vault/writes
 * Acknowledged, durable vault writes per second under concurrent writers, with the write batcher's group commit
 * (src/vault/group-commit.ts) against the baseline of one transaction per write, measured in the same
 * invocation, on SQLite (a file on disk: `synchronous=FULL`, one fsync of the WAL per COMMIT) and PostgreSQL.
 *
 * Each phase opens the runtime as `lanyard up` does (fresh data folder, or a fresh PostgreSQL schema), creates a
 * tenant and a vault, and runs `--writers` concurrent writers in this process, each `setSecret` of its own few
 * secrets (a ~100-byte value) through the batcher, the next write as soon as the last is acknowledged — i.e.
 * after its COMMIT returned. After `--warmup` seconds it counts for `--seconds`: writes acknowledged, the
 * transactions that carried them, each write's latency (queued to acknowledged), this process's CPU time per
 * write (user + system, every thread), and how the main thread spent the wall time (`/proc/self/schedstat`):
 * running, runnable but waiting for a CPU (other work on the machine), or blocked — in the synchronous COMMIT's
 * fsync on SQLite, awaiting PostgreSQL's replies there. Phases rotate by one each round. A probe also times
 * `fdatasync` of a file appended in the data folder's file system: what one COMMIT's sync costs there.
 *
 *   node_modules/.bin/node bench/vault/writes.ts [--seconds 5] [--warmup 1] [--rounds 3] [--writers 32]
 *     [--only sqlite-group,sqlite-single,postgres-group,postgres-single] [--data-dir-root DIR] [--json]
 *
 * The data folder is under the OS temp folder by default (on disk: the point is the fsync); PostgreSQL is
 * `LANYARD_BENCH_PG_URL`, else postgres://postgres@127.0.0.1:5432/postgres (its phases are skipped when it cannot
 * be reached). Not pinned: one process, the writers and the store on its event loop, as in the server.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openRuntime } from '../../src/host/runtime.ts';
import { createWriteBatcher } from '../../src/vault/group-commit.ts';
import { resolveVault, setSecret } from '../../src/vault/store.ts';
import { medianOf } from '../lib/report.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    writers: { type: 'string', default: '32' },
    only: { type: 'string' },
    'data-dir-root': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const seconds = Math.min(Math.max(Number(args.seconds), 1), 14);
const warmup = Math.min(Math.max(Number(args.warmup), 0), 5);
const rounds = Math.min(Math.max(Math.round(Number(args.rounds)), 1), 9);
const writers = Math.min(Math.max(Math.round(Number(args.writers)), 1), 1024);
const root = path.resolve(args['data-dir-root'] ?? os.tmpdir());
const PG_URL = process.env.LANYARD_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

type Store = 'sqlite' | 'postgres';
interface Phase {
  name: string;
  store: Store;
  group: boolean;
}
const ALL: Phase[] = [
  { name: 'sqlite-group', store: 'sqlite', group: true },
  { name: 'sqlite-single', store: 'sqlite', group: false },
  { name: 'postgres-group', store: 'postgres', group: true },
  { name: 'postgres-single', store: 'postgres', group: false },
];

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}

/** Median and 90th percentile of `fdatasync` after a 4 KiB append, in µs, in `dir`'s file system. */
function fsyncProbe(dir: string, n = 200): { median: number; p90: number } {
  const file = path.join(dir, 'fsync-probe');
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(4096, 7);
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      fs.writeSync(fd, block);
      const t0 = performance.now();
      fs.fdatasyncSync(fd);
      times.push((performance.now() - t0) * 1000);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  times.sort((a, b) => a - b);
  return { median: times[n >> 1]!, p90: times[Math.floor(n * 0.9)]! };
}

interface Result {
  writes: number;
  rate: number;
  transactions: number;
  perTransaction: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerWrite: number;
  /** Shares of the measured wall time of the main thread (event loop, and node:sqlite's synchronous COMMIT). */
  main: MainThreadTime;
}

/** On a CPU; runnable but waiting for one (other work on the machine); blocked (disk, or awaiting PostgreSQL). */
interface MainThreadTime {
  running: number;
  waitingForCpu: number;
  blocked: number;
}

/** The main thread's time on a CPU and waiting on a run queue, in seconds (`/proc/self/schedstat`), or undefined. */
function schedstat(): { run: number; wait: number } | undefined {
  try {
    const [run, wait] = fs.readFileSync('/proc/self/schedstat', 'utf8').trim().split(/\s+/).map(Number);
    return run === undefined || wait === undefined ? undefined : { run: run / 1e9, wait: wait / 1e9 };
  } catch {
    return undefined;
  }
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;

async function runPhase(phase: Phase): Promise<Result> {
  const dataDir = fs.mkdtempSync(path.join(root, 'lanyard-bench-vault-'));
  const schema = `lanyard_bench_${randomBytes(6).toString('hex')}`;
  const location =
    phase.store === 'sqlite'
      ? `sqlite:${path.join(dataDir, 'lanyard.db')}`
      : `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  const runtime = await openRuntime({ dataDir, store: location, env: {}, signingThreads: 0, warn: () => {} });
  try {
    await runtime.directory.createTenant({
      name: 'contoso',
      defaultSubscriptionId: '11111111-2222-3333-4444-555555555555',
    });
    await runtime.directory.createResource('contoso', { name: 'kv', kind: 'vault' });
    const vault = await resolveVault(runtime.directory, 'contoso', 'kv');
    let measuring = false;
    let stop = false;
    let transactions = 0;
    const latencies: number[] = [];
    const batcher = createWriteBatcher(runtime.directory, {
      group: phase.group,
      onCommit: () => {
        if (measuring) transactions++;
      },
    });
    const value = 'v'.repeat(100);
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const t0 = performance.now();
        await batcher.run((t) => setSecret(t, vault, `w${w}-s${i % 4}`, { value }));
        if (measuring) latencies.push(performance.now() - t0);
        // The next request comes through the event loop, as from a socket: node:sqlite is synchronous, so one
        // transaction after another would otherwise run in microtasks alone and starve the timers.
        await new Promise(setImmediate);
      }
    };
    const all = Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
    await new Promise((r) => setTimeout(r, warmup * 1000));
    const cpu0 = process.cpuUsage();
    const sched0 = schedstat();
    const t0 = performance.now();
    measuring = true;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    measuring = false;
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const sched1 = schedstat();
    stop = true;
    await all;
    await batcher.close();
    latencies.sort((a, b) => a - b);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return {
      writes: latencies.length,
      rate: latencies.length / wall,
      transactions,
      perTransaction: latencies.length / Math.max(1, transactions),
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      cpuUsPerWrite: (cpuSeconds * 1e6) / Math.max(1, latencies.length),
      main:
        sched0 && sched1
          ? {
              running: (sched1.run - sched0.run) / wall,
              waitingForCpu: (sched1.wait - sched0.wait) / wall,
              blocked: Math.max(0, 1 - (sched1.run - sched0.run + sched1.wait - sched0.wait) / wall),
            }
          : { running: Number.NaN, waitingForCpu: Number.NaN, blocked: Number.NaN },
    };
  } finally {
    await runtime.close();
    if (phase.store === 'postgres') await dropSchema(schema);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const wanted = args.only ? new Set(args.only.split(',').map((s) => s.trim())) : undefined;
let phases = ALL.filter((p) => !wanted || wanted.has(p.name));
const skipped: string[] = [];
if (phases.some((p) => p.store === 'postgres') && !(await postgresReachable())) {
  skipped.push(...phases.filter((p) => p.store === 'postgres').map((p) => p.name));
  phases = phases.filter((p) => p.store !== 'postgres');
}
if (phases.length === 0) throw new Error('no phase to run');

const probeDir = fs.mkdtempSync(path.join(root, 'lanyard-bench-vault-'));
const fsync = fsyncProbe(probeDir);
fs.rmSync(probeDir, { recursive: true, force: true });
const loadBefore = os.loadavg()[0]!;

const perPhase = new Map<string, Result[]>(phases.map((p) => [p.name, []]));
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < phases.length; k++) {
    const phase = phases[(k + r) % phases.length]!;
    perPhase.get(phase.name)!.push(await runPhase(phase));
  }
}

const summary = phases.map((p) => {
  const results = perPhase.get(p.name)!;
  return {
    phase: p.name,
    rate: Math.round(medianOf(results.map((x) => x.rate))),
    best: Math.round(Math.max(...results.map((x) => x.rate))),
    perTransaction: Number(medianOf(results.map((x) => x.perTransaction)).toFixed(1)),
    p50Ms: Number(medianOf(results.map((x) => x.p50Ms)).toFixed(2)),
    p99Ms: Number(medianOf(results.map((x) => x.p99Ms)).toFixed(2)),
    cpuUsPerWrite: Math.round(medianOf(results.map((x) => x.cpuUsPerWrite))),
    running: Number(medianOf(results.map((x) => x.main.running)).toFixed(2)),
    waitingForCpu: Number(medianOf(results.map((x) => x.main.waitingForCpu)).toFixed(2)),
    blocked: Number(medianOf(results.map((x) => x.main.blocked)).toFixed(2)),
    rounds: results.map((x) => Math.round(x.rate)),
  };
});
const rateOf = (name: string) => summary.find((s) => s.phase === name)?.rate;
const ratio = (a: string, b: string) => {
  const x = rateOf(a);
  const y = rateOf(b);
  return x !== undefined && y !== undefined ? Number((x / y).toFixed(2)) : undefined;
};
const result = {
  node: process.version,
  writers,
  seconds,
  warmup,
  rounds,
  dataDirRoot: root,
  fsyncUs: { median: Math.round(fsync.median), p90: Math.round(fsync.p90) },
  loadAverage: [Number(loadBefore.toFixed(2)), Number(os.loadavg()[0]!.toFixed(2))],
  phases: summary,
  ratios: {
    sqliteGroupToSingle: ratio('sqlite-group', 'sqlite-single'),
    postgresGroupToSingle: ratio('postgres-group', 'postgres-single'),
  },
  skipped,
};

if (args.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
  console.log(
    `Vault writes: ${writers} writers, ${rounds} rounds of ${warmup} s + ${seconds} s, Node ${process.version}, data under ${root}`,
  );
  console.log(
    `fdatasync after a 4 KiB append there: median ${result.fsyncUs.median} µs, p90 ${result.fsyncUs.p90} µs`,
  );
  console.log(
    'phase           | writes/s (median) |   best | writes/txn | p50 ms | p99 ms | CPU µs/write | main thread: running / waiting for a CPU / blocked',
  );
  for (const s of summary) {
    console.log(
      `${s.phase.padEnd(15)} | ${fmt(s.rate).padStart(17)} | ${fmt(s.best).padStart(6)} | ${s.perTransaction.toFixed(1).padStart(10)} | ${s.p50Ms.toFixed(2).padStart(6)} | ${s.p99Ms.toFixed(2).padStart(6)} | ${fmt(s.cpuUsPerWrite).padStart(12)} | ${pct(s.running)} / ${pct(s.waitingForCpu)} / ${pct(s.blocked)}`,
    );
  }
  if (result.ratios.sqliteGroupToSingle !== undefined)
    console.log(`SQLite: group commit ÷ one transaction each = ${result.ratios.sqliteGroupToSingle}×`);
  if (result.ratios.postgresGroupToSingle !== undefined)
    console.log(`PostgreSQL: group commit ÷ one transaction each = ${result.ratios.postgresGroupToSingle}×`);
  console.log(
    `every round, writes/s: ${summary.map((s) => `${s.phase} ${s.rounds.map(fmt).join(', ')}`).join('; ')}`,
  );
  if (skipped.length) console.log(`skipped (PostgreSQL not reachable at ${PG_URL}): ${skipped.join(', ')}`);
  console.log(`machine load average (1 min) before/after: ${result.loadAverage.join(' / ')}`);
}
