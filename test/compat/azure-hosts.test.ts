/**
 * @module test/compat/azure-hosts.test
 * `lanyard run --azure-hosts`: a Node program that hard-codes nothing but Azure's own host names —
 * `new ClientSecretCredential(tenant, client, secret)` and an ARM client without `endpoint` — gets its token
 * from Lanyard's issuer and its resource groups from Lanyard's Resource Manager, over TLS the local CA signs for
 * those names; and a SecretClient for `https://kv1.vault.azure.net` reads Lanyard's vault. (No test runs the program without the option: it would look those names up on the network.)
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { assignRole } from '../../src/management/service.ts';
import { startTestServer, type TestServer } from '../host/harness.ts';
import { runLanyard } from '../identity/cli.ts';

const CLIENT = path.join(import.meta.dirname, 'clients', 'azure-hosts.mjs');

describe('lanyard run --azure-hosts', () => {
  let t: TestServer;
  let env: Record<string, string>;
  before(async () => {
    t = await startTestServer('sqlite');
    const d = t.runtime.directory;
    const tenant = await d.createTenant({ name: 'contoso' });
    const app = await d.createApp('contoso', { name: 'ops' });
    const secret = await d.addClientSecret('contoso', 'ops', {});
    await d.createResource('contoso', { name: 'web', kind: 'app', systemAssignedIdentity: true });
    await assignRole(d, 'contoso', { principal: 'app:ops', role: 'Reader', scope: 'subscription' });
    await d.createResource('contoso', { name: 'kv1', kind: 'vault' });
    for (const principal of ['app:ops', 'resource:web']) {
      await assignRole(d, 'contoso', { principal, role: 'Key Vault Secrets User', scope: 'resource:kv1' });
    }
    const { resolveVault, setSecret } = await import('../../src/vault/store.ts');
    await setSecret(d, await resolveVault(d, 'contoso', 'kv1'), 's1', { value: 'from the vault' });
    env = {
      LANYARD_STORE: t.location,
      COMPAT_TENANT: tenant.id,
      COMPAT_CLIENT_ID: app.appId,
      COMPAT_SECRET: secret.secretText,
      COMPAT_SUBSCRIPTION: tenant.defaultSubscriptionId,
      COMPAT_VAULT: 'kv1',
    };
  });
  after(() => t?.cleanup());

  const result = (stdout: string) => {
    const line = stdout.split('\n').find((l) => l.startsWith('COMPAT_RESULT '));
    assert.ok(line, stdout);
    return JSON.parse(line.slice('COMPAT_RESULT '.length));
  };

  it('login.microsoftonline.com, management.azure.com and kv1.vault.azure.net reach Lanyard', async () => {
    const run = await runLanyard(
      t.dataDir,
      ['run', '--as', 'web', '--azure-hosts', '--', process.execPath, CLIENT],
      { env, timeoutMs: 60_000 },
    );
    assert.equal(run.code, 0, run.stderr);
    const r = result(run.stdout);
    assert.ok(r.ok, JSON.stringify(r.error));
    const claims = decodeJwt(r.value.token.token);
    assert.equal(claims.iss, `https://sts.windows.net/${env.COMPAT_TENANT}/`);
    assert.equal(claims.aud, 'https://management.azure.com');
    assert.deepEqual(r.value.groups, ['lanyard']);
    // Key Vault under its Azure name: challenge resource https://vault.azure.net, tenant from the challenge.
    assert.match(r.value.vault.id, /^https:\/\/kv1\.vault\.azure\.net\/secrets\/s1\/[0-9a-f]{32}$/);
    assert.equal(r.value.vault.identity, 'from the vault');
    assert.equal(r.value.vault.app, 'from the vault');
  });
});
