/**
 * @module test/e2e/easyauth-seed-001.test
 * Seed 001 end to end through Easy Auth, with the binaries a user has: AutoTriggerFunction — the timer the seed
 * manifest declares (a runbook of the function app auto-trigger-function, `0 *\/1 * * * *`), running
 * examples/seeds/apps/auto-trigger.mjs (`@azure/identity` ManagedIdentityCredential with no options) with the
 * app's identity — calls the example ExclusiveFunction through the front `lanyard up` serves from the seed
 * manifest. Its runs here are jobs started with `lanyard runbook start`, as the schedule starts them.
 *  - assigned role Invoke: a run gets 200 and the function is handed the caller's principal and role;
 *  - a caller with no identity (curl, no token): 401, and nothing reaches the function;
 *  - `lanyard role unassign`: a token issued before still works — Easy Auth checks tokens, not assignments, as
 *    in Azure — but the next run's new token is refused by the issuer (AADSTS501051, the credential throws), the
 *    job ends Failed and nothing reaches the function;
 *  - `lanyard role assign`: the next run gets 200 again.
 * Then `lanyard demo --once` on the same, already used, data folder: the manifest is re-applied (the front's
 * upstream and the runbook's variables changed by this test go back to the manifest's), the stories go as the
 * seeds say, exit 0.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ChildHandle, runToEnd, startChild } from '../../src/demo/processes.ts';
import { tempDir } from '../helpers/stores.ts';
import {
  APPS,
  applySeed,
  BIN,
  env,
  lanyard,
  ROOT,
  setFrontUpstream,
  sleep,
  startFunction,
  startUp,
  stopChildren,
} from './seed-helpers.ts';

const ROLE = [
  '--principal',
  'resource:auto-trigger-function',
  '--app',
  'exclusive-function',
  '--role',
  'Invoke',
];
const TIMER = ['--account', 'auto-trigger-function', 'AutoTriggerFunction'];

interface Run {
  outcome: string;
  status?: number;
  message?: string;
  body?: { body: unknown; principal: { aud: string; oid: string; roles: string[] } };
}

describe('seed 001 through Easy Auth: AutoTriggerFunction, a declared timer, calls ExclusiveFunction with ManagedIdentityCredential', () => {
  const dataDir = tempDir('lanyard-e2e-ea001-');
  const children: ChildHandle[] = [];
  let exclusive: ChildHandle;
  let up: ChildHandle;
  let frontUrl: string;
  let caPath: string;
  let appId: string;
  let caller: { clientId: string; principalId: string };

  const calls = () => exclusive.lines.filter((l) => l.startsWith('ExclusiveFunction: ')).length;
  /** A run of the timer now, in the foreground (`lanyard runbook start`), with what it printed and reported. */
  const runTimer = async () => {
    let r = await lanyard(dataDir, ['runbook', 'start', ...TIMER]);
    // The schedule's own job of this minute may be running: one job at a time.
    for (let i = 0; i < 20 && /ERR_FLOW_JOB_RUNNING/.test(r.stderr); i++) {
      await sleep(500);
      r = await lanyard(dataDir, ['runbook', 'start', ...TIMER]);
    }
    const run = JSON.parse(/^result: (.*)$/m.exec(r.stdout)?.[1] ?? 'null') as Run | null;
    return { ...r, run };
  };

  before(async () => {
    await applySeed(dataDir);
    let port: string;
    ({ fn: exclusive, port } = await startFunction(dataDir, 'ExclusiveFunction', children));
    await setFrontUpstream(dataDir, 'exclusive-function', port);
    up = startUp(dataDir, children);
    frontUrl = (
      await up.waitForLine(/easy auth exclusive-function: (https:\/\/exclusive-function\.localhost:\d+) /)
    )[1]!;
    caPath = (await up.waitForLine(/CA certificate: (\S+)/))[1]!;
    appId = JSON.parse(
      (await lanyard(dataDir, ['app', 'show', 'exclusive-function', '-o', 'json'])).stdout,
    ).appId;
    caller = JSON.parse(
      (await lanyard(dataDir, ['resource', 'show', 'auto-trigger-function', '-o', 'json'])).stdout,
    ).systemAssignedIdentity;
    // The declared timer, pointed at this test's front (the manifest's URL names no port), as npm start does.
    const shown = JSON.parse((await lanyard(dataDir, ['runbook', 'show', ...TIMER, '-o', 'json'])).stdout);
    assert.equal(shown.schedule, '0 */1 * * * *');
    assert.equal(
      shown.env.EXCLUSIVE_FUNCTION_CLIENT_ID,
      appId,
      'the manifest names ExclusiveFunction’s appId',
    );
    const set = await lanyard(dataDir, [
      'runbook',
      'set',
      '--account',
      'auto-trigger-function',
      '--schedule',
      shown.schedule,
      '--timeout',
      String(shown.timeoutSeconds),
      '--cwd',
      ROOT,
      '--env',
      `EXCLUSIVE_FUNCTION_URL=${frontUrl}/api/ExclusiveFunction`,
      '--env',
      `EXCLUSIVE_FUNCTION_CLIENT_ID=${appId}`,
      'AutoTriggerFunction',
      '--',
      process.execPath,
      path.join(APPS, 'auto-trigger.mjs'),
    ]);
    assert.equal(set.code, 0, set.stderr);
  });

  after(() => stopChildren(children, dataDir));

  it('with role Invoke assigned, a run gets 200 and ExclusiveFunction sees the caller and its role', async () => {
    const r = await runTimer();
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.ok(
      r.stdout.includes(
        `AutoTriggerFunction: ExclusiveFunction answered 200; it saw principal ${caller.principalId} (appid ${caller.clientId}) with roles [Invoke]`,
      ),
      r.stdout,
    );
    assert.match(r.stderr, /^job [0-9a-f-]{36}: Completed$/m);
    await exclusive.waitForLine(
      new RegExp(`^ExclusiveFunction: POST /api/ExclusiveFunction from principal ${caller.principalId} `),
    );
    // What the run reported: the token was for ExclusiveFunction's appId (its AAD application).
    const run = r.run!;
    assert.equal(run.outcome, 'called');
    assert.equal(run.body?.principal.aud, appId);
    assert.equal(run.body?.principal.oid, caller.principalId);
    assert.deepEqual(run.body?.principal.roles, ['Invoke']);
    assert.equal((run.body?.body as { from?: string } | undefined)?.from, 'AutoTriggerFunction');
  });

  it('a caller with no identity (curl, no token) gets 401 and nothing reaches the function', async () => {
    const before = exclusive.lines.length;
    const curl = await runToEnd(
      'curl',
      ['-sS', '-i', '--cacert', caPath, '-X', 'POST', `${frontUrl}/api/ExclusiveFunction`],
      { env: env(dataDir), timeoutMs: 10_000 },
    );
    assert.equal(curl.code, 0, curl.stderr);
    assert.match(curl.stdout, /^HTTP\/1\.1 401 Unauthorized\r$/m);
    const www = /^www-authenticate: (.*)\r$/im.exec(curl.stdout)?.[1];
    assert.match(
      www ?? '',
      /^Bearer realm="exclusive-function\.localhost", error_description="token_missing: /,
    );
    assert.doesNotMatch(www ?? '', /error="/, 'no error= without a token (RFC 6750 §3.1)');
    assert.match(curl.stdout, /You do not have permission to view this directory or page\.$/);
    await sleep(200);
    assert.equal(
      exclusive.lines.slice(before).filter((l) => l.includes('anonymous')).length,
      0,
      'the anonymous call never reached ExclusiveFunction',
    );
  });

  it('unassigned: a token issued before still works, the next run’s new token is refused (AADSTS501051), and nothing reaches the function', async () => {
    // What a running Functions host holds in its credential's cache: a token issued while the assignment held.
    const issued = await lanyard(dataDir, [
      'token',
      '--as',
      'auto-trigger-function',
      '--resource',
      appId,
      '-o',
      'json',
    ]);
    assert.equal(issued.code, 0, issued.stderr);
    const held = JSON.parse(issued.stdout).accessToken as string;
    const removed = await lanyard(dataDir, ['role', 'unassign', ...ROLE]);
    assert.equal(removed.code, 0, removed.stderr);
    await sleep(1_200);
    // Easy Auth does not look at assignments, as in Azure: the token works until it expires.
    const withHeld = await runToEnd(
      'curl',
      [
        '-sS',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '--cacert',
        caPath,
        '-X',
        'POST',
        `${frontUrl}/api/ExclusiveFunction`,
        '-H',
        `Authorization: Bearer ${held}`,
      ],
      { env: env(dataDir), timeoutMs: 10_000 },
    );
    assert.equal(withHeld.stdout, '200', withHeld.stderr);

    // The next run is a new process (an empty token cache): it asks the identity endpoint, the issuer says no.
    const before = calls();
    const r = await runTimer();
    assert.equal(r.code, 1, 'the job ended Failed');
    assert.match(r.stderr, /^job [0-9a-f-]{36}: Failed — The command exited with code 1\.$/m);
    assert.match(
      r.stdout,
      new RegExp(`^AutoTriggerFunction: no token for ${appId}: CredentialUnavailableError: `, 'm'),
    );
    assert.match(
      r.run?.message ?? '',
      /AADSTS501051: Application '[0-9a-f-]{36}'\(auto-trigger-function\) is not assigned to a role for the application '[0-9a-f-]{36}'\(ExclusiveFunction\)/,
    );
    await sleep(100);
    assert.equal(calls(), before, 'no call reached ExclusiveFunction without an assignment');
    const jobs = JSON.parse((await lanyard(dataDir, ['runbook', 'jobs', ...TIMER, '-o', 'json'])).stdout) as {
      status: string;
      startedBy: string;
    }[];
    assert.deepEqual([jobs[0]?.status, jobs[0]?.startedBy], ['Failed', 'manual']);

    // The refusal is the managed-identity endpoint's answer, as Azure gives it: 400 with the AADSTS text.
    const raw = await runToEnd(
      process.execPath,
      [
        BIN,
        'run',
        '--as',
        'auto-trigger-function',
        '--',
        'sh',
        '-c',
        `curl -s -w '\\n%{http_code}' "$IDENTITY_ENDPOINT?resource=${appId}&api-version=2019-08-01" -H "X-IDENTITY-HEADER: $IDENTITY_HEADER"`,
      ],
      { env: env(dataDir), timeoutMs: 20_000 },
    );
    const [body, code] = raw.stdout.trim().split('\n');
    assert.equal(code, '400', raw.stdout + raw.stderr);
    assert.match(JSON.parse(body!).message, /^AADSTS501051: /);
  });

  it('assigned again: the next run gets 200', async () => {
    const added = await lanyard(dataDir, ['role', 'assign', ...ROLE]);
    assert.equal(added.code, 0, added.stderr);
    const r = await runTimer();
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.ok(r.stdout.includes(`it saw principal ${caller.principalId} `), r.stdout);
  });

  it('lanyard demo --once on this used data folder: the manifest is re-applied and both stories go as the seeds say', async () => {
    // Stop this test's server first: the demo serves the same data folder itself.
    const stopped = await up.stop(5_000);
    assert.equal(stopped.code, 0);
    const demo = startChild(
      'lanyard demo',
      process.execPath,
      // Free app ports: the other demo test (seed 000, maybe running at the same time) checks that 7071 is
      // closed after its demo stops.
      [BIN, 'demo', '--once', '--port', '0', '--identity-port', '0', '--free-app-ports'],
      { env: env(dataDir), cwd: ROOT },
    );
    children.push(demo);
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      demo.exited,
      new Promise<{ code: number }>((resolve) => {
        timer = setTimeout(() => resolve({ code: -1 }), 45_000);
      }),
    ]);
    clearTimeout(timer);
    const text = demo.lines.join('\n');
    assert.equal(exit.code, 0, `${text}\n${demo.stderr}`);
    // The front's upstream and the timer (set by this test) go back to the manifest's; nothing else changed.
    assert.match(
      text,
      /^Applied examples\/seeds\/lanyard\.yaml: Apply complete: 0 created, 2 updated, 0 deleted\.$/m,
    );
    assert.match(
      text,
      /^ {2}runbook AutoTriggerFunction of auto-trigger-function, "0 \*\/1 \* \* \* \*", next at /m,
    );
    assert.match(text, /^Seed 000 went as in Azure\.$/m);
    assert.match(text, /^Seed 001 went as in Azure\.$/m);
    // Seeds 002 and 003 (API Management) run after them, on the apps' free ports.
    assert.match(text, /^Seed 002 went as in Azure\.$/m);
    assert.match(text, /^Seed 003 went as in Azure\.$/m);
    // Seed 004 (Key Vault): Get-Creds as get-creds, then refused as another identity, disabled, deleted, recovered.
    assert.match(text, /^Seed 004 went as in Azure\.$/m);
    assert.doesNotMatch(text, /did NOT go/);
    assert.doesNotMatch(text, /Try it yourself/, '--once does not keep serving');
    const roles = JSON.parse(
      (await lanyard(dataDir, ['role', 'list', '--app', 'exclusive-function', '-o', 'json'])).stdout,
    );
    assert.deepEqual(
      roles.map(
        (r: { principalDisplayName: string; appRoleValue: string }) =>
          `${r.principalDisplayName}/${r.appRoleValue}`,
      ),
      ['auto-trigger-function/Invoke'],
      'the story restored the assignment it removed',
    );
  });
});
