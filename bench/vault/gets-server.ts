/**
 * @module bench/vault/gets-server
 * The measured processes of the vault read benchmark (gets.ts starts them, on loopback only, over HTTPS):
 *
 *   gets-server.ts fixed <certDir> <answerFile>   the baseline: a plain node:https server (the P-256 certificate
 *                                                 in certDir, from a local CA, as Lanyard's) answering every
 *                                                 request with the status, headers and body in <answerFile>
 *                                                 (JSON: what the vault answered to the same GET, a Key Vault
 *                                                 SecretBundle), with no logic at all;
 *   gets-server.ts vault [--value-bytes N]        Lanyard as `lanyard up` serves it (runtime on a fresh SQLite
 *                                                 folder, startHost: the main HTTPS listener and every plane's,
 *                                                 request and audit log lines at info level to stderr) with one
 *                                                 tenant, a resource of kind vault `kv1` holding one secret of an
 *                                                 N-byte value, and an app with a client secret holding
 *                                                 "Key Vault Secrets User" at scope resource:kv1.
 *
 * Each prints `BENCH_READY <json>`, serves until SIGTERM, then prints `BENCH_STATS <json>` (vault: the stored
 * audit events of successful secret gets, so gets.ts can check every answered get was audited) and exits,
 * removing what it created. BENCH_DATA_ROOT puts the vault's data folder elsewhere (default: the OS temp folder,
 * on disk, so each audit commit's fsync is real).
 */
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';

const ready = (info: object) => process.stdout.write(`BENCH_READY ${JSON.stringify(info)}\n`);
const onStop = (stop: () => Promise<object>) =>
  process.once('SIGTERM', () => {
    void (async () => {
      const stats = await stop();
      process.stdout.write(`BENCH_STATS ${JSON.stringify(stats)}\n`);
      process.exit(0);
    })();
  });

/** What the fixed server answers: a copy of one answer of the vault. */
export interface FixedAnswer {
  readonly status: number;
  /** Name, value, … as the vault sent them (without Date, Connection, Keep-Alive, Content-Length). */
  readonly headers: readonly string[];
  readonly body: string;
}

export const SECRET_NAME = 'db-password';

const mode = process.argv[2];

if (mode === 'fixed') {
  const certDir = process.argv[3]!;
  const answer = JSON.parse(fs.readFileSync(process.argv[4]!, 'utf8')) as FixedAnswer;
  const body = Buffer.from(answer.body);
  const headers = [...answer.headers, 'Content-Length', String(body.length)];
  const server = https.createServer(
    {
      key: fs.readFileSync(path.join(certDir, 'key.pem')),
      cert: fs.readFileSync(path.join(certDir, 'chain.pem')),
      minVersion: 'TLSv1.2',
      keepAliveTimeout: 5_000,
    },
    (_req, res) => {
      res.writeHead(answer.status, headers);
      res.end(body);
    },
  );
  server.listen(0, '127.0.0.1', () => ready({ port: (server.address() as AddressInfo).port }));
  onStop(
    () =>
      new Promise<object>((resolve) => {
        server.close(() => resolve({}));
        server.closeAllConnections();
      }),
  );
} else if (mode === 'vault') {
  const { values: o } = parseArgs({
    args: process.argv.slice(3),
    options: { 'value-bytes': { type: 'string', default: '100' } },
  });
  const valueBytes = Math.min(Math.max(Math.round(Number(o['value-bytes'])), 1), 25_000);
  const { openBenchLanyard } = await import('../lib/lanyard-up.ts');
  const { assignRole } = await import('../../src/management/service.ts');
  const { resolveVault, setSecret } = await import('../../src/vault/store.ts');
  const { tablesOf } = await import('../../src/store/handle.ts');

  const lanyard = await openBenchLanyard('lanyard-vault-gets-bench-');
  const d = lanyard.runtime.directory;
  const tenant = await d.createTenant({ name: 'bench', domains: ['bench.onmicrosoft.com'] });
  await d.createResource('bench', { name: 'kv1', kind: 'vault' });
  const app = await d.createApp('bench', { name: 'reader' });
  const credential = await d.addClientSecret('bench', 'reader', {});
  await assignRole(d, 'bench', {
    principal: 'app:reader',
    role: 'Key Vault Secrets User',
    scope: 'resource:kv1',
  });
  const vault = await resolveVault(d, 'bench', 'kv1');
  // A connection-string-like value of the asked size.
  const value =
    `Server=db.bench.local;User Id=app;Password=${'p'.repeat(Math.max(0, valueBytes - 44))}`.slice(
      0,
      valueBytes,
    );
  await setSecret(d, vault, SECRET_NAME, { value, contentType: 'text/plain' });

  const host = await lanyard.serve();
  ready({
    port: host.server.port,
    tenantId: tenant.id,
    clientId: app.appId,
    clientSecret: credential.secretText,
    secretName: SECRET_NAME,
    value,
  });
  onStop(async () => {
    await host.close();
    const rows = await tablesOf<{
      audit_events: { plane: string; action: string; outcome: string };
    }>(lanyard.runtime.store.db)
      .selectFrom('audit_events')
      .select(['outcome', (eb) => eb.fn.countAll<number>().as('n')])
      .where('plane', '=', 'vault')
      .where('action', '=', 'secret.get')
      .groupBy('outcome')
      .execute();
    await lanyard.close();
    return Object.fromEntries(rows.map((r) => [r.outcome, Number(r.n)]));
  });
} else {
  process.stderr.write('usage: gets-server.ts fixed <certDir> <answerFile> | vault [--value-bytes N]\n');
  process.exit(2);
}
