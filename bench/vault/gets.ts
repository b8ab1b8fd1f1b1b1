/**
 * @module bench/vault/gets
 * Secret gets per second: Key Vault's `GET /secrets/{name}/` on Lanyard's main listener, as SecretClient sends it
 * with a repeated token, against a plain HTTPS server answering the same bytes, in one invocation on loopback:
 *   1. fixed    — a plain node:https server (a P-256 certificate from a local CA, as Lanyard's) answering every
 *                 request with the status, headers and body the vault answered to the same GET (a SecretBundle:
 *                 `{"value":…,"id":…,"attributes":{…}}`), no logic at all: the baseline (gets-server.ts fixed);
 *   2. easyauth — Lanyard's Easy Auth front (bench/easyauth/server.ts) with one repeated token, proxying to a
 *                 node:http upstream (off the measured core) that answers the same SecretBundle body: a second
 *                 reference, Lanyard authenticating a bearer token in front of an app;
 *   3. vault    — Lanyard as `lanyard up` serves it (gets-server.ts vault): a vault `kv1` with one secret, an app
 *                 holding "Key Vault Secrets User" on it, its client-credentials token for
 *                 https://vault.localhost/.default fetched from the same listener once; every request
 *                 `GET /secrets/db-password/?api-version=7.4` with `Host: kv1.vault.localhost:<port>` and that
 *                 token: RBAC decided, the value read from the store and opened, an audit row committed (and
 *                 fsynced, the data folder being on disk) before each answer, request and audit log lines.
 * Every phase gets the same path, a bearer token of about the same size, and answers the same body.
 *
 * The measured servers run pinned to the first allowed core (`taskset`, every thread); this script, the load
 * generator (wrk when installed, else autocannon with a warning) and Easy Auth's upstream on the other cores.
 * After a warm-up per phase, `--rounds` rounds of every phase, the order rotated by one each round; medians are
 * reported with every round, and the measured server's CPU time per answered request (utime + stime from /proc).
 * Bounded: each phase ≤ 10 s, 127.0.0.1 only, a watchdog ends everything if it stalls; servers are stopped
 * (SIGTERM, then SIGKILL after 5 s) and the work and data folders removed. At the end the vault's stored audit
 * events of successful gets are counted: there must be at least one per 200 answered.
 *
 *   node_modules/.bin/node bench/vault/gets.ts [--seconds 8] [--rounds 3] [--warmup 2] [--connections 50]
 *     [--only fixed,easyauth,vault] [--value-bytes 100] [--load-generator auto|wrk|autocannon]
 *     [--data-dir-root DIR]   the vault's data folder (default: the OS temp folder, on disk: the audit fsync
 *                             is part of the cost; /dev/shm takes it out)
 *     [--cpu-prof-dir DIR]    V8 CPU profiles of the measured servers, and their self time by function printed
 *     [--json]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { writeProxyCertificate } from '../easyauth/fixtures.ts';
import { formatSummary, readProfile, summariseProfile } from '../lib/cpu-profile.ts';
import { pickWrk, runAutocannon, runWrk } from '../lib/load.ts';
import { allowedCores, pinAllThreads, pinLoadToOtherCores } from '../lib/proc.ts';
import { medianOf, medianRound, tableLines } from '../lib/report.ts';
import { type NodeServer, startNodeServer } from '../lib/servers.ts';
import { benchWorkspace, watchdog } from '../lib/workspace.ts';

const PHASES = ['fixed', 'easyauth', 'vault'] as const;
type PhaseKey = (typeof PHASES)[number];

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string', default: PHASES.join(',') },
    'value-bytes': { type: 'string', default: '100' },
    'load-generator': { type: 'string', default: 'auto' },
    'data-dir-root': { type: 'string' },
    'cpu-prof-dir': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const seconds = Math.min(Math.max(Number(args.seconds), 1), 10);
const rounds = Math.min(Math.max(Math.round(Number(args.rounds)), 1), 15);
const warmup = Math.min(Math.max(Number(args.warmup), 0), 5);
const connections = Math.min(Math.max(Math.round(Number(args.connections)), 1), 200);
const valueBytes = Math.min(Math.max(Math.round(Number(args['value-bytes'])), 1), 25_000);
const only = new Set(args.only.split(',').map((s) => s.trim()));
for (const k of only)
  if (!(PHASES as readonly string[]).includes(k)) throw new Error(`--only: ${k}? (${PHASES.join(', ')})`);
const profileDir = args['cpu-prof-dir'] ? path.resolve(args['cpu-prof-dir']) : undefined;
if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
const dataRootBase = path.resolve(args['data-dir-root'] ?? os.tmpdir());
const generator = args['load-generator'];
const wrk = pickWrk(generator);
if (!wrk && generator === 'auto' && !args.json)
  console.error(
    'warning: no wrk (Debian: apt-get install wrk): autocannon, one Node thread, may be the bottleneck',
  );
const here = import.meta.dirname;
const API_VERSION = '7.4';

// ---------------------------------------------------------------------------------------------- cores, work

const cores = allowedCores();
const { measuredCore, otherCores } = pinLoadToOtherCores();

const { dir: workDir, running, cleanup: cleanWork } = benchWorkspace('lanyard-vault-gets-');
// The vault's data folder goes under its own temporary folder, removed at the end even if the server is killed.
const dataRoot = fs.mkdtempSync(path.join(dataRootBase, 'lanyard-vault-gets-data-'));
const cleanup = () => {
  cleanWork();
  fs.rmSync(dataRoot, { recursive: true, force: true });
};
process.once('SIGINT', () => {
  cleanup();
  process.exit(130);
});
const budgetMs = 120_000 + (rounds * only.size * (seconds + 3) + only.size * (warmup + 3)) * 1000;
watchdog('bench/vault/gets', budgetMs, cleanup);

// ---------------------------------------------------------------------------------------------- processes

/** Starts `script` and resolves with its `BENCH_READY` line. `cores` pins it from the start. */
function startNode<T>(
  name: string,
  script: string,
  scriptArgs: string[],
  options: { cores?: string | undefined; profile?: boolean; env?: Record<string, string> } = {},
): Promise<NodeServer<T>> {
  return startNodeServer<T>({
    name,
    argv: [script, ...scriptArgs],
    logFile: path.join(workDir, `${name}.log`),
    running,
    cores: options.cores,
    env: options.env,
    cpuProfDir: options.profile ? profileDir : undefined,
  });
}

