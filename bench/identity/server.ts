/**
 * @module bench/identity/server
 * The measured processes of the managed-identity benchmark (run.ts starts each pinned to core 0):
 *
 *   server.ts ceiling <bytes>   a plain node:http server answering a fixed JSON body of <bytes> bytes with the
 *                               same headers as the endpoint — what one core can serve with no logic at all;
 *   server.ts identity [--no-log] [--apps A] [--identities I]
 *                               the managed-identity listener as `lanyard up` runs it (runtime on a fresh
 *                               SQLite folder, request log at info level to stderr unless --no-log), rate limit
 *                               off, with one resource carrying a system-assigned identity and I−1 attached
 *                               user-assigned ones, and A resource apps: A×I distinct (identity, resource) pairs
 *                               for the uncached phase (default 200 × 40).
 *
 * Each prints `BENCH_READY <json>`, serves until SIGTERM, then prints `BENCH_STATS <json>` (identity: tokens
 * signed) and removes its data folder.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { AuditTables } from '../../src/audit/tables.ts';

const mode = process.argv[2];

if (mode === 'ceiling') {
  const bytes = Number(process.argv[3] ?? '1600');
  const prefix = '{"access_token":"';
  const suffix = '","token_type":"Bearer"}';
  const body = Buffer.from(
    `${prefix}${'x'.repeat(Math.max(0, bytes - prefix.length - suffix.length))}${suffix}`,
  );
  const server = http.createServer(
    { maxHeaderSize: 16 * 1024, headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 },
    (_req, res) => {
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': body.length,
        'Cache-Control': 'no-store',
      });
      res.end(body);
    },
  );
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`BENCH_READY ${JSON.stringify({ port, bytes: body.length })}\n`);
  });
  process.once('SIGTERM', () => {
    process.stdout.write(`BENCH_STATS ${JSON.stringify({})}\n`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
} else if (mode === 'identity') {
  const { values: o } = parseArgs({
    args: process.argv.slice(3),
    options: {
      'no-log': { type: 'boolean', default: false },
      apps: { type: 'string', default: '200' },
      identities: { type: 'string', default: '40' },
    },
  });
  const { startHost } = await import('../../src/host/start-host.ts');
  const { identityPlane } = await import('../../src/identity/plane.ts');
  const { createLogger } = await import('../../src/http/logger.ts');
  const { openRuntime } = await import('../../src/host/runtime.ts');
  const { tablesOf } = await import('../../src/store/handle.ts');

  const dataDir = fs.mkdtempSync(path.join(process.env.BENCH_DATA_ROOT ?? os.tmpdir(), 'lanyard-mi-bench-'));
  const runtime = await openRuntime({ dataDir, env: {} });
  await runtime.keys.ensureReady();
  const d = runtime.directory;
  await d.createTenant({ name: 'bench', domains: ['bench.onmicrosoft.com'] });
  const apps = Number(o.apps);
  const users = Number(o.identities) - 1;
  const uris: string[] = [];
  const identityNames: string[] = [];
  await d.transaction(async (t) => {
    for (let i = 0; i < apps; i++) {
      await t.createApp('bench', { name: `api-${i}`, identifierUris: [`api://bench-${i}`] });
      uris.push(`api://bench-${i}`);
    }
    for (let i = 0; i < users; i++) {
      await t.createIdentity('bench', { name: `uai-${i}` });
      identityNames.push(`uai-${i}`);
    }
    await t.createResource('bench', {
      name: 'worker',
      kind: 'app',
      systemAssignedIdentity: true,
      userAssignedIdentities: identityNames,
    });
  });
  const resource = await d.getResource('bench', 'worker');
  const selectors = ['', ...resource.userAssignedIdentities.map((i) => `&client_id=${i.clientId}`)];
  // Every (identity, resource) pair once, resources varying fastest.
  const pairs: string[] = [];
  for (const sel of selectors)
    for (const uri of uris) pairs.push(`/msi/token?resource=${uri}&api-version=2019-08-01${sel}`);
  const workload = await runtime.workloads.issue('bench', 'worker', { label: 'bench' });

  // --no-log: no request lines (the logger is silent), as the bench's no-log phase measures.
  const logger = createLogger({ level: o['no-log'] ? 'silent' : 'info' });
  // The identity plane alone, started through the plane contract as startHost starts it: the process holds
  // what it measures and nothing else, as the ceiling's does (BENCH_HOST=1 runs the whole host instead).
  let listener: { port: number; close(): Promise<void> };
  if (process.env.BENCH_HOST) {
    const host = await startHost({
      runtime,
      logger,
      adminToken: `bench_${'b'.repeat(40)}`,
      host: '127.0.0.1',
      port: 0,
      settings: { identityPort: 0, identityRateLimit: 0 },
      serverInfo: false,
    });
    listener = { port: Number(new URL(host.identityEndpoint!).port), close: () => host.close() };
  } else {
    const started = (await identityPlane.start!(runtime, {
      logger,
      settings: { identityPort: 0, identityRateLimit: 0 },
    }))!;
    listener = { port: Number(new URL(started.info!.identityEndpoint!).port), close: () => started.close() };
  }
  process.stdout.write(
    `BENCH_READY ${JSON.stringify({
      port: listener.port,
      secret: workload.secret,
      cached: `/msi/token?resource=api://bench-0&api-version=2019-08-01`,
      pairs,
    })}\n`,
  );
  process.once('SIGTERM', () => {
    void (async () => {
      await listener.close();
      const row = await tablesOf<AuditTables>(runtime.store.db)
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('action', '=', 'token.issue')
        .executeTakeFirstOrThrow();
      process.stdout.write(`BENCH_STATS ${JSON.stringify({ signed: Number(row.n) })}\n`);
      await runtime.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    })();
  });
} else {
  process.stderr.write(
    'usage: server.ts ceiling <bytes> | identity [--no-log] [--apps N] [--identities N]\n',
  );
  process.exit(2);
}
