/**
 * @module test/compat/azure-cli.test
 * The real Azure CLI (Debian's `azure-cli` package, 2.45 on bookworm), unmodified, against Lanyard:
 *
 * - `lanyard run --as <app> -- az login --identity --allow-no-subscriptions`, then `az account get-access-token
 *   --resource …`: az 2.45 (msrestazure) speaks the App Service 2017 protocol only when
 *   APPSETTING_WEBSITE_SITE_NAME is set, which `lanyard run` sets for an app as App Service does; it trusts
 *   Lanyard's CA through the REQUESTS_CA_BUNDLE `lanyard run` gives it.
 * - the same under an Automation account (no site name): az takes the Cloud Shell path and is refused.
 * - `az login --service-principal` with a secret and with a certificate, through a custom cloud whose
 *   authority is `<lanyard>/adfs` (MSAL Python skips instance discovery for ADFS authorities).
 *
 * az lists subscriptions from the cloud's Resource Manager when it logs in; a small HTTPS stand-in answers that
 * one call (`arm-stand-in.ts`) and checks the token az presents. Each az run has its own AZURE_CONFIG_DIR.
 * When `az` is not installed the tests fail under CI (`.ci/run` installs it) and are skipped elsewhere.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { certificateThumbprints } from '../../src/crypto/local-ca.ts';
import { tempDir } from '../helpers/stores.ts';
import { runLanyard } from '../identity/cli.ts';
import { type ArmStandIn, MANAGEMENT_RESOURCE, startArmStandIn } from './arm-stand-in.ts';
import { assertToken } from './assert-token.ts';
import { writeCertificateFile } from './client-certificate-file.ts';
import { type CompatServer, startCompatServer } from './compat-server.ts';
import { startRecordingProxy } from './recording-proxy.ts';
import { minimalEnv, type ProcessRun, runProcess } from './run-client.ts';

const AZ = spawnSync('sh', ['-c', 'command -v az'], { encoding: 'utf8' }).stdout.trim();
const missing = AZ === '' ? 'the Azure CLI (`az`) is not installed: apt-get install azure-cli' : undefined;
if (missing && process.env.CI) {
  // CI installs it (.ci/run): its absence there is a failure, not a reason to skip.
  it('the Azure CLI is installed', () => assert.fail(missing));
}

/** Environment every az process gets: its own config folder, no telemetry or survey prompts. */
function azEnv(configDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AZURE_CONFIG_DIR: configDir,
    AZURE_CORE_COLLECT_TELEMETRY: 'false',
    AZURE_CORE_SURVEY_MESSAGE: 'false',
    AZURE_CORE_NO_COLOR: 'true',
    ...extra,
  };
}

function az(args: string[], env: Record<string, string>): Promise<ProcessRun> {
  return runProcess('az', args, { env: minimalEnv(env), timeoutMs: 90_000 });
}

function ok(run: { code: number | null; stdout: string; stderr: string }, what: string): unknown {
  assert.equal(run.code, 0, `${what} (stderr: ${run.stderr.slice(0, 3000)})`);
  return JSON.parse(run.stdout);
}

