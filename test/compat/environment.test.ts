/**
 * @module test/compat/environment.test
 * Programs that configure nothing in code: EnvironmentCredential and DefaultAzureCredential with a client
 * secret in AZURE_* variables (docs/protocols.md, "Client compatibility checks" E3, E10). With AZURE_TENANT_ID=adfs they work against
 * Lanyard unmodified (MSAL treats `adfs` as a known authority and skips instance discovery; `adfs` stands for
 * Lanyard's only tenant). With a real tenant id and a custom AZURE_AUTHORITY_HOST they fail before reaching
 * Lanyard — asserted here so docs/compatibility.md stays honest.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertToken } from './assert-token.ts';
import { type CompatServer, startCompatServer } from './compat-server.ts';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.ts';
import { runClient } from './run-client.ts';

describe('EnvironmentCredential / DefaultAzureCredential with a client secret', () => {
  let s: CompatServer;
  let proxy: RecordingProxy;
  let env: Record<string, string>;
  before(async () => {
    s = await startCompatServer();
    proxy = await startRecordingProxy({
      target: s.url,
      dataDir: s.dataDir,
      envelope: s.runtime.envelope,
      caPath: s.caPath,
    });
    env = {
      NODE_EXTRA_CA_CERTS: s.caPath,
      AZURE_TENANT_ID: 'adfs',
      AZURE_CLIENT_ID: s.seed.caller.appId,
      AZURE_CLIENT_SECRET: s.seed.caller.secret,
      AZURE_AUTHORITY_HOST: proxy.url,
      COMPAT_SCOPE: 'api://x/.default',
    };
  });
  after(async () => {
    await proxy.close();
    await s.cleanup();
  });

  const expected = () => ({
    version: 2 as const,
    audience: s.seed.apiX.appId,
    clientId: s.seed.caller.appId,
    objectId: s.seed.caller.servicePrincipalId,
    acr: '1' as const,
    roles: ['Data.Read'],
  });

  it('EnvironmentCredential with AZURE_TENANT_ID=adfs: /adfs discovery, then its token endpoint', async () => {
    proxy.requests.length = 0;
    const run = await runClient('environment.mjs', env, { args: ['EnvironmentCredential'] });
    assert.equal(run.killed, false);
    assert.ok(run.result.ok, JSON.stringify(run.result.error));
    assert.deepEqual(
      proxy.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`),
      ['GET /adfs/.well-known/openid-configuration', 'POST /adfs/oauth2/token'],
    );
    assert.equal(new URLSearchParams(proxy.requests[1]!.body).get('scope'), 'api://x/.default');
    await assertToken(s, run.result.value.tokens[0].token, expected());
  });

  it('DefaultAzureCredential with the same variables gets its token from EnvironmentCredential', async () => {
    const run = await runClient('environment.mjs', env, { args: ['DefaultAzureCredential'] });
    assert.ok(run.result.ok, JSON.stringify(run.result.error));
    await assertToken(s, run.result.value.tokens[0].token, expected());
  });

  // Both wait out MSAL's failed instance discovery (~5 s offline): run side by side.
  describe('known limitation: a real tenant id with a custom AZURE_AUTHORITY_HOST', {
    concurrency: true,
  }, () => {
    for (const credential of ['EnvironmentCredential', 'DefaultAzureCredential']) {
      it(`${credential} fails with endpoints_resolution_error, before reaching Lanyard`, async () => {
        const run = await runClient(
          'environment.mjs',
          { ...env, AZURE_TENANT_ID: s.seed.tenantId },
          { args: [credential], timeoutMs: 30_000 },
        );
        assert.equal(run.killed, false, 'the client gave up on its own');
        assert.ok(run.ms < 15_000, `the client gave up within 15 s (took ${run.ms} ms)`);
        assert.equal(run.result.ok, false);
        // AuthenticationError, not CredentialUnavailableError: DefaultAzureCredential stops there too.
        assert.equal(run.result.error?.name, 'AuthenticationError');
        assert.match(run.result.error?.message ?? '', /EnvironmentCredential authentication failed/);
        assert.match(run.result.error?.message ?? '', /endpoints_resolution_error/);
        assert.equal(
          proxy.requests.filter((r) => r.path.includes(s.seed.tenantId)).length,
          0,
          'MSAL asked login.microsoftonline.com, never Lanyard',
        );
      });
    }
  });
});
