/**
 * @module test/compat/client-certificate.test
 * @azure/identity's ClientCertificateCredential, unmodified, with a PEM file holding the private key and the
 * certificate registered on the app (docs/protocols.md, "Client compatibility checks" E7). MSAL signs its assertion PS256 with
 * `x5t#S256` (and `x5c` with sendCertificateChain) and `aud` = the token endpoint; Lanyard accepts it and
 * issues a token with `appidacr` "2".
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { certificateThumbprints } from '../../src/crypto/local-ca.ts';
import { assertToken } from './assert-token.ts';
import { type CertificateFile, writeCertificateFile } from './client-certificate-file.ts';
import { type CompatServer, startCompatServer } from './compat-server.ts';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.ts';
import { runClient } from './run-client.ts';

describe('ClientCertificateCredential (PEM file, authorityHost + disableInstanceDiscovery)', () => {
  let s: CompatServer;
  let proxy: RecordingProxy;
  let cert: CertificateFile;
  let app: { appId: string; servicePrincipalId: string };
  let env: Record<string, string>;
  before(async () => {
    s = await startCompatServer();
    proxy = await startRecordingProxy({
      target: s.url,
      dataDir: s.dataDir,
      envelope: s.runtime.envelope,
      caPath: s.caPath,
    });
    app = await s.runtime.directory.createApp('contoso', { name: 'cert-app' });
    cert = await writeCertificateFile(s.dataDir, 'cert-app');
    await s.runtime.directory.addCertificate('contoso', 'cert-app', { certificate: cert.certPem });
    await s.runtime.directory.assignRole('contoso', {
      principal: 'app:cert-app',
      app: 'api-x',
      role: 'Data.Read',
    });
    env = {
      NODE_EXTRA_CA_CERTS: s.caPath,
      COMPAT_TENANT: s.seed.tenantId,
      COMPAT_CLIENT_ID: app.appId,
      COMPAT_CERT_PATH: cert.path,
      COMPAT_AUTHORITY_HOST: proxy.url,
      COMPAT_SCOPE: 'api://x/.default',
    };
  });
  after(async () => {
    await proxy.close();
    await s.cleanup();
  });

  const assertionOf = () => {
    const post = proxy.requests.findLast((r) => r.method === 'POST');
    assert.ok(post, 'a token request was made');
    const form = new URLSearchParams(post.body);
    assert.equal(form.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    assert.equal(form.has('client_secret'), false);
    const assertion = form.get('client_assertion')!;
    return { header: decodeProtectedHeader(assertion), payload: decodeJwt(assertion) };
  };

  it('signs PS256 with x5t#S256 and aud = the token endpoint; the token verifies with appidacr 2', async () => {
    const run = await runClient('client-certificate.mjs', env);
    assert.equal(run.killed, false);
    assert.ok(run.result.ok, JSON.stringify(run.result.error));
    const { header, payload } = assertionOf();
    assert.equal(header.alg, 'PS256');
    assert.equal(header['x5t#S256'], certificateThumbprints(cert.certPem).sha256B64url);
    assert.equal(header.x5c, undefined);
    assert.equal(payload.aud, `${proxy.url}/${s.seed.tenantId}/oauth2/v2.0/token`);
    assert.equal(payload.iss, app.appId);
    assert.equal(payload.sub, app.appId);
    await assertToken(s, run.result.value.tokens[0].token, {
      version: 2,
      audience: s.seed.apiX.appId,
      clientId: app.appId,
      objectId: app.servicePrincipalId,
      acr: '2',
      roles: ['Data.Read'],
    });
    const [event] = await s.runtime.audit.list({ action: 'token.issue', limit: 1 });
    assert.equal(event?.details?.via, 'oauth2/v2.0/token certificate');
  });

  it('with sendCertificateChain adds x5c (the registered certificate) and still gets a token', async () => {
    const run = await runClient('client-certificate.mjs', {
      ...env,
      COMPAT_SEND_CHAIN: '1',
      COMPAT_SCOPE: 'api://legacy/.default',
    });
    assert.ok(run.result.ok, JSON.stringify(run.result.error));
    const { header } = assertionOf();
    assert.equal(header.alg, 'PS256');
    assert.ok(Array.isArray(header.x5c) && header.x5c.length === 1);
    assert.equal(
      certificateThumbprints(header.x5c[0]!).sha256Hex,
      certificateThumbprints(cert.certPem).sha256Hex,
    );
    await assertToken(s, run.result.value.tokens[0].token, {
      version: 1,
      audience: 'api://legacy',
      clientId: app.appId,
      objectId: app.servicePrincipalId,
      acr: '2',
    });
  });

  it('is refused with AADSTS700027 when the certificate is not registered on the app', async () => {
    const other = await writeCertificateFile(s.dataDir, 'unregistered');
    const run = await runClient('client-certificate.mjs', { ...env, COMPAT_CERT_PATH: other.path });
    assert.equal(run.result.ok, false);
    assert.equal(run.result.error?.cause?.errorCode, 'invalid_client');
    assert.match(run.result.error?.message ?? '', /AADSTS700027: .*The key was not found/);
  });
});
