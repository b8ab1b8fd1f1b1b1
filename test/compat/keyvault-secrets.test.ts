/**
 * @module test/compat/keyvault-secrets.test
 * `@azure/keyvault-secrets` 4.12 (with keyvault-common 2.1.1, which insists on HTTPS and on the challenged
 * origin), unmodified and with no client option, in its own process against a vault served by Lanyard at
 * `https://kv1.vault.localhost:<port>`: the whole secrets surface, errors as `RestError`s with Key Vault's codes
 * and messages, each api-version the SDK can send, and a caller without a role refused with ForbiddenByRbac;
 * on SQLite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { assignRole } from '../../src/management/service.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { type CompatServer, startCompatServer } from './compat-server.ts';
import { runClient } from './run-client.ts';

const PRELOAD = pathToFileURL(
  path.resolve(import.meta.dirname, '../../src/identity/localhost-preload.mjs'),
).href;

for (const kind of STORE_KINDS) {
  describe(`@azure/keyvault-secrets against a Lanyard vault (${kind})`, () => {
    let s: CompatServer;
    let env: Record<string, string>;
    let vaultUrl: string;
    before(async () => {
      s = await startCompatServer({ store: kind });
      const d = s.runtime.directory;
      await d.createResource('contoso', { name: 'kv1', kind: 'vault' });
      await d.createApp('contoso', { name: 'stranger' });
      await assignRole(d, 'contoso', {
        principal: s.seed.caller.servicePrincipalId,
        role: 'Key Vault Secrets Officer',
        scope: 'resource:kv1',
      });
      vaultUrl = `https://kv1.vault.localhost:${s.server.port}`;
      env = {
        NODE_EXTRA_CA_CERTS: s.caPath,
        NODE_OPTIONS: `--import=${PRELOAD}`,
        COMPAT_TENANT: s.seed.tenantId,
        COMPAT_CLIENT_ID: s.seed.caller.appId,
        COMPAT_SECRET: s.seed.caller.secret,
        COMPAT_AUTHORITY_HOST: s.url,
        COMPAT_VAULT_URL: vaultUrl,
      };
    });
    after(() => s?.cleanup());

    it('serves the whole secrets surface to an unmodified SecretClient', async () => {
      const run = await runClient(
        'keyvault-secrets.mjs',
        { ...env, COMPAT_STEP: 'surface' },
        { timeoutMs: 60_000 },
      );
      assert.ok(run.result.ok, JSON.stringify(run.result.error));
      const v = run.result.value;
      assert.equal(v.set.value, 'first value');
      assert.equal(v.set.contentType, 'text/plain');
      assert.deepEqual(v.set.tags, { owner: 'flows' });
      assert.equal(v.set.notBefore, '2026-01-01T00:00:00.000Z');
      assert.equal(v.set.expiresOn, '2031-01-01T00:00:00.000Z');
      assert.equal(v.set.enabled, true);
      assert.equal(v.set.recoveryLevel, 'Recoverable+Purgeable');
      assert.equal(v.set.recoverableDays, 90);
      assert.match(v.set.id, new RegExp(`^${vaultUrl}/secrets/app-secret/[0-9a-f]{32}$`));
      assert.equal(v.set.parsed.name, 'app-secret');
      assert.equal(v.latest.value, 'second value');
      assert.equal(v.latest.version, v.latest.second);
      assert.equal(v.byVersion, 'first value');
      assert.deepEqual(v.updated, {
        tags: { rotated: 'yes' },
        contentType: 'application/x-secret',
        value: 'second value',
      });
      // 30 bulk + app-secret + (switched-off comes later) = 31 names in pages of at most 7.
      const names = v.pages.flat().map((p: { name: string }) => p.name);
      assert.equal(names.length, 31);
      assert.equal(new Set(names).size, 31, 'no name twice across pages');
      assert.ok(v.pages.length >= 5 && v.pages.every((p: unknown[]) => p.length <= 7));
      assert.ok(v.pages.flat().every((p: { hasValue: boolean }) => !p.hasValue));
      assert.equal(v.versions.length, 2);

      assert.equal(v.missing.statusCode, 404);
      assert.equal(v.missing.code, 'SecretNotFound');
      assert.match(
        v.missing.message,
        /A secret with \(name\/id\) no-such-secret was not found in this key vault/,
      );
      assert.equal(v.disabled.statusCode, 403);
      assert.equal(v.disabled.code, 'Forbidden');
      assert.equal(v.disabled.message, 'Operation get is not allowed on a disabled secret.');
      assert.equal(v.badName.statusCode, 400);
      assert.equal(v.badName.code, 'BadParameter');

      assert.equal(v.deleted.name, 'app-secret');
      assert.equal(v.deleted.recoveryId, `${vaultUrl}/deletedsecrets/app-secret`);
      assert.ok(v.deleted.scheduledPurgeDate && v.deleted.deletedOn);
      assert.equal(v.getDeleted, 'app-secret');
      assert.deepEqual(v.listDeleted, ['app-secret']);
      assert.equal(v.setWhileDeleted.statusCode, 409);
      assert.equal(v.setWhileDeleted.code, 'Conflict');
      assert.equal(v.recovered, 'app-secret');
      assert.equal(v.afterRecover, 'second value');
      assert.equal(v.purge.ok, true);
      assert.equal(v.purgedGone.statusCode, 404);

      assert.ok(v.backupBytes > 0);
      assert.deepEqual(v.restored, { name: 'app-secret', value: 'second value' });
      assert.equal(v.versionsAfterRestore, 2, 'every version restored');
      assert.equal(v.restoreOverExisting.statusCode, 409);
    });

    it('answers every api-version the SDK can send', async () => {
      await s.runtime.directory.createResource('contoso', { name: 'kv2', kind: 'vault' });
      await assignRole(s.runtime.directory, 'contoso', {
        principal: s.seed.caller.servicePrincipalId,
        role: 'Key Vault Secrets Officer',
        scope: 'resource:kv2',
      });
      const { setSecret } = await import('../../src/vault/store.ts');
      const { resolveVault } = await import('../../src/vault/store.ts');
      const kv2 = await resolveVault(s.runtime.directory, 'contoso', 'kv2');
      await setSecret(s.runtime.directory, kv2, 'probe', { value: 'probe value' });
      for (const serviceVersion of ['7.0', '7.4', '7.5', '7.6', '2025-07-01', '2026-04-01']) {
        const run = await runClient('keyvault-secrets.mjs', {
          ...env,
          COMPAT_VAULT_URL: `https://kv2.vault.localhost:${s.server.port}`,
          COMPAT_STEP: 'read',
          COMPAT_SECRET_NAME: 'probe',
          COMPAT_SERVICE_VERSION: serviceVersion,
        });
        assert.ok(run.result.ok, JSON.stringify(run.result.error));
        assert.equal(run.result.value.value, 'probe value', serviceVersion);
      }
    });

    it('refuses a caller without a role with ForbiddenByRbac, naming the role that would grant it', async () => {
      const secret = await s.runtime.directory.addClientSecret('contoso', 'stranger');
      const stranger = await s.runtime.directory.getApp('contoso', 'stranger');
      const run = await runClient('keyvault-secrets.mjs', {
        ...env,
        COMPAT_CLIENT_ID: stranger.appId,
        COMPAT_SECRET: secret.secretText,
        COMPAT_STEP: 'read',
        COMPAT_SECRET_NAME: 'app-secret',
      });
      assert.ok(run.result.ok, JSON.stringify(run.result.error));
      const r = run.result.value.read;
      assert.equal(r.statusCode, 403);
      assert.equal(r.code, 'Forbidden');
      assert.match(r.message, /Action: 'Microsoft\.KeyVault\/vaults\/secrets\/getSecret\/action'/);
      assert.match(r.message, /Key Vault Secrets User/);
      assert.match(r.message, /lanyard rbac assign --principal /);
      const refused = await s.runtime.audit.list({ plane: 'vault', action: 'secret.get' });
      assert.ok(refused.some((e) => e.outcome === 'failure' && e.reason === 'ForbiddenByRbac'));
    });
  });
}
