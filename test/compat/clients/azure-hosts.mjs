/**
 * @module test/compat/clients/azure-hosts
 * A program that takes no endpoint option at all, as most do: @azure/identity's ClientSecretCredential with
 * only tenant, client and secret (so login.microsoftonline.com), and an ARM client with no `endpoint` (so
 * management.azure.com). Under `lanyard run --azure-hosts` both reach Lanyard.
 */
import { ResourceManagementClient } from '@azure/arm-resources';
import { ClientSecretCredential } from '@azure/identity';
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
  return { token, groups };
});
