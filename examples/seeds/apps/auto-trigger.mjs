/**
 * Seed 001's caller, "AutoTriggerFunction": what one run of the timer-triggered function does — it calls
 * ExclusiveFunction through its Easy Auth front with its function app's own (system-assigned) managed identity,
 * no key, no secret, and ends. The token comes from `@azure/identity`'s `ManagedIdentityCredential`, used as any
 * Azure app uses it: no options, nothing changed.
 *
 * The timer itself is declared in examples/seeds/lanyard.yaml (`runbooks:`, account auto-trigger-function,
 * at second 0 of every minute): the running server starts this program at each occurrence with the app's identity,
 * and `lanyard runbook start --account auto-trigger-function AutoTriggerFunction` runs it now. By hand:
 *
 *   EXCLUSIVE_FUNCTION_URL=https://exclusive-function.localhost:<front port>/api/ExclusiveFunction \
 *   EXCLUSIVE_FUNCTION_CLIENT_ID=$(lanyard app show exclusive-function -o json | jq -r .appId) \
 *   lanyard run --as auto-trigger-function -- node examples/seeds/apps/auto-trigger.mjs
 *
 * A job (and `lanyard run`) gives it IDENTITY_ENDPOINT and IDENTITY_HEADER, as App Service does, and the CA that
 * signs the front's certificate. The token is for the client (app) id of the AAD application that secures
 * ExclusiveFunction, as in the seed. Each run is a new process, so it asks the identity endpoint for a new token:
 * without an assignment to ExclusiveFunction's application the issuer refuses it (AADSTS501051) and the
 * function is not called. (A Functions host that keeps running keeps the token in the credential's cache until
 * it is close to expiry: a token issued before an unassignment keeps working until then.)
 *
 * Output (a job's Output stream), two lines: what happened, for people, and `result: <JSON>` for scripts
 * (`outcome` called | no_token | call_failed, `status`, `wwwAuthenticate`, `body`, `error`, `message`,
 * `tokenExpiresOn`). Exit code 0 when ExclusiveFunction answered 200, else 1 (the job ends Failed).
 */
import { ManagedIdentityCredential } from '@azure/identity';

const target = process.env.EXCLUSIVE_FUNCTION_URL;
const clientId = process.env.EXCLUSIVE_FUNCTION_CLIENT_ID;
if (!target || !clientId) {
  console.error('AutoTriggerFunction: set EXCLUSIVE_FUNCTION_URL and EXCLUSIVE_FUNCTION_CLIENT_ID.');
  process.exit(2);
}

/** What a caller learns from an answer: the principal ExclusiveFunction saw, or Easy Auth's reason. */
function describe(status, wwwAuthenticate, body) {
  if (status === 200 && body && typeof body === 'object') {
    const p = body.principal;
    return p
      ? `ExclusiveFunction answered 200; it saw principal ${p.id} (appid ${p.appid}) with roles [${p.roles.join(', ')}]`
      : 'ExclusiveFunction answered 200 to an anonymous call';
  }
  return `ExclusiveFunction answered ${status}${wwwAuthenticate ? ` (${wwwAuthenticate})` : ''}`;
}

async function autoTriggerFunction() {
  const run = { at: new Date().toISOString() };
  let token;
  try {
    token = await new ManagedIdentityCredential().getToken(`${clientId}/.default`);
  } catch (err) {
    // The identity got no token: the issuer said why (e.g. AADSTS501051, no role assignment), and the function
    // is not called at all.
    Object.assign(run, { outcome: 'no_token', error: err.name, message: String(err.message) });
    console.log(
      `AutoTriggerFunction: no token for ${clientId}: ${err.name}: ${String(err.message).split('\n')[0]}`,
    );
    return run;
  }
  run.tokenExpiresOn = new Date(token.expiresOnTimestamp).toISOString();
  try {
    const res = await fetch(target, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'AutoTriggerFunction', at: run.at }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let body = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Refusals are plain text.
    }
    Object.assign(run, {
      outcome: 'called',
      status: res.status,
      wwwAuthenticate: res.headers.get('www-authenticate'),
      body,
    });
    console.log(`AutoTriggerFunction: ${describe(res.status, run.wwwAuthenticate, body)}`);
  } catch (err) {
    Object.assign(run, {
      outcome: 'call_failed',
      error: err.name,
      message: String(err.cause?.message ?? err.message),
    });
    console.log(`AutoTriggerFunction: the call failed: ${run.message}`);
  }
  return run;
}

const run = await autoTriggerFunction();
console.log(`result: ${JSON.stringify(run)}`);
process.exitCode = run.outcome === 'called' && run.status === 200 ? 0 : 1;