// ---------------------------------------------------------------------------------------------- load

interface Target {
  key: PhaseKey;
  name: string;
  /** https://127.0.0.1:<port> */
  origin: string;
  /** Request headers besides the defaults: Host (the vault's), Authorization. */
  headers: Record<string, string>;
  servername?: string | undefined;
  cpu: () => number;
  /** Another process's CPU to report per request (Easy Auth's upstream). */
  sideCpu?: (() => number) | undefined;
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  /** The measured server's CPU time per 2xx answer, µs. */
  cpuUs: number;
  sideCpuUs: number;
  ok: number;
  errors: number;
  non2xx: number;
}

const measuredPath = (secretName: string) => `/secrets/${secretName}/?api-version=${API_VERSION}`;
let requestPath = measuredPath('db-password');

/** When each phase's first load began (performance.now()): profiles are summarised from there. */
const firstLoadAt = new Map<PhaseKey, number>();

async function load(t: Target, duration: number): Promise<Run> {
  if (!firstLoadAt.has(t.key)) firstLoadAt.set(t.key, performance.now());
  const cpuBefore = t.cpu();
  const sideBefore = t.sideCpu?.() ?? 0;
  const url = `${t.origin}${requestPath}`;
  const r = wrk
    ? await runWrk({
        binary: wrk,
        workDir,
        url,
        connections,
        duration,
        headers: t.headers,
        running,
        name: t.name,
      })
    : await runAutocannon({
        url,
        connections,
        duration,
        headers: t.headers,
        ...(t.servername ? { servername: t.servername } : {}),
      });
  return {
    rps: r.rps,
    p50: r.p50,
    p99: r.p99,
    ok: r.ok,
    errors: r.errors,
    non2xx: r.non2xx,
    cpuUs: ((t.cpu() - cpuBefore) * 1e6) / r.ok,
    sideCpuUs: t.sideCpu ? (((t.sideCpu() ?? 0) - sideBefore) * 1e6) / r.ok : Number.NaN,
  };
}

