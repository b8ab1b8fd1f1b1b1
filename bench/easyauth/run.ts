/**
 * @module bench/easyauth/run
 * The Easy Auth benchmark, in one invocation on loopback, every phase against the same upstream (a node:http
 * server answering a small fixed body, in its own process; server.ts):
 *   1. direct    — the upstream itself, plain HTTP: what the app serves with no hop in front;
 *   2. proxy     — a plain hand-written undici reverse proxy over HTTPS (server.ts proxy): the baseline;
 *   3. repeated  — Lanyard's Easy Auth front, every request with the same token (verified-token cache hits);
 *   4. fresh     — the same front, a different valid token on every request (N tokens minted through the
 *                  runtime, N above the validator's 10,000-entry cache, so each request is a signature check);
 *   5. nginx     — nginx as a plain HTTPS reverse proxy (1 worker, keepalive to the upstream): the ceiling.
 *                  Skipped, with a message, when no nginx binary is found;
 *   6. openidc, openidc-fresh — Apache httpd with mod_auth_openidc as an OAuth 2.0 resource server validating
 *                  the same tokens (repeated, then fresh) against the issuer's JWKS, proxying to the same
 *                  upstream (apache.ts): a peer doing Easy Auth's job in C. Skipped, with a message, when
 *                  Apache or the module is not installed.
 * Every request in every phase is the same `GET /api/data` with an `Authorization: Bearer` header of the same
 * size (the proxies forward it untouched), so the load generator does the same work everywhere.
 *
 * The measured servers (proxy, Easy Auth, nginx) run pinned to the first allowed core (`taskset`, every
 * thread); the upstream and the load generator (wrk or autocannon, keep-alive) run on the other cores. Phases alternate
 * in order over `--rounds` rounds (reversed every other round), so a neighbour's load on a shared machine hits
 * them alike; medians are reported, with each round, and server CPU time per request (from /proc), which does
 * not depend on where the bottleneck was. Bounded: each phase ≤ 10 s, 127.0.0.1 only, a watchdog ends
 * everything if it ever stalls, and the work folder (certificates, nginx config, Lanyard's data) is removed.
 *
 *   node_modules/.bin/node bench/easyauth/run.ts [--seconds 8] [--rounds 3] [--warmup 2] [--connections 50]
 *     [--tokens 20000]        distinct tokens for the fresh phase (more than 10,000)
 *     [--rate N]              offer N requests/s in all instead of saturating: every server then handles the
 *                             same load, and CPU per request compares costs at equal batching
 *     [--only direct,proxy,proxy-identity,repeated,fresh,nginx,openidc,openidc-fresh] [--json]
 *     [--nginx /usr/sbin/nginx] [--apache /usr/sbin/apache2]
 *     [--load-generator auto|wrk|autocannon]
 *                             auto (default): wrk when installed (Debian: apt-get install wrk), else autocannon.
 *                             autocannon is one Node thread: near 11–14k requests/s on this kind of core it is
 *                             the bottleneck, and every fast phase reads the same rate (ratios near 100 %).
 *                             wrk (C) keeps the measured server the bottleneck, so rates compare servers.
 *     [--data-dir-root DIR]   where the work folder goes (default /dev/shm when present: minting N tokens
 *                             writes N audit rows)
 *     [--cpu-prof-dir DIR]    write a V8 CPU profile of the proxy and Easy Auth processes there
 */
