/**
 * @module demo/seed-000
 * Seed 000, "Calling an Azure Function from an Azure Automation Runbook", as it happens: the runbook
 * (examples/seeds/apps/runbook.sh, curl) runs under `lanyard run --as runbook-automation`, asks the identity
 * endpoint for a token for Azure Resource Manager and calls SomeFunction through its Easy Auth front — 401, and
 * `WWW-Authenticate` names the audience to request — then asks for a token for the function's application id,
 * as the seed's fix does — 200, and the function was handed the runbook identity's principal.
 */
import path from 'node:path';
import { APPS_DIR } from './processes.ts';
import { expectations, lanyard, type StoryContext, type StoryResult, short } from './story.ts';
import { describeRefusal, principalFrom, readWwwAuthenticate } from './words.ts';

export const ARM = 'https://management.core.windows.net/';

export interface Seed000Setup {
  /** `https://somefunction.localhost:<front port>/api/SomeFunction`. */
  functionUrl: string;
  /** somefunction's application (client) id. */
  appId: string;
  /** The runbook account's system-assigned identity. */
  runbook: { principalId: string; clientId: string };
}

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
  say('Seed 000 — a runbook calls SomeFunction with the Automation account’s managed identity');
  say(
    '  (curl, as the seed’s runbook: lanyard run --as runbook-automation -- sh examples/seeds/apps/runbook.sh)',
  );
  const run = await lanyard(
    { env: { ...ctx.env, FUNCTION_URL: setup.functionUrl, FUNCTION_APP_ID: setup.appId } },
    ['run', '--as', 'runbook-automation', '--', 'sh', path.join(APPS_DIR, 'runbook.sh')],
  );
  const { arm, function: fn } = parseRunbookOutput(run.stdout);
  if (arm.status === undefined && fn.status === undefined) {
    const why = (run.stderr || run.stdout).trim().split('\n').slice(-3).join(' ') || `exit code ${run.code}`;
    say(`Seed 000: the runbook did not run: ${why}`);
    expect.check(false, `the runbook did not run (${why})`);
    return expect.result();
  }

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
      principal?.oid === setup.runbook.principalId
        ? 'runbook-automation’s system-assigned identity'
        : 'not the runbook’s identity';
    told = principal
      ? `200 OK, the function saw principal ${principal.oid} (${who}, appid ${short(principal.appid)})`
      : '200 OK, but the function saw no principal';
  } else told = `Easy Auth refused: ${describeRefusal(fn.status ?? 0, fn.wwwAuthenticate)}`;
  say(`Seed 000: it asked for a token for the function’s appId ${setup.appId} → ${told}`);
  expect.check(fn.status === 200, `the appId token got ${fn.status ?? 'no answer'}, not 200`);
  expect.check(
    principal?.oid === setup.runbook.principalId && principal?.appid === setup.runbook.clientId,
    'the function was not handed the runbook identity’s principal',
  );
  return expect.result();
}
