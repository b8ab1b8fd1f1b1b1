/**
 * @module bench/gateway/run
 * The gateway benchmark, in one invocation on loopback, plain HTTP, every phase in front of the same upstream
 * (bench/easyauth/server.ts upstream: node:http answering a fixed 38-byte JSON body, off the measured core):
 *   1. proxy         — a plain hand-written node:http + undici Pool reverse proxy (server.ts proxy): the baseline;
 *   2. gateway       — Lanyard's gateway front (server.ts gateway): validate-jwt (RS256, key as n/e, audience
 *                      and issuer) + set-header + rate-limit-by-key (keyed on the token, never reached), counters
 *                      in memory;
 *   3. gateway-redis — the same with LANYARD_GATEWAY_REDIS (default redis://127.0.0.1:6379; skipped with a
 *                      message when nothing answers there);
 *   4. haproxy       — HAProxy (Debian's; skipped with a message when not installed) doing the same in its
 *                      config: `jwt_verify` of the token against the RSA public key (PEM), `alg`/`iss`/`aud`/`exp`
 *                      checked with `jwt_header_query`/`jwt_payload_query`, `http-request set-header`, a
 *                      stick-table rate limit tracking the token; one thread;
 *   gateway-bare     — (only with --only) the same front with no API policy, no authentication: what the front
 *                      and forward-request cost before any policy runs;
 *   5. nginx         — nginx (skipped with a message when not installed) as a plain proxy, 1 worker: the ceiling.
 * One RS256 token, minted once with jose, is sent on every request of every phase (`GET /api/data`,
 * `Authorization: Bearer …`). Before any load each authenticating phase must answer 401 without a token and
 * 200 with it (the others 200).
 *
 * The measured servers run pinned to the first allowed core (`taskset`, every thread); the upstream, Redis'
 * client side and wrk (one thread, keep-alive) run on the others. Phases rotate by one each round; medians are
 * reported, with every round, and each server's CPU time per request (utime + stime from /proc; HAProxy and
 * nginx: every process), the figure that holds on a shared machine. Each phase ≤ 10 s + warm-up.
 *
 *   node_modules/.bin/node bench/gateway/run.ts [--seconds 6] [--rounds 3] [--warmup 2] [--connections 50]
 *     [--only proxy,gateway,gateway-redis,haproxy,nginx,gateway-bare] [--redis redis://127.0.0.1:6379]
 *     [--policies validate-jwt,set-header,rate-limit-by-key]   the gateway phases' API policies (a subset)
 *     [--haproxy PATH] [--nginx PATH] [--cpu-prof-dir DIR] [--json]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { Agent, request } from 'undici';
import { BEARER_TOKENS_LUA, runWrk } from '../lib/load.ts';
import { nginxVersion, startNginx } from '../lib/nginx.ts';
import { childPids, cpuSeconds, onPath, pinLoadToOtherCores } from '../lib/proc.ts';
import {
  connects,
  freePort,
  spawnPinned,
  startNodeServer,
  stopChild,
  untilListening,
} from '../lib/servers.ts';
import { benchWorkspace, watchdog } from '../lib/workspace.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string', default: 'proxy,gateway,gateway-redis,haproxy,nginx' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    policies: { type: 'string', default: 'validate-jwt,set-header,rate-limit-by-key' },
    haproxy: { type: 'string' },
    nginx: { type: 'string' },
    json: { type: 'boolean', default: false },
    'cpu-prof-dir': { type: 'string' },
  },
});
const seconds = Math.min(Math.max(Number(args.seconds), 1), 10);
const rounds = Math.min(Math.max(Math.round(Number(args.rounds)), 1), 15);
const warmup = Math.min(Math.max(Number(args.warmup), 0), 5);
const connections = Math.min(Math.max(Math.round(Number(args.connections)), 1), 200);
const only = new Set(args.only.split(',').map((s) => s.trim()));
const profileDir = args['cpu-prof-dir'] ? path.resolve(args['cpu-prof-dir']) : undefined;
const here = import.meta.dirname;
/** The gateway phases' API policies (a subset, to measure one policy's cost against gateway-bare). */
const policies = args.policies
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const jwt = policies.includes('validate-jwt');
const PATH = '/api/data';
const ISSUER = 'https://issuer.bench.invalid/';
const AUDIENCE = 'api://bench-gateway';

