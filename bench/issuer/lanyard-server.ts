/**
 * @module bench/issuer/lanyard-server
 * Lanyard as `lanyard up` serves it (runtime + startHost: the main HTTPS listener and every plane's, request and audit log lines at info level
 * to stderr), over a fresh SQLite data folder with one tenant, one resource app with a role, and one client app
 * holding a secret and that role. Prints `BENCH_READY <json>` (url, the token request to send), serves until SIGTERM, then
 * removes the folder.
 */
import { openBenchLanyard } from '../lib/lanyard-up.ts';

// BENCH_DATA_ROOT puts the data folder elsewhere (e.g. /dev/shm to take the disk's fsync out of the figure).
const lanyard = await openBenchLanyard('lanyard-bench-');
const d = lanyard.runtime.directory;
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

const host = await lanyard.serve();
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
    await lanyard.close();
  })();
});
