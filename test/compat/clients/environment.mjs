/**
 * @module test/compat/clients/environment
 * A program that configures nothing in code: `new EnvironmentCredential()` or `new DefaultAzureCredential()`
 * (argv[2]), everything else from AZURE_* variables, as in a deployed service.
 */
import { DefaultAzureCredential, EnvironmentCredential } from '@azure/identity';
import { report, tokenInfo } from './report.mjs';

const kind = process.argv[2] ?? 'EnvironmentCredential';
await report(async () => {
  const credential =
    kind === 'DefaultAzureCredential' ? new DefaultAzureCredential() : new EnvironmentCredential();
  return { tokens: [tokenInfo(await credential.getToken(process.env.COMPAT_SCOPE))] };
});
