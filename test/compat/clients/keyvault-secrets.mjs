/**
 * @module test/compat/clients/keyvault-secrets
 * A program using `@azure/keyvault-secrets` as its docs show, with no client option at all: `new
 * SecretClient(vaultUrl, credential)`, the vault at `https://<vault>.vault.localhost:<port>` (names resolved to
 * loopback by Lanyard's preload, trust through NODE_EXTRA_CA_CERTS). The challenge tells the SDK which tenant
 * and resource to ask a token for. COMPAT_STEP picks a part: `surface` (every secrets operation), `read` (one
 * get, for a caller that may be refused), `mi` (a get with ManagedIdentityCredential).
 */
import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import { parseKeyVaultSecretIdentifier, SecretClient } from '@azure/keyvault-secrets';
import { report } from './report.mjs';

const env = process.env;

const failure = async (p) => {
  try {
    await p;
    return { ok: true };
  } catch (e) {
    return { ok: false, name: e.name, code: e.code, statusCode: e.statusCode, message: e.message };
  }
};

await report(async () => {
  const credential =
    env.COMPAT_STEP === 'mi'
      ? new ManagedIdentityCredential()
      : new ClientSecretCredential(env.COMPAT_TENANT, env.COMPAT_CLIENT_ID, env.COMPAT_SECRET, {
          authorityHost: env.COMPAT_AUTHORITY_HOST,
          disableInstanceDiscovery: true,
        });
  const client = new SecretClient(
    env.COMPAT_VAULT_URL,
    credential,
    env.COMPAT_SERVICE_VERSION ? { serviceVersion: env.COMPAT_SERVICE_VERSION } : {},
  );
  const out = {};
  if (env.COMPAT_STEP === 'read' || env.COMPAT_STEP === 'mi') {
    out.read = await failure(client.getSecret(env.COMPAT_SECRET_NAME).then((s) => (out.value = s.value)));
    return out;
  }

  // set, with every property; get latest and by version
  const notBefore = new Date('2026-01-01T00:00:00Z');
  const expiresOn = new Date('2031-01-01T00:00:00Z');
  const first = await client.setSecret('app-secret', 'first value', {
    contentType: 'text/plain',
    tags: { owner: 'flows' },
    notBefore,
    expiresOn,
  });
  const second = await client.setSecret('app-secret', 'second value');
  const latest = await client.getSecret('app-secret');
  const byVersion = await client.getSecret('app-secret', { version: first.properties.version });
  out.set = {
    value: first.value,
    contentType: first.properties.contentType,
    tags: first.properties.tags,
    notBefore: first.properties.notBefore?.toISOString(),
    expiresOn: first.properties.expiresOn?.toISOString(),
    enabled: first.properties.enabled,
    recoveryLevel: first.properties.recoveryLevel,
    recoverableDays: first.properties.recoverableDays,
    id: first.properties.id,
    parsed: parseKeyVaultSecretIdentifier(first.properties.id),
  };
  out.latest = { value: latest.value, version: latest.properties.version, second: second.properties.version };
  out.byVersion = byVersion.value;

  // update properties: value unchanged, `updated` moves
  const updated = await client.updateSecretProperties('app-secret', second.properties.version, {
    tags: { rotated: 'yes' },
    contentType: 'application/x-secret',
  });
  out.updated = {
    tags: updated.tags,
    contentType: updated.contentType,
    value: (await client.getSecret('app-secret')).value,
  };

  // list with paging, versions
  for (let i = 0; i < 30; i++) await client.setSecret(`bulk-${String(i).padStart(2, '0')}`, `v${i}`);
  const pages = [];
  for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 7 })) {
    pages.push(page.map((p) => ({ name: p.name, hasValue: 'value' in p })));
  }
  out.pages = pages;
  const versions = [];
  for await (const p of client.listPropertiesOfSecretVersions('app-secret')) versions.push(p.version);
  out.versions = versions;

  // errors
  out.missing = await failure(client.getSecret('no-such-secret'));
  await client.setSecret('switched-off', 'x', { enabled: false });
  out.disabled = await failure(client.getSecret('switched-off'));
  out.badName = await failure(client.setSecret('bad_name', 'x'));

  // soft delete: delete (poller), get deleted, list deleted, set refused, recover (poller), purge
  const deleting = await client.beginDeleteSecret('app-secret', { intervalInMs: 50 });
  const deleted = await deleting.pollUntilDone();
  out.deleted = {
    name: deleted.name,
    recoveryId: deleted.recoveryId,
    scheduledPurgeDate: deleted.scheduledPurgeDate?.toISOString(),
    deletedOn: deleted.deletedOn?.toISOString(),
  };
  out.getDeleted = (await client.getDeletedSecret('app-secret')).name;
  out.listDeleted = [];
  for await (const d of client.listDeletedSecrets()) out.listDeleted.push(d.name);
  out.setWhileDeleted = await failure(client.setSecret('app-secret', 'again'));
  const recovering = await client.beginRecoverDeletedSecret('app-secret', { intervalInMs: 50 });
  out.recovered = (await recovering.pollUntilDone()).name;
  out.afterRecover = (await client.getSecret('app-secret')).value;
  await (await client.beginDeleteSecret('bulk-00', { intervalInMs: 50 })).pollUntilDone();
  out.purge = await failure(client.purgeDeletedSecret('bulk-00'));
  out.purgedGone = await failure(client.getDeletedSecret('bulk-00'));

  // backup, delete + purge, restore
  const blob = await client.backupSecret('app-secret');
  out.backupBytes = blob?.length;
  await (await client.beginDeleteSecret('app-secret', { intervalInMs: 50 })).pollUntilDone();
  await client.purgeDeletedSecret('app-secret');
  const restored = await client.restoreSecretBackup(blob);
  out.restored = { name: restored.name, value: (await client.getSecret('app-secret')).value };
  const versionsAfter = [];
  for await (const p of client.listPropertiesOfSecretVersions('app-secret')) versionsAfter.push(p.version);
  out.versionsAfterRestore = versionsAfter.length;
  out.restoreOverExisting = await failure(client.restoreSecretBackup(blob));
  return out;
});
