/**
 * @module test/compat/compat-server
 * The Lanyard a compatibility test talks to: a real runtime over a fresh SQLite file, the main listener on
 * `https://localhost:<port>` (certificate from the data folder's CA), and a small seeded tenant. The parent
 * test verifies what a client child process obtained the way a resource server would: discovery → `jwks_uri` →
 * signature, over HTTPS that trusts only that CA.
 */
import fs from 'node:fs';
import { createLocalJWKSet, type JWTPayload, type JWTVerifyResult, jwtVerify } from 'jose';
import { Agent, fetch } from 'undici';
import type { RunningServer } from '../../src/host/main-listener.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { type RunningHost, startHost } from '../../src/host/start-host.ts';
import { createLogger } from '../../src/http/logger.ts';
import type { IssuerNames } from '../../src/issuer/claims.ts';
import type { StoreDialect } from '../../src/store/open-store.ts';
import { tempDir, testLocation } from '../helpers/stores.ts';

export const ADMIN_TOKEN = `compat_${'c'.repeat(40)}`;

/** What every compat server holds: one tenant, resource apps of both token versions, one caller app. */
export interface Seed {
  tenantId: string;
  domain: string;
  /** `api://x`: v2 tokens, one application role `Data.Read` granted to `caller`. */
  apiX: { appId: string; servicePrincipalId: string };
  /** `api://legacy`: v1 tokens, no roles. */
  legacy: { appId: string };
  /** `api://locked`: appRoleAssignmentRequired, nobody assigned. */
  locked: { appId: string };
  caller: { appId: string; servicePrincipalId: string; secret: string };
}

export interface CompatServer {
  runtime: Runtime;
  server: RunningServer;
  /** `https://localhost:<port>`: the authority host clients are given. */
  url: string;
  caPath: string;
  dataDir: string;
  seed: Seed;
  logs: string[];
  /** Fetches JSON from the server, trusting its CA only. */
  getJson(url: string): Promise<{ status: number; json: Record<string, unknown> }>;
  /** Verifies a token as a resource server would: discovery (v1 or v2) → jwks_uri → signature, issuer, audience. */
  verify(token: string, expect: { version: 1 | 2; audience: string }): Promise<JWTVerifyResult<JWTPayload>>;
  /** Number of tokens issued so far (audit log), to tell a cached token from a fresh one. */
  issuedCount(): Promise<number>;
  cleanup(): Promise<void>;
}

export interface CompatServerOptions {
  /** `self`: tokens and discovery name the server's own origin as issuer; default Entra's issuer names. */
  issuer?: 'entra' | 'self' | undefined;
  /** The store (default SQLite; `postgres` gets a schema of its own, dropped at cleanup). */
  store?: StoreDialect | undefined;
}

export async function startCompatServer(options: CompatServerOptions = {}): Promise<CompatServer> {
  const dataDir = tempDir('lanyard-compat-');
  // The origin is known only once the port is bound; the issuer names read it when a token is minted.
  let origin = '';
  const self: IssuerNames = { v1: (tid) => `${origin}/${tid}/`, v2: (tid) => `${origin}/${tid}/v2.0` };
  const { location, drop } = testLocation(options.store ?? 'sqlite', dataDir);
  const runtime = await openRuntime({
    dataDir,
    store: location,
    env: { LANYARD_ADMIN_TOKEN: ADMIN_TOKEN },
    ...(options.issuer === 'self' ? { issuers: self } : {}),
  });
  const logs: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => logs.push(line) } });
  let host: RunningHost;
  try {
    host = await startHost({
      runtime,
      host: 'localhost',
      port: 0,
      adminToken: ADMIN_TOKEN,
      logger,
      settings: { identityPort: 0 },
    });
  } catch (err) {
    await runtime.close();
    await drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const server: RunningServer = host.server;
  origin = server.url;
  const agent = new Agent({ connect: { ca: fs.readFileSync(server.caCertPath, 'utf8') } });
  const cleanup = async () => {
    await agent.close();
    await host.close();
    await runtime.close();
    await drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  let seed: Seed;
  try {
    seed = await seedDirectory(runtime);
  } catch (err) {
    await cleanup();
    throw err;
  }

  const getJson = async (url: string) => {
    const res = await fetch(url, { dispatcher: agent });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  return {
    runtime,
    server,
    url: server.url,
    caPath: server.caCertPath,
    dataDir,
    seed,
    logs,
    getJson,
    async verify(token, expect) {
      const path =
        expect.version === 2 ? 'v2.0/.well-known/openid-configuration' : '.well-known/openid-configuration';
      const discovery = await getJson(`${server.url}/${seed.tenantId}/${path}`);
      if (discovery.status !== 200) throw new Error(`discovery answered ${discovery.status}`);
      const jwks = await getJson(String(discovery.json.jwks_uri));
      return jwtVerify(token, createLocalJWKSet(jwks.json as never), {
        issuer: String(discovery.json.issuer),
        audience: expect.audience,
        algorithms: ['RS256'],
      });
    },
    async issuedCount() {
      return (await runtime.audit.list({ action: 'token.issue', limit: 1000 })).length;
    },
    cleanup,
  };
}

async function seedDirectory(runtime: Runtime): Promise<Seed> {
  const d = runtime.directory;
  const tenant = await d.createTenant({ name: 'contoso', domains: ['contoso.onmicrosoft.com'] });
  const apiX = await d.createApp('contoso', {
    name: 'api-x',
    identifierUris: ['api://x'],
    accessTokenAcceptedVersion: 2,
    // The modern API asks for idtyp (an optional claim); api-legacy asks for nothing, so its tokens carry none.
    optionalClaims: { accessToken: [{ name: 'idtyp' }] },
    appRoles: [{ value: 'Data.Read', allowedMemberTypes: ['Application'] }],
  });
  const legacy = await d.createApp('contoso', { name: 'api-legacy', identifierUris: ['api://legacy'] });
  const locked = await d.createApp('contoso', {
    name: 'api-locked',
    identifierUris: ['api://locked'],
    appRoleAssignmentRequired: true,
  });
  const caller = await d.createApp('contoso', { name: 'caller' });
  const secret = await d.addClientSecret('contoso', 'caller');
  await d.assignRole('contoso', { principal: 'app:caller', app: 'api-x', role: 'Data.Read' });
  return {
    tenantId: tenant.id,
    domain: 'contoso.onmicrosoft.com',
    apiX: { appId: apiX.appId, servicePrincipalId: apiX.servicePrincipalId },
    legacy: { appId: legacy.appId },
    locked: { appId: locked.appId },
    caller: { appId: caller.appId, servicePrincipalId: caller.servicePrincipalId, secret: secret.secretText },
  };
}
