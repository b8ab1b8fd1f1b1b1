/**
 * @module test/host/harness
 * Starts Lanyard as `lanyard up` does (startHost), its main listener on 127.0.0.1 port 0 over a fresh store of the given dialect, and calls it with
 * real HTTPS that trusts only the data folder's CA. Log lines (requests and audit events) are collected so
 * tests can check what was (and was not) written. Options give the runtime a clock and key policy of the
 * test's choosing, and `restart()` reopens the same data folder and store, as a process restart would.
 */
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { Agent } from 'undici';
import type { RunningServer } from '../../src/host/main-listener.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { type RunningHost, startHost } from '../../src/host/start-host.ts';
import { createLogger } from '../../src/http/logger.ts';
import type { IssuerNames } from '../../src/issuer/claims.ts';
import type { SigningKeyPolicy } from '../../src/issuer/signing-keys.ts';
import type { StoreDialect } from '../../src/store/open-store.ts';
import { tempDir, testLocation } from '../helpers/stores.ts';

export const ADMIN_TOKEN = `test_${'x'.repeat(40)}`;

/** Polls `f` every 20 ms until it returns true; resolves with the milliseconds it took. */
export async function within(ms: number, f: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await f()) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** startHost as the tests run it: 127.0.0.1, port 0, the test admin token, the identity endpoint on port 0. */
export function startLocalHost(
  runtime: Runtime,
  logger: Parameters<typeof startHost>[0]['logger'],
  extra: Partial<Parameters<typeof startHost>[0]> = {},
): Promise<RunningHost> {
  return startHost({
    runtime,
    host: '127.0.0.1',
    port: 0,
    adminToken: ADMIN_TOKEN,
    logger,
    settings: { identityPort: 0 },
    ...extra,
  });
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test replies are inspected field by field
  json: any;
}

export interface CallOptions {
  /** `null` sends no Authorization header; default is the admin token. */
  token?: string | null;
  body?: unknown;
  rawBody?: string | Buffer | Readable;
  headers?: Record<string, string>;
}

export interface TestServerOptions {
  /** The runtime's clock (directory, issuer, audit); default the real one. */
  now?: (() => Date) | undefined;
  keyPolicy?: Partial<SigningKeyPolicy> | undefined;
  issuers?: IssuerNames | undefined;
  adfsTenant?: string | undefined;
  /** Reuse this data folder; the caller owns it (cleanup leaves it). */
  dataDir?: string | undefined;
  /** Reuse this store location; the caller owns it (cleanup leaves it). */
  location?: string | undefined;
  /** cleanup() closes the server and runtime but keeps the data folder and store. */
  keep?: boolean | undefined;
}

export interface TestServer {
  runtime: Runtime;
  /** Everything startHost started (main listener, managed-identity endpoint, Easy Auth fronts). */
  host: RunningHost;
  server: RunningServer;
  dataDir: string;
  /** The store location the runtime opened. */
  location: string;
  ca: string;
  logs: string[];
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  /**
   * Closes this server and runtime and starts a new one on the same data folder and store (with `options`
   * for the new runtime). The new server owns the data from then on; this one's cleanup() only closes.
   */
  restart(options?: Omit<TestServerOptions, 'dataDir' | 'location' | 'keep'>): Promise<TestServer>;
  /** Closes the server and runtime, then removes the data folder and store it owns (unless `keep`). */
  cleanup(): Promise<void>;
}

interface Owned {
  dataDir: boolean;
  drop: (() => Promise<void>) | undefined;
}

export async function startTestServer(
  kind: StoreDialect,
  options: TestServerOptions = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir('lanyard-server-');
  const made = options.location === undefined ? testLocation(kind, dataDir) : undefined;
  const location = options.location ?? made!.location;
  const owned: Owned = { dataDir: options.dataDir === undefined, drop: made?.drop };
  return start(kind, dataDir, location, owned, options);
}

async function start(
  kind: StoreDialect,
  dataDir: string,
  location: string,
  owned: Owned,
  options: TestServerOptions,
): Promise<TestServer> {
  const removeOwned = async () => {
    await owned.drop?.();
    if (owned.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => logs.push(line) } });
  let runtime: Runtime;
  try {
    runtime = await openRuntime({
      dataDir,
      store: location,
      env: { LANYARD_ADMIN_TOKEN: ADMIN_TOKEN },
      now: options.now,
      keyPolicy: options.keyPolicy,
      issuers: options.issuers,
      auditSink: logger,
    });
  } catch (err) {
    await removeOwned();
    throw err;
  }
  let host: RunningHost;
  try {
    host = await startLocalHost(runtime, logger, { adfsTenant: options.adfsTenant });
  } catch (err) {
    await runtime.close();
    await removeOwned();
    throw err;
  }
  const server = host.server;
  const ca = fs.readFileSync(server.caCertPath, 'utf8');
  const agent = new Agent({ connect: { ca } });
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      await agent.close();
      await host.close();
      await runtime.close();
    })();
    return closed;
  };
  let handedOver = false;
  return {
    runtime,
    host,
    server,
    dataDir,
    location,
    ca,
    logs,
    async call(method, path, callOptions = {}) {
      const headers: Record<string, string> = { ...callOptions.headers };
      const token = callOptions.token === undefined ? ADMIN_TOKEN : callOptions.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | Buffer | Readable | undefined = callOptions.rawBody;
      if (callOptions.body !== undefined) {
        body = JSON.stringify(callOptions.body);
        headers['content-type'] = 'application/json';
      }
      // origin and path apart: a URL string would be normalised (`%2e%2e` resolved) before it is sent.
      const res = await agent.request({
        origin: server.url,
        path,
        method: method as 'GET',
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, headers: res.headers, text, json };
    },
    async restart(next = {}) {
      await close();
      handedOver = true;
      return start(kind, dataDir, location, owned, { ...next, keep: options.keep });
    },
    async cleanup() {
      await close();
      if (!handedOver && !options.keep) await removeOwned();
    },
  };
}