const wrk = onPath('wrk');
if (!wrk) {
  console.error('bench/gateway needs wrk (Debian: apt-get install wrk)');
  process.exit(2);
}

const { measuredCore, otherCores } = pinLoadToOtherCores();
const { dir: workDir, running, cleanup } = benchWorkspace('lanyard-gw-bench-');
const budgetMs = 60_000 + (rounds + 1) * only.size * (seconds + warmup + 4) * 1000;
watchdog('bench/gateway', budgetMs, cleanup);

// ---------------------------------------------------------------------------------------------- processes

interface Server {
  port: number;
  /** CPU seconds of the server so far (every process of it). */
  cpu(): number;
  stop(): Promise<void>;
}

let started = 0;
/** Starts a Node bench server (`script mode …`) and resolves with its `BENCH_READY` line. */
async function startNode(
  script: string,
  mode: string,
  modeArgs: string[],
  o: { cores?: string | undefined; env?: Record<string, string>; profile?: boolean } = {},
): Promise<Server & { info: Record<string, unknown> }> {
  const s = await startNodeServer<Record<string, unknown>>({
    name: mode,
    argv: [script, mode, ...modeArgs],
    logFile: path.join(workDir, `${mode}-${++started}.log`),
    running,
    cores: o.cores,
    env: o.env,
    cpuProfDir: o.profile ? profileDir : undefined,
  });
  return { info: s.info, port: Number(s.info.port), cpu: s.cpu, stop: async () => void (await s.stop()) };
}