// ---------------------------------------------------------------------------------------------- main

const agent = new Agent({ connect: { rejectUnauthorized: false } });
async function get(url: string, headers: Record<string, string>) {
  const res = await request(url, { dispatcher: agent, headers });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

interface VaultInfo {
  port: number;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  secretName: string;
  value: string;
}

const servers: NodeServer<unknown>[] = [];
const stats = new Map<string, Record<string, unknown> | undefined>();
const loadBefore = os.loadavg()[0]!;
const runs = new Map<PhaseKey, Run[]>();
const notes: string[] = [];
/** 200s the vault answered, warm-up and probes included: each must have an audit row. */
let vaultAnswered = 0;
let tokenBytes = 0;
let bodyBytes = 0;
const profiled: { key: PhaseKey; server: NodeServer<unknown> }[] = [];
try {
  const certDir = await writeProxyCertificate(workDir);
  const targets: Target[] = [];

  // The vault first: its answer is what the fixed server replays, and its token what every phase sends.
  const vault = await startNode<VaultInfo>(
    'vault',
    path.join(here, 'gets-server.ts'),
    ['vault', '--value-bytes', String(valueBytes)],
    { cores: measuredCore, profile: only.has('vault'), env: { BENCH_DATA_ROOT: dataRoot } },
  );
  servers.push(vault);
  stats.set('vault', undefined);
  if (only.has('vault')) profiled.push({ key: 'vault', server: vault });
  requestPath = measuredPath(vault.info.secretName);
  const vaultOrigin = `https://127.0.0.1:${vault.info.port}`;
  const vaultHost = `kv1.vault.localhost:${vault.info.port}`;
  const tokenRes = await request(`${vaultOrigin}/${vault.info.tenantId}/oauth2/v2.0/token`, {
    dispatcher: agent,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: vault.info.clientId,
      client_secret: vault.info.clientSecret,
      scope: 'https://vault.localhost/.default',
    }).toString(),
  });
  const tokenBody = (await tokenRes.body.json()) as { access_token?: string };
  if (tokenRes.statusCode !== 200 || !tokenBody.access_token)
    throw new Error(`the token request answered ${tokenRes.statusCode}: ${JSON.stringify(tokenBody)}`);
  const token = tokenBody.access_token;
  tokenBytes = token.length;

  // The vault answers the value with the token, and the challenge without it.
  const answer = await get(`${vaultOrigin}${requestPath}`, {
    host: vaultHost,
    authorization: `Bearer ${token}`,
  });
  const bundle = JSON.parse(answer.body) as { value?: string; id?: string; attributes?: object };
  if (answer.status !== 200 || bundle.value !== vault.info.value || !bundle.id || !bundle.attributes)
    throw new Error(`the vault answered ${answer.status}: ${answer.body.slice(0, 300)}`);
  vaultAnswered++;
  bodyBytes = Buffer.byteLength(answer.body);
  const refused = await get(`${vaultOrigin}${requestPath}`, { host: vaultHost });
  if (refused.status !== 401 || !String(refused.headers['www-authenticate'] ?? '').startsWith('Bearer '))
    throw new Error(`the vault answered ${refused.status} without a token`);

  if (only.has('fixed')) {
    const skip = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
    const headers: string[] = [];
    for (const [k, v] of Object.entries(answer.headers)) {
      if (skip.has(k) || v === undefined) continue;
      for (const x of Array.isArray(v) ? v : [v]) headers.push(k, x);
    }
    const answerFile = path.join(workDir, 'answer.json');
    fs.writeFileSync(answerFile, JSON.stringify({ status: 200, headers, body: answer.body }));
    const fixed = await startNode<{ port: number }>(
      'fixed',
      path.join(here, 'gets-server.ts'),
      ['fixed', certDir, answerFile],
      { cores: measuredCore, profile: true },
    );
    servers.push(fixed);
    profiled.push({ key: 'fixed', server: fixed });
    const origin = `https://127.0.0.1:${fixed.info.port}`;
    const probe = await get(`${origin}${requestPath}`, { authorization: `Bearer ${token}` });
    if (probe.status !== 200 || probe.body !== answer.body)
      throw new Error(`the fixed server answered ${probe.status}: ${probe.body.slice(0, 300)}`);
    targets.push({
      key: 'fixed',
      name: 'fixed SecretBundle (node:https)',
      origin,
      headers: { Authorization: `Bearer ${token}` },
      cpu: fixed.cpu,
    });
  }

  if (only.has('easyauth')) {
    const easyauthScript = path.join(here, '..', 'easyauth', 'server.ts');
    const upstream = await startNode<{ port: number }>('upstream', easyauthScript, ['upstream'], {
      cores: otherCores,
      env: { BENCH_UPSTREAM_BODY: answer.body },
    });
    servers.push(upstream);
    // Minting runs on every core; the front is moved to the measured core once it is ready.
    const front = await startNode<{ port: number; servername: string; tokensFile: string }>(
      'easyauth',
      easyauthScript,
      ['easyauth', `http://127.0.0.1:${upstream.info.port}`, '0'],
      { profile: true, env: { BENCH_DATA_ROOT: dataRoot } },
    );
    servers.push(front);
    pinAllThreads(front.pid, measuredCore);
    profiled.push({ key: 'easyauth', server: front });
    const frontToken = fs.readFileSync(front.info.tokensFile, 'utf8').trim().split('\n')[0]!;
    const origin = `https://127.0.0.1:${front.info.port}`;
    const probe = await get(`${origin}${requestPath}`, { authorization: `Bearer ${frontToken}` });
    if (probe.status !== 200 || probe.body !== answer.body)
      throw new Error(`Easy Auth answered ${probe.status}: ${probe.body.slice(0, 300)}`);
    const none = await get(`${origin}${requestPath}`, {});
    if (none.status !== 401) throw new Error(`Easy Auth answered ${none.status} without a token`);
    targets.push({
      key: 'easyauth',
      name: 'Easy Auth front, repeated token',
      origin,
      headers: { Authorization: `Bearer ${frontToken}` },
      servername: front.info.servername,
      cpu: front.cpu,
      sideCpu: upstream.cpu,
    });
    notes.push(
      `Easy Auth's token is ${frontToken.length} bytes (the vault's ${token.length}); its upstream is on core(s) ${otherCores ?? '(not pinned)'}`,
    );
  }

  if (only.has('vault')) {
    targets.push({
      key: 'vault',
      name: 'Lanyard vault, GET secret',
      origin: vaultOrigin,
      headers: { Host: vaultHost, Authorization: `Bearer ${token}` },
      servername: 'kv1.vault.localhost',
      cpu: vault.cpu,
    });
  }
  await agent.close();

  const count = (t: Target, r: Run) => {
    if (t.key === 'vault') vaultAnswered += r.ok;
  };
  for (const t of targets) {
    if (warmup > 0) count(t, await load(t, warmup));
  }
  for (let round = 0; round < rounds; round++) {
    const shift = round % targets.length;
    const order = [...targets.slice(shift), ...targets.slice(0, shift)];
    for (const t of order) {
      const r = await load(t, seconds);
      count(t, r);
      runs.set(t.key, [...(runs.get(t.key) ?? []), r]);
      if (!args.json)
        console.error(
          `round ${round + 1}/${rounds}: ${t.key} ${r.rps.toFixed(0)} rps, ${r.cpuUs.toFixed(1)} µs CPU/req` +
            (r.errors || r.non2xx ? ` (${r.errors} errors, ${r.non2xx} non-2xx)` : ''),
        );
    }
  }
} finally {
  for (const s of [...servers].reverse()) {
    const st = await s.stop().catch(() => undefined);
    if (s === servers[0]) stats.set('vault', st);
  }
  cleanup();
}

