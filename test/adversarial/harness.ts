/**
 * @module test/adversarial/harness
 * What every adversarial test needs on top of the Easy Auth test world (test/easyauth/world.ts: a runtime, a
 * tenant with the protected app and its callers, a real upstream that records every request, a front per
 * config): tokens forged with the runtime's own current signing key and a controlled clock, the assertion
 * "refused with this status and reason, and NOTHING reached the upstream", and a raw TLS client that sends
 * bytes no HTTP client would and tolerates the front closing the connection mid-write.
 */
import assert from 'node:assert/strict';
import tls from 'node:tls';
import type { EasyAuthFront } from '../../src/easyauth/proxy.ts';
import type { StoreDialect } from '../../src/store/open-store.ts';
import { openWorld, type Reply, type World } from '../easyauth/world.ts';
import { claimsOf, signJwt, signRaw } from './forge.ts';

export interface Expected {
  status: number;
  /** The reason code expected at the start of `error_description` (diagnostics full). */
  reason?: string | undefined;
  /** RFC 6750 error code in WWW-Authenticate; null: no WWW-Authenticate at all; undefined: not checked. */
  error?: 'invalid_token' | 'insufficient_scope' | null | undefined;
}

export interface Adversary {
  w: World;
  /** Front for `protected-func`: clientId = the api's appId, excludedPaths /health and /public/*. */
  front: EasyAuthFront;
  /** Claims of a genuine client-credentials token for the api (v1), times reset to now. */
  claims(patch?: Record<string, unknown>): Record<string, unknown>;
  /** A token signed by the runtime's current signing key: `claims(patch)` under `{alg:RS256,typ:JWT,kid}` + header. */
  forge(patch?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  /** Raw header/payload JSON texts signed by the runtime's key (repeated names survive). */
  forgeRaw(headerJson: (kid: string) => string, payloadJson: string): Promise<string>;
  kid(): Promise<string>;
  /** Sends the request and asserts the refusal; the upstream's request count must not change. */
  refused(
    path: string,
    init: { method?: string; headers?: Record<string, string> | string[]; body?: string },
    expected: Expected,
    front?: EasyAuthFront,
  ): Promise<Reply>;
  /** Sends with `Authorization: Bearer <token>` to /api/admin and asserts the refusal. */
  refusedToken(token: string, expected: Expected, front?: EasyAuthFront): Promise<Reply>;
  /** Sends and asserts it was forwarded (200 from the upstream, one more request seen). */
  accepted(
    path: string,
    init?: { method?: string; headers?: Record<string, string> | string[] },
    front?: EasyAuthFront,
  ): Promise<Reply>;
  bearer(token: string): Record<string, string>;
  seenCount(): number;
  cleanup(): Promise<void>;
}

/** Asserts status, WWW-Authenticate and reason of a reply. */
export function assertRefusal(r: Reply, expected: Expected, what = ''): void {
  const www = r.headers['www-authenticate'] as string | undefined;
  assert.equal(r.status, expected.status, `${what} status (${www ?? r.text})`);
  if (expected.error === null) assert.equal(www, undefined, `${what} no WWW-Authenticate`);
  else if (expected.error !== undefined) {
    assert.ok(www?.startsWith('Bearer realm='), `${what} WWW-Authenticate: ${www}`);
    assert.ok(www?.includes(`error="${expected.error}"`), `${what} ${www}`);
  }
  if (expected.reason !== undefined) {
    const described = www ?? r.text;
    assert.ok(
      described.includes(`error_description="${expected.reason}:`) || r.text.includes(expected.reason),
      `${what} reason ${expected.reason} in ${described}`,
    );
  }
}

export async function openAdversary(kind: StoreDialect): Promise<Adversary> {
  const w = await openWorld(kind);
  const front = await w.front({ globalValidation: { excludedPaths: ['/health', '/public/*'] } });
  const template = claimsOf(await w.token());
  const seenCount = () => w.upstream.seen.length;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const claims = (patch: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const c: Record<string, unknown> = { ...template, iat: now - 300, nbf: now - 300, exp: now + 3600 };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete c[k];
      else c[k] = v;
    }
    return c;
  };
  const refused: Adversary['refused'] = async (path, init, expected, f = front) => {
    const before = seenCount();
    const r = await w.call(f, path, init);
    assertRefusal(r, expected, `${init.method ?? 'GET'} ${path}`);
    assert.equal(seenCount(), before, `${path}: nothing may reach the upstream`);
    return r;
  };
  return {
    w,
    front,
    claims,
    async forge(patch = {}, header = {}) {
      const key = await w.runtime.keys.signingKey();
      return signJwt(
        { alg: 'RS256', typ: 'JWT', kid: key.kid, ...header },
        claims(patch),
        key.privateKey,
        'RS256',
      );
    },
    async forgeRaw(headerJson, payloadJson) {
      const key = await w.runtime.keys.signingKey();
      return signRaw(headerJson(key.kid), payloadJson, 'RS256', key.privateKey);
    },
    kid: async () => (await w.runtime.keys.signingKey()).kid,
    refused,
    refusedToken: (token, expected, f) => refused('/api/admin', { headers: bearer(token) }, expected, f),
    async accepted(path, init = {}, f = front) {
      const before = seenCount();
      const r = await w.call(f, path, init);
      assert.equal(r.status, 200, `${path}: ${r.headers['www-authenticate'] ?? r.text}`);
      assert.equal(seenCount(), before + 1);
      return r;
    },
    bearer,
    seenCount,
    cleanup: () => w.cleanup(),
  };
}

/**
 * Writes `request` on a TLS connection to the front and resolves with everything read until the front closes,
 * a whole response has arrived, or `timeoutMs` passed: never rejects, since refusing mid-request (431, 400) may reset the connection while the
 * test is still writing. `end`: half-close after writing (the front then answers what it parsed).
 */
export function rawExchange(
  front: EasyAuthFront,
  ca: string,
  request: string | Buffer,
  options: { timeoutMs?: number; end?: boolean } = {},
): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = tls.connect({
      host: '127.0.0.1',
      port: front.port,
      ca,
      servername: 'protected-func.localhost',
    });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    socket.on('secureConnect', () => {
      socket.write(request, () => {
        if (options.end) socket.end();
      });
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (complete(Buffer.concat(chunks).toString('latin1'))) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.setTimeout(options.timeoutMs ?? 3_000, finish);
  });
}

/** Whether `raw` holds a whole response (the front may keep the connection open after it). */
function complete(raw: string): boolean {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return false;
  const head = raw.slice(0, end);
  if (/^HTTP\/1\.1 101 /.test(head)) return true;
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (length) return raw.length - end - 4 >= Number(length[1]);
  if (/\r\ntransfer-encoding: *chunked/i.test(head)) return raw.endsWith('0\r\n\r\n');
  return false;
}

/** The status codes of every HTTP response in a raw byte stream, in order. */
export function statuses(raw: string): number[] {
  return [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}
