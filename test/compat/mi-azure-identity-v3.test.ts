/**
 * @module test/compat/mi-azure-identity-v3.test
 * The real @azure/identity 3.4.2 (the last 3.x, installed as `@azure/identity-v3`), unmodified, in programs
 * started by `lanyard run`. Under `--imds` it resolves `/metadata/identity/oauth2/token` against
 * AZURE_POD_IDENTITY_AUTHORITY_HOST with `new URL(path, host)`, which keeps only the host's origin: a secret in
 * the host's path never arrives. `lanyard run --imds` therefore serves the program on a listener bound to its
 * workload, and 3.x gets its tokens there; the App Service source works as in 4.x. Each case calls getToken
 * twice and exactly one request leaves the process. The bound listener still refuses what IMDS refuses.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { tempDir } from '../helpers/stores.ts';
import { ROOT, runLanyard, withRuntime } from '../identity/cli.ts';

const CLIENT = path.join(ROOT, 'test/compat/clients/mi-credentials.mjs');
const SCOPE = 'api://orders/.default';
const MARKER = 'MI_RESULT ';
const PACKAGE = { COMPAT_IDENTITY_PACKAGE: '@azure/identity-v3' };

interface CaseResult {
  label: string;
  ok: boolean;
  requests: string[];
  tokens?: { token: string; expiresOnTimestamp: number }[];
  error?: { name: string; message: string };
}

interface Identity {
  clientId: string;
  principalId: string;
  armId: string;
}

describe('@azure/identity 3.x under lanyard run', () => {
  let dataDir: string;
  let system: Identity;
  let uai: Identity;

  before(async () => {
    dataDir = tempDir('lanyard-mi-v3-');
    [system, uai] = await withRuntime(dataDir, async (runtime) => {
      const d = runtime.directory;
      await d.createTenant({ name: 'contoso', domains: ['contoso.onmicrosoft.com'] });
      await d.createApp('contoso', { name: 'orders', identifierUris: ['api://orders'] });
      const a = await d.createIdentity('contoso', { name: 'uai-a' });
      const worker = await d.createResource('contoso', {
        name: 'worker',
        kind: 'app',
        systemAssignedIdentity: true,
        userAssignedIdentities: ['uai-a'],
      });
      await runtime.keys.ensureReady();
      return [
        {
          clientId: worker.systemAssignedIdentity!.clientId,
          principalId: worker.systemAssignedIdentity!.principalId,
          armId: worker.resourceId,
        },
        { clientId: a.clientId, principalId: a.principalId, armId: a.resourceId },
      ] as const;
    });
  });
  after(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function underRun(
    imds: boolean,
    cases: { label: string; credential: 'mi' | 'dac'; options?: Record<string, string> }[],
  ): Promise<CaseResult[]> {
    const args = ['run', '--as', 'worker', ...(imds ? ['--imds'] : []), '--', process.execPath, CLIENT];
    const run = await runLanyard(dataDir, [...args, JSON.stringify(cases), SCOPE], {
      env: PACKAGE,
      timeoutMs: 30_000,
    });
    assert.equal(run.hung, false, 'the program and lanyard ended on their own');
    assert.equal(run.code, 0, `lanyard run exit code (stderr: ${run.stderr.slice(0, 2000)})`);
    const line = run.stdout.split('\n').find((l) => l.startsWith(MARKER));
    assert.ok(line, `the client printed its result (stderr: ${run.stderr.slice(0, 2000)})`);
    return JSON.parse(line.slice(MARKER.length)) as CaseResult[];
  }

  function check(r: CaseResult | undefined, identity: Identity, wire: RegExp) {
    assert.ok(r, 'a result for the case');
    assert.ok(r.ok, `${r.label}: ${r.error?.name}: ${r.error?.message}`);
    assert.equal(r.requests.length, 1, `${r.label}: one request for two getToken calls: ${r.requests}`);
    assert.match(r.requests[0]!, wire, `${r.label}: the request`);
    const [first, second] = r.tokens!;
    assert.equal(second!.token, first!.token, `${r.label}: the second getToken is served from the cache`);
    const claims = decodeJwt(first!.token);
    assert.equal(claims.aud, 'api://orders', r.label);
    assert.equal(claims.appid, identity.clientId, `${r.label}: appid`);
    assert.equal(claims.oid, identity.principalId, `${r.label}: oid`);
    assert.equal(claims.xms_mirid, identity.armId, `${r.label}: xms_mirid`);
    // 3.x turns the answer into a lifetime against its own clock and back: whole seconds, ±2 s.
    const skew = Math.abs(first!.expiresOnTimestamp - claims.exp! * 1000);
    assert.ok(skew <= 2_000, `${r.label}: expiresOnTimestamp = exp × 1000 (off by ${skew} ms)`);
  }

  const SOURCES = [
    {
      name: 'IMDS (--imds)',
      imds: true,
      // 3.x drops the authority host's path: the bound listener serves the plain IMDS path.
      path: 'GET 127\\.0\\.0\\.1/metadata/identity/oauth2/token\\?resource=api%3A%2F%2Forders&api-version=2018-02-01',
      resParam: 'msi_res_id',
    },
    {
      name: 'App Service',
      imds: false,
      path: 'GET 127\\.0\\.0\\.1/msi/token\\?resource=api%3A%2F%2Forders&api-version=2019-08-01',
      resParam: 'mi_res_id',
    },
  ];

  for (const source of SOURCES) {
    it(`${source.name}: ManagedIdentityCredential (system, clientId, resourceId) and DefaultAzureCredential`, async () => {
      const results = await underRun(source.imds, [
        { label: 'system', credential: 'mi' },
        { label: 'clientId', credential: 'mi', options: { clientId: uai.clientId } },
        { label: 'resourceId', credential: 'mi', options: { resourceId: uai.armId } },
        { label: 'dac', credential: 'dac' },
      ]);
      const at = (label: string) => results.find((r) => r.label === label);
      const wire = (suffix: string) => new RegExp(`^${source.path}${suffix}$`);
      check(at('system'), system, wire(''));
      check(at('clientId'), uai, wire(`&client_id=${uai.clientId}`));
      check(at('resourceId'), uai, wire(`&${source.resParam}=${encodeURIComponent(uai.armId)}`));
      check(at('dac'), system, wire(''));
    });
  }

  it('no request was refused, and the IMDS tokens were minted through the bound listener', async () => {
    const refused = await withRuntime(dataDir, (runtime) => runtime.audit.list({ action: 'mi.refuse' }));
    assert.deepEqual(refused, [], 'no request was refused');
    const issued = await withRuntime(dataDir, (runtime) =>
      runtime.audit.list({ plane: 'issuer', action: 'token.issue', limit: 1000 }),
    );
    assert.equal(issued.filter((e) => e.details?.via === 'mi imds').length, 2, 'system and uai-a, once each');
  });
});