// ---------------------------------------------------------------------------------------------- report

const NAMES: Record<PhaseKey, string> = {
  fixed: 'fixed SecretBundle (node:https)',
  easyauth: 'Easy Auth front, repeated token',
  vault: 'Lanyard vault, GET secret',
};
const phases = [...runs.entries()].map(([key, list]) => {
  const mid = medianRound(list);
  return {
    key,
    name: NAMES[key],
    rps: medianOf(list.map((r) => r.rps)),
    p50: mid.p50,
    p99: mid.p99,
    cpuUs: medianOf(list.map((r) => r.cpuUs)),
    sideCpuUs: medianOf(list.map((r) => r.sideCpuUs)),
    errors: list.reduce((s, r) => s + r.errors, 0),
    non2xx: list.reduce((s, r) => s + r.non2xx, 0),
    rounds: list.map((r) => Math.round(r.rps)),
    cpuRounds: list.map((r) => Number(r.cpuUs.toFixed(1))),
  };
});
const phase = (key: PhaseKey) => phases.find((p) => p.key === key);
/** a ÷ b: of the median rates, per round, and by CPU per request (b's µs over a's), also paired per round. */
function ratio(a: PhaseKey, b: PhaseKey) {
  const pa = phase(a);
  const pb = phase(b);
  if (!pa || !pb) return undefined;
  const ra = runs.get(a)!;
  const rb = runs.get(b)!;
  return {
    rps: pa.rps / pb.rps,
    perRound: ra.map((x, i) => x.rps / rb[i]!.rps),
    byCpu: pb.cpuUs / pa.cpuUs,
    byCpuPerRound: ra.map((x, i) => rb[i]!.cpuUs / x.cpuUs),
    byCpuMedianOfRounds: medianOf(ra.map((x, i) => rb[i]!.cpuUs / x.cpuUs)),
  };
}
const ratios = {
  vaultVsFixed: ratio('vault', 'fixed'),
  vaultVsEasyauth: ratio('vault', 'easyauth'),
  easyauthVsFixed: ratio('easyauth', 'fixed'),
};
const audited = Number((stats.get('vault') as { success?: number } | undefined)?.success ?? Number.NaN);
const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: cores.length || os.availableParallelism(),
  node: process.version,
  pinning:
    measuredCore !== undefined
      ? `servers on core ${measuredCore} (taskset, every thread); ${wrk ? 'wrk' : 'autocannon'}, this script and Easy Auth's upstream on core(s) ${otherCores}`
      : 'not pinned (no taskset or a single core): figures include the load generator',
  load: `${wrk ? 'wrk (1 thread)' : 'autocannon'}, ${connections} connections, keep-alive, GET ${requestPath} with a ${tokenBytes}-byte bearer token, ${bodyBytes}-byte answer (a ${valueBytes}-byte value); ${warmup} s warm-up per phase, then ${rounds} rotated rounds of ${seconds} s`,
  dataFolder: dataRootBase,
  loadAverage: [Number(loadBefore.toFixed(2)), Number(os.loadavg()[0]!.toFixed(2))],
};
const auditCheck = Number.isNaN(audited)
  ? undefined
  : { answered: vaultAnswered, audited, ok: audited >= vaultAnswered };

