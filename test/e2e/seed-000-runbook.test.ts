/**
 * @module test/e2e/seed-000-runbook.test
 * Seed 000 (runbook → function) end to end on the seed manifest, with the real binaries a user has: the
 * runbook's request exactly as the seed wrote it, as `curl` inside `lanyard run --as runbook-automation`, gets
 * a token whose `aud` is the function's appId — and one for `https://management.core.windows.net/` too, as in
 * Azure (the callee refuses that one later). Around it, what `lanyard run` promises: the child's exit code,
 * SIGTERM forwarded, the secret revoked when the child ends, `--env-file`, `*.localhost` resolved for Node
 * children; `lanyard workload issue` output sourced by a shell to call `lanyard up`'s endpoint until
 * `workload revoke`; and `lanyard token` shaped like `az account get-access-token`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeJwt, type JWTPayload, jwtVerify } from 'jose';
import { tempDir } from '../helpers/stores.ts';
import { ROOT, runLanyard, type Started, startLanyard, withRuntime } from '../identity/cli.ts';

const SOMEFUNCTION_APP_ID = 'cc334b87-fdbe-4996-aa3f-5bad192a18a6';
const ARM = 'https://management.core.windows.net/';
const SEED_MANIFEST = path.join(ROOT, 'examples/seeds/lanyard.yaml');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The seed's request, verbatim but for the resource. */
const seedCurl = (resource: string) =>
  `curl -s "$IDENTITY_ENDPOINT?resource=${resource}&api-version=2019-08-01" -H "X-IDENTITY-HEADER: $IDENTITY_HEADER"`;

function sh(script: string, env: NodeJS.ProcessEnv): string {
  return execFileSync('sh', ['-c', script], { env, encoding: 'utf8', timeout: 15_000 });
}

