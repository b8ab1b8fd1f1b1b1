/**
 * @module bench/issuer/lanyard-server
 * Lanyard as `lanyard up` serves it (runtime + startHost: the main HTTPS listener and every plane's, request and audit log lines at info level
 * to stderr), over a fresh SQLite data folder with one tenant, one resource app with a role, and one client app
 * holding a secret and that role. Prints `BENCH_READY <json>` (url, the token request to send), serves until SIGTERM, then
 * removes the folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openRuntime } from '../../src/host/runtime.ts';
import { startHost } from '../../src/host/start-host.ts';
import { createLogger } from '../../src/http/logger.ts';

// BENCH_DATA_ROOT puts the data folder elsewhere (e.g. /dev/shm to take the disk's fsync out of the figure).
const dataDir = fs.mkdtempSync(path.join(process.env.BENCH_DATA_ROOT ?? os.tmpdir(), 'lanyard-bench-'));
const adminToken = `bench_${'b'.repeat(40)}`;
const runtime = await openRuntime({ dataDir, env: { LANYARD_ADMIN_TOKEN: adminToken } });
const d = runtime.directory;
const tenant = await d.createTenant({ name: 'bench', domains: ['bench.onmicrosoft.com'] });
await d.createApp('bench', {
  name: 'api',
  identifierUris: ['api://bench-api'],
  accessTokenAcceptedVersion: 2,
  appRoles: [{ value: 'Data.Read', allowedMemberTypes: ['Application'] }],
});
const client = await d.createApp('bench', { name: 'client' });
const secret = await d.addClientSecret('bench', 'client');
await d.assignRole('bench', { principal: 'app:client', app: 'api', role: 'Data.Read' });

const logger = createLogger({ level: 'info' });
// As `lanyard up` does: every audit event is stored and also logged as one JSON line.
runtime.audit.attach(logger);
const host = await startHost({
  runtime,
  logger,
  adminToken,
  host: '127.0.0.1',
  port: 0,
  settings: { identityPort: 0 },
  serverInfo: false,
});
const server = host.server;
const body = new URLSearchParams({
  grant_type: 'client_credentials',
  client_id: client.appId,
  client_secret: secret.secretText,
  scope: 'api://bench-api/.default',
}).toString();
process.stdout.write(
  `BENCH_READY ${JSON.stringify({ url: `${server.url}/${tenant.id}/oauth2/v2.0/token`, body, caPath: server.caCertPath })}\n`,
);

process.once('SIGTERM', () => {
  void (async () => {
    await host.close();
    await runtime.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  })();
});
