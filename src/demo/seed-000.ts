/**
 * @module demo/seed-000
 * Seed 000, "Calling an Azure Function from an Azure Automation Runbook", as it happens: the runbook the seed
 * manifest declares (`call-somefunction` of the Automation account runbook-automation, every hour; the script
 * examples/seeds/apps/runbook.sh, curl for the seed's PowerShell) runs as a job started by hand, with the
 * account's identity. It asks the identity endpoint for a token for Azure Resource Manager and calls SomeFunction
 * through its Easy Auth front — 401, and `WWW-Authenticate` names the audience to request — then asks for a token
 * for the function's application id, as the seed's fix does — 200, and the function was handed the runbook
 * identity's principal. The job's Output stream is printed as stored.
 */
import type { DeclaredJobs } from './flows.ts';
import { expectations, type StoryContext, type StoryResult, short } from './story.ts';
import { describeRefusal, principalFrom, readWwwAuthenticate, when } from './words.ts';

export const ARM = 'https://management.core.windows.net/';

export interface Seed000Setup {
  /** The runbook's account and name in the seed manifest. */
  runbook: { account: string; name: string };
  jobs: DeclaredJobs;
  /** somefunction's application (client) id. */
  appId: string;
  /** The runbook account's system-assigned identity. */
  identity: { principalId: string; clientId: string };
}

/** A stream line as printed: indented, long ones cut. */
export const streamLine = (line: string) => `    ${line.length > 160 ? `${line.slice(0, 159)}…` : line}`;

export interface RunbookAttempt {
  /** The resource the token was asked for, when one was issued. */
  token?: string;
  /** The identity endpoint's answer when it refused. */
  tokenRefused?: string;
  status?: number;
  wwwAuthenticate?: string;
  body?: string;
}

/** Reads runbook.sh's `<attempt> <field>: <value>` lines. */
export function parseRunbookOutput(stdout: string): Record<'arm' | 'function', RunbookAttempt> {
  const out: Record<'arm' | 'function', RunbookAttempt> = { arm: {}, function: {} };
  for (const line of stdout.split('\n')) {
    const m = /^(arm|function) (token|token refused|status|www-authenticate|body): (.*)$/.exec(line);
    if (!m) continue;
    const a = out[m[1] as 'arm' | 'function'];
    const value = m[3]!;
    if (m[2] === 'token') a.token = value;
    else if (m[2] === 'token refused') a.tokenRefused = value;
    else if (m[2] === 'status') a.status = Number(value);
    else if (m[2] === 'www-authenticate') a.wwwAuthenticate = value;
    else a.body = value;
  }
  return out;
}

export async function runSeed000(ctx: StoryContext, setup: Seed000Setup): Promise<StoryResult> {
  const { say } = ctx;
  const expect = expectations();
  const { account, name } = setup.runbook;
  const rb = await setup.jobs.runbook(account, name);
  say('Seed 000 — a runbook calls SomeFunction with the Automation account’s managed identity');
  say(
    `  (runbook ${rb.name} of ${rb.resource}, declared in the seed manifest: ${rb.command.join(' ')}, curl for the seed’s PowerShell;`,
  );
  say(
    `   on its schedule "${rb.schedule}", next at ${when(await setup.jobs.next(rb))}; this job is started by hand, as lanyard runbook start does)`,
  );
  const job = await setup.jobs.run(account, name);
  say(`Seed 000: job ${short(job.id)} of ${rb.name} ended ${job.status}; its Output stream:`);
  for (const line of job.output) say(streamLine(line));
  for (const line of job.errors) say(streamLine(`error: ${line}`));
  const { arm, function: fn } = parseRunbookOutput(job.output.join('\n'));
  if (arm.status === undefined && fn.status === undefined) {
    const why = job.exception ?? (job.errors.slice(-3).join(' ') || job.status);
    say(`Seed 000: the runbook did not run: ${why}`);
    expect.check(false, `the runbook did not run (${why})`);
    return expect.result();
  }
  expect.check(job.status === 'Completed', `the job ended ${job.status}, not Completed`);

  // 1. The token `az account get-access-token` would have given: for Resource Manager.
  let told: string;
  if (arm.tokenRefused !== undefined) told = `no token: ${arm.tokenRefused}`;
  else if (arm.status === 200) told = '200 OK — Easy Auth let it in';
  else told = `Easy Auth refused: ${describeRefusal(arm.status ?? 0, arm.wwwAuthenticate)}`;
  say(`Seed 000: the runbook asked for a token for Azure Resource Manager (${ARM}) → ${told}`);
  const refusal = readWwwAuthenticate(arm.wwwAuthenticate);
  expect.check(arm.status === 401, `the Resource Manager token got ${arm.status ?? 'no answer'}, not 401`);
  expect.check(
    refusal.reason === 'audience_mismatch' && refusal.useAudience === setup.appId,
    `WWW-Authenticate did not name the audience ${setup.appId}`,
  );

  // 2. The seed's fix: a token for the function's application id.
  const principal = principalFrom(fn.body);
  if (fn.tokenRefused !== undefined) told = `no token: ${fn.tokenRefused}`;
  else if (fn.status === 200) {
    const who =
      principal?.oid === setup.identity.principalId
        ? 'runbook-automation’s system-assigned identity'
        : 'not the runbook’s identity';
    told = principal
      ? `200 OK, the function saw principal ${principal.oid} (${who}, appid ${short(principal.appid)})`
      : '200 OK, but the function saw no principal';
  } else told = `Easy Auth refused: ${describeRefusal(fn.status ?? 0, fn.wwwAuthenticate)}`;
  say(`Seed 000: it asked for a token for the function’s appId ${setup.appId} → ${told}`);
  expect.check(fn.status === 200, `the appId token got ${fn.status ?? 'no answer'}, not 200`);
  expect.check(
    principal?.oid === setup.identity.principalId && principal?.appid === setup.identity.clientId,
    'the function was not handed the runbook identity’s principal',
  );
  return expect.result();
}