import fs from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import { Agent, request } from 'undici';
import { BEARER_TOKENS_LUA, pickWrk, runAutocannon, runWrk } from '../lib/load.ts';
import { nginxVersion, startNginx } from '../lib/nginx.ts';
import { allowedCores, cpuSeconds, onPath, pinAllThreads, pinLoadToOtherCores } from '../lib/proc.ts';
import { medianOf, medianRound, tableLines } from '../lib/report.ts';
import { freePort, readLog, startNodeServer, stopChild, untilListening } from '../lib/servers.ts';
import { benchWorkspace, watchdog } from '../lib/workspace.ts';
import { findApache, startApache } from './apache.ts';
import { identityHeadersFor, writeProxyCertificate } from './fixtures.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string', default: '0' },
    tokens: { type: 'string', default: '20000' },
    only: {
      type: 'string',
      default: 'direct,proxy,proxy-identity,repeated,fresh,nginx,openidc,openidc-fresh',
    },
    nginx: { type: 'string' },
    apache: { type: 'string' },
    'load-generator': { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
    'data-dir-root': { type: 'string' },
    'cpu-prof-dir': { type: 'string' },
  },
});
const seconds = Math.min(Math.max(Number(args.seconds), 1), 10);
const rounds = Math.min(Math.max(Math.round(Number(args.rounds)), 1), 15);
const warmup = Math.min(Math.max(Number(args.warmup), 0), 5);
const connections = Math.min(Math.max(Math.round(Number(args.connections)), 1), 200);
/** Requests per second offered in total (0: as fast as the servers answer). */
const rate = Math.min(Math.max(Math.round(Number(args.rate)), 0), 100_000);
const tokenCount = Math.min(Math.max(Math.round(Number(args.tokens)), 10_001), 100_000);
const only = new Set(args.only.split(',').map((s) => s.trim()));
const profileDir = args['cpu-prof-dir'] ? path.resolve(args['cpu-prof-dir']) : undefined;
const here = import.meta.dirname;
const PATH = '/api/data';
// wrk cannot offer a fixed rate: --rate always uses autocannon.
const wrk = pickWrk(args['load-generator'], rate === 0);

// ---------------------------------------------------------------------------------------------- cores, pinning

const cores = allowedCores();
const { measuredCore, otherCores } = pinLoadToOtherCores();
const pin = measuredCore !== undefined;

// ---------------------------------------------------------------------------------------------- processes

const { dir: workDir, running, cleanup } = benchWorkspace('lanyard-ea-bench-', args['data-dir-root']);
const phaseCount = only.size;
const budgetMs = 90_000 + (rounds * phaseCount * (seconds + 3) + phaseCount * (warmup + 3)) * 1000;
watchdog('bench/easyauth', budgetMs, cleanup);

interface Server<T> {
  info: T;
  /** The server's CPU seconds so far (nginx: master and workers). */
  cpu(): number;
  stop(): Promise<unknown>;
}

/** Starts `server.ts <mode>` and resolves with its `BENCH_READY` line. `cores` pins it from the start. */
function startNode<T>(
  mode: string,
  modeArgs: string[],
  options: { cores?: string | undefined; profile?: boolean; env?: Record<string, string> } = {},
): Promise<Server<T> & { pid: number | undefined }> {
  return startNodeServer<T>({
    name: `server.ts ${mode}`,
    argv: [path.join(here, 'server.ts'), mode, ...modeArgs],
    logFile: path.join(workDir, `${mode}.log`),
    running,
    cores: options.cores,
    env: options.env,
    cpuProfDir: options.profile ? profileDir : undefined,
  });
}

/**
 * The issuer's JWKS over HTTPS on loopback, from this process (idle while wrk runs), for mod_auth_openidc: the
 * document `lanyard up` serves at `/{tenant}/discovery/keys`, as the front's runtime wrote it.
 */
