/**
 * @module test/identity/helpers
 * What the managed-identity tests share: a runtime on a fresh store of either dialect with a small directory
 * (a resource carrying a system identity and two attached user identities, another resource with its own, a
 * resource app with roles and one that requires assignment), the identity listener on 127.0.0.1 port 0 with
 * its log lines collected, raw HTTP requests whose every header the test chooses, and token verification
 * with the issuer's own published keys.
 */

import fs from 'node:fs';
import http from 'node:http';
import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose';
import type { StoredAuditEvent } from '../../src/audit/audit-log.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { createLogger } from '../../src/http/logger.ts';
import { type IdentityListener, startIdentityListener } from '../../src/identity/listener.ts';
import type { IssuedWorkload } from '../../src/identity/workloads.ts';
import type { StoreDialect } from '../../src/store/open-store.ts';
import { tempDir, testLocation } from '../helpers/stores.ts';

export const TENANT = 'contoso';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: replies are inspected field by field
  json: any;
  ms: number;
}

export interface MiSeed {
  tenantId: string;
  orders: { appId: string; uri: string };
  locked: { appId: string; uri: string };
  worker: { armId: string; system: { clientId: string; principalId: string } };
  other: { armId: string; system: { clientId: string; principalId: string } };
  uaiA: { clientId: string; principalId: string; armId: string };
  uaiB: { clientId: string; principalId: string; armId: string };
  uaiOther: { clientId: string; principalId: string; armId: string };
}

export interface IdentityEnv {
  runtime: Runtime;
  listener: IdentityListener;
  seed: MiSeed;
  /** Every log line: the runtime's audit sink and the listener's request log. */
  logs: string[];
  /** Moves the runtime's clock (workload expiry, token times); 0 = real time. */
  clock: { offsetMs: number };
  issue(resource: string, options?: { ttlMs?: number }): Promise<IssuedWorkload>;
  request(options: RequestOptions): Promise<Reply>;
  verify(token: string): Promise<JWTPayload>;
  events(filter: { plane: string; action: string }): Promise<StoredAuditEvent[]>;
  cleanup(): Promise<void>;
}

export interface RequestOptions {
  method?: string;
  path: string;
  /** Sent exactly as given (names keep their case on the wire); Host only if named here, else the default. */
  headers?: Record<string, string | string[]>;
  body?: string;
}

/** One HTTP request over a fresh connection, headers exactly as given. */
export function rawRequest(port: number, o: RequestOptions): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path, agent: false, headers: o.headers },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json,
            ms: performance.now() - started,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

async function seedDirectory(runtime: Runtime): Promise<MiSeed> {
  const d = runtime.directory;
  const tenant = await d.createTenant({ name: TENANT, domains: ['contoso.onmicrosoft.com'] });
  const orders = await d.createApp(TENANT, {
    name: 'orders',
    identifierUris: ['api://orders'],
    // Asks for idtyp, so the managed-identity tokens for it carry idtyp: "app" (an optional claim in Entra).
    optionalClaims: { accessToken: [{ name: 'idtyp' }] },
    appRoles: [
      { value: 'Orders.Read', allowedMemberTypes: ['Application'] },
      { value: 'Orders.Write', allowedMemberTypes: ['Application'] },
    ],
  });
  const locked = await d.createApp(TENANT, {
    name: 'locked',
    identifierUris: ['api://locked'],
    appRoleAssignmentRequired: true,
  });
  const a = await d.createIdentity(TENANT, { name: 'uai-a' });
  const b = await d.createIdentity(TENANT, { name: 'uai-b' });
  const o = await d.createIdentity(TENANT, { name: 'uai-other' });
  const worker = await d.createResource(TENANT, {
    name: 'worker',
    kind: 'app',
    systemAssignedIdentity: true,
    userAssignedIdentities: ['uai-a', 'uai-b'],
  });
  const other = await d.createResource(TENANT, {
    name: 'other',
    kind: 'app',
    systemAssignedIdentity: true,
    userAssignedIdentities: ['uai-other'],
  });
  await d.createResource(TENANT, { name: 'bare', kind: 'app', userAssignedIdentities: ['uai-b'] });
  await d.assignRole(TENANT, { principal: 'resource:worker', app: 'orders', role: 'Orders.Read' });
  const sys = (r: typeof worker) => ({
    clientId: r.systemAssignedIdentity!.clientId,
    principalId: r.systemAssignedIdentity!.principalId,
  });
  const uai = (i: typeof a) => ({ clientId: i.clientId, principalId: i.principalId, armId: i.resourceId });
  return {
    tenantId: tenant.id,
    orders: { appId: orders.appId, uri: 'api://orders' },
    locked: { appId: locked.appId, uri: 'api://locked' },
    worker: { armId: worker.resourceId, system: sys(worker) },
    other: { armId: other.resourceId, system: sys(other) },
    uaiA: uai(a),
    uaiB: uai(b),
    uaiOther: uai(o),
  };
}

export async function openIdentityEnv(
  kind: StoreDialect,
  options: { rateLimit?: number } = {},
): Promise<IdentityEnv> {
  const dataDir = tempDir('lanyard-mi-');
  const { location, drop } = testLocation(kind, dataDir);
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => logs.push(line) } });
  const clock = { offsetMs: 0 };
  const runtime = await openRuntime({
    dataDir,
    store: location,
    env: {},
    now: () => new Date(Date.now() + clock.offsetMs),
    auditSink: logger,
  });
  let listener: IdentityListener | undefined;
  const cleanup = async () => {
    await listener?.close();
    await runtime.close();
    await drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await runtime.keys.ensureReady();
    const seed = await seedDirectory(runtime);
    listener = await startIdentityListener({
      service: runtime.identity,
      audit: runtime.audit,
      logger,
      port: 0,
      rateLimit: options.rateLimit,
    });
    const port = listener.port;
    return {
      runtime,
      listener,
      seed,
      logs,
      clock,
      issue: (resource, o = {}) => runtime.workloads.issue(TENANT, resource, o),
      request: (o) => rawRequest(port, o),
      async verify(token) {
        const jwks = createLocalJWKSet({ keys: await runtime.keys.publishedKeys() } as never);
        const { payload } = await jwtVerify(token, jwks, { algorithms: ['RS256'] });
        return payload;
      },
      events: (filter) => runtime.audit.list({ ...filter, limit: 1000 }),
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