describe('Azure CLI (Debian azure-cli 2.45)', { skip: missing && !process.env.CI ? missing : false }, () => {
  let s: CompatServer;
  let arm: ArmStandIn;
  let web: { clientId: string; principalId: string; armId: string };
  let webUai: { clientId: string; principalId: string; armId: string };

  /** A fresh config folder with the custom cloud `Lanyard` registered and selected. */
  async function configDir(authority = s.url): Promise<string> {
    const dir = tempDir('lanyard-az-');
    const env = azEnv(dir);
    const cloud = JSON.stringify({
      endpoints: {
        resourceManager: arm.url,
        activeDirectory: `${authority}/adfs`,
        activeDirectoryResourceId: MANAGEMENT_RESOURCE,
        activeDirectoryGraphResourceId: 'https://graph.windows.net/',
      },
    });
    for (const args of [
      ['cloud', 'register', '--name', 'Lanyard', '--cloud-config', cloud],
      ['cloud', 'set', '--name', 'Lanyard'],
    ]) {
      const run = await az(args, env);
      assert.equal(run.code, 0, `az ${args.slice(0, 2).join(' ')}: ${run.stderr}`);
    }
    return dir;
  }

  /** Runs az with the config folder `dir` under `lanyard run --as <as>`. */
  const azUnderRun = (dir: string, as: string) => (args: string[]) =>
    runLanyard(s.dataDir, ['run', '--as', as, '--', 'az', ...args], {
      env: azEnv(dir),
      timeoutMs: 90_000,
    });

  /** `az login --service-principal -u <user> -p <password>` in the seed tenant, then a token for `resource`. */
  async function servicePrincipalToken(
    env: Record<string, string>,
    login: { user: string; password: string; what: string },
    resource: string,
  ): Promise<string> {
    ok(
      await az(
        [
          'login',
          '--service-principal',
          '-u',
          login.user,
          '-p',
          login.password,
          '--tenant',
          s.seed.tenantId,
          '--allow-no-subscriptions',
          '-o',
          'json',
        ],
        env,
      ),
      `az login --service-principal (${login.what})`,
    );
    const got = ok(
      await az(['account', 'get-access-token', '--resource', resource, '-o', 'json'], env),
      'token',
    ) as {
      accessToken: string;
    };
    return got.accessToken;
  }

  before(async () => {
    s = await startCompatServer();
    arm = await startArmStandIn(s);
    const d = s.runtime.directory;
    const uai = await d.createIdentity('contoso', { name: 'web-uai' });
    const site = await d.createResource('contoso', {
      name: 'web',
      kind: 'app',
      systemAssignedIdentity: true,
      userAssignedIdentities: ['web-uai'],
    });
    await d.createResource('contoso', { name: 'runbook', kind: 'automation', systemAssignedIdentity: true });
    await d.assignRole('contoso', { principal: 'resource:web', app: 'api-x', role: 'Data.Read' });
    web = {
      clientId: site.systemAssignedIdentity!.clientId,
      principalId: site.systemAssignedIdentity!.principalId,
      armId: site.resourceId,
    };
    webUai = { clientId: uai.clientId, principalId: uai.principalId, armId: uai.resourceId };
  });
  after(async () => {
    await arm?.close();
    await s?.cleanup();
  });

  it('az login --identity under `lanyard run --as <app>`, then az account get-access-token', async () => {
    const underRun = azUnderRun(await configDir(), 'web');

    const login = ok(
      await underRun(['login', '--identity', '--allow-no-subscriptions', '-o', 'json']),
      'az login --identity',
    ) as { tenantId: string; user: { name: string; type: string } }[];
    assert.equal(login.length, 1, 'one tenant-level account');
    assert.equal(login[0]!.tenantId, s.seed.tenantId);
    assert.deepEqual(login[0]!.user, {
      assignedIdentityInfo: 'MSI',
      name: 'systemAssignedIdentity',
      type: 'servicePrincipal',
    });
    // The token az presented to Resource Manager: verified, the site's system-assigned identity.
    const listed = arm.calls.at(-1);
    assert.ok(listed?.claims, `Resource Manager saw a valid token: ${listed?.refused}`);
    assert.equal(listed.claims.aud, MANAGEMENT_RESOURCE);
    assert.equal(listed.claims.oid, web.principalId);
    assert.equal(listed.claims.xms_mirid, web.armId);

    // v2 resource (aud = its appId, the role granted to the site) and v1 resource (aud as requested).
    const v2 = ok(
      await underRun(['account', 'get-access-token', '--resource', 'api://x', '-o', 'json']),
      'v2',
    ) as {
      accessToken: string;
      tenant: string;
      tokenType: string;
      expiresOn: string;
    };
    assert.equal(v2.tenant, s.seed.tenantId);
    assert.equal(v2.tokenType, 'Bearer');
    const claims = await assertToken(s, v2.accessToken, {
      version: 2,
      audience: s.seed.apiX.appId,
      clientId: web.clientId,
      objectId: web.principalId,
      acr: '2',
      roles: ['Data.Read'],
    });
    assert.equal(claims.xms_mirid, web.armId);
    // expiresOn is the token's exp in local time, as az prints it ("YYYY-MM-DD HH:MM:SS.ffffff").
    assert.equal(Math.round(new Date(v2.expiresOn.replace(' ', 'T')).getTime() / 1000), claims.exp);

    const v1 = ok(
      await underRun(['account', 'get-access-token', '--resource', 'api://legacy', '-o', 'json']),
      'v1',
    ) as { accessToken: string };
    await assertToken(s, v1.accessToken, {
      version: 1,
      audience: 'api://legacy',
      clientId: web.clientId,
      objectId: web.principalId,
      acr: '2',
    });
  });

  it('az login --identity --username <client id> uses the attached user-assigned identity', async () => {
    const underRun = azUnderRun(await configDir(), 'web');
    const login = ok(
      await underRun([
        'login',
        '--identity',
        '--username',
        webUai.clientId,
        '--allow-no-subscriptions',
        '-o',
        'json',
      ]),
      'az login --identity --username',
    ) as { user: { name: string; assignedIdentityInfo: string } }[];
    assert.equal(login[0]!.user.assignedIdentityInfo, `MSIClient-${webUai.clientId}`);
    assert.equal(
      arm.calls.at(-1)?.claims?.oid,
      webUai.principalId,
      'Resource Manager saw the user-assigned identity',
    );
    const got = ok(
      await underRun(['account', 'get-access-token', '--resource', 'api://legacy', '-o', 'json']),
      'token',
    ) as { accessToken: string };
    const claims = await assertToken(s, got.accessToken, {
      version: 1,
      audience: 'api://legacy',
      clientId: webUai.clientId,
      objectId: webUai.principalId,
      acr: '2',
    });
    assert.equal(claims.xms_mirid, webUai.armId);
  });

  it('under an Automation account (no site name) az 2.45 takes the Cloud Shell path and is refused', async () => {
    const dir = await configDir();
    const run = await runLanyard(
      s.dataDir,
      ['run', '--as', 'runbook', '--', 'az', 'login', '--identity', '--allow-no-subscriptions', '-o', 'json'],
      { env: azEnv(dir), timeoutMs: 90_000 },
    );
    assert.notEqual(run.code, 0, 'az login fails');
    assert.match(run.stderr, /401/, run.stderr.slice(0, 3000));
    const refused = await s.runtime.audit.list({ action: 'mi.refuse', limit: 100 });
    assert.ok(
      refused.some((e) => e.reason === 'secret_missing' && e.details?.protocol === 'appservice'),
      'the endpoint refused a request without the secret',
    );
  });

  it('az login --service-principal with a client secret, custom cloud with an /adfs authority', async () => {
    const dir = await configDir();
    const env = azEnv(dir, { REQUESTS_CA_BUNDLE: s.caPath });
    const { appId, secret, servicePrincipalId } = s.seed.caller;
    const accessToken = await servicePrincipalToken(
      env,
      { user: appId, password: secret, what: 'secret' },
      'api://x',
    );
    await assertToken(s, accessToken, {
      version: 2,
      audience: s.seed.apiX.appId,
      clientId: appId,
      objectId: servicePrincipalId,
      acr: '1',
      roles: ['Data.Read'],
    });
  });

  it('az login --service-principal with a certificate (MSAL Python: x5t with `=` padding)', async (t) => {
    // Through the recording proxy, to read the client assertion az sends.
    const proxy = await startRecordingProxy({
      target: s.url,
      dataDir: s.dataDir,
      envelope: s.runtime.envelope,
      caPath: s.caPath,
    });
    t.after(() => proxy.close());
    const dir = await configDir(proxy.url);
    const env = azEnv(dir, { REQUESTS_CA_BUNDLE: s.caPath });
    const app = await s.runtime.directory.createApp('contoso', { name: 'az-cert' });
    const cert = await writeCertificateFile(dir, 'az-cert');
    await s.runtime.directory.addCertificate('contoso', 'az-cert', { certificate: cert.certPem });
    const accessToken = await servicePrincipalToken(
      env,
      { user: app.appId, password: cert.path, what: 'certificate' },
      'api://legacy',
    );
    await assertToken(s, accessToken, {
      version: 1,
      audience: 'api://legacy',
      clientId: app.appId,
      objectId: app.servicePrincipalId,
      acr: '2',
    });
    const post = proxy.requests.find((r) => r.method === 'POST' && r.body.includes('client_assertion='));
    assert.ok(post, 'az posted a client assertion');
    assert.equal(post.path, '/adfs/oauth2/token');
    const assertion = new URLSearchParams(post.body).get('client_assertion')!;
    const header = decodeProtectedHeader(assertion);
    assert.equal(header.alg, 'RS256');
    // base64url of the SHA-1 thumbprint, with its `=` padding (RFC 7515 says without; Lanyard accepts both).
    assert.equal(header.x5t, `${certificateThumbprints(cert.certPem).sha1B64url}=`);
  });
});