const profiles: Record<string, string[]> = {};
if (profileDir) {
  for (const { key, server } of profiled) {
    const file = fs
      .readdirSync(profileDir)
      .find((f) => f.endsWith('.cpuprofile') && f.split('.').includes(String(server.pid)));
    if (!file) continue;
    // From the phase's first load on: the server's start-up is left out.
    const skipMs = Math.max(0, (firstLoadAt.get(key) ?? server.startedAt) - server.startedAt);
    profiles[key] = [
      `${path.join(profileDir, file)} (from ${(skipMs / 1000).toFixed(1)} s: bench/lib/cpu-profile.ts --skip-ms ${skipMs.toFixed(0)})`,
      ...formatSummary(summariseProfile(readProfile(path.join(profileDir, file)), skipMs), 25),
    ];
  }
}

if (args.json) {
  process.stdout.write(
    `${JSON.stringify({ machine, phases, ratios, auditCheck, runs: Object.fromEntries(runs), notes, profiles }, null, 2)}\n`,
  );
} else {
  console.log(`${machine.cpu}, ${machine.cores} cores, node ${machine.node}; ${machine.pinning}`);
  console.log(`load: ${machine.load}`);
  console.log(`vault data folder under ${machine.dataFolder}`);
  console.log(`machine load average (1 min) before/after: ${machine.loadAverage.join(' / ')}`);
  const head = [
    'phase',
    'rps (median)',
    'every round',
    'p50',
    'p99',
    'CPU/req',
    'every round',
    'err/non-2xx',
  ];
  const rows = phases.map((p) => [
    p.name,
    p.rps.toFixed(0),
    `[${p.rounds.join(', ')}]`,
    `${p.p50.toFixed(1)} ms`,
    `${p.p99.toFixed(1)} ms`,
    `${p.cpuUs.toFixed(1)} µs`,
    `[${p.cpuRounds.join(', ')}]`,
    `${p.errors}/${p.non2xx}`,
  ]);
  console.log("CPU/req: the measured server's CPU time (utime + stime, every thread) per 2xx answer");
  for (const l of tableLines(head, rows)) console.log(l);
  const ea = phase('easyauth');
  if (ea && !Number.isNaN(ea.sideCpuUs))
    console.log(`(Easy Auth's upstream, on the other core: ${ea.sideCpuUs.toFixed(1)} µs per request)`);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const show = (label: string, r: ReturnType<typeof ratio>, target?: number) => {
    if (!r) return;
    console.log(
      `${label.padEnd(20)} by rate ${pct(r.rps).padStart(6)}${target === undefined ? '' : ` (target ≥ ${pct(target)})`}` +
        ` per round [${r.perRound.map(pct).join(', ')}]` +
        `  by CPU/req ${pct(r.byCpu)}, per round [${r.byCpuPerRound.map(pct).join(', ')}] (median ${pct(r.byCpuMedianOfRounds)})`,
    );
  };
  show('vault / fixed', ratios.vaultVsFixed, 0.6);
  show('vault / easyauth', ratios.vaultVsEasyauth);
  show('easyauth / fixed', ratios.easyauthVsFixed);
  if (auditCheck)
    console.log(
      `audit: ${auditCheck.audited} secret.get events stored for ${auditCheck.answered} 200s answered (warm-up and probes included)${auditCheck.ok ? '' : ' — FEWER: some answers were not audited'}`,
    );
  for (const [key, lines] of Object.entries(profiles)) {
    console.log(`\nCPU profile of ${key}: ${lines[0]}`);
    for (const l of lines.slice(1)) console.log(l);
  }
}
for (const n of notes) console.error(n);
if (phases.some((p) => p.errors || p.non2xx))
  console.error('warning: some requests failed; rates count successful (2xx) answers only');
if (auditCheck && !auditCheck.ok) process.exitCode = 1;
