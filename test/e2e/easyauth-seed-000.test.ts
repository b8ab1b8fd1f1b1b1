/**
 * @module test/e2e/easyauth-seed-000.test
 * Seed 000 end to end through Easy Auth, with the binaries a user has: `lanyard up` serves the seed manifest's
 * front of `somefunction` in front of the example SomeFunction app; the runbook (examples/seeds/apps/runbook.sh,
 * real curl) runs under `lanyard run --as runbook-automation`. A token for Resource Manager → 401 whose
 * `WWW-Authenticate` names the function's appId; a token for the appId → 200 and the app was handed the
 * runbook identity's principal; a token for `api://somefunction` → 401 too (only the bare clientId is
 * implicit). Then `lanyard demo` — what `npm start` runs — tells the seed stories (000 and 001 as jobs of the
 * runbooks the manifest declares, 004 as the flow's button), its printed commands work, and SIGTERM stops it and
 * every child with exit 0.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ChildHandle, runToEnd, startChild } from '../../src/demo/processes.ts';
import { STORE_KINDS, tempDir, testLocation } from '../helpers/stores.ts';
import {
  APPS,
  applySeed,
  BIN,
  env,
  lanyard,
  ROOT,
  setFrontUpstream,
  startFunction,
  startUp,
} from './seed-helpers.ts';

const APP_ID = 'cc334b87-fdbe-4996-aa3f-5bad192a18a6';
const AZURE_DENIED = 'You do not have permission to view this directory or page.';

/** runbook.sh's `<attempt> <field>: <value>` lines. */
function attempts(stdout: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const m of stdout.matchAll(
    /^(arm|function) (token|token refused|status|www-authenticate|body): (.*)$/gm,
  )) {
    out[m[1]!] ??= {};
    out[m[1]!]![m[2]!] = m[3]!;
  }
  return out;
}

