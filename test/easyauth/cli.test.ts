/**
 * @module test/easyauth/cli
 * The real `lanyard` binary: `easyauth import` of an export modelled on Azure's (nulls, numeric enum, disabled
 * providers, unknown fields), `easyauth show|set|keys|remove`, `explain` (accepted, refused with the reason and
 * hint, exit code with --app, unreadable tokens), and `lanyard up` starting the manifest's fronts, printing
 * each address and serving through it until SIGTERM.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import { openRuntime } from '../../src/host/runtime.ts';
import { openCli } from '../cli/lanyard.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const APP_ID = 'cc334b87-fdbe-4996-aa3f-5bad192a18a6';
const EXPORTED = fs.readFileSync(path.join(import.meta.dirname, 'fixtures/authsettingsV2.json'), 'utf8');

function manifest(easyAuth: string): string {
  return `apiVersion: lanyard/v1
tenants:
  - name: contoso
    apps:
      - name: somefunction
        appId: ${APP_ID}
        identifierUris: [api://somefunction]
        appRoleAssignmentRequired: true
    resources:
      - name: runbook-automation
        kind: automation
        systemAssignedIdentity: true
      - name: somefunction
        kind: app
${easyAuth}
    roleAssignments:
      - principal: resource:runbook-automation
        app: somefunction
`;
}

/** Tokens of the runbook's managed identity, minted by a runtime on the CLI's data folder. */
async function runbookTokens(dataDir: string, resources: string[]): Promise<string[]> {
  const runtime = await openRuntime({ dataDir, env: {} });
  try {
    await runtime.keys.ensureReady();
    const tenant = await runtime.directory.getTenant('contoso');
    const workload = await runtime.workloads.issue(tenant.id, 'runbook-automation', { label: 'cli test' });
    const out: string[] = [];
    for (const r of resources)
      out.push((await runtime.identity.token(workload, { by: 'system' }, r, 'test')).accessToken);
    return out;
  } finally {
    await runtime.close();
  }
}