describe('seed 000: a runbook calls the function with its managed identity', () => {
  let dataDir: string;
  let up: Started;
  let identityEndpoint: string;
  let tenantId: string;
  let runbook: { clientId: string; principalId: string; armId: string };

  const verify = async (token: string): Promise<JWTPayload> => {
    const keys = await withRuntime(dataDir, (r) => r.keys.publishedKeys());
    return (await jwtVerify(token, createLocalJWKSet({ keys } as never), { algorithms: ['RS256'] })).payload;
  };
  /** A request to `lanyard up`'s identity endpoint, as curl sends it. */
  const curlUp = (secret: string, resource: string) =>
    sh(
      `curl -s -w '\\n%{http_code}' "${identityEndpoint}?resource=${resource}" -H "X-IDENTITY-HEADER: ${secret}"`,
      {
        PATH: process.env.PATH,
      },
    );

  before(async () => {
    dataDir = tempDir('lanyard-e2e-000-');
    const applied = await runLanyard(dataDir, ['apply', '-f', SEED_MANIFEST]);
    assert.equal(applied.code, 0, applied.stderr);
    up = startLanyard(dataDir, ['up', '--port', '0', '--identity-port', '0'], { timeoutMs: 80_000 });
    await up.waitFor('managed-identity endpoint:');
    const info = JSON.parse(fs.readFileSync(path.join(dataDir, 'server.json'), 'utf8')) as {
      identityEndpoint: string;
      pid: number;
    };
    assert.equal(info.pid, up.child.pid);
    identityEndpoint = info.identityEndpoint;
    assert.match(identityEndpoint, /^http:\/\/127\.0\.0\.1:\d+\/msi\/token$/);
    ({ tenantId, runbook } = await withRuntime(dataDir, async (r) => {
      const res = await r.directory.getResource('contoso', 'runbook-automation');
      const mi = res.systemAssignedIdentity!;
      return {
        tenantId: res.tenantId,
        runbook: { clientId: mi.clientId, principalId: mi.principalId, armId: res.resourceId },
      };
    }));
  });

  after(async () => {
    if (up && up.child.exitCode === null) {
      up.child.kill('SIGTERM');
      const end = await up.done;
      assert.equal(end.hung, false, 'lanyard up stopped on SIGTERM');
      assert.ok(!fs.existsSync(path.join(dataDir, 'server.json')), 'server.json removed at shutdown');
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('the seed’s curl inside lanyard run gets a token for the function’s appId, and one for Resource Manager', async () => {
    const script = [
      seedCurl(SOMEFUNCTION_APP_ID),
      'echo',
      seedCurl(ARM),
      'echo',
      'echo "$IDENTITY_HEADER"',
    ].join('\n');
    const run = await runLanyard(dataDir, ['run', '--as', 'runbook-automation', '--', 'sh', '-c', script]);
    assert.equal(run.code, 0, run.stderr);
    const [fn, arm, secret] = run.stdout.trim().split('\n');
    const fnReply = JSON.parse(fn!);
    assert.deepEqual(Object.keys(fnReply), [
      'access_token',
      'expires_on',
      'resource',
      'token_type',
      'client_id',
    ]);
    assert.equal(fnReply.resource, SOMEFUNCTION_APP_ID);
    assert.equal(fnReply.client_id, runbook.clientId);
    assert.match(fnReply.expires_on, /^\d{10}$/);
    const fnClaims = await verify(fnReply.access_token);
    assert.equal(fnClaims.aud, SOMEFUNCTION_APP_ID);
    assert.equal(fnClaims.appid, runbook.clientId);
    assert.equal(fnClaims.oid, runbook.principalId);
    assert.equal(fnClaims.xms_mirid, runbook.armId);
    assert.equal(fnClaims.iss, `https://sts.windows.net/${tenantId}/`);

    const armReply = JSON.parse(arm!);
    assert.equal(armReply.resource, ARM);
    const armClaims = await verify(armReply.access_token);
    assert.equal(armClaims.aud, ARM, 'issued, as Azure does: the function refuses it later');
    assert.equal(armClaims.appid, runbook.clientId);

    // The child has ended: lanyard revoked its secret. `lanyard up`'s endpoint shares the store and says 401.
    assert.match(secret!, /^[0-9a-f]{64}$/);
    const [body, status] = curlUp(secret!, SOMEFUNCTION_APP_ID).split('\n');
    assert.equal(status, '401', body);
    assert.equal(JSON.parse(body!).access_token, undefined);
    const workloads = await withRuntime(dataDir, (r) => r.workloads.list(tenantId, { includeEnded: true }));
    const mine = workloads.filter((w) => w.label === 'lanyard run sh');
    assert.ok(mine.length >= 1 && mine.every((w) => w.revokedAt !== null), 'revoked in the store');
  });

  it('returns the child’s exit code', async () => {
    const run = await runLanyard(dataDir, ['run', '--as', 'runbook-automation', '--', 'sh', '-c', 'exit 7']);
    assert.equal(run.code, 7);
    const missing = await runLanyard(dataDir, [
      'run',
      '--as',
      'runbook-automation',
      '--',
      'no-such-program-x',
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no-such-program-x/);
  });

  it('forwards SIGTERM to the child and returns what the child then returns', async () => {
    const program =
      "process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(42); }); console.log('ready'); setInterval(() => {}, 1000);";
    const run = startLanyard(dataDir, [
      'run',
      '--as',
      'runbook-automation',
      '--',
      process.execPath,
      '-e',
      program,
    ]);
    await run.waitFor('ready');
    run.child.kill('SIGTERM');
    const end = await run.done;
    assert.equal(end.hung, false);
    assert.match(end.stdout, /child got SIGTERM/);
    assert.equal(end.code, 42);
  });

  it('passes --env-file variables; a Node child resolves *.localhost to loopback', async () => {
    const envFile = path.join(dataDir, 'app.env');
    fs.writeFileSync(
      envFile,
      'GREETING=hello\nQUOTED="two words"\n# a comment\nIDENTITY_HEADER=not-this-one\n',
    );
    const program = [
      "const dns = require('node:dns');",
      'dns.lookup("my-vault.localhost", (err, address, family) => {',
      '  dns.promises.lookup("x.localhost").then((p) => {',
      '    console.log(JSON.stringify({ greeting: process.env.GREETING, quoted: process.env.QUOTED,',
      '      header: process.env.IDENTITY_HEADER, err: err && err.code, address, family, promised: p.address }));',
      '  });',
      '});',
    ].join('\n');
    const run = await runLanyard(dataDir, [
      'run',
      '--as',
      'runbook-automation',
      '--env-file',
      envFile,
      '--',
      process.execPath,
      '-e',
      program,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const seen = JSON.parse(run.stdout.trim());
    assert.equal(seen.greeting, 'hello');
    assert.equal(seen.quoted, 'two words');
    assert.match(seen.header, /^[0-9a-f]{64}$/, 'the env file cannot replace the identity variables');
    assert.equal(seen.err, null);
    assert.equal(seen.address, '127.0.0.1');
    assert.equal(seen.family, 4);
    assert.equal(seen.promised, '127.0.0.1');
  });

  it('workload issue output, sourced by a shell, calls lanyard up’s endpoint until workload revoke', async () => {
    const issued = await runLanyard(dataDir, [
      'workload',
      'issue',
      '--as',
      'runbook-automation',
      '--ttl',
      '1h',
    ]);
    assert.equal(issued.code, 0, issued.stderr);
    const file = path.join(dataDir, 'identity.env');
    fs.writeFileSync(file, issued.stdout);
    assert.match(issued.stdout, /^IDENTITY_ENDPOINT=/m);
    assert.ok(issued.stdout.includes(`IDENTITY_ENDPOINT=${identityEndpoint}\n`), 'points at lanyard up');
    const id = /workload ([0-9a-f-]{36}) for runbook-automation/.exec(issued.stderr)?.[1];
    assert.ok(id, issued.stderr);
    const expires = /expires (\S+);/.exec(issued.stderr)?.[1];
    assert.ok(Math.abs(Date.parse(expires!) - Date.now() - 3_600_000) < 60_000, '--ttl 1h');

    const call = `set -a; . '${file}'; set +a; curl -s -w '\\n%{http_code}' "$IDENTITY_ENDPOINT?resource=api://somefunction" -H "X-IDENTITY-HEADER: $IDENTITY_HEADER"`;
    const shellEnv = { PATH: process.env.PATH };
    const [okBody, okStatus] = sh(call, shellEnv).split('\n');
    assert.equal(okStatus, '200', okBody);
    assert.equal(decodeJwt(JSON.parse(okBody!).access_token).aud, 'api://somefunction');

    const revoked = await runLanyard(dataDir, ['workload', 'revoke', id!]);
    assert.equal(revoked.code, 0, revoked.stderr);
    // `lanyard up` notices the directory version move within a second.
    let status: string = okStatus ?? '';
    const since = Date.now();
    while (status === '200' && Date.now() - since < 3_000) {
      await sleep(200);
      status = sh(call, shellEnv).split('\n')[1] ?? '';
    }
    assert.equal(status, '401');
  });

  it('lanyard token prints what az account get-access-token prints (-o json and -o tsv)', async () => {
    const json = await runLanyard(dataDir, [
      'token',
      '--as',
      'runbook-automation',
      '--resource',
      'api://somefunction',
      '-o',
      'json',
    ]);
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout);
    assert.deepEqual(Object.keys(out), ['accessToken', 'expiresOn', 'expires_on', 'tenant', 'tokenType']);
    assert.equal(typeof out.expires_on, 'number');
    assert.match(out.expiresOn, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal(out.tenant, tenantId);
    assert.equal(out.tokenType, 'Bearer');
    const claims = await verify(out.accessToken);
    assert.equal(claims.aud, 'api://somefunction');
    assert.equal(claims.appid, runbook.clientId);
    assert.equal(claims.exp, out.expires_on);

    const tsv = await runLanyard(dataDir, [
      'token',
      '--as',
      'runbook-automation',
      '--resource',
      'api://somefunction',
      '-o',
      'tsv',
    ]);
    assert.equal(tsv.code, 0, tsv.stderr);
    const fields = tsv.stdout.replace(/\n$/, '').split('\t');
    assert.equal(fields.length, 5);
    assert.equal(decodeJwt(fields[0]!).aud, 'api://somefunction');
    assert.match(fields[1]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    assert.match(fields[2]!, /^\d{10}$/);
    assert.equal(fields[3], tenantId);
    assert.equal(fields[4], 'Bearer');

    const refused = await runLanyard(dataDir, [
      'token',
      '--as',
      'somefunction',
      '--resource',
      'api://somefunction',
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /no system-assigned identity/);
  });

  it('the workload secrets never reached lanyard up’s log', () => {
    assert.ok(!/[0-9a-f]{64}/.test(up.stderr), 'no 64-hex value in the server log');
    assert.match(up.stderr, /"path":"\/msi\/token"/, 'the requests were logged');
  });
});
