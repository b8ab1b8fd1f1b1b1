/**
 * @module bench/validator/run
 * What Easy Auth's authentication costs per request, in one process, no HTTP: for N distinct tokens minted by
 * Lanyard, (1) `crypto.verify` of each signature with the same key — the baseline, what verifying costs at
 * the least; (2) `TokenValidator.validate` of each token once (a fresh token: parse, strict JSON, checks,
 * signature) plus the identity headers Easy Auth sends for it; (3) the same for one token verified before
 * (a cache hit, 50 passes over the tokens' copies). Prints µs of this thread's CPU time per call (so another
 * process taking the core does not count), the median of the rounds, and the ratios to the baseline. Phases
 * rotate by one each round. No network, no other process: steadier across runs than the HTTP benches.
 *
 *   node_modules/.bin/node bench/validator/run.ts [--tokens 5000] [--rounds 7]
 */
import { createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseEasyAuthConfig } from '../../src/easyauth/config.ts';
import { buildEasyAuthPolicy } from '../../src/easyauth/policy.ts';
import { pushIdentityHeaders } from '../../src/easyauth/principal.ts';
import { openRuntime } from '../../src/host/runtime.ts';
import { TokenValidator } from '../../src/validator/validator.ts';

const { values: args } = parseArgs({
  options: {
    tokens: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '7' },
    only: { type: 'string', default: 'baseline,fresh,repeated' },
  },
});
const count = Math.min(Math.max(Number(args.tokens), 100), 50_000);
const rounds = Math.min(Math.max(Number(args.rounds), 1), 31);

const dataDir = fs.mkdtempSync(
  path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'lanyard-vbench-'),
);
const runtime = await openRuntime({ dataDir, env: {} });
try {
  const d = runtime.directory;
  const tenant = await d.createTenant({ name: 'bench', domains: ['bench.onmicrosoft.com'] });
  const api = await d.createApp(tenant.id, { name: 'bench-api', identifierUris: ['api://bench-api'] });
  const caller = await d.createApp(tenant.id, { name: 'bench-caller' });
  await runtime.keys.ensureReady();
  const client = (await d.findClient(tenant.id, caller.appId))!;
  const tokens: string[] = [];
  while (tokens.length < count) {
    const batch = Array.from({ length: Math.min(64, count - tokens.length) }, () =>
      runtime.tokens.mint({ tenant, client, requestedAs: api.appId, acr: '1', via: 'bench' }),
    );
    for (const t of await Promise.all(batch)) tokens.push(t.accessToken);
  }
  const { policy } = await buildEasyAuthPolicy(
    runtime,
    tenant.id,
    parseEasyAuthConfig({
      upstream: 'http://127.0.0.1:1',
      identityProviders: { azureActiveDirectory: { registration: { clientId: api.appId } } },
    }),
  );
  const signing = await runtime.keys.signingKey();
  const publicKey = createPublicKey(signing.privateKey);
  const split = tokens.map((t) => {
    const dot = t.lastIndexOf('.');
    return { input: Buffer.from(t.slice(0, dot)), signature: Buffer.from(t.slice(dot + 1), 'base64url') };
  });

  /**
   * This thread's CPU time since `t0`, µs: another process taking the core does not count, as it would in wall
   * time. Linux keeps it to scheduler-tick precision (getrusage), so every phase runs ≥ ~100 ms.
   */
  const elapsedUs = (t0: NodeJS.CpuUsage) => {
    const d = process.threadCpuUsage(t0);
    return d.user + d.system;
  };
  /** Passes over the same copies in the cache-hit phase: 5,000 hits take ~1.5 ms, below that precision. */
  const HIT_PASSES = 50;
  const only = new Set(args.only.split(','));
  const all: Record<string, () => Promise<number>> = {
    'crypto.verify only (baseline)': async () => {
      const t0 = process.threadCpuUsage();
      for (const s of split) if (!verify('sha256', s.input, publicKey, s.signature)) throw new Error('bad');
      return elapsedUs(t0) / count;
    },
    'fresh token: validateNow + identity headers': async () => {
      // A new validator per round: every token is new to it (and seen once, so none is cached).
      const validator = new TokenValidator();
      const headers: string[] = [];
      const t0 = process.threadCpuUsage();
      for (const token of tokens) {
        const r = validator.validateNow(token, policy) ?? (await validator.validate(token, policy));
        if (!r.ok) throw new Error(r.message);
        headers.length = 0;
        pushIdentityHeaders(headers, r.claims, token, r.cached);
      }
      return elapsedUs(t0) / count;
    },
    'repeated token: validateNow (cache hit) + identity headers': async () => {
      const validator = new TokenValidator();
      const token = tokens[0]!;
      await validator.validate(token, policy);
      await validator.validate(token, policy); // admitted on second sight
      // A new string per token, as the HTTP parser makes one per request, so nothing cached on the string object
      // carries over between calls of one pass; later passes reuse them (the cache's key is a new slice per
      // call, and a hit compares the whole text).
      const copies = Array.from({ length: count }, () => Buffer.from(token, 'latin1').toString('latin1'));
      const headers: string[] = [];
      const t0 = process.threadCpuUsage();
      for (let pass = 0; pass < HIT_PASSES; pass++) {
        for (let i = 0; i < count; i++) {
          // validateNow is undefined only when the key source must refresh (rare): then the async path.
          const r =
            validator.validateNow(copies[i]!, policy) ?? (await validator.validate(copies[i]!, policy));
          if (!r.ok || !r.cached) throw new Error('not cached');
          headers.length = 0;
          pushIdentityHeaders(headers, r.claims, copies[i]!, r.cached);
        }
      }
      return elapsedUs(t0) / (count * HIT_PASSES);
    },
  };
  const keys = ['baseline', 'fresh', 'repeated'];
  const phases = Object.fromEntries(Object.entries(all).filter((_, i) => only.has(keys[i]!)));
  const results = new Map<string, number[]>();
  const list = Object.entries(phases);
  for (let r = 0; r < rounds; r++) {
    // Rotated by one each round: no phase always runs first (colder caches) or right after the same other one.
    for (let i = 0; i < list.length; i++) {
      const [name, run] = list[(i + r) % list.length]!;
      results.set(name, [...(results.get(name) ?? []), await run()]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const base = median(results.get('crypto.verify only (baseline)') ?? [Number.NaN]);
  console.log(
    `${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ${count} tokens × ${rounds} rounds, µs per call (median, min)`,
  );
  for (const [name, xs] of results) {
    if (process.env.BENCH_VERBOSE) console.log(name, xs.map((x) => x.toFixed(1)).join(' '));
    const m = median(xs);
    console.log(
      `${name.padEnd(52)} ${m.toFixed(2).padStart(8)} µs ${Math.min(...xs)
        .toFixed(2)
        .padStart(8)} µs` + `   ${(m / base).toFixed(2)}× baseline, +${(m - base).toFixed(2)} µs`,
    );
  }
} finally {
  await runtime.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