/** The admin API examples of README.md (the tour's step 4) and docs/admin-api.md, as shell scripts. */
function documentedAdminExamples(): [string, string][] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const step = readme.slice(readme.indexOf('**4. The admin API.**'));
  const readmeBlock = /```sh\n([\s\S]*?)```/.exec(step)?.[1];
  assert.ok(readmeBlock, 'README.md has the admin API example');
  const doc = fs.readFileSync(path.join(ROOT, 'docs/admin-api.md'), 'utf8');
  const docBlock = /```console\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(docBlock, 'docs/admin-api.md has the example');
  // The commands of the transcript: `$ ` lines and their continuations, without `lanyard up` (already serving).
  const commands: string[] = [];
  let continued = false;
  for (const line of docBlock.split('\n')) {
    if (continued || line.startsWith('$ ')) commands.push(continued ? line : line.slice(2));
    continued = (continued || line.startsWith('$ ')) && line.endsWith('\\');
  }
  const docScript = commands.filter((c) => !c.startsWith('lanyard up')).join('\n');
  return [
    ['README.md', readmeBlock],
    ['docs/admin-api.md', docScript],
  ];
}

describe('seed 000 through Easy Auth: a runbook calls SomeFunction with its managed identity', () => {
  const dataDir = tempDir('lanyard-e2e-ea000-');
  const children: ChildHandle[] = [];
  let someFunction: ChildHandle;
  let up: ChildHandle;
  let functionUrl: string;
  let runbook: { clientId: string; principalId: string };

  const callsSeen = () => someFunction.lines.filter((l) => l.startsWith('SomeFunction: ')).length;
  const runRunbook = (appId = APP_ID) =>
    lanyard(dataDir, ['run', '--as', 'runbook-automation', '--', 'sh', path.join(APPS, 'runbook.sh')], {
      FUNCTION_URL: functionUrl,
      FUNCTION_APP_ID: appId,
    });

  before(async () => {
    const applied = await applySeed(dataDir);
    assert.match(applied.stdout, /create easyAuth contoso\/somefunction/);
    let port: string;
    ({ fn: someFunction, port } = await startFunction(dataDir, 'SomeFunction', children));
    // The manifest's upstream is 7071 (`npm start` runs the app there); this test's app has a free port.
    await setFrontUpstream(dataDir, 'somefunction', port);
    up = startUp(dataDir, children);
    const front = await up.waitForLine(
      /easy auth somefunction: (https:\/\/somefunction\.localhost:\d+) → (\S+)/,
    );
    assert.equal(front[2], `http://127.0.0.1:${port}`);
    functionUrl = `${front[1]}/api/SomeFunction`;
    const shown = await lanyard(dataDir, ['resource', 'show', 'runbook-automation', '-o', 'json']);
    runbook = JSON.parse(shown.stdout).systemAssignedIdentity;
  });

  after(async () => {
    // lanyard up and the app stop on SIGTERM, cleanly and in time.
    const exits = await Promise.all(children.map((c) => c.stop(5_000)));
    fs.rmSync(dataDir, { recursive: true, force: true });
    assert.deepEqual(
      exits.map((e) => e.code),
      children.map(() => 0),
    );
  });

  it('a token for Resource Manager gets 401 naming the appId; a token for the appId gets 200 with the runbook’s principal', async () => {
    const before = callsSeen();
    const run = await runRunbook();
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const { arm, function: fn } = attempts(run.stdout);

    assert.equal(
      arm?.token,
      'https://management.core.windows.net/',
      'the identity endpoint issued it, as Azure does',
    );
    assert.equal(arm?.status, '401');
    const www = arm?.['www-authenticate'] ?? '';
    assert.match(
      www,
      /^Bearer realm="somefunction\.localhost", error="invalid_token", error_description="audience_mismatch: /,
    );
    assert.ok(www.includes(`Request a token for ${APP_ID} instead`), www);
    assert.ok(www.includes(`resource=${APP_ID}`), 'says what to send to the identity endpoint');
    assert.equal(arm?.body, AZURE_DENIED);

    assert.equal(fn?.token, APP_ID);
    assert.equal(fn?.status, '200', fn?.body);
    const body = JSON.parse(fn!.body!);
    assert.equal(body.function, 'SomeFunction');
    assert.deepEqual(body.body, { once: 'toldme' }, 'the seed’s body arrived');
    assert.equal(body.principal.oid, runbook.principalId);
    assert.equal(body.principal.id, runbook.principalId, 'X-MS-CLIENT-PRINCIPAL-ID');
    assert.equal(body.principal.appid, runbook.clientId);
    assert.equal(body.principal.aud, APP_ID);
    assert.equal(body.principal.idp, 'aad');

    // Only the accepted call reached the app.
    await someFunction.waitForLine(/^SomeFunction: POST \/api\/SomeFunction from principal /, { from: 0 });
    assert.equal(callsSeen() - before, 1);
  });

  it('a token for api://somefunction is refused too: only the bare clientId is an implicit audience', async () => {
    const before = callsSeen();
    const run = await runRunbook('api://somefunction');
    const { function: fn } = attempts(run.stdout);
    assert.equal(fn?.token, 'api://somefunction');
    assert.equal(fn?.status, '401');
    assert.match(
      fn?.['www-authenticate'] ?? '',
      /audience_mismatch: The token is for 'api:\/\/somefunction'/,
    );
    assert.equal(run.code, 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(callsSeen(), before, 'neither refused call reached the app');
  });
});

