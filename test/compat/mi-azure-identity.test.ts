/**
 * @module test/compat/mi-azure-identity.test
 * The real @azure/identity 4.14.1, unmodified, in programs started by `lanyard run` (docs/protocols.md, "Client compatibility checks"
 * A1–A4, C4–C6, C9): ManagedIdentityCredential system-assigned and user-assigned by clientId, resourceId and
 * objectId, and DefaultAzureCredential (also with AZURE_CLIENT_ID naming an attached identity), for the App
 * Service source and for the IMDS source (`--imds`: AZURE_POD_IDENTITY_AUTHORITY_HOST names a listener bound to
 * the program's workload). Each case
 * calls getToken twice and exactly one request leaves the process — so `expires_on` and `resource` are what
 * MSAL needs to cache — and `expiresOnTimestamp` is the token's `exp` (= `expires_on`) in milliseconds.
 * A program with no identity environment gets CredentialUnavailableError.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { tempDir } from '../helpers/stores.ts';
import { cleanEnv, ROOT, runLanyard, withRuntime } from '../identity/cli.ts';
import { runProcess } from './run-client.ts';

const CLIENT = path.join(ROOT, 'test/compat/clients/mi-credentials.mjs');
const SCOPE = 'api://orders/.default';
const MARKER = 'MI_RESULT ';

interface CaseResult {
  label: string;
  ok: boolean;
  started: number;
  requests: string[];
  tokens?: { token: string; expiresOnTimestamp: number; refreshAfterTimestamp?: number; tokenType: string }[];
  error?: { name: string; message: string };
}

interface Ids {
  tenantId: string;
  armId: string;
  system: { clientId: string; principalId: string };
  a: { clientId: string; principalId: string; armId: string };
  b: { clientId: string; principalId: string; armId: string };
}

function parse(stdout: string, stderr: string): CaseResult[] {
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  assert.ok(line, `the client printed its result (stderr: ${stderr.slice(0, 2000)})`);
  return JSON.parse(line.slice(MARKER.length)) as CaseResult[];
}

describe('@azure/identity under lanyard run (App Service and IMDS sources)', () => {
  let dataDir: string;
  let ids: Ids;

  before(async () => {
    dataDir = tempDir('lanyard-mi-compat-');
    ids = await withRuntime(dataDir, async (runtime) => {
      const d = runtime.directory;
      const tenant = await d.createTenant({ name: 'contoso', domains: ['contoso.onmicrosoft.com'] });
      await d.createApp('contoso', {
        name: 'orders',
        identifierUris: ['api://orders'],
        appRoles: [{ value: 'Orders.Read', allowedMemberTypes: ['Application'] }],
      });
      const a = await d.createIdentity('contoso', { name: 'uai-a' });
      const b = await d.createIdentity('contoso', { name: 'uai-b' });
      const worker = await d.createResource('contoso', {
        name: 'worker',
        kind: 'app',
        systemAssignedIdentity: true,
        userAssignedIdentities: ['uai-a', 'uai-b'],
      });
      await d.assignRole('contoso', { principal: 'resource:worker', app: 'orders', role: 'Orders.Read' });
      await runtime.keys.ensureReady();
      const uai = (i: typeof a) => ({
        clientId: i.clientId,
        principalId: i.principalId,
        armId: i.resourceId,
      });
      return {
        tenantId: tenant.id,
        armId: worker.resourceId,
        system: {
          clientId: worker.systemAssignedIdentity!.clientId,
          principalId: worker.systemAssignedIdentity!.principalId,
        },
        a: uai(a),
        b: uai(b),
      };
    });
  });
  after(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** `lanyard run --as worker [--imds] -- node mi-credentials.mjs <cases>` → the client's results. */
  async function underRun(
    imds: boolean,
    cases: { label: string; credential: 'mi' | 'dac'; options?: Record<string, string> }[],
    env: Record<string, string> = {},
  ): Promise<CaseResult[]> {
    const args = ['run', '--as', 'worker', ...(imds ? ['--imds'] : []), '--', process.execPath, CLIENT];
    const run = await runLanyard(dataDir, [...args, JSON.stringify(cases), SCOPE], {
      env,
      timeoutMs: 30_000,
    });
    assert.equal(run.hung, false, 'the program and lanyard ended on their own');
    assert.equal(run.code, 0, `lanyard run exit code (stderr: ${run.stderr.slice(0, 2000)})`);
    return parse(run.stdout, run.stderr);
  }

  /** One request for two getToken calls, the expected identity in the token, expiry in step with `exp`. */
  function check(
    r: CaseResult | undefined,
    identity: { clientId: string; principalId: string },
    armId: string,
    wire: RegExp,
  ) {
    assert.ok(r, 'a result for the case');
    assert.ok(r.ok, `${r.label}: ${r.error?.name}: ${r.error?.message}`);
    assert.equal(
      r.requests.length,
      1,
      `${r.label}: exactly one request for two getToken calls: ${r.requests}`,
    );
    assert.match(r.requests[0]!, wire, `${r.label}: the request`);
    const [first, second] = r.tokens!;
    assert.equal(
      second!.token,
      first!.token,
      `${r.label}: the second getToken is served from the client cache`,
    );
    const claims = decodeJwt(first!.token);
    assert.equal(claims.aud, 'api://orders', r.label);
    assert.equal(claims.appid, identity.clientId, `${r.label}: appid`);
    assert.equal(claims.oid, identity.principalId, `${r.label}: oid`);
    assert.equal(claims.xms_mirid, armId, `${r.label}: xms_mirid`);
    assert.equal(claims.tid, ids.tenantId);
    // MSAL turns expires_on into a lifetime against its own clock and back: whole seconds, ±1 s (check A3: ±2 s).
    const skew = Math.abs(first!.expiresOnTimestamp - claims.exp! * 1000);
    assert.ok(skew <= 2_000, `${r.label}: expiresOnTimestamp = expires_on × 1000 (off by ${skew} ms)`);
    assert.equal(first!.tokenType, 'Bearer');
    // MSAL refreshes a token of more than two hours at half its life: ≈ 12 h for a 24 h token.
    const refreshIn = (first!.refreshAfterTimestamp ?? 0) - r.started;
    assert.ok(
      Math.abs(refreshIn - 43_200_000) < 120_000,
      `${r.label}: refreshAfterTimestamp ≈ +12 h (${refreshIn})`,
    );
  }

  const SOURCES = [
    {
      name: 'App Service',
      imds: false,
      path: '127\\.0\\.0\\.1/msi/token\\?api-version=2019-08-01&resource=api%3A%2F%2Forders',
    },
    {
      name: 'IMDS',
      imds: true,
      // The per-run listener is bound to the workload: the authority host is a bare origin, no secret in the path.
      path: '127\\.0\\.0\\.1/metadata/identity/oauth2/token/\\?api-version=2018-02-01&resource=api%3A%2F%2Forders',
    },
  ];

  for (const source of SOURCES) {
    describe(`${source.name} source`, () => {
      it('ManagedIdentityCredential: system-assigned, { clientId }, { resourceId }, { objectId }', async () => {
        const results = await underRun(source.imds, [
          { label: 'system', credential: 'mi' },
          { label: 'clientId', credential: 'mi', options: { clientId: ids.a.clientId } },
          { label: 'resourceId', credential: 'mi', options: { resourceId: ids.b.armId } },
          { label: 'objectId', credential: 'mi', options: { objectId: ids.a.principalId } },
        ]);
        const at = (label: string) => results.find((r) => r.label === label);
        const wire = (suffix: string) => new RegExp(`^GET ${source.path}${suffix}$`);
        const resParam = source.imds ? 'msi_res_id' : 'mi_res_id';
        check(at('system'), ids.system, ids.armId, wire(''));
        check(at('clientId'), ids.a, ids.a.armId, wire(`&client_id=${ids.a.clientId}`));
        check(at('resourceId'), ids.b, ids.b.armId, wire(`&${resParam}=${encodeURIComponent(ids.b.armId)}`));
        check(at('objectId'), ids.a, ids.a.armId, wire(`&object_id=${ids.a.principalId}`));
      });

      it('DefaultAzureCredential, unmodified: reaches the managed identity (system-assigned)', async () => {
        const [r] = await underRun(source.imds, [{ label: 'dac', credential: 'dac' }]);
        check(r, ids.system, ids.armId, new RegExp(`^GET ${source.path}$`));
      });

      it('DefaultAzureCredential with AZURE_CLIENT_ID of an attached identity asks for that identity', async () => {
        const [r] = await underRun(source.imds, [{ label: 'dac+AZURE_CLIENT_ID', credential: 'dac' }], {
          AZURE_CLIENT_ID: ids.b.clientId,
        });
        check(r, ids.b, ids.b.armId, new RegExp(`^GET ${source.path}&client_id=${ids.b.clientId}$`));
      });
    });
  }

  it('the server signed at most once per (identity, resource) in each run', async () => {
    const events = await withRuntime(dataDir, (runtime) =>
      runtime.audit.list({ plane: 'issuer', action: 'token.issue', limit: 1000 }),
    );
    for (const via of ['mi appservice', 'mi imds']) {
      const mine = events.filter((e) => e.details?.via === via);
      // Runs: {system, a, b (resourceId), a (objectId: server cache hit)}, {system}, {b}.
      assert.equal(mine.length, 5, `${via}: ${mine.map((e) => e.actor).join(', ')}`);
    }
    const refused = await withRuntime(dataDir, (runtime) => runtime.audit.list({ action: 'mi.refuse' }));
    assert.deepEqual(refused, [], 'no request was refused');
  });

  it('a program with no identity environment gets CredentialUnavailableError', async () => {
    const { code, stdout, stderr } = await runProcess(
      process.execPath,
      [CLIENT, JSON.stringify([{ label: 'none', credential: 'mi' }]), SCOPE],
      { cwd: ROOT, env: cleanEnv(dataDir), timeoutMs: 20_000 },
    );
    assert.equal(code, 0, `ended on its own (stderr: ${stderr.slice(0, 1000)})`);
    const [r] = parse(stdout, stderr);
    assert.equal(r?.ok, false);
    assert.equal(r?.error?.name, 'CredentialUnavailableError', r?.error?.message);
    assert.ok(
      r?.requests.every((q) => !q.includes('127.0.0.1')),
      'nothing reached a Lanyard endpoint',
    );
  });
});
