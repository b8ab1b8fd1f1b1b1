/**
 * @module test/issuer/restart
 * Signing keys outlive the process: a token issued before a restart verifies against the JWKS served after it,
 * and new tokens keep the same kid; after an immediate rotation the old tokens still verify (the old key stays
 * published) while new ones carry the new kid — and that, too, survives a restart. SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestServer, type TestServer } from '../host/harness.ts';
import { postForm, type Seed, seedDirectory } from './helpers.ts';

async function getToken(t: TestServer, s: Seed): Promise<{ token: string; kid: string }> {
  const r = await postForm(t, `/${s.tenantId}/oauth2/v2.0/token`, {
    grant_type: 'client_credentials',
    client_id: s.client.appId,
    client_secret: s.client.secret,
    scope: 'api://orders/.default',
  });
  assert.equal(r.status, 200, r.text);
  const token = r.json.access_token as string;
  return { token, kid: decodeProtectedHeader(token).kid as string };
}

async function verifyWithServedJwks(t: TestServer, s: Seed, token: string): Promise<string[]> {
  const doc = await t.call('GET', `/${s.tenantId}/v2.0/.well-known/openid-configuration`, { token: null });
  const jwks = await t.call('GET', new URL(doc.json.jwks_uri).pathname, { token: null });
  assert.equal(jwks.status, 200);
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks.json), { algorithms: ['RS256'] });
  assert.equal(payload.tid, s.tenantId);
  return (jwks.json.keys as { kid: string }[]).map((k) => k.kid);
}

for (const kind of STORE_KINDS) {
  describe(`signing keys across a restart (${kind})`, () => {
    let current: TestServer | undefined;
    after(() => current?.cleanup());

    it('old tokens verify after a restart and an immediate rotation; new tokens use the right kid', async () => {
      current = await startTestServer(kind);
      const s = await seedDirectory(current.runtime);
      const first = await getToken(current, s);
      await verifyWithServedJwks(current, s, first.token);
      const before = current;

      current = await current.restart();
      assert.notEqual(current.runtime, before.runtime, 'a new runtime over the same data folder and store');
      await assert.rejects(before.call('GET', '/healthz'), 'the first server is closed');
      const served = await verifyWithServedJwks(current, s, first.token);
      assert.deepEqual(served, [first.kid], 'the same single key, not a new one per start');
      const again = await getToken(current, s);
      assert.equal(again.kid, first.kid, 'new tokens after the restart use the same kid');

      const rotated = await current.runtime.keys.rotate({ immediate: true });
      assert.notEqual(rotated.kid, first.kid);
      const afterRotation = await getToken(current, s);
      assert.equal(afterRotation.kid, rotated.kid, 'new tokens carry the new kid');
      const both = await verifyWithServedJwks(current, s, first.token);
      assert.deepEqual([...both].sort(), [first.kid, rotated.kid].sort(), 'the old key is still published');
      await verifyWithServedJwks(current, s, afterRotation.token);

      current = await current.restart();
      await verifyWithServedJwks(current, s, first.token);
      await verifyWithServedJwks(current, s, afterRotation.token);
      assert.equal((await getToken(current, s)).kid, rotated.kid, 'the rotation survives the restart');
    });
  });
}
