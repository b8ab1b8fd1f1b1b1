/**
 * @module test/compat/clients/client-certificate
 * A program using @azure/identity's ClientCertificateCredential with a PEM file (private key + certificate)
 * against a non-Microsoft authority: `authorityHost` + `disableInstanceDiscovery: true`, and
 * `sendCertificateChain` when COMPAT_SEND_CHAIN=1 (MSAL then adds `x5c` to its PS256 assertion).
 */
import { ClientCertificateCredential } from '@azure/identity';
import { report, tokenInfo } from './report.mjs';

const env = process.env;
await report(async () => {
  const credential = new ClientCertificateCredential(
    env.COMPAT_TENANT,
    env.COMPAT_CLIENT_ID,
    { certificatePath: env.COMPAT_CERT_PATH },
    {
      authorityHost: env.COMPAT_AUTHORITY_HOST,
      disableInstanceDiscovery: true,
      sendCertificateChain: env.COMPAT_SEND_CHAIN === '1',
    },
  );
  return { tokens: [tokenInfo(await credential.getToken(env.COMPAT_SCOPE))] };
});
