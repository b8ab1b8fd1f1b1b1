/**
 * @module demo/seed-001
 * Seed 001, "Secure function-to-function authentication in Azure without the need for credentials", as it
 * happens. AutoTriggerFunction (its own timer; `@azure/identity` ManagedIdentityCredential, unmodified) calls
 * ExclusiveFunction through Easy Auth:
 *  1. with its identity registered with (assigned a role of) ExclusiveFunction's application → 200, and the
 *     function is handed the caller's principal and role;
 *  2. a caller with no identity (curl, no token) → 401;
 *  3. the assignment removed (`lanyard role unassign`): the running app still holds its token, and Easy Auth —
 *     which checks tokens, not assignments, as in Azure — lets it in (200) until that token expires;
 *  4. restarted, the app asks for a new token: the issuer refuses it (AADSTS501051, assignment required), the
 *     credential throws, and ExclusiveFunction is never called. This is where Azure says no: at the token;
 *  5. the assignment restored (`lanyard role assign`, as the manifest declares it) → 200 again.
 */
import type { ExampleApp } from './apps.ts';
import type { AutoTrigger, AutoTriggerRun } from './auto-trigger.ts';
import { runToEnd } from './processes.ts';
import { expectations, lanyard, type StoryContext, type StoryResult } from './story.ts';
import { aadstsOf, describeRefusal, principalFrom } from './words.ts';

export const ROLE_ARGS = [
  '--principal',
  'resource:auto-trigger-function',
  '--app',
  'exclusive-function',
  '--role',
  'Invoke',
];

/** Running endpoints notice a directory change within a second (their version check). */
const DIRECTORY_SETTLE_MS = 1_100;

export interface Seed001Setup {
  /** `https://exclusive-function.localhost:<front port>/api/ExclusiveFunction`. */
  exclusiveUrl: string;
  /** ExclusiveFunction's application id. */
  appId: string;
  /** AutoTriggerFunction's system-assigned identity. */
  caller: { principalId: string; clientId: string };
  exclusive: ExampleApp;
  autoTrigger: AutoTrigger;
}

/** How many calls the example function has logged. */
const callsOf = (app: ExampleApp) => app.handle.lines.filter((l) => l.startsWith(`${app.name}: `)).length;

function told(run: AutoTriggerRun, callerPrincipal: string): string {
  if (run.outcome === 'no_token') {
    const aadsts = run.message ? aadstsOf(run.message) : undefined;
    return `the issuer refused a new token: ${aadsts ?? run.message?.split('\n')[0]} (${run.error} from ManagedIdentityCredential)`;
  }
  if (run.outcome === 'call_failed') return `the call failed: ${run.message}`;
  if (run.status !== 200)
    return `Easy Auth refused: ${describeRefusal(run.status ?? 0, run.wwwAuthenticate)}`;
  const p = principalFrom(run.body);
  if (!p) return '200 OK, but ExclusiveFunction saw no principal';
  const who =
    p.oid === callerPrincipal ? 'AutoTriggerFunction’s identity' : 'not AutoTriggerFunction’s identity';
  return `200 OK, ExclusiveFunction saw principal ${p.oid} (${who}) with roles [${p.roles.join(', ')}]`;
}

