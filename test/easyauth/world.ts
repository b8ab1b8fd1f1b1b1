/**
 * @module test/easyauth/world
 * Real parts for the Easy Auth tests: a runtime over a fresh store (SQLite or PostgreSQL), a tenant with the
 * protected app and its callers, tokens minted by the runtime itself (client credentials through the token
 * service, managed-identity tokens through the managed-identity service), a real node:http upstream that
 * records every request it receives (raw headers, body digest) and echoes, a WebSocket echo on the same
 * upstream, and HTTPS clients that trust only the data folder's CA — undici for ordinary calls, raw TLS for
 * requests undici refuses to send (hop-by-hop headers, malformed targets).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import tls from 'node:tls';
import { Agent } from 'undici';
import { ensureLocalCa } from '../../src/crypto/local-ca.ts';
import type { Application, Tenant } from '../../src/directory/types.ts';
import type { EasyAuthConfigInput } from '../../src/easyauth/config.ts';
import { type EasyAuthFront, type StartEasyAuthOptions, startEasyAuth } from '../../src/easyauth/proxy.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import type { StoreDialect } from '../../src/store/open-store.ts';
import { tempDir, testLocation } from '../helpers/stores.ts';

export interface Seen {
  method: string;
  url: string;
  /** Raw header pairs as received. */
  raw: string[];
  bodyBytes: number;
  bodySha256: string;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface World {
  runtime: Runtime;
  dataDir: string;
  ca: string;
  tenant: Tenant;
  /** The app registration behind the front (identifierUris api://protected-api, roles Invoke and Read). */
  api: Application;
  /** A confidential client app (client credentials) assigned both roles of `api`. */
  caller: Application;
  /** Object id (oid) of the caller app's service principal. */
  callerOid: string;
  /** Object id of the `caller-func` resource's system-assigned identity. */
  miOid: string;
  /** Client-credentials token for `api` (v1, aud = the bare appId). */
  token(requestedAs?: string, client?: string): Promise<string>;
  /** Managed-identity token of `caller-func` for `api` (or another resource). */
  miToken(resource?: string): Promise<string>;
  upstream: { url: string; seen: Seen[]; streams: StreamRecord[]; close(): Promise<void> };
  /** Starts a front for `protected-func` (or another resource) with this config; closed by cleanup. */
  front(
    config: Partial<EasyAuthConfigInput> & { aad?: Record<string, unknown> },
    resource?: string,
    options?: StartEasyAuthOptions,
  ): Promise<EasyAuthFront>;
  /** The whole config `front(config)` starts with: upstream and clientId filled in. */
  config(config?: Partial<EasyAuthConfigInput> & { aad?: Record<string, unknown> }): EasyAuthConfigInput;
  call(
    front: EasyAuthFront,
    path: string,
    options?: { method?: string; headers?: Record<string, string> | string[]; body?: string | Buffer },
  ): Promise<Reply>;
  /** Writes `request` (CRLFs included) on a TLS connection to the front and returns everything read until close. */
  raw(front: EasyAuthFront, request: string): Promise<string>;
  agent: Agent;
  cleanup(): Promise<void>;
}

/** Values of a header as the upstream received it (case-insensitive name). */
/** A `GET /stream` answer: 64 KiB chunks (up to 256 MiB) written as fast as the connection takes them. */
export interface StreamRecord {
  written: number;
  /** Writes that returned false (the proxy's socket was full) and waited for 'drain'. */
  waits: number;
  finished: boolean;
  /** The response was closed before it finished: the proxy aborted the upstream request. */
  aborted: boolean;
}

export function headerValues(seen: Seen, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < seen.raw.length; i += 2) {
    if (seen.raw[i]!.toLowerCase() === name.toLowerCase()) out.push(seen.raw[i + 1]!);
  }
  return out;
}

/** A WebSocket text frame from server to client (unmasked, short payload). */
function serverFrame(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}

function startUpstream(): Promise<World['upstream']> {
  const seen: Seen[] = [];
  const streams: StreamRecord[] = [];
  const big = Buffer.alloc(5 * 1024 * 1024, 'abcdefghij');
  const piece = Buffer.alloc(64 * 1024, 'stream');
  const server = http.createServer((req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    const echo = req.url?.startsWith('/echo');
    if (echo) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
    }
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
      if (echo) res.write(chunk);
    });
    req.on('end', () => {
      const record: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        raw: req.rawHeaders,
        bodyBytes: bytes,
        bodySha256: hash.digest('hex'),
      };
      seen.push(record);
      if (echo) {
        res.end();
      } else if (req.url === '/stream') {
        const record: StreamRecord = { written: 0, waits: 0, finished: false, aborted: false };
        streams.push(record);
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.on('close', () => {
          if (!record.finished) record.aborted = true;
        });
        const pump = () => {
          while (record.written < 256 * 1024 * 1024 && !res.destroyed) {
            record.written += piece.length;
            if (!res.write(piece)) {
              record.waits++;
              res.once('drain', pump);
              return;
            }
          }
          record.finished = true;
          res.end();
        };
        pump();
      } else if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length });
        res.end(big);
      } else if (req.url === '/hop') {
        res.writeHead(200, [
          'connection',
          'keep-alive, x-upstream-private',
          'x-upstream-private',
          'secret',
          'keep-alive',
          'timeout=5',
          'x-upstream-public',
          'ok',
          'content-type',
          'text/plain',
        ]);
        res.end('hop');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ url: req.url, method: req.method }));
      }
    });
  });
  server.on('upgrade', (req, socket: net.Socket) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      raw: req.rawHeaders,
      bodyBytes: 0,
      bodySha256: '',
    });
    const accept = createHash('sha1')
      .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    // Echoes each short masked text frame back, upper-cased, unmasked; answers a close with a close.
    socket.on('data', (data: Buffer) => {
      const opcode = data[0]! & 0x0f;
      const len = data[1]! & 0x7f;
      const mask = data.subarray(2, 6);
      const payload = Buffer.from(data.subarray(6, 6 + len).map((b, i) => b ^ mask[i % 4]!));
      if (opcode === 0x8) {
        socket.end(Buffer.from([0x88, 0]));
        return;
      }
      socket.write(serverFrame(Buffer.from(payload.toString('utf8').toUpperCase())));
    });
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        seen,
        streams,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