/** HAProxy with the gateway phase's policy in its config, one thread, pinned to the measured core. */
async function startHaproxy(binary: string, upstreamPort: number, pubPem: string): Promise<Server> {
  const dir = path.join(workDir, 'haproxy');
  fs.mkdirSync(dir, { recursive: true });
  const pemFile = path.join(dir, 'issuer.pem');
  fs.writeFileSync(pemFile, pubPem);
  const port = await freePort();
  // The same checks as the gateway's validate-jwt: a Bearer token, alg RS256, signature, issuer, audience,
  // expiry; the header; a per-token request rate in a stick table (never reached). Anything else: 401.
  const conf = `global
  nbthread 1
  maxconn 4096
  log stderr format raw local0 err
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 30s
  http-reuse always
frontend fe
  bind 127.0.0.1:${port}
  stick-table type string len 2048 size 100k expire 60s store http_req_rate(60s)
  http-request deny deny_status 401 unless { req.hdr(authorization) -m beg "Bearer " }
  http-request set-var(txn.bearer) http_auth_bearer
  http-request set-var(txn.alg) var(txn.bearer),jwt_header_query('$.alg')
  http-request deny deny_status 401 unless { var(txn.alg) -m str RS256 }
  http-request deny deny_status 401 unless { var(txn.bearer),jwt_verify(txn.alg,"${pemFile}") -m int 1 }
  http-request set-var(txn.iss) var(txn.bearer),jwt_payload_query('$.iss')
  http-request set-var(txn.aud) var(txn.bearer),jwt_payload_query('$.aud')
  http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('$.exp','int')
  http-request set-var(txn.now) date()
  http-request deny deny_status 401 unless { var(txn.iss) -m str ${ISSUER} }
  http-request deny deny_status 401 unless { var(txn.aud) -m str ${AUDIENCE} }
  http-request deny deny_status 401 if { var(txn.exp),sub(txn.now) -m int lt 0 }
  http-request track-sc0 var(txn.bearer)
  http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100000000 }
  http-request set-header X-Bench-Gateway haproxy
  default_backend app
backend app
  server app 127.0.0.1:${upstreamPort}
`;
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(cfg, conf);
  const check = spawnSync(binary, ['-c', '-f', cfg], { encoding: 'utf8' });
  if (check.status !== 0)
    throw new Error(`HAProxy refused the generated config: ${check.stderr}${check.stdout}`);
  const logFile = path.join(dir, 'haproxy.log');
  const logFd = fs.openSync(logFile, 'w');
  const child = spawnPinned(running, measuredCore, [binary, '-db', '-f', cfg], {
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  await untilListening(port, child, 'HAProxy', () => fs.readFileSync(logFile, 'utf8'));
  const pids = () => [child.pid!, ...childPids(child.pid)];
  return {
    port,
    cpu: () => pids().reduce((s, p) => s + cpuSeconds(p), 0),
    stop: () => stopChild(child, () => childPids(child.pid)),
  };
}

// ---------------------------------------------------------------------------------------------- load

interface Run {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
  /** Redis' CPU per request (gateway-redis only, when its process is found). */
  redisUs: number;
  errors: number;
  non2xx: number;
}

interface Target {
  key: string;
  name: string;
  port: number;
  cpu: () => number;
  /** Whether it must refuse a request without a token. */
  authenticates: boolean;
}

const redisPid = (() => {
  const r = spawnSync('pidof', ['redis-server'], { encoding: 'utf8' });
  const pid = Number(r.stdout?.trim().split(/\s+/)[0]);
  return Number.isFinite(pid) && pid > 0 ? pid : undefined;
})();

async function load(t: Target, duration: number, tokenFile: string): Promise<Run> {
  const cpu0 = t.cpu();
  const redis0 = cpuSeconds(redisPid);
  const r = await runWrk({
    binary: wrk!,
    requestLua: BEARER_TOKENS_LUA,
    workDir,
    url: `http://127.0.0.1:${t.port}`,
    connections,
    duration,
    scriptArgs: [tokenFile, '1', PATH],
    running,
    name: t.name,
  });
  return {
    rps: r.rps,
    p50: r.p50,
    p99: r.p99,
    cpuUs: ((t.cpu() - cpu0) * 1e6) / r.ok,
    redisUs: t.key === 'gateway-redis' ? ((cpuSeconds(redisPid) - redis0) * 1e6) / r.ok : Number.NaN,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// ---------------------------------------------------------------------------------------------- main

const servers: Server[] = [];
const notes: string[] = [];
const runs = new Map<string, Run[]>();
const loadBefore = os.loadavg();
const note = (s: string) => {
  notes.push(s);
  console.error(s);
};
try {
  // The issuer's key and one token, shared by every phase.
  const kid = 'bench-key-1';
  const { privateKey, publicKey } = await generateKeyPair('RS256', {
    modulusLength: 2048,
    extractable: true,
  });
  const jwk = await exportJWK(publicKey);
  const token = await new SignJWT({ scp: 'Data.Read', tid: 'bench' })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('bench-caller')
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime('3h')
    .sign(privateKey);
  const tokenFile = path.join(workDir, 'token.txt');
  fs.writeFileSync(tokenFile, `${token}\n`);
  const fixtureFile = path.join(workDir, 'fixture.json');
  fs.writeFileSync(
    fixtureFile,
    JSON.stringify({ n: jwk.n, e: jwk.e, kid, issuer: ISSUER, audience: AUDIENCE }),
  );

  const upstream = await startNode(path.join(here, '../easyauth/server.ts'), 'upstream', [], {
    cores: otherCores,
  });
  servers.push(upstream);
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  const targets: Target[] = [];
  const serverScript = path.join(here, 'server.ts');

  if (only.has('proxy')) {
    const s = await startNode(serverScript, 'proxy', [upstreamUrl], { cores: measuredCore, profile: true });
    servers.push(s);
    targets.push({
      key: 'proxy',
      name: 'plain Node proxy (node:http + undici Pool)',
      port: s.port,
      cpu: s.cpu,
      authenticates: false,
    });
  }
  if (only.has('gateway')) {
    const s = await startNode(serverScript, 'gateway', [upstreamUrl, fixtureFile], {
      cores: measuredCore,
      profile: true,
      env: { LANYARD_GATEWAY_REDIS: '', BENCH_GATEWAY_POLICIES: policies.join(',') },
    });
    servers.push(s);
    targets.push({
      key: 'gateway',
      name: `Lanyard gateway, counters in memory${policies.length < 3 ? ` (${policies.join(' + ')})` : ''}`,
      port: s.port,
      cpu: s.cpu,
      authenticates: jwt,
    });
  }
  if (only.has('gateway-bare')) {
    const s = await startNode(serverScript, 'gateway', [upstreamUrl, fixtureFile], {
      cores: measuredCore,
      profile: true,
      env: { LANYARD_GATEWAY_REDIS: '', BENCH_GATEWAY_BARE: '1' },
    });
    servers.push(s);
    targets.push({
      key: 'gateway-bare',
      name: 'Lanyard gateway, no API policy (forward only)',
      port: s.port,
      cpu: s.cpu,
      authenticates: false,
    });
  }
  if (only.has('gateway-redis')) {
    const u = new URL(args.redis);
    if (!(await connects(Number(u.port || 6379), u.hostname))) {
      note(
        `nothing answers at ${args.redis} (Debian: apt-get install redis-server): the gateway-redis row is skipped`,
      );
    } else {
      const s = await startNode(serverScript, 'gateway', [upstreamUrl, fixtureFile], {
        cores: measuredCore,
        profile: true,
        env: { LANYARD_GATEWAY_REDIS: args.redis, BENCH_GATEWAY_POLICIES: policies.join(',') },
      });
      servers.push(s);
      targets.push({
        key: 'gateway-redis',
        name: `Lanyard gateway, counters in Redis${policies.length < 3 ? ` (${policies.join(' + ')})` : ''}`,
        port: s.port,
        cpu: s.cpu,
        authenticates: jwt,
      });
      if (!redisPid) note('redis-server process not found: its CPU per request is not reported');
    }
  }
  const versions: Record<string, string> = {};
  if (only.has('haproxy')) {
    const binary = args.haproxy ?? onPath('haproxy');
    if (!binary) {
      note(
        'HAProxy not found (Debian: apt-get install haproxy; or --haproxy PATH): the haproxy row is skipped',
      );
    } else {
      versions.haproxy = spawnSync(binary, ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0]!.trim();
      const s = await startHaproxy(binary, upstream.port, await exportSPKI(publicKey));
      servers.push(s);
      targets.push({
        key: 'haproxy',
        name: 'HAProxy: jwt_verify + set-header + stick table',
        port: s.port,
        cpu: s.cpu,
        authenticates: true,
      });
    }
  }
  if (only.has('nginx')) {
    const binary = args.nginx ?? onPath('nginx');
    if (!binary) {
      note(
        'nginx not found (Debian: apt-get install nginx-light; or --nginx PATH): the nginx row is skipped',
      );
    } else {
      versions.nginx = nginxVersion(binary);
      const s = await startNginx({
        binary,
        dir: path.join(workDir, 'nginx'),
        upstreamPort: upstream.port,
        cores: measuredCore,
        running,
      });
      servers.push(s);
      targets.push({
        key: 'nginx',
        name: 'nginx plain proxy, 1 worker',
        port: s.port,
        cpu: s.cpu,
        authenticates: false,
      });
    }
  }

  // Before any load: each answers 200 with the token and, when it authenticates, 401 without it.
  const agent = new Agent();
  for (const t of targets) {
    const call = async (auth?: string) => {
      const r = await request(`http://127.0.0.1:${t.port}${PATH}`, {
        dispatcher: agent,
        headers: auth ? { authorization: auth } : {},
      });
      return { status: r.statusCode, body: await r.body.text() };
    };
    const ok = await call(`Bearer ${token}`);
    if (ok.status !== 200) throw new Error(`${t.name} answered ${ok.status} with the token: ${ok.body}`);
    if (t.authenticates) {
      const none = await call();
      const forged = await call(`Bearer ${token.slice(0, -4)}AAAA`);
      if (none.status !== 401 || forged.status !== 401)
        throw new Error(
          `${t.name} answered ${none.status} without a token and ${forged.status} to a bad signature`,
        );
    }
  }
  await agent.close();
  console.error(
    `${targets.length} phases checked (401 without a token, 401 for a bad signature where they authenticate; 200 with it)`,
  );

  // Warm-up, then rounds; the order rotates by one each round.
  for (const t of targets) if (warmup > 0) await load(t, warmup, tokenFile);
  for (let r = 0; r < rounds; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length]!);
    for (const t of order) {
      const run = await load(t, seconds, tokenFile);
      if (!runs.has(t.key)) runs.set(t.key, []);
      runs.get(t.key)!.push(run);
      console.error(
        `round ${r + 1} ${t.key.padEnd(14)} ${run.rps.toFixed(0).padStart(6)} rps  cpu ${run.cpuUs.toFixed(1)} µs/req` +
          (run.errors || run.non2xx ? `  errors ${run.errors} non-2xx ${run.non2xx}` : ''),
      );
    }
  }

  // Report.
  const loadAfter = os.loadavg();
  const summary = targets.map((t) => {
    const rs = runs.get(t.key)!;
    return {
      key: t.key,
      name: t.name,
      rps: median(rs.map((x) => x.rps)),
      rounds: rs.map((x) => Math.round(x.rps)),
      p50: median(rs.map((x) => x.p50)),
      p99: median(rs.map((x) => x.p99)),
      cpuUs: median(rs.map((x) => x.cpuUs)),
      cpuRounds: rs.map((x) => Math.round(x.cpuUs * 10) / 10),
      redisUs: median(rs.map((x) => x.redisUs)),
      errors: rs.reduce((s, x) => s + x.errors + x.non2xx, 0),
    };
  });
  const by = new Map(summary.map((s) => [s.key, s]));
  /** a ÷ b: by rate (medians), by CPU per request (b's ÷ a's), and the median of the per-round CPU ratios. */
  const ratio = (a: string, b: string) => {
    const x = by.get(a);
    const y = by.get(b);
    if (!x || !y) return undefined;
    const ra = runs.get(a)!;
    const rb = runs.get(b)!;
    return {
      of: `${a} ÷ ${b}`,
      rate: x.rps / y.rps,
      cpu: y.cpuUs / x.cpuUs,
      cpuPaired: median(ra.map((run, i) => rb[i]!.cpuUs / run.cpuUs)),
    };
  };
  const ratios = [
    ratio('gateway', 'proxy'),
    ratio('gateway-redis', 'proxy'),
    ratio('gateway-bare', 'proxy'),
    ratio('gateway', 'gateway-bare'),
    ratio('gateway', 'haproxy'),
    ratio('gateway-redis', 'haproxy'),
    ratio('haproxy', 'proxy'),
    ...['proxy', 'gateway', 'gateway-redis', 'haproxy'].map((k) => ratio(k, 'nginx')),
  ].filter((r) => r !== undefined);
  const machine = {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    node: process.version,
    pinned:
      measuredCore !== undefined
        ? `servers on core ${measuredCore}, upstream + wrk on ${otherCores}`
        : 'not pinned',
    loadavg: `${loadBefore[0]!.toFixed(1)} → ${loadAfter[0]!.toFixed(1)}`,
    ...versions,
    connections,
    seconds,
    rounds,
    tokenBytes: token.length,
  };
  if (args.json) {
    console.log(JSON.stringify({ machine, summary, ratios, notes }, null, 2));
  } else {
    console.log(`\nmachine: ${JSON.stringify(machine)}`);
    console.log(
      '\n| phase | rps (median) | every round | p50 / p99 ms | CPU µs/req (median) | every round |',
    );
    console.log('|---|---:|---|---|---:|---|');
    for (const s of summary) {
      const redis = Number.isNaN(s.redisUs) ? '' : ` (+ Redis ${s.redisUs.toFixed(1)})`;
      console.log(
        `| ${s.name} | ${s.rps.toFixed(0)} | ${s.rounds.join(', ')} | ${s.p50.toFixed(2)} / ${s.p99.toFixed(2)} | ${s.cpuUs.toFixed(1)}${redis} | ${s.cpuRounds.join(', ')} |` +
          (s.errors ? ` errors/non-2xx: ${s.errors}` : ''),
      );
    }
    console.log('\n| ratio | by rate (medians) | by CPU per request | by CPU, paired rounds (median) |');
    console.log('|---|---:|---:|---:|');
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    for (const r of ratios) console.log(`| ${r.of} | ${pct(r.rate)} | ${pct(r.cpu)} | ${pct(r.cpuPaired)} |`);
    console.log('\ntarget: gateway ÷ proxy ≥ 85 % (counters in memory)');
    for (const n of notes) console.log(`note: ${n}`);
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  cleanup();
}