function startUpstream(): Promise<{ url: string; hits: string[]; server: http.Server }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.url} ${req.headers['x-ms-client-principal-id'] ?? '-'}`);
    res.end('from the app');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, hits, server }),
    ),
  );
}

describe('lanyard easyauth and explain (real CLI)', () => {
  const cli = openCli();
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let tenantId: string;
  before(async () => {
    upstream = await startUpstream();
    const file = path.join(cli.dataDir, 'lanyard.yaml');
    fs.writeFileSync(file, manifest(''));
    const applied = cli.run('apply', '-f', file);
    assert.equal(applied.status, 0, applied.stderr);
    tenantId = cli.json<{ id: string }>('tenant', 'show', 'contoso').id;
  });
  after(() => {
    upstream.server.close();
    cli.cleanup();
  });

  it('imports an authsettingsV2 export, warning about what differs, and shows it', () => {
    const file = path.join(cli.dataDir, 'authsettingsV2.json');
    fs.writeFileSync(file, EXPORTED.replace('TENANT_ID', tenantId));
    const r = cli.run('easyauth', 'import', file, '--resource', 'somefunction', '--upstream', upstream.url);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /warning: .*RedirectToLoginPage.*401/);
    assert.match(r.stderr, /warning: ignored unknown fields: clusterManagement, encryptionSettings/);
    assert.match(r.stdout, /unauthenticatedClientAction: RedirectToLoginPage/);
    const shown = cli.json<{
      config: {
        globalValidation: { excludedPaths: string[] };
        identityProviders: {
          azureActiveDirectory: {
            registration: { clientId: string; openIdIssuer: string };
            validation: { allowedAudiences: string[] };
          };
        };
      };
    }>('easyauth', 'show', '--resource', 'somefunction');
    const aad = shown.config.identityProviders.azureActiveDirectory;
    assert.equal(aad.registration.clientId, APP_ID);
    assert.equal(aad.registration.openIdIssuer, `https://sts.windows.net/${tenantId}/v2.0`);
    assert.deepEqual(aad.validation.allowedAudiences, ['api://somefunction']);
    assert.deepEqual(shown.config.globalValidation.excludedPaths, ['/api/health', '/swagger/*']);
    const dry = cli.run('easyauth', 'import', file, '--app', 'somefunction', '--dry-run', '-o', 'json');
    assert.equal(dry.status, 0, dry.stderr);
    assert.equal(JSON.parse(dry.stdout).config.upstream, upstream.url, 'the stored upstream is kept');
  });

  it('set changes fields and keeps the rest; keys are shown once; a missing app is a clear error', () => {
    const set = cli.run(
      'easyauth',
      'set',
      '--resource',
      'somefunction',
      '--action',
      'Return401',
      '--excluded-path',
      '/api/health',
    );
    assert.equal(set.status, 0, set.stderr);
    const shown = cli.json<{
      config: {
        globalValidation: { unauthenticatedClientAction: string; excludedPaths: string[] };
        identityProviders: { azureActiveDirectory: { validation: { allowedAudiences: string[] } } };
      };
    }>('easyauth', 'show', '--resource', 'somefunction');
    assert.equal(shown.config.globalValidation.unauthenticatedClientAction, 'Return401');
    assert.deepEqual(shown.config.globalValidation.excludedPaths, ['/api/health']);
    assert.deepEqual(shown.config.identityProviders.azureActiveDirectory.validation.allowedAudiences, [
      'api://somefunction',
    ]);
    const keysFile = path.join(cli.dataDir, 'with-keys.yaml');
    fs.writeFileSync(
      keysFile,
      `upstream: ${upstream.url}\nidentityProviders: { azureActiveDirectory: { registration: { clientId: somefunction } } }\nfunctions:\n  routes: [{ path: /api/*, authLevel: function }]\n`,
    );
    const withKeys = cli.run('easyauth', 'set', '--resource', 'somefunction', '-f', keysFile, '-o', 'json');
    assert.equal(withKeys.status, 0, withKeys.stderr);
    const out = JSON.parse(withKeys.stdout);
    assert.match(out.generatedKeys._master, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(out.config.functions.keys._master, '(stored hashed)');
    const regenerated = cli.json<{ name: string; key: string }>(
      'easyauth',
      'keys',
      '--resource',
      'somefunction',
    );
    assert.equal(regenerated.name, 'default');
    assert.notEqual(regenerated.key, out.generatedKeys.default);
    const missing = cli.run('easyauth', 'set', '--resource', 'somefunction', '--client-id', 'nope');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /ERR_VALIDATION: clientId "nope" is neither/);
    const automation = cli.run(
      'easyauth',
      'set',
      '--resource',
      'runbook-automation',
      '--upstream',
      'http://x',
      '--client-id',
      APP_ID,
    );
    assert.equal(automation.status, 1);
    assert.match(automation.stderr, /of kind automation; Easy Auth fronts resources of kind app/);
  });

  it('explain: refused with reason, expected, actual and hint; accepted; exit 1 when no front accepts', async () => {
    const [arm, good] = await runbookTokens(cli.dataDir, ['https://management.core.windows.net/', APP_ID]);
    const refused = cli.run('explain', arm!);
    assert.equal(refused.status, 1, 'every front refuses: exit 1');
    assert.equal(refused.stderr, '');
    assert.match(refused.stdout, /aud\s+https:\/\/management\.core\.windows\.net\//);
    assert.match(refused.stdout, /somefunction \(contoso\): REFUSED 401 audience_mismatch/);
    assert.match(refused.stdout, /expected: .*cc334b87/);
    assert.match(refused.stdout, /actual:\s+https:\/\/management\.core\.windows\.net\//);
    assert.match(refused.stdout, /hint: That is a token for Azure Resource Manager/);
    assert.equal(cli.run('explain', arm!, '--app', 'somefunction').status, 1);
    const ok = cli.json<{
      token: { claims: { aud: string } };
      verdicts: { resource: string; accepted: boolean; status: number }[];
    }>('explain', `Bearer ${good}`, '--app', 'somefunction');
    assert.equal(ok.token.claims.aud, APP_ID);
    assert.deepEqual(
      ok.verdicts.map((v) => [v.resource, v.accepted, v.status]),
      [['somefunction', true, 200]],
    );
    const accepted = cli.run('explain', good!);
    assert.equal(accepted.status, 0, accepted.stderr);
    assert.match(accepted.stdout, /somefunction \(contoso\): ACCEPTED/);
    const junk = cli.run('explain', 'not-a-token');
    assert.equal(junk.status, 1);
    assert.match(junk.stdout, /not a readable JWT/);
    assert.match(junk.stdout, /REFUSED 401 token_malformed/);
    const unknown = cli.run('explain', good!, '--app', 'runbook-automation');
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /ERR_NOT_FOUND/);
  });

  it('remove deletes the config', () => {
    assert.equal(cli.run('easyauth', 'remove', '--resource', 'somefunction').status, 0);
    const shown = cli.run('easyauth', 'show', '--resource', 'somefunction');
    assert.equal(shown.status, 1);
    assert.match(shown.stderr, /has no Easy Auth config/);
  });
});

