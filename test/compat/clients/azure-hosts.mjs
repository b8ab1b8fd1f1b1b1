/**
 * @module test/compat/clients/azure-hosts
 * A program that takes no endpoint option at all, as most do: @azure/identity's ClientSecretCredential with
 * only tenant, client and secret (so login.microsoftonline.com), and an ARM client with no `endpoint` (so
 * management.azure.com). Under `lanyard run --azure-hosts` both reach Lanyard. With COMPAT_VAULT set, it also
 * reads a secret from `https://<vault>.vault.azure.net` with a SecretClient and no option, once with the
 * managed identity (ManagedIdentityCredential) and once with the client secret.
 */
import { ResourceManagementClient } from '@azure/arm-resources';
import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { report, tokenInfo } from './report.mjs';

const env = process.env;
await report(async () => {
  const credential = new ClientSecretCredential(env.COMPAT_TENANT, env.COMPAT_CLIENT_ID, env.COMPAT_SECRET);
  const token = tokenInfo(await credential.getToken('https://management.azure.com/.default'));
  const groups = [];
  for await (const g of new ResourceManagementClient(
    credential,
    env.COMPAT_SUBSCRIPTION,
  ).resourceGroups.list()) {
    groups.push(g.name);
  }
  if (!env.COMPAT_VAULT) return { token, groups };
  const url = `https://${env.COMPAT_VAULT}.vault.azure.net`;
  const asIdentity = await new SecretClient(url, new ManagedIdentityCredential()).getSecret('s1');
  const asApp = await new SecretClient(url, credential).getSecret('s1');
  return {
    token,
    groups,
    vault: { id: asIdentity.properties.id, identity: asIdentity.value, app: asApp.value },
  };
});
