/**
 * @module test/compat/clients/workload
 * A workload-identity program configured only by environment (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID,
 * AZURE_TENANT_ID, AZURE_AUTHORITY_HOST), as AKS injects it. argv[2] picks the code the program was written
 * with: `ManagedIdentityCredential`, `DefaultAzureCredential`, `WorkloadIdentityCredential` (no options) or
 * `WorkloadIdentityCredential+disableInstanceDiscovery`.
 */
import {
  DefaultAzureCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from '@azure/identity';
import { report, tokenInfo } from './report.mjs';

const kind = process.argv[2];
await report(async () => {
  let credential;
  if (kind === 'ManagedIdentityCredential') credential = new ManagedIdentityCredential();
  else if (kind === 'DefaultAzureCredential') credential = new DefaultAzureCredential();
  else if (kind === 'WorkloadIdentityCredential') credential = new WorkloadIdentityCredential();
  else if (kind === 'WorkloadIdentityCredential+disableInstanceDiscovery')
    credential = new WorkloadIdentityCredential({ disableInstanceDiscovery: true });
  else throw new Error(`unknown credential ${kind}`);
  const tokens = [];
  for (let i = 0; i < Number(process.env.COMPAT_CALLS ?? '1'); i++) {
    tokens.push(tokenInfo(await credential.getToken(process.env.COMPAT_SCOPE)));
  }
  return { tokens };
});
