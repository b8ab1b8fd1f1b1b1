/**
 * Seed 002's caller, "a function that calls API Management": it gets a token with the function app's
 * *user-assigned* managed identity — `@azure/identity`'s `ManagedIdentityCredential({ clientId })`, the
 * `RunAs=App;AppId=<clientId>` of the seed — for the API's application registration, and calls the API through
 * the gateway with that token and its subscription key (`Ocp-Apim-Subscription-Key`). One run per process, as
 * a freshly started function: a new process asks for a new token.
 *
 *   APIM_URL=https://contoso-apim.localhost:<port>/protected/hello APIM_KEY=<subscription key> \
 *   TARGET_APP=<the API registration's appId> MI_CLIENT_ID=<apim-caller's clientId> \
 *   lanyard run --as apim-client-function -- node examples/seeds/apps/apim-client.mjs
 *
 * APIM_KEY empty or unset: no key is sent. Prints one JSON line: `outcome` (`called`, `no_token`,
 * `call_failed`), `status`, `body` (JSON when it is), and the token's `aud`, `iss`, `appid`, `oid` and `roles`
 * (never the token).
 */
import { ManagedIdentityCredential } from '@azure/identity';

const { APIM_URL: url, APIM_KEY: key, TARGET_APP: target, MI_CLIENT_ID: clientId } = process.env;
if (!url || !target || !clientId) {
  console.error('apim-client: set APIM_URL, TARGET_APP and MI_CLIENT_ID (APIM_KEY: the subscription key).');
  process.exit(2);
}

const credential = new ManagedIdentityCredential({ clientId });
const report = (r) => console.log(JSON.stringify(r));

let token;
try {
  // A resource, as the seed's GetAccessTokenAsync(target) asks: `<resource>/.default` is the same request.
  token = await credential.getToken(`${target}/.default`);
} catch (err) {
  report({ outcome: 'no_token', error: err.name, message: String(err.message) });
  process.exit(0);
}
const claims = JSON.parse(Buffer.from(token.token.split('.')[1], 'base64url').toString('utf8'));
const headers = { authorization: `Bearer ${token.token}` };
if (key) headers['ocp-apim-subscription-key'] = key;
try {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text.
  }
  const { aud, iss, appid, oid } = claims;
  report({ outcome: 'called', status: res.status, body, aud, iss, appid, oid, roles: claims.roles ?? [] });
} catch (err) {
  report({ outcome: 'call_failed', error: err.name, message: String(err.cause?.message ?? err.message) });
}
