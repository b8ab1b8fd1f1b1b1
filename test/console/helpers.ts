/**
 * @module test/console/helpers
 * What the console tests share: a server whose clock the test moves, the seed-000-like directory they ask
 * about (an automation account whose identity may call somefunction through its Easy Auth front, another that
 * may not, a vault, a VM), sign-in with cookies as a browser keeps them, and a reader of server-sent events.
 */
import assert from 'node:assert/strict';
import { Agent } from 'undici';
import { applyManifest, parseManifest } from '../../src/host/manifest.ts';
import type { StoreDialect } from '../../src/store/open-store.ts';
import { ADMIN_TOKEN, type Reply, startTestServer, type TestServer } from '../host/harness.ts';

export const MANIFEST = `apiVersion: lanyard/v1
tenants:
  - name: contoso
    apps:
      - name: somefunction
        identifierUris: [api://somefunction]
        appRoleAssignmentRequired: true
      - name: reporter
    resources:
      - name: runbook-automation
        kind: automation
        systemAssignedIdentity: true
      - name: other-automation
        kind: automation
        systemAssignedIdentity: true
      - name: somefunction
        kind: app
        easyAuth:
          upstream: http://127.0.0.1:9
          identityProviders:
            azureActiveDirectory:
              registration:
                clientId: somefunction
      - name: kv1
        kind: vault
      - name: build-agent
        kind: vm
      - name: contoso-apim
        kind: gateway
      - name: report-flow
        kind: workflow
        systemAssignedIdentity: true
    roleAssignments:
      - principal: resource:runbook-automation
        app: somefunction
      - principal: resource:report-flow
        app: somefunction
    management:
      roleAssignments:
        - principal: app:reporter
          role: Reader
          scope: subscription
        - principal: resource:runbook-automation
          role: Key Vault Secrets User
          scope: resource:kv1
`;

/** A clock the test moves: every part of the runtime (issuer, sessions, audit) reads it. */
export class Clock {
  #offset = 0;
  now = (): Date => new Date(Date.now() + this.#offset);
  advance(ms: number): void {
    this.#offset += ms;
  }
}

export interface ConsoleServer {
  t: TestServer;
  clock: Clock;
  origin: string;
  tenantId: string;
}

export async function startConsoleServer(kind: StoreDialect): Promise<ConsoleServer> {
  const clock = new Clock();
  const t = await startTestServer(kind, { now: clock.now });
  await applyManifest(t.runtime.directory, parseManifest(MANIFEST, 'console-test.yaml'));
  const tenantId = (await t.runtime.directory.getTenant('contoso')).id;
  return { t, clock, origin: t.server.url, tenantId };
}

/** The session cookie a Set-Cookie header sets (the value only). */
export function cookieOf(reply: Reply): string | undefined {
  const set = reply.headers['set-cookie'];
  const all = Array.isArray(set) ? set : set === undefined ? [] : [set];
  for (const line of all) {
    const m = /^__Host-lanyard-console=([^;]*);/.exec(line);
    if (m && m[1] !== '') return m[1];
  }
  return undefined;
}

export interface Browser {
  cookie: string;
  csrf: string;
  role: string;
  /** A call as the console makes it: the cookie, no Authorization, the CSRF token on writes. */
  call(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<Reply>;
}

export async function signIn(s: ConsoleServer, token = ADMIN_TOKEN): Promise<Browser> {
  const r = await s.t.call('POST', '/console/api/session', {
    token: null,
    body: { token },
    headers: { origin: s.origin },
  });
  assert.equal(r.status, 200, r.text);
  const cookie = cookieOf(r);
  assert.ok(cookie);
  const browser: Browser = {
    cookie,
    csrf: r.json.csrf,
    role: r.json.role,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { cookie: `__Host-lanyard-console=${browser.cookie}` };
      if (method !== 'GET' && method !== 'HEAD') {
        headers['x-csrf-token'] = browser.csrf;
        headers.origin = s.origin;
      }
      const reply = await s.t.call(method, path, {
        token: null,
        ...(options.body === undefined ? {} : { body: options.body }),
        headers: { ...headers, ...options.headers },
      });
      const rotated = cookieOf(reply);
      if (rotated) browser.cookie = rotated;
      return reply;
    },
  };
  return browser;
}

export interface SseFrame {
  event: string;
  id?: string;
  data: string;
}

export interface EventReader {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  frames: SseFrame[];
  /** Waits for a frame that `pred` accepts (already received or to come). */
  next(pred: (f: SseFrame) => boolean, ms?: number): Promise<SseFrame>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): Promise<void>;
}

export async function openEvents(
  s: ConsoleServer,
  cookie: string,
  query = '',
  headers: Record<string, string> = {},
): Promise<EventReader> {
  const agent = new Agent({ connect: { ca: s.t.ca } });
  const res = await agent.request({
    origin: s.origin,
    path: `/console/api/events${query}`,
    method: 'GET',
    headers: { cookie: `__Host-lanyard-console=${cookie}`, accept: 'text/event-stream', ...headers },
  });
  const frames: SseFrame[] = [];
  const waiters: (() => void)[] = [];
  let buffer = '';
  const ended = (async () => {
    try {
      for await (const chunk of res.body) {
        buffer += chunk.toString();
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: SseFrame = { event: 'message', data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) frame.event = 'comment';
            else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
            else if (line.startsWith('retry: ')) frame.event = 'retry';
          }
          frame.data = data.join('\n');
          frames.push(frame);
          for (const w of waiters.splice(0)) w();
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // closed by the test
    }
    for (const w of waiters.splice(0)) w();
  })();
  let done = false;
  void ended.then(() => {
    done = true;
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    frames,
    ended,
    async next(pred, ms = 10_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = frames.find(pred);
        if (found) return found;
        if (done) throw new Error(`the stream ended; frames: ${JSON.stringify(frames)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no such frame within ${ms} ms; frames: ${JSON.stringify(frames)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async close() {
      res.body.destroy();
      await ended;
      await agent.close();
    },
  };
}