describe('lanyard up with an easyAuth block (real CLI)', () => {
  const cli = openCli();
  let child: ChildProcess | undefined;
  after(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    cli.cleanup();
  });

  it('starts the front, prints its address, serves through it and stops on SIGTERM', async () => {
    const upstream = await startUpstream();
    try {
      const file = path.join(cli.dataDir, 'lanyard.yaml');
      fs.writeFileSync(
        file,
        manifest(`        easyAuth:
          upstream: ${upstream.url}
          identityProviders:
            azureActiveDirectory:
              registration: { clientId: somefunction }`),
      );
      child = spawn(
        process.execPath,
        ['bin/lanyard.js', 'up', '-f', file, '--port', '0', '--identity-port', '0'],
        {
          cwd: ROOT,
          env: { ...process.env, LANYARD_DATA_DIR: cli.dataDir, LANYARD_STORE: '', LANYARD_ADMIN_TOKEN: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        err += d;
      });
      const exit = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
      const line = await new Promise<RegExpExecArray>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no easy auth line in 20 s:\n${out}\n${err}`)),
          20_000,
        );
        child!.stdout!.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const m = /easy auth somefunction: https:\/\/somefunction\.localhost:(\d+) → (\S+)/.exec(out);
          if (m && out.includes('Press Ctrl+C')) {
            clearTimeout(timer);
            resolve(m);
          }
        });
      });
      assert.equal(line[2], upstream.url);
      const port = Number(line[1]);
      const [token] = await runbookTokens(cli.dataDir, [APP_ID]);
      const ca = fs.readFileSync(path.join(cli.dataDir, 'ca', 'ca.pem'), 'utf8');
      const agent = new Agent({ connect: { ca, servername: 'somefunction.localhost' } });
      try {
        const ok = await agent.request({
          origin: `https://127.0.0.1:${port}`,
          path: '/api/run',
          method: 'GET',
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(ok.statusCode, 200);
        assert.equal(await ok.body.text(), 'from the app');
        const no = await agent.request({
          origin: `https://127.0.0.1:${port}`,
          path: '/api/run',
          method: 'GET',
        });
        assert.equal(no.statusCode, 401);
        await no.body.text();
      } finally {
        await agent.close();
      }
      assert.equal(upstream.hits.length, 1);
      assert.match(upstream.hits[0]!, /^\/api\/run [0-9a-f-]{36}$/);
      child.kill('SIGTERM');
      assert.equal(await exit, 0, err);
    } finally {
      upstream.server.close();
    }
  });
});