async function serveJwks(jwksFile: string, certDir: string): Promise<Server<{ url: string }>> {
  const body = fs.readFileSync(jwksFile);
  const server = https.createServer(
    {
      key: fs.readFileSync(path.join(certDir, 'key.pem')),
      cert: fs.readFileSync(path.join(certDir, 'chain.pem')),
    },
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    info: { url: `https://127.0.0.1:${port}/discovery/keys` },
    cpu: () => 0,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Apache + mod_auth_openidc (apache.ts) in a folder of its own, pinned to the measured core. */
async function startApacheServer(
  binary: string,
  upstreamPort: number,
  certDir: string,
  jwksUrl: string,
  token: string,
): Promise<Server<{ port: number; version: string }>> {
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    iss: string;
    aud: string;
  };
  // Not under the work folder: Apache's children may run as nobody and read the JWKS CA from here; nothing
  // secret is written to it (the TLS key is read by the parent from the work folder).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-ea-apache-'));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  try {
    const apache = startApache({
      binary,
      dir,
      port,
      upstreamPort,
      certDir,
      jwksUrl,
      jwksCaPem: fs.readFileSync(path.join(certDir, 'ca.pem'), 'utf8'),
      issuer: claims.iss,
      audience: claims.aud,
      core: measuredCore,
    });
    running.add(apache.child);
    apache.child.once('exit', () => running.delete(apache.child));
    await untilListening(port, apache.child, 'Apache', () => readLog(path.join(dir, 'error.log')));
    return {
      info: { port, version: apache.version },
      cpu: () => apache.pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0),
      stop: async () => {
        await stopChild(apache.child, () => apache.pids().slice(1));
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function findNginx(): string | undefined {
  if (args.nginx) return fs.existsSync(args.nginx) ? args.nginx : undefined;
  return onPath('nginx', ['/usr/local/nginx/sbin']);
}

/** nginx (bench/lib/nginx.ts) over HTTPS with the proxy certificate, pinned to the measured core. */
async function startNginxServer(
  binary: string,
  upstreamPort: number,
  certDir: string,
): Promise<Server<{ port: number; version: string }>> {
  const version = nginxVersion(binary);
  const nginx = await startNginx({
    binary,
    dir: path.join(workDir, 'nginx'),
    upstreamPort,
    certDir,
    cores: measuredCore,
    running,
  });
  return { info: { port: nginx.port, version }, cpu: nginx.cpu, stop: nginx.stop };
}

// ---------------------------------------------------------------------------------------------- load

interface Run {
  key: string;
  rps: number;
  p50: number;
  p99: number;
  /** CPU of the measured server per successful request (µs): the proxy, or the upstream in `direct`. */
  cpuUs: number;
  /** CPU of the upstream per successful request (µs). */
  upstreamCpuUs: number;
  requests: number;
  errors: number;
  non2xx: number;
}

interface Target {
  key: string;
  name: string;
  url: string;
  servername?: string | undefined;
  /** The token for each request (called once per request; autocannon). */
  token: () => string;
  /** The tokens the requests cycle through, in order (wrk). */
  tokens: readonly string[];
  cpu: () => number;
}

const WRK_THREADS = 1;

async function load(target: Target, duration: number, upstreamCpu: () => number): Promise<Run> {
  const tokensFile = path.join(workDir, `tokens-${target.key}.txt`);
  if (wrk && !fs.existsSync(tokensFile)) fs.writeFileSync(tokensFile, `${target.tokens.join('\n')}\n`);
  const cpuBefore = target.cpu();
  const upBefore = upstreamCpu();
  const r = wrk
    ? await runWrk({
        binary: wrk,
        requestLua: BEARER_TOKENS_LUA,
        workDir,
        url: target.url,
        connections,
        duration,
        threads: WRK_THREADS,
        scriptArgs: [tokensFile, String(WRK_THREADS), PATH],
        running,
        name: target.name,
      })
    : await runAutocannon({
        url: `${target.url}${PATH}`,
        connections,
        duration,
        ...(rate > 0 ? { overallRate: rate } : {}),
        requests: [
          {
            setupRequest: (req: autocannon.Request) => {
              req.headers = { ...req.headers, authorization: `Bearer ${target.token()}` };
              return req;
            },
          },
        ],
        ...(target.servername ? { servername: target.servername } : {}),
      });
  return {
    key: target.key,
    rps: r.rps,
    p50: r.p50,
    p99: r.p99,
    cpuUs: ((target.cpu() - cpuBefore) * 1e6) / r.ok,
    upstreamCpuUs: ((upstreamCpu() - upBefore) * 1e6) / r.ok,
    requests: r.requests,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

/** One request through `target` with `token` (or none): status and body, before any load. */
async function probe(agent: Agent, target: Target, token: string | undefined) {
  const res = await request(`${target.url}${PATH}`, {
    dispatcher: agent,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: res.statusCode, body: await res.body.text() };
}

// ---------------------------------------------------------------------------------------------- main

const servers: Server<unknown>[] = [];
const loadBefore = os.loadavg()[0]!;
const runs = new Map<string, Run[]>();
const notes: string[] = [];
let tokenBytes = 0;
let machineExtra: Record<string, unknown> = {};
try {
  // A certificate of the kind Easy Auth serves (P-256, from a local CA) for the plain proxy and nginx.
  const certDir = await writeProxyCertificate(workDir);

  const upstream = await startNode<{ port: number }>('upstream', [], { cores: otherCores });
  servers.push(upstream);
  const upstreamUrl = `http://127.0.0.1:${upstream.info.port}`;
  const wanted = (key: string) => only.has(key);

  const targets: Target[] = [];
  let repeatedToken = 'x'.repeat(1300);
  let freshTokens: string[] = [];
  let proxy: Awaited<ReturnType<typeof startNode<{ port: number }>>> | undefined;
  let front:
    | Awaited<
        ReturnType<
          typeof startNode<{
            port: number;
            servername: string;
            tokensFile: string;
            jwksFile: string;
            minted: number;
            mintMs: number;
          }>
        >
      >
    | undefined;
  const openidc = wanted('openidc') || wanted('openidc-fresh');
  if (wanted('repeated') || wanted('fresh') || openidc) {
    // Minting uses every core; the front is moved to the measured core once it is ready.
    const fresh = wanted('fresh') || wanted('openidc-fresh');
    front = await startNode('easyauth', [upstreamUrl, String(fresh ? tokenCount : 0)], {
      profile: true,
      env: { BENCH_DATA_ROOT: workDir },
    });
    servers.push(front);
    pinAllThreads(front.pid, measuredCore);
    const all = fs.readFileSync(front.info.tokensFile, 'utf8').trim().split('\n');
    repeatedToken = all[0]!;
    freshTokens = all.slice(1);
    machineExtra = {
      ...machineExtra,
      mintedTokens: front.info.minted,
      mintSeconds: front.info.mintMs / 1000,
    };
  }
  tokenBytes = repeatedToken.length;
  const sameToken = () => repeatedToken;
  if (wanted('direct')) {
    targets.push({
      key: 'direct',
      name: 'direct upstream (node:http)',
      url: upstreamUrl,
      token: sameToken,
      tokens: [repeatedToken],
      cpu: upstream.cpu,
    });
  }
  if (wanted('proxy')) {
    proxy = await startNode('proxy', [upstreamUrl, certDir], { cores: measuredCore, profile: true });
    servers.push(proxy);
    targets.push({
      key: 'proxy',
      name: 'plain undici proxy (HTTPS)',
      url: `https://127.0.0.1:${proxy.info.port}`,
      token: sameToken,
      tokens: [repeatedToken],
      cpu: proxy.cpu,
    });
  }
  if (wanted('proxy-identity')) {
    // The same proxy, adding the identity headers Easy Auth adds for the repeated token (same names, same
    // values): what is left between it and Easy Auth is the authentication itself.
    if (!front)
      throw new Error('--only proxy-identity needs repeated or fresh (the token comes from the front)');
    const identity = identityHeadersFor(repeatedToken);
    const withIdentity = await startNode<{ port: number }>('proxy', [upstreamUrl, certDir], {
      cores: measuredCore,
      profile: true,
      env: { BENCH_EXTRA_HEADERS: JSON.stringify(identity) },
    });
    servers.push(withIdentity);
    targets.push({
      key: 'proxy-identity',
      name: 'plain proxy + the same identity headers',
      url: `https://127.0.0.1:${withIdentity.info.port}`,
      token: sameToken,
      tokens: [repeatedToken],
      cpu: withIdentity.cpu,
    });
  }
  if (front) {
    const frontUrl = `https://127.0.0.1:${front.info.port}`;
    if (wanted('repeated')) {
      targets.push({
        key: 'repeated',
        name: 'Easy Auth, one repeated token',
        url: frontUrl,
        servername: front.info.servername,
        token: sameToken,
        tokens: [repeatedToken],
        cpu: front.cpu,
      });
    }
    if (wanted('fresh')) {
      let i = 0;
      targets.push({
        key: 'fresh',
        name: `Easy Auth, fresh token per request (${freshTokens.length} cycled)`,
        url: frontUrl,
        servername: front.info.servername,
        token: () => freshTokens[i++ % freshTokens.length]!,
        tokens: freshTokens,
        cpu: front.cpu,
      });
    }
  }
  if (wanted('nginx')) {
    const binary = findNginx();
    if (!binary) {
      notes.push(
        'nginx not found (Debian: apt-get install nginx-light; or pass --nginx PATH): the nginx row is skipped',
      );
      console.error(notes.at(-1));
    } else {
      const nginx = await startNginxServer(binary, upstream.info.port, certDir);
      servers.push(nginx);
      machineExtra = { ...machineExtra, nginx: nginx.info.version };
      targets.push({
        key: 'nginx',
        name: `${nginx.info.version} proxy, 1 worker (HTTPS)`,
        url: `https://127.0.0.1:${nginx.info.port}`,
        token: sameToken,
        tokens: [repeatedToken],
        cpu: nginx.cpu,
      });
    }
  }

  if (openidc && front) {
    const found = findApache(args.apache);
    if ('missing' in found) {
      notes.push(`${found.missing}: the mod_auth_openidc rows are skipped`);
      console.error(notes.at(-1));
    } else {
      const jwks = await serveJwks(front.info.jwksFile, certDir);
      servers.push(jwks);
      const apache = await startApacheServer(
        found.binary,
        upstream.info.port,
        certDir,
        jwks.info.url,
        repeatedToken,
      );
      servers.push(apache);
      machineExtra = { ...machineExtra, apache: apache.info.version };
      const url = `https://127.0.0.1:${apache.info.port}`;
      const label = `${apache.info.version} + mod_auth_openidc`;
      if (wanted('openidc'))
        targets.push({
          key: 'openidc',
          name: `${label}, one repeated token`,
          url,
          token: sameToken,
          tokens: [repeatedToken],
          cpu: apache.cpu,
        });
      if (wanted('openidc-fresh')) {
        let i = 0;
        targets.push({
          key: 'openidc-fresh',
          name: `${label}, fresh token per request`,
          url,
          token: () => freshTokens[i++ % freshTokens.length]!,
          tokens: freshTokens,
          cpu: apache.cpu,
        });
      }
    }
  }

  // Every target answers the upstream's body with the token; Easy Auth and mod_auth_openidc refuse a request
  // without one, and one whose signature was tampered with.
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  try {
    for (const t of targets) {
      const ok = await probe(agent, t, t.token());
      if (ok.status !== 200 || !ok.body.includes('bench-upstream'))
        throw new Error(`${t.name} answered ${ok.status}: ${ok.body.slice(0, 300)}`);
      if (t.key === 'repeated' || t.key === 'openidc') {
        const none = await probe(agent, t, undefined);
        if (none.status !== 401) throw new Error(`${t.name} answered ${none.status} without a token`);
        const forged = await probe(agent, t, `${t.token().slice(0, -4)}AAAA`);
        if (forged.status !== 401) throw new Error(`${t.name} answered ${forged.status} to a forged token`);
      }
    }
  } finally {
    await agent.close();
  }

  const upstreamCpu = upstream.cpu;
  for (const t of targets) if (warmup > 0) await load(t, warmup, upstreamCpu);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const r = await load(t, seconds, upstreamCpu);
      runs.set(t.key, [...(runs.get(t.key) ?? []), r]);
      if (!args.json)
        console.error(
          `round ${round + 1}/${rounds}: ${t.key} ${r.rps.toFixed(0)} rps, ${r.cpuUs.toFixed(0)} µs CPU/req`,
        );
    }
  }
  machineExtra = { ...machineExtra, targets: targets.map((t) => ({ key: t.key, name: t.name })) };
} finally {
  for (const s of servers.reverse()) await s.stop().catch(() => {});
  cleanup();
}
if (profileDir) notes.push(`CPU profiles of the proxy and Easy Auth processes: ${profileDir}`);

// ---------------------------------------------------------------------------------------------- report

const names = new Map(
  ((machineExtra.targets as { key: string; name: string }[] | undefined) ?? []).map((t) => [t.key, t.name]),
);
const phases = [...runs.entries()].map(([key, list]) => {
  // Latencies from the round whose rate is the median; rate and CPU are medians over the rounds.
  const mid = medianRound(list);
  return {
    key,
    name: names.get(key) ?? key,
    rps: medianOf(list.map((r) => r.rps)),
    p50: mid.p50,
    p99: mid.p99,
    cpuUs: medianOf(list.map((r) => r.cpuUs)),
    upstreamCpuUs: medianOf(list.map((r) => r.upstreamCpuUs)),
    errors: list.reduce((s, r) => s + r.errors, 0),
    non2xx: list.reduce((s, r) => s + r.non2xx, 0),
    rounds: list.map((r) => Math.round(r.rps)),
  };
});
const phase = (key: string) => phases.find((p) => p.key === key);
/** a ÷ b: of the median rates, within each round, and of CPU per request (b's µs over a's). */
function ratio(a: string, b: string) {
  const pa = phase(a);
  const pb = phase(b);
  if (!pa || !pb) return undefined;
  const ra = runs.get(a)!;
  const rb = runs.get(b)!;
  return {
    rps: pa.rps / pb.rps,
    perRound: ra.map((x, i) => x.rps / rb[i]!.rps),
    medianOfRounds: medianOf(ra.map((x, i) => x.rps / rb[i]!.rps)),
    byCpu: pb.cpuUs / pa.cpuUs,
    /** Paired within each round (the two phases ran back to back): the steadiest figure on a noisy host. */
    byCpuMedianOfRounds: medianOf(ra.map((x, i) => rb[i]!.cpuUs / x.cpuUs)),
  };
}
const ratios = {
  repeatedVsProxy: { ...ratio('repeated', 'proxy'), target: 0.9 },
  freshVsProxy: { ...ratio('fresh', 'proxy'), target: 0.55 },
  repeatedVsNginx: ratio('repeated', 'nginx'),
  freshVsNginx: ratio('fresh', 'nginx'),
  repeatedVsOpenidc: ratio('repeated', 'openidc'),
  freshVsOpenidcFresh: ratio('fresh', 'openidc-fresh'),
  openidcVsProxy: ratio('openidc', 'proxy'),
  openidcFreshVsProxy: ratio('openidc-fresh', 'proxy'),
  repeatedVsProxyIdentity: ratio('repeated', 'proxy-identity'),
  proxyVsNginx: ratio('proxy', 'nginx'),
  proxyVsDirect: ratio('proxy', 'direct'),
};
const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: cores.length || os.availableParallelism(),
  node: process.version,
  pinning: pin
    ? `proxy, Easy Auth, nginx and Apache on core ${measuredCore} (taskset, every thread); upstream and ${wrk ? 'wrk' : 'autocannon'} on core(s) ${otherCores}`
    : 'not pinned (no taskset or a single core): figures include the load generator and the upstream',
  load: `${wrk ? `wrk (${WRK_THREADS} thread)` : 'autocannon'}, ${connections} connections${rate > 0 ? `, ${rate} requests/s offered` : ''}, keep-alive, GET ${PATH} with a ${tokenBytes}-byte bearer token; ${warmup} s warm-up per target, then ${rounds} alternating rounds of ${seconds} s`,
  loadAverage: [Number(loadBefore.toFixed(2)), Number(os.loadavg()[0]!.toFixed(2))],
  ...machineExtra,
};

if (args.json) {
  process.stdout.write(
    `${JSON.stringify({ machine, phases, ratios, runs: Object.fromEntries(runs), notes }, null, 2)}\n`,
  );
} else {
  const rows = phases.map((p) => [
    p.name,
    p.rps.toFixed(0),
    `[${p.rounds.join(', ')}]`,
    `${p.p50.toFixed(1)} ms`,
    `${p.p99.toFixed(1)} ms`,
    Number.isNaN(p.cpuUs) ? '-' : `${p.cpuUs.toFixed(0)} µs`,
    Number.isNaN(p.upstreamCpuUs) ? '-' : `${p.upstreamCpuUs.toFixed(0)} µs`,
    `${p.errors}/${p.non2xx}`,
  ]);
  const head = [
    'phase',
    'rps (median)',
    'every round',
    'p50',
    'p99',
    'CPU/req',
    'upstream CPU/req',
    'errors/non-2xx',
  ];
  console.log(`${machine.cpu}, ${machine.cores} cores, node ${machine.node}; ${machine.pinning}`);
  console.log(`load: ${machine.load}`);
  console.log(`machine load average (1 min) before/after: ${machine.loadAverage.join(' / ')}`);
  console.log("CPU/req: the measured server's CPU time per 2xx response (direct: the upstream's)");
  for (const l of tableLines(head, rows)) console.log(l);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  let shown = 0;
  const show = (label: string, r: ReturnType<typeof ratio>, target?: number) => {
    if (!r) return;
    shown++;
    console.log(
      `${label.padEnd(28)} ${pct(r.rps).padStart(6)}${target === undefined ? '' : ` (target ≥ ${pct(target)})`}` +
        `  per round [${r.perRound.map(pct).join(', ')}] (median ${pct(r.medianOfRounds)})` +
        `  by CPU/req ${pct(r.byCpu)} (median of rounds ${pct(r.byCpuMedianOfRounds)})`,
    );
  };
  show('repeated token / plain proxy', ratio('repeated', 'proxy'), 0.9);
  show('fresh token / plain proxy', ratio('fresh', 'proxy'), 0.55);
  show('repeated / proxy + identity hdrs', ratio('repeated', 'proxy-identity'));
  show('repeated token / nginx', ratio('repeated', 'nginx'));
  show('fresh token / nginx', ratio('fresh', 'nginx'));
  show('repeated / mod_auth_openidc', ratio('repeated', 'openidc'));
  show('fresh / mod_auth_openidc fresh', ratio('fresh', 'openidc-fresh'));
  show('mod_auth_openidc / plain proxy', ratio('openidc', 'proxy'));
  show('openidc fresh / plain proxy', ratio('openidc-fresh', 'proxy'));
  show('plain proxy / nginx', ratio('proxy', 'nginx'));
  show('plain proxy / direct', ratio('proxy', 'direct'));
  if (shown > 0)
    console.log(
      '("by CPU/req": the same ratio on an otherwise idle core — robust to other load on the machine)',
    );
}
for (const n of notes) console.error(n);
if (phases.some((p) => p.errors || p.non2xx)) {
  console.error('warning: some requests failed; rates count successful (2xx) responses only');
}
