/**
 * @module test/compat/client-secret.test
 * @azure/identity's ClientSecretCredential, unmodified, in its own process, against Lanyard as a custom
 * authority (docs/protocols.md, "Client compatibility checks" E1, E5, E6): it gets tokens that verify against Lanyard's JWKS, serves
 * the second call from MSAL's cache, sends what MSAL sends, and surfaces Lanyard's AADSTS refusals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertToken } from './assert-token.ts';
import { type CompatServer, startCompatServer } from './compat-server.ts';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.ts';
import { runClient } from './run-client.ts';

describe('ClientSecretCredential (authorityHost + disableInstanceDiscovery)', () => {
  let s: CompatServer;
  let env: Record<string, string>;
  before(async () => {
    s = await startCompatServer();
    env = {
      NODE_EXTRA_CA_CERTS: s.caPath,
      COMPAT_TENANT: s.seed.tenantId,
      COMPAT_CLIENT_ID: s.seed.caller.appId,
      COMPAT_SECRET: s.seed.caller.secret,
      COMPAT_AUTHORITY_HOST: s.url,
      COMPAT_SCOPE: 'api://x/.default',
    };
  });
  after(() => s.cleanup());

  it('gets a v2 token with the caller, tenant and roles; the second getToken comes from the cache', async () => {
    const issuedBefore = await s.issuedCount();
    const run = await runClient('client-secret.mjs', { ...env, COMPAT_CALLS: '2' });
    assert.equal(run.killed, false, 'the client process exited on its own');
    assert.equal(run.exitCode, 0);
    assert.ok(run.result.ok, JSON.stringify(run.result.error));
    const [first, second] = run.result.value.tokens;
    assert.equal(second.token, first.token, 'the second call returned the cached token');
    assert.equal((await s.issuedCount()) - issuedBefore, 1, 'one token request reached Lanyard');
    const claims = await assertToken(s, first.token, {
      version: 2,
      audience: s.seed.apiX.appId,
      clientId: s.seed.caller.appId,
      objectId: s.seed.caller.servicePrincipalId,
      acr: '1',
      roles: ['Data.Read'],
    });
    assert.equal(claims.iss, `https://login.microsoftonline.com/${s.seed.tenantId}/v2.0`);
    // MSAL computes expiresOn as its own clock + expires_in, whole seconds: a second boundary between the
    // issuer's clock read and the client's shifts it by one second.
    const skew = Math.abs(first.expiresOnTimestamp - (claims.exp as number) * 1000);
    assert.ok(skew <= 2_000, `expiresOnTimestamp is the token's exp (off by ${skew} ms)`);
  });

  it('gets a v1 token (appid, aud as requested) with the tenant named by its domain', async () => {
    const run = await runClient('client-secret.mjs', {
      ...env,
      COMPAT_TENANT: s.seed.domain,
      COMPAT_SCOPE: 'api://legacy/.default',
    });
    assert.ok(run.result.ok, JSON.stringify(run.result.error));
    const claims = await assertToken(s, run.result.value.tokens[0].token, {
      version: 1,
      audience: 'api://legacy',
      clientId: s.seed.caller.appId,
      objectId: s.seed.caller.servicePrincipalId,
      acr: '1',
    });
    assert.equal(claims.iss, `https://sts.windows.net/${s.seed.tenantId}/`);
  });

  describe('on the wire', () => {
    let proxy: RecordingProxy;
    before(async () => {
      proxy = await startRecordingProxy({
        target: s.url,
        dataDir: s.dataDir,
        envelope: s.runtime.envelope,
        caPath: s.caPath,
      });
    });
    after(() => proxy.close());

    it('asks for v2 discovery, then posts the form with MSAL’s extra parameters, which Lanyard ignores', async () => {
      const run = await runClient('client-secret.mjs', { ...env, COMPAT_AUTHORITY_HOST: proxy.url });
      assert.ok(run.result.ok, JSON.stringify(run.result.error));
      const seen = proxy.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`);
      assert.deepEqual(seen, [
        `GET /${s.seed.tenantId}/v2.0/.well-known/openid-configuration`,
        `POST /${s.seed.tenantId}/oauth2/v2.0/token`,
      ]);
      const post = proxy.requests[1]!;
      assert.match(post.path, /\?client-request-id=[0-9a-f-]{36}$/);
      const form = new URLSearchParams(post.body);
      assert.equal(form.get('grant_type'), 'client_credentials');
      assert.equal(form.get('scope'), 'api://x/.default');
      assert.equal(form.get('client_id'), s.seed.caller.appId);
      assert.equal(form.get('x-client-SKU'), 'msal.js.node');
      assert.ok(form.has('x-client-VER') && form.has('client-request-id') && form.has('x-ms-lib-capability'));
    });
  });

  it('surfaces a wrong secret as AADSTS7000215 (MSAL ServerError invalid_client)', async () => {
    const run = await runClient('client-secret.mjs', { ...env, COMPAT_SECRET: 'not-the-secret' });
    assert.equal(run.result.ok, false);
    const err = run.result.error!;
    // @azure/identity 4.14.1 wraps every MSAL ServerError in AuthenticationRequiredError.
    assert.equal(err.name, 'AuthenticationRequiredError');
    assert.equal(err.cause?.name, 'ServerError');
    assert.equal(err.cause?.errorCode, 'invalid_client');
    assert.match(err.message ?? '', /AADSTS7000215: Invalid client secret provided/);
  });

  it('surfaces a caller not assigned to a resource that requires assignment as AADSTS501051', async () => {
    const run = await runClient('client-secret.mjs', { ...env, COMPAT_SCOPE: 'api://locked/.default' });
    assert.equal(run.result.ok, false);
    const err = run.result.error!;
    assert.equal(err.cause?.errorCode, 'invalid_grant');
    assert.match(
      err.message ?? '',
      /AADSTS501051: Application '[0-9a-f-]+'\(caller\) is not assigned to a role/,
    );
    assert.match(err.message ?? '', /lanyard role assign --principal app:caller --app api-locked/);
  });
});
