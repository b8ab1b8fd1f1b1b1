/**
 * @module test/compat/openid-client.test
 * openid-client v6 (`discovery` + `clientCredentialsGrant`), unmodified, in its own process. openid-client
 * checks that a discovered `issuer` equals the URL it was given (OIDC Discovery §4.3) unless that URL is a
 * full `…/.well-known/…` document URL; its only exception is the literal https://login.microsoftonline.com
 * origin. So: with Entra's issuer names (the default), pass the discovery document URL; with issuer names on
 * Lanyard's own origin, the issuer identifier `https://host:port/<tenant id>/v2.0` works as well.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertToken } from './assert-token.ts';
import { type CompatServer, startCompatServer } from './compat-server.ts';
import { runClient } from './run-client.ts';

function clientEnv(s: CompatServer, server: string, auth: 'post' | 'basic' = 'post'): Record<string, string> {
  return {
    NODE_EXTRA_CA_CERTS: s.caPath,
    COMPAT_SERVER: server,
    COMPAT_CLIENT_ID: s.seed.caller.appId,
    COMPAT_SECRET: s.seed.caller.secret,
    COMPAT_SCOPE: 'api://x/.default',
    COMPAT_AUTH: auth,
  };
}

const expected = (s: CompatServer) => ({
  version: 2 as const,
  audience: s.seed.apiX.appId,
  clientId: s.seed.caller.appId,
  objectId: s.seed.caller.servicePrincipalId,
  acr: '1' as const,
  roles: ['Data.Read'],
});

describe('openid-client v6, Entra issuer names (default)', () => {
  let s: CompatServer;
  before(async () => {
    s = await startCompatServer();
  });
  after(() => s.cleanup());

  for (const auth of ['post', 'basic'] as const) {
    it(`discovery from the document URL, then client credentials with client_secret_${auth}`, async () => {
      const url = `${s.url}/${s.seed.tenantId}/v2.0/.well-known/openid-configuration`;
      const run = await runClient('openid-client.mjs', clientEnv(s, url, auth));
      assert.equal(run.killed, false);
      assert.ok(run.result.ok, JSON.stringify(run.result.error));
      assert.equal(run.result.value.issuer, `https://login.microsoftonline.com/${s.seed.tenantId}/v2.0`);
      assert.equal(run.result.value.tokenEndpoint, `${s.url}/${s.seed.tenantId}/oauth2/v2.0/token`);
      assert.equal(run.result.value.tokenType.toLowerCase(), 'bearer');
      assert.equal(run.result.value.expiresIn, 3599);
      await assertToken(s, run.result.value.accessToken, expected(s));
    });
  }

  it('refuses the issuer identifier URL: the discovered issuer (Microsoft’s) differs from it', async () => {
    const run = await runClient('openid-client.mjs', clientEnv(s, `${s.url}/${s.seed.tenantId}/v2.0`));
    assert.equal(run.result.ok, false);
    assert.equal(run.result.error?.code, 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
    assert.match(
      run.result.error?.message ?? '',
      /discovered metadata issuer does not match the expected issuer/,
    );
  });
});

describe('openid-client v6, issuer names on Lanyard’s own origin', () => {
  let s: CompatServer;
  before(async () => {
    s = await startCompatServer({ issuer: 'self' });
  });
  after(() => s.cleanup());

  it('discovery from the issuer identifier https://host:port/<tenant id>/v2.0, then client credentials', async () => {
    const issuer = `${s.url}/${s.seed.tenantId}/v2.0`;
    const run = await runClient('openid-client.mjs', clientEnv(s, issuer));
    assert.ok(run.result.ok, JSON.stringify(run.result.error));
    assert.equal(run.result.value.issuer, issuer);
    const claims = await assertToken(s, run.result.value.accessToken, expected(s));
    assert.equal(claims.iss, issuer);
  });
});