export async function openWorld(kind: StoreDialect): Promise<World> {
  const dataDir = tempDir('lanyard-easyauth-');
  const { location, drop } = testLocation(kind, dataDir);
  const runtime = await openRuntime({ dataDir, store: location, env: {} });
  const d = runtime.directory;
  const tenant = await d.createTenant({ name: 'contoso', domains: ['contoso.onmicrosoft.com'] });
  const api = await d.createApp(tenant.id, {
    name: 'protected-api',
    identifierUris: ['api://protected-api'],
    appRoles: [
      { value: 'Invoke', allowedMemberTypes: ['Application'] },
      { value: 'Read', allowedMemberTypes: ['Application'] },
    ],
  });
  const caller = await d.createApp(tenant.id, { name: 'caller-app' });
  await d.assignRole(tenant.id, { principal: 'app:caller-app', app: 'protected-api', role: 'Invoke' });
  await d.assignRole(tenant.id, { principal: 'app:caller-app', app: 'protected-api', role: 'Read' });
  await d.createResource(tenant.id, { name: 'protected-func', kind: 'app' });
  const callerFunc = await d.createResource(tenant.id, {
    name: 'caller-func',
    kind: 'app',
    systemAssignedIdentity: true,
  });
  await runtime.keys.ensureReady();
  const workload = await runtime.workloads.issue(tenant.id, 'caller-func', { label: 'easyauth tests' });
  const upstream = await startUpstream();
  const ca = (await ensureLocalCa({ dataDir, envelope: runtime.envelope })).caCertPem;
  const agent = new Agent({ connect: { ca }, keepAliveTimeout: 1_000 });
  const fronts: EasyAuthFront[] = [];
  const callerSp = (await d.findClient(tenant.id, caller.appId))!;
  const configOf: World['config'] = (config = {}) => {
    const { aad, ...rest } = config;
    return {
      upstream: upstream.url,
      identityProviders: {
        azureActiveDirectory: {
          registration: { clientId: api.appId },
          ...(aad ?? {}),
        } as never,
      },
      ...rest,
    };
  };
  return {
    runtime,
    dataDir,
    ca,
    tenant,
    api,
    caller,
    callerOid: callerSp.principalId,
    miOid: callerFunc.systemAssignedIdentity!.principalId,
    async token(requestedAs = api.appId, client = caller.appId) {
      const principal = (await d.findClient(tenant.id, client))!;
      const issued = await runtime.tokens.mint({
        tenant,
        client: principal,
        requestedAs,
        acr: '1',
        via: 'test',
      });
      return issued.accessToken;
    },
    async miToken(resource = api.appId) {
      return (await runtime.identity.token(workload, { by: 'system' }, resource, 'test')).accessToken;
    },
    upstream,
    config: configOf,
    async front(config, resource = 'protected-func', options = {}) {
      const front = await startEasyAuth(runtime, resource, configOf(config), options);
      fronts.push(front);
      return front;
    },
    async call(front, path, options = {}) {
      const res = await agent.request({
        origin: front.loopbackUrl,
        path,
        method: (options.method ?? 'GET') as 'GET',
        headers: options.headers ?? {},
        ...(options.body === undefined ? {} : { body: options.body }),
      });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text };
    },
    raw(front, request) {
      return new Promise((resolve, reject) => {
        const socket = tls.connect({
          host: '127.0.0.1',
          port: front.port,
          ca,
          servername: 'protected-func.localhost',
        });
        const chunks: Buffer[] = [];
        socket.on('secureConnect', () => socket.write(request));
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('error', reject);
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
        socket.setTimeout(5_000, () => socket.destroy());
      });
    },
    agent,
    async cleanup() {
      await agent.close();
      await Promise.all(fronts.map((f) => f.close()));
      await upstream.close();
      await runtime.close();
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Decodes X-MS-CLIENT-PRINCIPAL as an app would (standard base64 of UTF-8 JSON). */
export function decodePrincipal(value: string): {
  auth_typ: string;
  claims: { typ: string; val: string }[];
  name_typ: string;
  role_typ: string;
} {
  return JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
}
