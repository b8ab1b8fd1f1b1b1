/**
 * @module test/issuer/discovery
 * Discovery documents and JWKS through real HTTPS: issuers per version, every endpoint https on the origin the
 * client used, the multi-tenant and `adfs` forms, unknown tenants, caching headers and conditional requests,
 * Host header checks, and no private key material in JWKS.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestServer, type TestServer } from '../host/harness.ts';
import { rawRequest, TENANT_DOMAIN } from './helpers.ts';

const URL_FIELDS = [
  'token_endpoint',
  'jwks_uri',
  'authorization_endpoint',
  'device_authorization_endpoint',
  'end_session_endpoint',
];

for (const kind of STORE_KINDS) {
  describe(`discovery and JWKS (${kind})`, () => {
    let t: TestServer;
    let tid: string;
    let origin: string;

    before(async () => {
      t = await startTestServer(kind);
      tid = (await t.runtime.directory.createTenant({ name: 'contoso', domains: [TENANT_DOMAIN] })).id;
      origin = `https://127.0.0.1:${t.server.port}`;
    });
    after(() => t?.cleanup());

    const get = (path: string, headers: Record<string, string> = {}) =>
      t.call('GET', path, { token: null, headers });

    it('answers MSAL instance discovery for the tenant of the authorization endpoint, on the origin asked', async () => {
      const ask = encodeURIComponent(`https://login.microsoftonline.com/${tid}/oauth2/v2.0/authorize`);
      const r = await get(`/common/discovery/instance?api-version=1.1&authorization_endpoint=${ask}`);
      assert.equal(r.status, 200);
      assert.equal(
        r.json.tenant_discovery_endpoint,
        `${origin}/${tid}/v2.0/.well-known/openid-configuration`,
      );
      assert.ok(r.json.metadata[0].aliases.includes('login.microsoftonline.com'));
      assert.ok(r.json.metadata[0].aliases.includes(`127.0.0.1:${t.server.port}`));
      // The document it points at is served.
      const doc = await get(new URL(r.json.tenant_discovery_endpoint).pathname);
      assert.equal(doc.status, 200);
      const bare = await get('/common/discovery/instance?api-version=1.0');
      assert.match(
        bare.json.tenant_discovery_endpoint,
        /\/common\/v2\.0\/\.well-known\/openid-configuration$/,
      );
      const bad = await get(
        '/common/discovery/instance?api-version=1.1&authorization_endpoint=http%3A%2F%2Fx%2Fy',
      );
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error, 'invalid_instance');
      assert.match(bad.json.error_description, /^AADSTS50049:/);
    });

    it('v1 and v2 documents, tenant by id and by domain: issuers, https endpoints on the request origin', async () => {
      for (const tenant of [tid, TENANT_DOMAIN]) {
        const v1 = await get(`/${tenant}/.well-known/openid-configuration`);
        const v2 = await get(`/${tenant}/v2.0/.well-known/openid-configuration`);
        for (const r of [v1, v2]) {
          assert.equal(r.status, 200);
          assert.match(String(r.headers['content-type']), /^application\/json/);
          assert.equal(r.headers['cache-control'], 'max-age=86400, private');
          assert.equal(r.headers['access-control-allow-origin'], '*');
          for (const field of ['authorization_endpoint', 'token_endpoint', 'issuer', 'jwks_uri']) {
            assert.equal(typeof r.json[field], 'string', `${field} is present`);
          }
          for (const field of URL_FIELDS) {
            assert.ok(
              (r.json[field] as string).startsWith(`${origin}/${tenant}/`),
              `${field} is https on the request's origin: ${r.json[field]}`,
            );
          }
          assert.ok(!(r.json.id_token_signing_alg_values_supported as string[]).includes('none'));
          assert.deepEqual(r.json.grant_types_supported, ['client_credentials']);
        }
        assert.equal(v1.json.issuer, `https://sts.windows.net/${tid}/`);
        assert.equal(v2.json.issuer, `https://login.microsoftonline.com/${tid}/v2.0`);
        assert.equal(v1.json.token_endpoint, `${origin}/${tenant}/oauth2/token`);
        assert.equal(v2.json.token_endpoint, `${origin}/${tenant}/oauth2/v2.0/token`);
        assert.equal(v1.json.authorization_endpoint, `${origin}/${tenant}/oauth2/authorize`);
        assert.equal(v2.json.authorization_endpoint, `${origin}/${tenant}/oauth2/v2.0/authorize`);
        assert.equal(v1.json.jwks_uri, `${origin}/${tenant}/discovery/keys`);
        assert.equal(v2.json.jwks_uri, `${origin}/${tenant}/discovery/v2.0/keys`);
      }
    });

    it('endpoints follow the Host the client used (localhost instead of 127.0.0.1)', async () => {
      const r = await get(`/${tid}/v2.0/.well-known/openid-configuration`, {
        host: `localhost:${t.server.port}`,
      });
      assert.equal(r.status, 200);
      assert.equal(r.json.token_endpoint, `https://localhost:${t.server.port}/${tid}/oauth2/v2.0/token`);
      assert.equal(r.json.jwks_uri, `https://localhost:${t.server.port}/${tid}/discovery/v2.0/keys`);
    });

    it('common and organizations documents use the {tenantid} placeholder', async () => {
      for (const tenant of ['common', 'organizations']) {
        const v2 = await get(`/${tenant}/v2.0/.well-known/openid-configuration`);
        assert.equal(v2.status, 200);
        assert.equal(v2.json.issuer, 'https://login.microsoftonline.com/{tenantid}/v2.0');
        assert.equal(v2.json.token_endpoint, `${origin}/${tenant}/oauth2/v2.0/token`);
        assert.equal(v2.json.jwks_uri, `${origin}/${tenant}/discovery/v2.0/keys`);
        const v1 = await get(`/${tenant}/.well-known/openid-configuration`);
        assert.equal(v1.status, 200);
        assert.equal(v1.json.issuer, 'https://sts.windows.net/{tenantid}/');
        const keys = await get(`/${tenant}/discovery/v2.0/keys`);
        assert.equal(keys.status, 200);
        assert.ok(keys.json.keys.length >= 1);
        for (const k of keys.json.keys)
          assert.equal(k.issuer, 'https://login.microsoftonline.com/{tenantid}/v2.0');
      }
    });

    it('/adfs/.well-known/openid-configuration (one tenant) points at /adfs/oauth2/token and /adfs/discovery/keys', async () => {
      const r = await get('/adfs/.well-known/openid-configuration');
      assert.equal(r.status, 200);
      assert.equal(r.json.token_endpoint, `${origin}/adfs/oauth2/token`);
      assert.equal(r.json.jwks_uri, `${origin}/adfs/discovery/keys`);
      assert.equal(r.json.issuer, `https://sts.windows.net/${tid}/`);
      const keys = await get('/adfs/discovery/keys');
      assert.equal(keys.status, 200);
      assert.ok(keys.json.keys.length >= 1);
    });

    it('an unknown tenant is refused with AADSTS90002 JSON (documents and keys)', async () => {
      for (const path of [
        `/${randomUUID()}/v2.0/.well-known/openid-configuration`,
        '/fabrikam.onmicrosoft.com/.well-known/openid-configuration',
        `/${randomUUID()}/discovery/v2.0/keys`,
      ]) {
        const r = await get(path);
        assert.equal(r.status, 400, path);
        assert.equal(r.json.error, 'invalid_request');
        assert.deepEqual(r.json.error_codes, [90002]);
        assert.ok((r.json.error_description as string).startsWith('AADSTS90002: '));
        assert.match(r.json.error_description, /\r\nTrace ID: .+\r\nCorrelation ID: .+\r\nTimestamp: .+Z$/);
      }
    });

    it('JWKS: same keys in v1 and v2, issuer per version, ETag and If-None-Match → 304, Cache-Control', async () => {
      const v1 = await get(`/${tid}/discovery/keys`);
      const v2 = await get(`/${tid}/discovery/v2.0/keys`);
      for (const r of [v1, v2]) {
        assert.equal(r.status, 200);
        assert.equal(r.headers['cache-control'], 'public, max-age=3600');
        assert.equal(r.headers['access-control-allow-origin'], '*');
        assert.match(String(r.headers.etag), /^".+"$/);
        assert.ok(r.json.keys.length >= 1);
      }
      assert.deepEqual(
        v1.json.keys.map((k: { kid: string }) => k.kid),
        v2.json.keys.map((k: { kid: string }) => k.kid),
      );
      for (const k of v1.json.keys) assert.equal(k.issuer, `https://sts.windows.net/${tid}/`);
      for (const k of v2.json.keys) assert.equal(k.issuer, `https://login.microsoftonline.com/${tid}/v2.0`);
      const cached = await get(`/${tid}/discovery/v2.0/keys`, { 'if-none-match': String(v2.headers.etag) });
      assert.equal(cached.status, 304);
      assert.equal(cached.text, '');
      assert.equal(cached.headers.etag, v2.headers.etag);
      const stale = await get(`/${tid}/discovery/v2.0/keys`, { 'if-none-match': '"something-else"' });
      assert.equal(stale.status, 200);
      // A new key changes the ETag.
      await t.runtime.keys.rotate();
      await t.runtime.keys.refresh();
      const rotated = await get(`/${tid}/discovery/v2.0/keys`, { 'if-none-match': String(v2.headers.etag) });
      assert.equal(rotated.status, 200);
      assert.notEqual(rotated.headers.etag, v2.headers.etag);
      assert.equal(rotated.json.keys.length, v2.json.keys.length + 1);
    });

    it('JWKS never contains private key parts', async () => {
      for (const path of [
        `/${tid}/discovery/keys`,
        `/${tid}/discovery/v2.0/keys`,
        '/common/discovery/keys',
      ]) {
        const r = await get(path);
        for (const k of r.json.keys) {
          for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
            assert.ok(!(member in k), `${path}: no ${member}`);
          assert.deepEqual(
            Object.keys(k).sort(),
            ['alg', 'e', 'issuer', 'kid', 'kty', 'n', 'use', 'x5c', 'x5t', 'x5t#S256'].sort(),
          );
        }
        assert.ok(!r.text.includes('PRIVATE'));
      }
    });

    it('a Host header that is not a plain host[:port] is refused, not echoed into the document', async () => {
      for (const host of ['evil.example/path', 'user@evil.example', 'evil.example:443#x', 'a"b']) {
        const r = await rawRequest(t, 'GET', `/${tid}/v2.0/.well-known/openid-configuration`, { host });
        assert.equal(r.status, 400, host);
        assert.deepEqual(r.json.error_codes, [900143]);
        assert.ok(!r.text.includes('evil.example'), 'the bad host is not echoed');
      }
      const ok = await rawRequest(t, 'GET', `/${tid}/v2.0/.well-known/openid-configuration`, {
        host: `localhost:${t.server.port}`,
      });
      assert.equal(ok.status, 200, 'the same request with a plain host is answered');
    });

    it('with a second tenant, adfs is ambiguous and refused with AADSTS90002', async () => {
      await t.runtime.directory.createTenant({ name: 'fabrikam', domains: ['fabrikam.onmicrosoft.com'] });
      const r = await get('/adfs/.well-known/openid-configuration');
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.error_codes, [90002]);
      assert.match(r.json.error_description, /ambiguous: there are 2 tenants/);
      assert.match(r.json.error_description, /tenant id or one of its domains/, 'says what to do instead');
    });
  });
}
