/**
 * @module demo/seed-001
 * Seed 001, "Secure function-to-function authentication in Azure without the need for credentials", as it
 * happens. AutoTriggerFunction is the timer the seed manifest declares (`AutoTriggerFunction` of the function app
 * auto-trigger-function, at second 0 of every minute; examples/seeds/apps/auto-trigger.mjs, `@azure/identity`
 * ManagedIdentityCredential, unmodified): each run is a job with the app's identity that calls ExclusiveFunction
 * through Easy Auth once. The story starts its jobs by hand:
 *  1. with its identity registered with (assigned a role of) ExclusiveFunction's application → 200, and the
 *     function is handed the caller's principal and role;
 *  2. a caller with no identity (curl, no token) → 401;
 *  3. the assignment removed (`lanyard role unassign`): a token issued before (`lanyard token --as
 *     auto-trigger-function`, what a running Functions host keeps in its credential's cache) is still let in by
 *     Easy Auth — which checks tokens, not assignments, as in Azure — until it expires;
 *  4. the next run asks for a new token: the issuer refuses it (AADSTS501051, assignment required), the
 *     credential throws, ExclusiveFunction is never called and the job ends Failed. This is where Azure says no:
 *     at the token;
 *  5. the assignment restored (`lanyard role assign`, as the manifest declares it) → 200 again.
 */
import type { ExampleApp } from './apps.ts';
import type { DeclaredJobs, JobRun } from './flows.ts';
import { runToEnd } from './processes.ts';
import { streamLine } from './seed-000.ts';
import { expectations, lanyard, type StoryContext, type StoryResult, short } from './story.ts';
import { aadstsOf, describeRefusal, principalFrom, when } from './words.ts';

export const ROLE_ARGS = [
  '--principal',
  'resource:auto-trigger-function',
  '--app',
  'exclusive-function',
  '--role',
  'Invoke',
];

/** The timer's account and name in the seed manifest. */
export const AUTO_TRIGGER = { account: 'auto-trigger-function', name: 'AutoTriggerFunction' } as const;

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
  jobs: DeclaredJobs;
}

/** What one run of auto-trigger.mjs reported (its `result: <JSON>` line). */
export interface AutoTriggerRun {
  outcome: 'called' | 'no_token' | 'call_failed';
  status?: number;
  wwwAuthenticate?: string | null;
  body?: unknown;
  /** The error's class name (from @azure/identity when there was no token). */
  error?: string;
  message?: string;
  tokenExpiresOn?: string;
}

/** The run a job's Output stream reports, or undefined when the program did not get that far. */
export function runOf(job: JobRun): AutoTriggerRun | undefined {
  const line = job.output.find((l) => l.startsWith('result: '));
  if (!line) return undefined;
  try {
    return JSON.parse(line.slice('result: '.length)) as AutoTriggerRun;
  } catch {
    return undefined;
  }
}

/** How many calls the example function has logged. */
const callsOf = (app: ExampleApp) => app.handle.lines.filter((l) => l.startsWith(`${app.name}: `)).length;

function answered(status: number, www: string | null | undefined, body: unknown, callerPrincipal: string) {
  if (status !== 200) return `Easy Auth refused: ${describeRefusal(status, www)}`;
  const p = principalFrom(body);
  if (!p) return '200 OK, but ExclusiveFunction saw no principal';
  const who =
    p.oid === callerPrincipal ? 'AutoTriggerFunction’s identity' : 'not AutoTriggerFunction’s identity';
  return `200 OK, ExclusiveFunction saw principal ${p.oid} (${who}) with roles [${p.roles.join(', ')}]`;
}

function told(job: JobRun, callerPrincipal: string): string {
  const run = runOf(job);
  if (!run) return `the job ended ${job.status} without a result: ${job.exception ?? job.errors.join(' ')}`;
  if (run.outcome === 'no_token') {
    const aadsts = run.message ? aadstsOf(run.message) : undefined;
    return `the issuer refused a new token: ${aadsts ?? run.message?.split('\n')[0]} (${run.error} from ManagedIdentityCredential)`;
  }
  if (run.outcome === 'call_failed') return `the call failed: ${run.message}`;
  return answered(run.status ?? 0, run.wwwAuthenticate, run.body, callerPrincipal);
}

/** POST to `url` with curl (a bearer token when given): status, WWW-Authenticate, body. */
async function curlPost(ctx: StoryContext, url: string, token?: string) {
  const args = ['-sS', '-i', '--cacert', ctx.caPath, '-X', 'POST', url];
  if (token) args.push('-H', `Authorization: Bearer ${token}`, '-H', 'Content-Type: application/json');
  if (token) args.push('-d', '{"from":"a token held since before the unassignment"}');
  const r = await runToEnd('curl', args, { env: ctx.env, timeoutMs: 15_000 });
  const [head = '', ...rest] = r.stdout.split(/\r?\n\r?\n/);
  return {
    status: Number(/^HTTP\/[\d.]+ (\d{3})/m.exec(head)?.[1] ?? 0),
    www: /^www-authenticate: (.*)$/im.exec(head)?.[1]?.trim(),
    body: rest.join('\n\n'),
    error: r.code === 0 ? undefined : r.stderr.trim(),
  };
}