// `npm start` is `lanyard demo`: a fresh data folder (PostgreSQL when the suite runs it, through --store, so the
// `lanyard` children get the store too), the stories told, the printed commands usable, SIGTERM → exit 0.
describe('lanyard demo (npm start): both stories, told in plain words', () => {
  const dataDir = tempDir('lanyard-e2e-demo-');
  const store = STORE_KINDS.includes('postgres') ? testLocation('postgres', dataDir) : undefined;
  let demo: ChildHandle | undefined;

  after(async () => {
    if (demo && demo.child.exitCode === null) await demo.stop(3_000);
    await store?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('applies the seed, serves, tells seed 000 and 001, prints working commands, and stops on SIGTERM', async () => {
    const storeArgs = store ? ['--store', store.location] : [];
    demo = startChild(
      'lanyard demo',
      process.execPath,
      [BIN, ...storeArgs, 'demo', '--port', '0', '--identity-port', '0'],
      // Info: the audit events are in lanyard.log at that level.
      { env: env(dataDir, { LANYARD_LOG_LEVEL: 'info' }), cwd: ROOT },
    );
    await demo.waitForLine(/^Press Ctrl\+C to stop\./, { timeoutMs: 45_000 });
    const text = demo.lines.join('\n');
    assert.match(
      text,
      new RegExp(`^lanyard \\S+ \\(node v24\\.\\d+\\.\\d+\\), store: ${store ? 'postgres' : 'sqlite'} `, 'm'),
    );
    assert.match(
      text,
      /^Applied examples\/seeds\/lanyard\.yaml: Apply complete: \d+ created, 0 updated, 0 deleted\.$/m,
    );
    assert.match(
      text,
      /^ {2}SomeFunction +http:\/\/127\.0\.0\.1:\d+, behind Easy Auth at https:\/\/somefunction\.localhost:\d+/m,
    );
    // The declared runbooks, on their schedules.
    assert.match(
      text,
      /^ {2}runbook AutoTriggerFunction of auto-trigger-function, "0 \*\/1 \* \* \* \*", next at \d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/m,
    );
    assert.match(text, /^ {2}runbook call-somefunction +of runbook-automation, "0 0 \* \* \* \*", next at /m);

    assert.match(
      text,
      new RegExp(
        `^Seed 000: the runbook asked for a token for Azure Resource Manager \\(https://management\\.core\\.windows\\.net/\\) → Easy Auth refused: 401 audience_mismatch — request ${APP_ID} instead$`,
        'm',
      ),
    );
    assert.match(
      text,
      new RegExp(
        `^Seed 000: it asked for a token for the function’s appId ${APP_ID} → 200 OK, the function saw principal [0-9a-f-]{36} \\(runbook-automation’s system-assigned identity`,
        'm',
      ),
    );
    // The job's Output stream, as stored.
    assert.match(
      text,
      /^Seed 000: job [0-9a-f]{8}… of call-somefunction ended Completed; its Output stream:$/m,
    );
    assert.match(text, /^ {4}arm status: 401$/m);
    assert.match(text, /^ {4}function status: 200$/m);
    assert.match(text, /^Seed 000 went as in Azure\.$/m);
    assert.match(
      text,
      /^Seed 001: AutoTriggerFunction \(role Invoke assigned\) called ExclusiveFunction → 200 OK, ExclusiveFunction saw principal [0-9a-f-]{36} \(AutoTriggerFunction’s identity\) with roles \[Invoke\]$/m,
    );
    assert.match(
      text,
      /^Seed 001: a caller with no identity \(curl, no token\) → Easy Auth refused: 401 token_missing/m,
    );
    assert.match(
      text,
      /^Seed 001: a token issued before that \(lanyard token --as auto-trigger-function, valid until .*\) → 200 OK, .* — Easy Auth checks the token, not role assignments, as in Azure$/m,
    );
    assert.match(
      text,
      /^Seed 001: the next run of AutoTriggerFunction asked for a new token → the issuer refused a new token: AADSTS501051: .*\(CredentialUnavailableError from ManagedIdentityCredential\); ExclusiveFunction was not called; the job ended Failed$/m,
    );
    assert.match(text, /^Seed 001: AutoTriggerFunction ran again → 200 OK/m);
    assert.match(text, /^Seed 001 went as in Azure\.$/m);
    // Seed 004: the flow's button; its record hides the credentials; the better way has nothing to hide.
    assert.match(
      text,
      /^Seed 004: the button of vm-report-flow pressed \(POST to its callback URL\) → 200 OK: build-agent \(VM running\), test-runner \(VM deallocated\)$/m,
    );
    assert.match(
      text,
      /^Seed 004: its run \d{20}CU\d\d \(Succeeded\) as stored: Get_Creds outputs and Get_VM_Status inputs left out .*, \d+ other values masked \(\*\*\*\); the client secret appears nowhere in it$/m,
    );
    assert.match(text, /Get-VM-Status signed in with ClientSecretCredential$/m);
    assert.match(
      text,
      /^Seed 004: the better way, vm-report-flow-msi \(.*\) → 200 OK: build-agent \(VM running\), test-runner \(VM deallocated\)$/m,
    );
    assert.match(
      text,
      /^Seed 004: its run \d{20}CU\d\d \(Succeeded\) as stored: nothing left out, nothing masked; Get_VM_Status sent the body \{\} and Get-VM-Status signed in with ManagedIdentityCredential — no credential passed between the steps$/m,
    );
    assert.match(
      text,
      /^Seed 004: the same Get-Creds running as vm-report-flow \(no role on the vault\) → 403 Forbidden: .* lanyard rbac assign --principal [0-9a-f-]{36} --role "Key Vault Secrets User" --scope resource:flow-credentials$/m,
    );
    assert.match(text, /^Seed 004 went as in Azure\.$/m);
    assert.doesNotMatch(text, /did NOT go/);

    // The printed commands work as printed, with `lanyard` being this checkout's CLI on this data folder.
    const printed = demo.lines.slice(demo.lines.findIndex((l) => l.startsWith('Try it yourself')));
    assert.match(printed[1] ?? '', /^ {2}alias lanyard='npm run --silent lanyard -- --data-dir /);
    const command = (pattern: RegExp) => {
      const line = printed.find((l) => pattern.test(l));
      assert.ok(line, `a printed command matches ${pattern}`);
      return line.trim();
    };
    const shell = (line: string) =>
      runToEnd(
        'sh',
        ['-c', `lanyard() { "$NODE" "$BIN" ${store ? '--store "$STORE" ' : ''}"$@"; }\n${line}`],
        {
          env: env(dataDir, { NODE: process.execPath, BIN, ...(store ? { STORE: store.location } : {}) }),
          timeoutMs: 20_000,
        },
      );
    const byHand = await shell(command(/^ {2}lanyard run --as runbook-automation -- sh -c 'T=/));
    assert.equal(byHand.code, 0, byHand.stderr);
    assert.match(byHand.stdout, /^HTTP\/1\.1 200 OK/);
    assert.match(byHand.stdout, /"aud":"cc334b87-fdbe-4996-aa3f-5bad192a18a6"/);
    const noToken = await shell(command(/^ {2}curl -si --cacert /));
    assert.match(noToken.stdout, /^HTTP\/1\.1 401 Unauthorized/);
    assert.match(noToken.stdout, /token_missing/);
    // A job of the timer by hand (the scheduler's own job of the minute may be running: one at a time).
    const startTimer = command(
      /^ {2}lanyard runbook start --account auto-trigger-function AutoTriggerFunction$/,
    );
    let manual = await shell(startTimer);
    for (let i = 0; i < 20 && /ERR_FLOW_JOB_RUNNING/.test(manual.stderr); i++) {
      await new Promise((r) => setTimeout(r, 500));
      manual = await shell(startTimer);
    }
    assert.equal(manual.code, 0, manual.stderr);
    const run = JSON.parse(/^result: (.*)$/m.exec(manual.stdout)?.[1] ?? 'null');
    assert.equal(run.status, 200, 'the restored assignment holds');
    assert.deepEqual(run.body.principal.roles, ['Invoke']);
    await demo.waitForLine(
      /^ {2}AutoTriggerFunction job [0-9a-f]{8} \(manual\) Completed: AutoTriggerFunction: ExclusiveFunction answered 200/,
      { from: printed.length },
    );
    // The flow's button, as printed.
    const button = await shell(
      command(/^ {2}curl -s --cacert \S+ -X POST 'https:\/\/localhost:\d+\/workflows\//),
    );
    assert.equal(button.code, 0, button.stderr);
    assert.deepEqual(
      (JSON.parse(button.stdout) as { virtualMachines: { name: string }[] }).virtualMachines
        .map((v) => v.name)
        .sort(),
      ['build-agent', 'test-runner'],
    );

    // The admin API as printed, with this run's URL and token file…
    const tenantNames = (stdout: string) => (JSON.parse(stdout) as { name: string }[]).map((t) => t.name);
    const printedAdmin = await shell(
      command(/^ {2}curl -s --cacert \S+ -H "Authorization: Bearer .*\/admin\/tenants$/),
    );
    assert.equal(printedAdmin.code, 0, printedAdmin.stderr);
    assert.ok(tenantNames(printedAdmin.stdout).includes('contoso'), printedAdmin.stdout);
    // …and as README.md and docs/admin-api.md write it, in a folder whose .lanyard is this data folder: the URL
    // comes from server.json, so the port --port 0 picked is the one used.
    const docsCwd = tempDir('lanyard-e2e-docs-');
    fs.symlinkSync(dataDir, path.join(docsCwd, '.lanyard'));
    try {
      for (const [doc, snippet] of documentedAdminExamples()) {
        const r = await runToEnd(
          'sh',
          [
            '-c',
            `lanyard() { "$NODE" "$BIN" ${store ? '--store "$STORE" ' : ''}"$@"; }\ncd "$DOCS_CWD" || exit 1\n${snippet}`,
          ],
          {
            env: env(dataDir, {
              NODE: process.execPath,
              BIN,
              DOCS_CWD: docsCwd,
              ...(store ? { STORE: store.location } : {}),
            }),
            timeoutMs: 20_000,
          },
        );
        assert.equal(r.code, 0, `${doc}: ${r.stderr}`);
        assert.ok(tenantNames(r.stdout).includes('contoso'), `${doc}: ${r.stdout}`);
      }
    } finally {
      fs.rmSync(docsCwd, { recursive: true, force: true });
    }

    // The log has the demo's lines and the token events of its `lanyard run` children.
    const logged = fs
      .readFileSync(path.join(dataDir, 'lanyard.log'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { cmd?: string; audit?: { action: string; target?: string } });
    assert.ok(logged.some((l) => l.cmd === 'demo' && l.audit?.action === 'request.refuse'));
    assert.ok(
      logged.some((l) => l.cmd === 'demo' && l.audit?.action === 'token.issue' && l.audit.target === APP_ID),
      'the runbook job’s token, issued by the demo’s server, is in the log',
    );
    assert.ok(
      logged.some((l) => l.cmd === 'run' && l.audit?.action === 'token.issue'),
      'the tokens of the lanyard run children are in the log',
    );

    const ports = [
      ...text.matchAll(
        /^ {2}(?:SomeFunction|ExclusiveFunction|Get-Creds|Get-VM-Status) +(http:\/\/127\.0\.0\.1:\d+)/gm,
      ),
    ].map((m) => m[1]!);
    assert.equal(ports.length, 4);
    assert.ok(fs.existsSync(path.join(dataDir, 'server.json')));

    demo.child.kill('SIGTERM');
    const exit = await demo.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(!fs.existsSync(path.join(dataDir, 'server.json')), 'server.json removed');
    // Every example app has stopped: nothing answers on their ports.
    for (const url of ports) {
      await assert.rejects(fetch(url, { signal: AbortSignal.timeout(2_000) }), `${url} is closed`);
    }
    // Every workload secret is revoked: those `lanyard run` issued (Get-Creds', Get-VM-Status'…) and the jobs'.
    const workloads = await lanyard(
      dataDir,
      ['workload', 'list', '--all', '-o', 'json'],
      store ? { LANYARD_STORE: store.location } : {},
    );
    assert.equal(workloads.code, 0, workloads.stderr);
    const list = JSON.parse(workloads.stdout) as { label: string; revokedAt: string | null }[];
    assert.ok(list.length >= 4, `workloads: ${list.length}`);
    assert.deepEqual(
      list.filter((w) => w.revokedAt === null),
      [],
    );
  });
});
