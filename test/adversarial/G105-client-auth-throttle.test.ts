/**
 * @module test/adversarial/G105-client-auth-throttle
 * Security catalogue G105: guessing client secrets. Failed client authentications are throttled per client id
 * (10 a minute) and per source address (30 a minute): beyond that the token endpoint answers 429 with
 * `Retry-After` and AADSTS90055, audited once with the throttle named; a throttled client's correct secret is
 * refused too until the window ends; other clients and other addresses are not affected. The throttle's
 * tables stay bounded under 100,000 distinct client ids.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ClientAuthThrottle } from '../../src/issuer/auth-throttle.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { type Reply, startTestServer, type TestServer } from '../host/harness.ts';
import { issuerEvents, postForm, rawRequest, type Seed, seedDirectory } from '../issuer/helpers.ts';

/** A token request from a loopback address of our choosing (the throttle counts per source address). */
function postFrom(
  t: TestServer,
  localAddress: string,
  path: string,
  params: Record<string, string>,
): Promise<Reply> {
  return rawRequest(
    t,
    'POST',
    path,
    { 'content-type': 'application/x-www-form-urlencoded', host: `localhost:${t.server.port}` },
    new URLSearchParams(params).toString(),
    localAddress,
  );
}

const codes = (r: Reply) => (r.json as { error_codes?: number[] } | undefined)?.error_codes?.[0];

for (const kind of STORE_KINDS) {
  describe(`G105 client-authentication throttling (${kind})`, () => {
    let t: TestServer;
    let s: Seed;
    let other: { appId: string; secret: string };
    let path: string;
    const clock = { offsetMs: 0 };

    before(async () => {
      t = await startTestServer(kind, { now: () => new Date(Date.now() + clock.offsetMs) });
      s = await seedDirectory(t.runtime);
      const d = t.runtime.directory;
      const app = await d.createApp('contoso', { name: 'other', displayName: 'Other' });
      const secret = await d.addClientSecret('contoso', 'other', { displayName: 'test' });
      await d.assignRole('contoso', { principal: 'app:other', app: 'orders', role: 'Orders.Read' });
      other = { appId: app.appId, secret: secret.secretText };
      path = `/${s.tenantId}/oauth2/v2.0/token`;
    });
    after(() => t?.cleanup());

    const form = (clientId: string, secret: string) => ({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      scope: 'api://orders/.default',
    });

    it('225 wrong secrets in parallel: at most 10 are checked (401), the rest get 429 with Retry-After', async () => {
      const before = (await issuerEvents(t)).length;
      const replies = await Promise.all(
        Array.from({ length: 225 }, (_, i) => postForm(t, path, form(s.client.appId, `wrong-${i}`))),
      );
      const unauthorized = replies.filter((r) => r.status === 401);
      const throttled = replies.filter((r) => r.status === 429);
      assert.equal(unauthorized.length, 10, 'exactly the per-client limit is checked');
      assert.equal(throttled.length, 215);
      for (const r of unauthorized) assert.equal(codes(r), 7000215);
      for (const r of throttled) {
        assert.equal(codes(r), 90055);
        const body = r.json as { error: string; error_description: string };
        assert.equal(body.error, 'temporarily_unavailable');
        assert.match(body.error_description, /^AADSTS90055: There are too many incoming requests\./);
        const retry = Number(r.headers['retry-after']);
        assert.ok(
          Number.isInteger(retry) && retry >= 1 && retry <= 60,
          `Retry-After ${r.headers['retry-after']}`,
        );
        assert.equal(r.headers['cache-control'], 'no-store, no-cache');
      }
      const events = await issuerEvents(t);
      assert.equal(events.length - before, 225, 'each request audited exactly once');
      const rows = events.filter((e) => e.reason?.startsWith('AADSTS90055'));
      assert.equal(rows.length, 215);
      for (const e of rows) {
        assert.equal(e.action, 'token.refuse');
        assert.equal(e.reason, 'AADSTS90055 throttled: failed client authentications per client id');
      }
    });

    it("the throttled client's correct secret is refused too, from any address, until the window passes", async () => {
      const r = await postForm(t, path, form(s.client.appId, s.client.secret));
      assert.equal(r.status, 429);
      assert.equal(codes(r), 90055);
      const elsewhere = await postFrom(t, '127.0.0.2', path, form(s.client.appId, s.client.secret));
      assert.equal(elsewhere.status, 429);
    });

    it('another client, from the same address, is not affected', async () => {
      const r = await postForm(t, path, form(other.appId, other.secret));
      assert.equal(r.status, 200, r.text);
    });

    it('after the window the correct secret works again', async () => {
      clock.offsetMs += 61_000;
      const r = await postForm(t, path, form(s.client.appId, s.client.secret));
      assert.equal(r.status, 200, r.text);
    });

    it('30 failures from one address throttle that address, for any client; other addresses are not affected', async () => {
      for (let i = 0; i < 30; i++) {
        const r = await postFrom(t, '127.0.0.3', path, form(randomUUID(), 'guess'));
        assert.equal(r.status, 400, r.text);
        assert.equal(codes(r), 700016);
      }
      const r = await postFrom(t, '127.0.0.3', path, form(other.appId, other.secret));
      assert.equal(r.status, 429);
      const rows = (await issuerEvents(t)).filter(
        (e) => e.reason === 'AADSTS90055 throttled: failed client authentications per source address',
      );
      assert.equal(rows.length, 1);
      const ok = await postFrom(t, '127.0.0.4', path, form(other.appId, other.secret));
      assert.equal(ok.status, 200, ok.text);
    });
  });
}

describe('G105 throttle memory', () => {
  it('100,000 distinct client ids and addresses keep at most maxEntries entries each', () => {
    const throttle = new ClientAuthThrottle({ maxEntries: 10_000 });
    const now = new Date();
    for (let i = 0; i < 100_000; i++) {
      throttle.attempt(randomUUID(), `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, now);
    }
    assert.deepEqual(throttle.entries, { clients: 10_000, sources: 10_000 });
  });

  it('a successful authentication takes its attempt back', () => {
    const throttle = new ClientAuthThrottle({ perClient: 2 });
    const now = new Date();
    for (let i = 0; i < 5; i++) {
      throttle.attempt('a', '1.1.1.1', now);
      throttle.succeeded('a', '1.1.1.1', now);
    }
    throttle.attempt('a', '1.1.1.1', now);
    throttle.attempt('a', '1.1.1.1', now);
    assert.throws(() => throttle.attempt('a', '1.1.1.1', now), /AADSTS|too many/);
  });
});