export async function runSeed001(ctx: StoryContext, setup: Seed001Setup): Promise<StoryResult> {
  const { say } = ctx;
  const expect = expectations();
  const { exclusive, jobs } = setup;
  const calledOk = (job: JobRun) => {
    const run = runOf(job);
    const p = principalFrom(run?.body);
    return (
      job.status === 'Completed' &&
      run?.outcome === 'called' &&
      run.status === 200 &&
      p?.oid === setup.caller.principalId &&
      p.roles.includes('Invoke')
    );
  };
  /** One job of the timer, started by hand; its Output stream's first line printed. */
  const runTimer = async () => {
    const job = await jobs.run(AUTO_TRIGGER.account, AUTO_TRIGGER.name);
    const first = job.output.find((l) => !l.startsWith('result: '));
    if (first) say(streamLine(`job ${short(job.id)} ${job.status}: ${first}`));
    return job;
  };

  const rb = await jobs.runbook(AUTO_TRIGGER.account, AUTO_TRIGGER.name);
  say('Seed 001 — AutoTriggerFunction calls ExclusiveFunction with its managed identity');
  say(
    `  (a timer of the function app ${rb.resource}, declared in the seed manifest: ${rb.command.join(' ')}, @azure/identity ManagedIdentityCredential;`,
  );
  say(
    `   on its schedule "${rb.schedule}", next at ${when(await jobs.next(rb))}; these jobs are started by hand, as lanyard runbook start does)`,
  );

  // 1. Registered with ExclusiveFunction's application: role Invoke.
  let job = await runTimer();
  say(
    `Seed 001: AutoTriggerFunction (role Invoke assigned) called ExclusiveFunction → ${told(job, setup.caller.principalId)}`,
  );
  expect.check(calledOk(job), 'with the assignment, the call did not get 200 with the caller’s principal');

  // 2. No identity at all: plain curl, no token.
  const anonymous = await curlPost(ctx, setup.exclusiveUrl);
  say(
    `Seed 001: a caller with no identity (curl, no token) → ${anonymous.status ? `Easy Auth refused: ${describeRefusal(anonymous.status, anonymous.www)}` : `curl failed: ${anonymous.error}`}`,
  );
  expect.check(
    anonymous.status === 401,
    `the caller without a token got ${anonymous.status || 'no answer'}, not 401`,
  );

  // 3. A token issued while the assignment holds — what a running Functions host keeps in its cache — then the
  // assignment removed: Easy Auth still lets that token in.
  const issued = await lanyard(ctx, [
    'token',
    '--as',
    AUTO_TRIGGER.account,
    '--resource',
    setup.appId,
    '-o',
    'json',
  ]);
  const held =
    issued.code === 0
      ? (JSON.parse(issued.stdout) as { accessToken: string; expires_on: number })
      : undefined;
  expect.check(
    held !== undefined,
    `lanyard token --as ${AUTO_TRIGGER.account} failed: ${issued.stderr.trim()}`,
  );
  const unassign = await lanyard(ctx, ['role', 'unassign', ...ROLE_ARGS]);
  say(
    `Seed 001: lanyard role unassign ${ROLE_ARGS.join(' ')} → ${unassign.code === 0 ? 'removed' : `failed: ${unassign.stderr.trim()}`}`,
  );
  expect.check(unassign.code === 0, 'lanyard role unassign failed');
  await new Promise((r) => setTimeout(r, DIRECTORY_SETTLE_MS));
  if (held) {
    const withHeld = await curlPost(ctx, setup.exclusiveUrl, held.accessToken);
    const until = when(new Date(held.expires_on * 1000));
    say(
      `Seed 001: a token issued before that (lanyard token --as ${AUTO_TRIGGER.account}, valid until ${until}: what a running function app keeps in its credential’s cache) → ${withHeld.status ? answered(withHeld.status, withHeld.www, withHeld.body, setup.caller.principalId) : `curl failed: ${withHeld.error}`} — Easy Auth checks the token, not role assignments, as in Azure`,
    );
    expect.check(withHeld.status === 200, 'the token obtained before the unassignment was not accepted');
  }

  // 4. The next run is a new process: it asks for a new token, the issuer refuses it, the function is not called.
  const before = callsOf(exclusive);
  job = await runTimer();
  await new Promise((r) => setTimeout(r, 200));
  const notCalled = callsOf(exclusive) === before;
  say(
    `Seed 001: the next run of AutoTriggerFunction asked for a new token → ${told(job, setup.caller.principalId)}${notCalled ? '; ExclusiveFunction was not called' : ''}; the job ended ${job.status}`,
  );
  const refused = runOf(job);
  expect.check(
    refused?.outcome === 'no_token' && /AADSTS501051/.test(refused.message ?? '') && job.status === 'Failed',
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
  job = await runTimer();
  say(`Seed 001: AutoTriggerFunction ran again → ${told(job, setup.caller.principalId)}`);
  expect.check(calledOk(job), 'after the assignment was restored, the call did not get 200');
  return expect.result();
}
