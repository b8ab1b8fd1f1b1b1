/**
 * @module test/compat/trust.test
 * NODE_EXTRA_CA_CERTS pointing at the data folder's CA (`lanyard ca path`) is the only trust set-up a client
 * needs (docs/protocols.md, "Client compatibility checks" H1, H2): every other compat test sets nothing else, and here the same client
 * without it fails closed on the certificate, before any token request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CompatServer, startCompatServer } from './compat-server.ts';
import { runClient } from './run-client.ts';

describe('trust: NODE_EXTRA_CA_CERTS is required and sufficient', () => {
  let s: CompatServer;
  let env: Record<string, string>;
  before(async () => {
    s = await startCompatServer();
    env = {
      COMPAT_TENANT: s.seed.tenantId,
      COMPAT_CLIENT_ID: s.seed.caller.appId,
      COMPAT_SECRET: s.seed.caller.secret,
      COMPAT_AUTHORITY_HOST: s.url,
      COMPAT_SCOPE: 'api://x/.default',
    };
  });
  after(() => s.cleanup());

  it('ClientSecretCredential with NODE_EXTRA_CA_CERTS gets a token', async () => {
    const run = await runClient('client-secret.mjs', { ...env, NODE_EXTRA_CA_CERTS: s.caPath });
    assert.ok(run.result.ok, JSON.stringify(run.result.error));
  });

  it('ClientSecretCredential without it fails on the certificate, and no token is requested', async () => {
    const issuedBefore = await s.issuedCount();
    // MSAL hides the TLS error behind endpoints_resolution_error; its verbose log names the cause.
    const run = await runClient('client-secret.mjs', { ...env, AZURE_LOG_LEVEL: 'verbose' });
    assert.equal(run.killed, false);
    assert.equal(run.result.ok, false);
    assert.equal(run.result.error?.name, 'CredentialUnavailableError');
    assert.match(run.result.error?.message ?? '', /endpoints_resolution_error/);
    assert.match(run.stderr, /self-signed certificate in certificate chain/);
    assert.equal(await s.issuedCount(), issuedBefore);
  });

  it('openid-client without it fails with SELF_SIGNED_CERT_IN_CHAIN', async () => {
    const run = await runClient('openid-client.mjs', {
      COMPAT_SERVER: `${s.url}/${s.seed.tenantId}/v2.0/.well-known/openid-configuration`,
      COMPAT_CLIENT_ID: s.seed.caller.appId,
      COMPAT_SECRET: s.seed.caller.secret,
      COMPAT_SCOPE: 'api://x/.default',
    });
    assert.equal(run.result.ok, false);
    assert.equal(run.result.error?.code, 'SELF_SIGNED_CERT_IN_CHAIN');
  });
});
