/**
 * @module test/compat/clients/client-secret
 * A program using @azure/identity's ClientSecretCredential against a non-Microsoft authority, as the docs tell
 * users to write it: `authorityHost` + `disableInstanceDiscovery: true`. Calls getToken COMPAT_CALLS times
 * (the second is expected to come from MSAL's cache).
 */
import { ClientSecretCredential } from '@azure/identity';
import { report, tokenInfo } from './report.mjs';

const env = process.env;
await report(async () => {
  const credential = new ClientSecretCredential(env.COMPAT_TENANT, env.COMPAT_CLIENT_ID, env.COMPAT_SECRET, {
    authorityHost: env.COMPAT_AUTHORITY_HOST,
    disableInstanceDiscovery: true,
  });
  const tokens = [];
  for (let i = 0; i < Number(env.COMPAT_CALLS ?? '1'); i++) {
    tokens.push(tokenInfo(await credential.getToken(env.COMPAT_SCOPE)));
  }
  return { tokens };
});
