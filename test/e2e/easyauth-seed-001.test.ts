/**
 * @module test/e2e/easyauth-seed-001.test
 * Seed 001 end to end through Easy Auth, with the binaries a user has: AutoTriggerFunction
 * (examples/seeds/apps/auto-trigger.mjs: its own timer, `@azure/identity` ManagedIdentityCredential with no
 * options) runs under `lanyard run --as auto-trigger-function` and calls the example ExclusiveFunction through
 * the front `lanyard up` serves from the seed manifest.
 *  - assigned role Invoke: the timer's runs get 200 and the function is handed the caller's principal and role;
 *  - a caller with no identity (curl, no token): 401, and nothing reaches the function;
 *  - `lanyard role unassign`: the token the app already holds still works — Easy Auth checks tokens, not
 *    assignments, as in Azure — but a restarted app's new token is refused by the issuer (AADSTS501051, the
 *    credential throws), and from then on the timer's runs reach nothing;
 *  - `lanyard role assign`: the next run gets 200 again.
 * Then `lanyard demo --once` on the same, already used, data folder: the manifest is re-applied (the front's
 * upstream changed by this test goes back to the manifest's), both stories go as the seeds say, exit 0.
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

describe('seed 001 through Easy Auth: AutoTriggerFunction calls ExclusiveFunction with ManagedIdentityCredential', () => {
  const dataDir = tempDir('lanyard-e2e-ea001-');
  const children: ChildHandle[] = [];
  let exclusive: ChildHandle;
  let up: ChildHandle;
  let autoTrigger: ChildHandle;
  let frontUrl: string;
  let caPath: string;
  let appId: string;
  let caller: { clientId: string; principalId: string };

  const calls = () => exclusive.lines.filter((l) => l.startsWith('ExclusiveFunction: ')).length;
  /** Starts AutoTriggerFunction under `lanyard run`, its timer every second. */
  const startAutoTrigger = async () => {
    autoTrigger = startChild(
      'AutoTriggerFunction',
      process.execPath,
      [
        BIN,
        'run',
        '--as',
        'auto-trigger-function',
        '--',
        process.execPath,
        path.join(APPS, 'auto-trigger.mjs'),
      ],
      {
        env: env(dataDir, {
          EXCLUSIVE_FUNCTION_URL: `${frontUrl}/api/ExclusiveFunction`,
          EXCLUSIVE_FUNCTION_CLIENT_ID: appId,
          TIMER_SECONDS: '1',
          PORT: '0',
        }),
      },
    );
    children.push(autoTrigger);
    const m = await autoTrigger.waitForLine(/listening on (http:\/\/127\.0\.0\.1:\d+); timer: every 1 s$/);
    return m[1]!;
  };
  const timerRun = (pattern: string, from: number) =>
    autoTrigger.waitForLine(new RegExp(`^AutoTriggerFunction run \\d+ \\(timer\\): ${pattern}`), {
      from,
      timeoutMs: 10_000,
    });

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
  });

  after(() => stopChildren(children, dataDir));

  it('with role Invoke assigned, the timer’s run gets 200 and ExclusiveFunction sees the caller and its role', async () => {
    const url = await startAutoTrigger();
    const line = await timerRun('ExclusiveFunction answered 200; ', 0);
    assert.ok(
      line.input!.includes(
        `it saw principal ${caller.principalId} (appid ${caller.clientId}) with roles [Invoke]`,
      ),
      line.input,
    );
    await exclusive.waitForLine(
      new RegExp(`^ExclusiveFunction: POST /api/ExclusiveFunction from principal ${caller.principalId} `),
    );
    // What the app recorded of the run: the token was for ExclusiveFunction's appId (its AAD application).
    type Run = {
      run: number;
      trigger: string;
      outcome: string;
      status?: number;
      body: { body: unknown; principal: { aud: string; oid: string; roles: string[] } };
    };
    const status = (await (await fetch(url)).json()) as { runs: Run[] };
    const run = status.runs.find((r) => r.trigger === 'timer' && r.status === 200);
    assert.ok(run, JSON.stringify(status));
    assert.equal(run.outcome, 'called');
    assert.equal(run.body.principal.aud, appId);
    assert.equal(run.body.principal.oid, caller.principalId);
    assert.deepEqual(run.body.principal.roles, ['Invoke']);
    assert.deepEqual(run.body.body, { from: 'AutoTriggerFunction', run: run.run });
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

  it('unassigned: the held token still works, a new token is refused (AADSTS501051), and nothing reaches the function', async () => {
    const removed = await lanyard(dataDir, ['role', 'unassign', ...ROLE]);
    assert.equal(removed.code, 0, removed.stderr);
    // The running app holds a token for 24 h: Easy Auth does not look at assignments, as in Azure.
    await sleep(1_200);
    await timerRun('ExclusiveFunction answered 200; ', autoTrigger.lines.length);

    // Restarted (a new process, an empty token cache), it asks the identity endpoint: the issuer says no.
    const old = autoTrigger;
    old.child.kill('SIGTERM');
    assert.equal((await old.exited).code, 0, 'lanyard run returns the app’s exit code');
    await startAutoTrigger();
    const before = calls();
    const refused = await timerRun(`no token for ${appId}: CredentialUnavailableError: `, 0);
    assert.match(
      refused.input!,
      /AADSTS501051: Application '[0-9a-f-]{36}'\(auto-trigger-function\) is not assigned to a role for the application '[0-9a-f-]{36}'\(ExclusiveFunction\)/,
    );
    // Two more timer runs: refused too, and ExclusiveFunction got no call at all.
    await timerRun('no token', autoTrigger.lines.indexOf(refused.input!) + 1);
    await sleep(100);
    assert.equal(calls(), before, 'no call reached ExclusiveFunction without an assignment');

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
    const from = autoTrigger.lines.length;
    const added = await lanyard(dataDir, ['role', 'assign', ...ROLE]);
    assert.equal(added.code, 0, added.stderr);
    const line = await timerRun('ExclusiveFunction answered 200; ', from);
    assert.ok(line.input!.includes(`principal ${caller.principalId}`));
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
      [BIN, 'demo', '--once', '--port', '0', '--identity-port', '0', '--timer', '0', '--free-app-ports'],
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
    // The front's upstream (set by this test) goes back to the manifest's; nothing else changed.
    assert.match(
      text,
      /^Applied examples\/seeds\/lanyard\.yaml: Apply complete: 0 created, 1 updated, 0 deleted\.$/m,
    );
    assert.match(
      text,
      /AutoTriggerFunction +http:\/\/127\.0\.0\.1:\d+, as auto-trigger-function \(lanyard run\), timer off/,
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
