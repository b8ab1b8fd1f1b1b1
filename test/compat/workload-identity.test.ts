/**
 * @module test/compat/workload-identity.test
 * Workload identity configured only by environment, as AKS injects it (docs/protocols.md, "Client compatibility checks" D1–D3):
 * AZURE_FEDERATED_TOKEN_FILE holds a token from an external OIDC issuer (a real one, run here) that a
 * federated identity credential on the app trusts; AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_AUTHORITY_HOST name
 * the app and Lanyard. ManagedIdentityCredential and DefaultAzureCredential work unmodified (their
 * token-exchange path disables instance discovery); WorkloadIdentityCredential needs
 * `disableInstanceDiscovery: true`, and without it fails — asserted as the known limitation.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertToken } from './assert-token.ts';
import { type CompatServer, startCompatServer } from './compat-server.ts';
import { type ExternalIssuer, startExternalIssuer } from './external-issuer.ts';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.ts';
import { runClient } from './run-client.ts';

const SUBJECT = 'system:serviceaccount:orders:orders-api';

describe('workload identity (AZURE_FEDERATED_TOKEN_FILE), environment only', () => {
  let s: CompatServer;
  let issuer: ExternalIssuer;
  let proxy: RecordingProxy;
  let app: { appId: string; servicePrincipalId: string };
  let tokenFile: string;
  let federatedToken: string;
  let env: Record<string, string>;
  before(async () => {
    s = await startCompatServer();
    issuer = await startExternalIssuer({ dataDir: s.dataDir, envelope: s.runtime.envelope });
    proxy = await startRecordingProxy({
      target: s.url,
      dataDir: s.dataDir,
      envelope: s.runtime.envelope,
      caPath: s.caPath,
    });
    const d = s.runtime.directory;
    app = await d.createApp('contoso', { name: 'orders-api' });
    await d.addFederatedCredential(
      'contoso',
      { kind: 'app', name: 'orders-api' },
      { name: 'aks-orders', issuer: issuer.issuer, subject: SUBJECT },
    );
    await d.assignRole('contoso', { principal: 'app:orders-api', app: 'api-x', role: 'Data.Read' });
    tokenFile = path.join(s.dataDir, 'azure-identity-token');
    federatedToken = await issuer.sign(SUBJECT);
    fs.writeFileSync(tokenFile, federatedToken);
    env = {
      NODE_EXTRA_CA_CERTS: s.caPath,
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      AZURE_CLIENT_ID: app.appId,
      AZURE_TENANT_ID: s.seed.tenantId,
      AZURE_AUTHORITY_HOST: s.url,
      COMPAT_SCOPE: 'api://x/.default',
    };
  });
  after(async () => {
    await proxy.close();
    await issuer.close();
    await s.cleanup();
  });

  const expected = () => ({
    version: 2 as const,
    audience: s.seed.apiX.appId,
    clientId: app.appId,
    objectId: app.servicePrincipalId,
    acr: '2' as const,
    roles: ['Data.Read'],
  });

  it('new ManagedIdentityCredential(): posts the file as client_assertion; each getToken asks again', async () => {
    const issuedBefore = await s.issuedCount();
    const run = await runClient(
      'workload.mjs',
      { ...env, AZURE_AUTHORITY_HOST: proxy.url, COMPAT_CALLS: '2' },
      {
        args: ['ManagedIdentityCredential'],
      },
    );
    assert.equal(run.killed, false);
    assert.ok(run.result.ok, JSON.stringify(run.result.error));
    const [first, second] = run.result.value.tokens;
    // @azure/identity 4.14.1 builds a new WorkloadIdentityCredential (and MSAL cache) for every getToken on
    // this path, so nothing is cached below it; SDK clients cache above it, in their bearer-token policy.
    assert.notEqual(second.token, first.token);
    assert.equal((await s.issuedCount()) - issuedBefore, 2);
    const discovery = `GET /${s.seed.tenantId}/v2.0/.well-known/openid-configuration`;
    const token = `POST /${s.seed.tenantId}/oauth2/v2.0/token`;
    assert.deepEqual(
      proxy.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`),
      [discovery, token, discovery, token],
    );
    const form = new URLSearchParams(proxy.requests[1]!.body);
    assert.equal(form.get('client_assertion'), federatedToken);
    assert.equal(form.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    await assertToken(s, first.token, expected());
    assert.deepEqual(issuer.requests, ['/.well-known/openid-configuration', '/openid/v1/jwks']);
    const [event] = await s.runtime.audit.list({ action: 'token.issue', limit: 1 });
    assert.equal(event?.details?.via, 'oauth2/v2.0/token federated');
  });

  it('new WorkloadIdentityCredential({ disableInstanceDiscovery: true }) gets a token, then serves it from cache', async () => {
    const issuedBefore = await s.issuedCount();
    const run = await runClient(
      'workload.mjs',
      { ...env, COMPAT_CALLS: '2' },
      {
        args: ['WorkloadIdentityCredential+disableInstanceDiscovery'],
      },
    );
    assert.ok(run.result.ok, JSON.stringify(run.result.error));
    const [first, second] = run.result.value.tokens;
    assert.equal(second.token, first.token);
    assert.equal((await s.issuedCount()) - issuedBefore, 1);
    await assertToken(s, first.token, expected());
  });

  it('new DefaultAzureCredential() with AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential goes straight there', async () => {
    const run = await runClient(
      'workload.mjs',
      { ...env, AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential', COMPAT_CALLS: '2' },
      { args: ['DefaultAzureCredential'] },
    );
    assert.equal(run.killed, false);
    assert.ok(run.result.ok, JSON.stringify(run.result.error));
    for (const t of run.result.value.tokens) await assertToken(s, t.token, expected());
  });

  it('a federated token whose subject no credential names is refused with AADSTS70021', async () => {
    const wrongFile = path.join(s.dataDir, 'wrong-subject-token');
    fs.writeFileSync(wrongFile, await issuer.sign('system:serviceaccount:default:someone-else'));
    const run = await runClient(
      'workload.mjs',
      { ...env, AZURE_FEDERATED_TOKEN_FILE: wrongFile },
      {
        args: ['ManagedIdentityCredential'],
      },
    );
    assert.equal(run.result.ok, false);
    assert.match(run.result.error?.text ?? '', /AADSTS70021: No matching federated identity record found/);
    assert.match(
      run.result.error?.text ?? '',
      /Assertion Subject: 'system:serviceaccount:default:someone-else'/,
    );
  });
  // Both wait out MSAL's failed instance discovery (~5 s, offline): run side by side.
  describe('slow paths (instance discovery is attempted first)', { concurrency: true }, () => {
    it('new DefaultAzureCredential(): gets the token through its managed-identity step', async () => {
      const run = await runClient('workload.mjs', env, {
        args: ['DefaultAzureCredential'],
        timeoutMs: 30_000,
      });
      assert.equal(run.killed, false);
      assert.ok(run.result.ok, JSON.stringify(run.result.error));
      await assertToken(s, run.result.value.tokens[0].token, expected());
    });

    it('known limitation: new WorkloadIdentityCredential() alone fails with endpoints_resolution_error', async () => {
      const run = await runClient('workload.mjs', env, {
        args: ['WorkloadIdentityCredential'],
        timeoutMs: 30_000,
      });
      assert.equal(run.killed, false, 'the client gave up on its own');
      assert.ok(run.ms < 15_000, `the client gave up within 15 s (took ${run.ms} ms)`);
      assert.equal(run.result.ok, false);
      assert.equal(run.result.error?.name, 'CredentialUnavailableError');
      assert.match(run.result.error?.message ?? '', /endpoints_resolution_error/);
    });
  });
});
