/**
 * @module bench/issuer/oidc-provider-server
 * The peer: oidc-provider (npm) configured for the same work as Lanyard's token endpoint — the
 * client_credentials grant, client_secret_post, one resource (RFC 8707 resource indicator) whose access tokens
 * are JWTs signed RS256 with a 2048-bit key — served over HTTPS with the same kind of certificate (P-256, from
 * a local CA). Prints `BENCH_READY <json>`, serves until SIGTERM.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Provider } from 'oidc-provider';
import { ensureLocalCa } from '../../src/crypto/local-ca.ts';

const RESOURCE = 'api://bench-api';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oidc-provider-bench-'));
const ca = await ensureLocalCa({ dataDir });
const cert = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = {
  ...privateKey.export({ format: 'jwk' }),
  kid: randomBytes(20).toString('base64url'),
  alg: 'RS256',
  use: 'sig',
};
const secret = randomBytes(30).toString('base64url');

const server = https.createServer({ key: cert.keyPem, cert: cert.chainPem, minVersion: 'TLSv1.2' });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `https://localhost:${(server.address() as AddressInfo).port}`;

const provider = new Provider(origin, {
  clients: [
    {
      client_id: 'bench-client',
      client_secret: secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'Data.Read',
    },
  ],
  jwks: { keys: [jwk as never] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: ['Data.Read'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx: unknown, resource: string) => {
        if (resource !== RESOURCE) throw new Error(`unknown resource ${resource}`);
        return {
          scope: 'Data.Read',
          audience: RESOURCE,
          accessTokenTTL: 3599,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});
server.on('request', provider.callback());

const body = new URLSearchParams({
  grant_type: 'client_credentials',
  client_id: 'bench-client',
  client_secret: secret,
  resource: RESOURCE,
  scope: 'Data.Read',
}).toString();
process.stdout.write(
  `BENCH_READY ${JSON.stringify({ url: `${origin}/token`, body, caPath: ca.caCertPath })}\n`,
);

process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  fs.rmSync(dataDir, { recursive: true, force: true });
});
