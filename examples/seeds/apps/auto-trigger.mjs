/**
 * Seed 001's caller, "AutoTriggerFunction": a timer-triggered function that calls ExclusiveFunction through its
 * Easy Auth front with its own (system-assigned) managed identity — no key, no secret. The token comes from
 * `@azure/identity`'s `ManagedIdentityCredential`, used as any Azure app uses it: no options, nothing changed.
 * Run it with an identity:
 *
 *   EXCLUSIVE_FUNCTION_URL=https://exclusive-function.localhost:<front port>/api/ExclusiveFunction \
 *   EXCLUSIVE_FUNCTION_CLIENT_ID=$(lanyard app show exclusive-function -o json | jq -r .appId) \
 *   lanyard run --as auto-trigger-function -- node examples/seeds/apps/auto-trigger.mjs
 *
 * `lanyard run` gives it IDENTITY_ENDPOINT and IDENTITY_HEADER, as App Service does, and the CA that signs the
 * front's certificate. The token is for the client (app) id of the AAD application that secures
 * ExclusiveFunction, as in the seed; the credential keeps it in its cache until it is close to expiry, so it
 * asks the endpoint again only then, or when the app restarts.
 *
 * Settings (environment): TIMER_SECONDS (default 60; 0 turns the timer off), RUN_ON_STARTUP=true (run once at
 * start, like the timer trigger's runOnStartup), PORT (default 7073; 0 picks a free one); LANYARD_DEMO_PID is
 * set by `lanyard demo`, which this app outlives by at most a second.
 * HTTP, on 127.0.0.1: `POST /admin/functions/AutoTriggerFunction` runs it now and answers with the run (the
 * Functions host's route for running a non-HTTP function; the host answers 202 and runs it in the background,
 * this one waits so that a script sees what happened); `GET /` lists the last runs. One stdout line per run.
 */
import http from 'node:http';
import { ManagedIdentityCredential } from '@azure/identity';

const target = process.env.EXCLUSIVE_FUNCTION_URL;
const clientId = process.env.EXCLUSIVE_FUNCTION_CLIENT_ID;
if (!target || !clientId) {
  console.error('AutoTriggerFunction: set EXCLUSIVE_FUNCTION_URL and EXCLUSIVE_FUNCTION_CLIENT_ID.');
  process.exit(2);
}
const timerSeconds = Number(process.env.TIMER_SECONDS ?? 60);
const port = Number(process.env.PORT ?? 7073);

const credential = new ManagedIdentityCredential();
const runs = [];

/** What a caller learns from a refusal: the reason and hint Easy Auth put in WWW-Authenticate. */
function describe(status, wwwAuthenticate, body) {
  if (status === 200 && body && typeof body === 'object') {
    const p = body.principal;
    return p
      ? `ExclusiveFunction answered 200; it saw principal ${p.id} (appid ${p.appid}) with roles [${p.roles.join(', ')}]`
      : 'ExclusiveFunction answered 200 to an anonymous call';
  }
  return `ExclusiveFunction answered ${status}${wwwAuthenticate ? ` (${wwwAuthenticate})` : ''}`;
}

async function autoTriggerFunction(trigger) {
  const run = { run: runs.length + 1, trigger, at: new Date().toISOString() };
  runs.push(run);
  if (runs.length > 20) runs.shift();
  let token;
  try {
    token = await credential.getToken(`${clientId}/.default`);
  } catch (err) {
    // The identity got no token: the issuer said why (e.g. AADSTS501051, no role assignment), and the
    // function is not called at all.
    Object.assign(run, {
      outcome: 'no_token',
      error: err.name,
      message: String(err.message),
    });
    console.log(
      `AutoTriggerFunction run ${run.run} (${trigger}): no token for ${clientId}: ${err.name}: ${String(err.message).split('\n')[0]}`,
    );
    return run;
  }
  run.tokenExpiresOn = new Date(token.expiresOnTimestamp).toISOString();
  try {
    const res = await fetch(target, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'AutoTriggerFunction', run: run.run }),
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
    console.log(
      `AutoTriggerFunction run ${run.run} (${trigger}): ${describe(res.status, run.wwwAuthenticate, body)}`,
    );
  } catch (err) {
    Object.assign(run, {
      outcome: 'call_failed',
      error: err.name,
      message: String(err.cause?.message ?? err.message),
    });
    console.log(`AutoTriggerFunction run ${run.run} (${trigger}): the call failed: ${run.message}`);
  }
  return run;
}

const server = http.createServer((req, res) => {
  const path = (req.url ?? '/').split('?', 1)[0].toLowerCase();
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(`${JSON.stringify(body)}\n`);
  };
  req.resume();
  if (req.method === 'POST' && path === '/admin/functions/autotriggerfunction') {
    autoTriggerFunction('manual').then((run) => send(200, run));
  } else if (req.method === 'GET' && path === '/') {
    send(200, { function: 'AutoTriggerFunction', timerSeconds, target, runs });
  } else {
    send(404, { error: 'try POST /admin/functions/AutoTriggerFunction or GET /' });
  }
});

let timer;
server.once('error', (err) => {
  console.error(`AutoTriggerFunction: cannot listen on 127.0.0.1:${port}: ${err.code ?? err.message}`);
  process.exit(err.code === 'EADDRINUSE' ? 98 : 1);
});
server.listen(port, '127.0.0.1', () => {
  console.log(
    `AutoTriggerFunction listening on http://127.0.0.1:${server.address().port}; timer: ${timerSeconds > 0 ? `every ${timerSeconds} s` : 'off'}`,
  );
  if (timerSeconds > 0) timer = setInterval(() => autoTriggerFunction('timer'), timerSeconds * 1000);
  if (process.env.RUN_ON_STARTUP === 'true') autoTriggerFunction('startup');
});

const stop = () => {
  clearInterval(timer);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 1_000).unref();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

// Started by `lanyard demo` (npm start): stop when it is gone, even when it could not stop us (killed, crashed).
const demo = Number(process.env.LANYARD_DEMO_PID);
if (demo > 0) {
  setInterval(() => {
    try {
      process.kill(demo, 0);
    } catch (err) {
      if (err.code === 'ESRCH') stop();
    }
  }, 1_000).unref();
}
