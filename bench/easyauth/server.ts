/**
 * @module bench/easyauth/server
 * The processes of the Easy Auth benchmark (run.ts starts them, on loopback only):
 *
 *   server.ts upstream                        the app: a plain node:http server answering a small fixed JSON
 *                                             body to every request (run.ts keeps it off the measured core);
 *                                             BENCH_UPSTREAM_BODY replaces the body (bench/vault/gets.ts
 *                                             sends a Key Vault SecretBundle's);
 *   server.ts proxy <upstream> <certDir>      the baseline: a plain hand-written reverse proxy over HTTPS —
 *                                             node:https (the P-256 certificate in certDir, from a local CA, as
 *                                             Easy Auth's) + an undici Pool with `pool.dispatch` and a streaming
 *                                             handler, hop-by-hop headers dropped both ways, X-Forwarded-* added;
 *                                             no authentication: the baseline Easy Auth is measured against;
 *                                             with BENCH_EXTRA_HEADERS (a JSON name/value list) it also adds
 *                                             those headers to every request: the identity headers Easy Auth
 *                                             sends for the repeated token, as a like-for-like baseline;
 *   server.ts easyauth <upstream> <tokens>    Lanyard's Easy Auth front as `lanyard up` starts it (runtime on a
 *                                             fresh SQLite folder, info-level log to stderr) for an app whose
 *                                             callers use client-credentials tokens, plus <tokens> distinct
 *                                             valid tokens minted through the runtime's token service (written
 *                                             one per line to a file) for the fresh-token phase, and the
 *                                             issuer's JWKS (to a file) for a peer validating the same tokens.
 *
 * Each prints `BENCH_READY <json>`, serves until SIGTERM, then removes what it created and exits.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { forwardPlain, openPlainPool } from '../lib/plain-proxy.ts';

/** What the upstream answers: small and fixed, so the proxy hop is what is measured. */
export const UPSTREAM_BODY = '{"ok":true,"service":"bench-upstream"}';

const ready = (info: object) => process.stdout.write(`BENCH_READY ${JSON.stringify(info)}\n`);
const onStop = (stop: () => Promise<void> | void) =>
  process.once('SIGTERM', () => {
    void (async () => {
      await stop();
      process.exit(0);
    })();
  });

const mode = process.argv[2];
/**
 * The servers' keep-alive timeout (ms). 5 s, as Easy Auth's listener, unless BENCH_KEEPALIVE_MS says otherwise:
 * instructions.ts raises it, since under callgrind on a busy host a stall of a few seconds would otherwise close
 * idle connections and put new TLS handshakes into the count.
 */
const keepAliveTimeout = Math.min(
  Math.max(Number(process.env.BENCH_KEEPALIVE_MS ?? 5_000) || 5_000, 1_000),
  600_000,
);

if (mode === 'upstream') {
  const body = Buffer.from(process.env.BENCH_UPSTREAM_BODY ?? UPSTREAM_BODY);
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  server.listen(0, '127.0.0.1', () => ready({ port: (server.address() as AddressInfo).port }));
  onStop(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
} else if (mode === 'proxy') {
  const upstream = new URL(process.argv[3]!);
  const certDir = process.argv[4]!;
  const extra = JSON.parse(process.env.BENCH_EXTRA_HEADERS ?? '[]') as string[];
  // The same pool settings as Easy Auth's (src/easyauth/forward.ts).
  const pool = openPlainPool(upstream.origin);
  const server = https.createServer(
    {
      key: fs.readFileSync(path.join(certDir, 'key.pem')),
      cert: fs.readFileSync(path.join(certDir, 'chain.pem')),
      minVersion: 'TLSv1.2',
      keepAliveTimeout,
    },
    (req, res) => forwardPlain(pool, upstream.origin, req, res, { proto: 'https', extra }),
  );
  server.listen(0, '127.0.0.1', () => ready({ port: (server.address() as AddressInfo).port }));
  onStop(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await pool.destroy();
  });
} else if (mode === 'easyauth') {
  const upstream = process.argv[3]!;
  const count = Number(process.argv[4] ?? '20000');
  const { openRuntime } = await import('../../src/host/runtime.ts');
  const { startEasyAuth } = await import('../../src/easyauth/proxy.ts');
  const { createLogger } = await import('../../src/http/logger.ts');

  const dataDir = fs.mkdtempSync(path.join(process.env.BENCH_DATA_ROOT ?? os.tmpdir(), 'lanyard-ea-bench-'));
  const runtime = await openRuntime({ dataDir, env: {} });
  const d = runtime.directory;
  const tenant = await d.createTenant({ name: 'bench', domains: ['bench.onmicrosoft.com'] });
  const api = await d.createApp(tenant.id, { name: 'bench-api', identifierUris: ['api://bench-api'] });
  const caller = await d.createApp(tenant.id, { name: 'bench-caller' });
  await d.createResource(tenant.id, { name: 'bench-func', kind: 'app' });
  await runtime.keys.ensureReady();
  const client = (await d.findClient(tenant.id, caller.appId))!;

  // Token 0 is the repeated one; 1..count are each sent once per cycle. Minted through the token service (the
  // path client credentials take), 32 at a time: signing runs on the libuv pool, the audit rows group-commit.
  const started = performance.now();
  const tokens: string[] = new Array(count + 1);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next <= count) {
        const i = next++;
        const issued = await runtime.tokens.mint({
          tenant,
          client,
          requestedAs: api.appId,
          acr: '1',
          via: 'bench',
        });
        tokens[i] = issued.accessToken;
      }
    }),
  );
  const mintMs = performance.now() - started;
  const tokensFile = path.join(dataDir, 'tokens.txt');
  fs.writeFileSync(tokensFile, `${tokens.join('\n')}\n`, { mode: 0o600 });
  // The issuer's public keys as its JWKS endpoint serves them, for a peer validating the same tokens.
  const jwksFile = path.join(dataDir, 'jwks.json');
  fs.writeFileSync(jwksFile, JSON.stringify({ keys: await runtime.keys.publishedKeys() }));

  const front = await startEasyAuth(
    runtime,
    'bench-func',
    {
      upstream,
      identityProviders: { azureActiveDirectory: { registration: { clientId: api.appId } } },
    },
    { logger: createLogger({ level: 'info' }), limits: { keepAliveTimeout } },
  );
  ready({
    port: front.port,
    servername: 'bench-func.localhost',
    tokensFile,
    jwksFile,
    minted: tokens.length,
    mintMs,
  });
  onStop(async () => {
    await front.close();
    await runtime.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
} else {
  process.stderr.write(
    'usage: server.ts upstream | proxy <upstream> <certDir> | easyauth <upstream> <tokens>\n',
  );
  process.exit(2);
}