export async function runSeed001(ctx: StoryContext, setup: Seed001Setup): Promise<StoryResult> {
  const { say } = ctx;
  const expect = expectations();
  const { autoTrigger, exclusive } = setup;
  const calledOk = (run: AutoTriggerRun) => {
    const p = principalFrom(run.body);
    return (
      run.outcome === 'called' &&
      run.status === 200 &&
      p?.oid === setup.caller.principalId &&
      p.roles.includes('Invoke')
    );
  };
  /** Waits until ExclusiveFunction has logged `n` calls (its log line may trail the answer a little). */
  const waitForCalls = async (n: number) => {
    const since = Date.now();
    while (callsOf(exclusive) < n && Date.now() - since < 2_000) await new Promise((r) => setTimeout(r, 25));
  };

  say('Seed 001 — AutoTriggerFunction calls ExclusiveFunction with its managed identity');
  say(
    '  (examples/seeds/apps/auto-trigger.mjs under lanyard run --as auto-trigger-function; @azure/identity ManagedIdentityCredential)',
  );

  // 1. Registered with ExclusiveFunction's application: role Invoke.
  let run = await autoTrigger.trigger();
  say(
    `Seed 001: AutoTriggerFunction (role Invoke assigned) called ExclusiveFunction → ${told(run, setup.caller.principalId)}`,
  );
  expect.check(calledOk(run), 'with the assignment, the call did not get 200 with the caller’s principal');
  await waitForCalls(1);

  // 2. No identity at all: plain curl, no token.
  const curl = await runToEnd(
    'curl',
    ['-sS', '-o', '/dev/null', '-D', '-', '--cacert', ctx.caPath, '-X', 'POST', setup.exclusiveUrl],
    { env: ctx.env, timeoutMs: 15_000 },
  );
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/m.exec(curl.stdout)?.[1] ?? 0);
  const www = /^www-authenticate: (.*)$/im.exec(curl.stdout)?.[1]?.trim();
  say(
    `Seed 001: a caller with no identity (curl, no token) → ${status ? `Easy Auth refused: ${describeRefusal(status, www)}` : `curl failed: ${curl.stderr.trim()}`}`,
  );
  expect.check(status === 401, `the caller without a token got ${status || 'no answer'}, not 401`);

  // 3. The assignment removed; the running app still holds the token it got in step 1.
  const unassign = await lanyard(ctx, ['role', 'unassign', ...ROLE_ARGS]);
  say(
    `Seed 001: lanyard role unassign ${ROLE_ARGS.join(' ')} → ${unassign.code === 0 ? 'removed' : `failed: ${unassign.stderr.trim()}`}`,
  );
  expect.check(unassign.code === 0, 'lanyard role unassign failed');
  await new Promise((r) => setTimeout(r, DIRECTORY_SETTLE_MS));
  const expiresOn = run.tokenExpiresOn;
  run = await autoTrigger.trigger();
  say(
    `Seed 001: AutoTriggerFunction ran again with the token it already holds (valid until ${expiresOn ?? '?'}) → ${told(run, setup.caller.principalId)} — Easy Auth checks the token, not role assignments, as in Azure`,
  );
  expect.check(calledOk(run), 'the token obtained before the unassignment was not accepted');
  await waitForCalls(2);

  // 4. A new token is refused by the issuer; the function is not called.
  const before = callsOf(exclusive);
  await autoTrigger.restart();
  run = await autoTrigger.trigger();
  await new Promise((r) => setTimeout(r, 200));
  const notCalled = callsOf(exclusive) === before;
  say(
    `Seed 001: AutoTriggerFunction restarted and asked for a new token → ${told(run, setup.caller.principalId)}${notCalled ? '; ExclusiveFunction was not called' : ''}`,
  );
  expect.check(
    run.outcome === 'no_token' && /AADSTS501051/.test(run.message ?? ''),
    'after the unassignment, a new token was not refused with AADSTS501051',
  );
  expect.check(notCalled, 'ExclusiveFunction was called without an assignment');

  // 5. The manifest's assignment restored: the next run gets a token again.
  const assign = await lanyard(ctx, ['role', 'assign', ...ROLE_ARGS, '-o', 'json']);
  say(
    `Seed 001: lanyard role assign ${ROLE_ARGS.join(' ')} → ${assign.code === 0 ? 'restored, as the manifest declares it' : `failed: ${assign.stderr.trim()}`}`,
  );
  expect.check(assign.code === 0, 'lanyard role assign failed');
  await new Promise((r) => setTimeout(r, DIRECTORY_SETTLE_MS));
  run = await autoTrigger.trigger();
  say(`Seed 001: AutoTriggerFunction ran again → ${told(run, setup.caller.principalId)}`);
  expect.check(calledOk(run), 'after the assignment was restored, the call did not get 200');
  return expect.result();
}
