/**
 * @module test/compat/azure-cli-arm.test
 * The real Azure CLI (Debian's azure-cli 2.45) against Lanyard's own Resource Manager, on the main listener:
 * a custom cloud registered from `GET /metadata/endpoints` (login through `<lanyard>/adfs`, where MSAL Python
 * skips instance discovery), `az login --service-principal` that lists the subscriptions the app holds a role
 * in, `az account list`, `az group list|create|delete`, `az resource list`, and role assignments through
 * `az rest` (az 2.45's own `az role assignment` crashes inside the client on Debian). Every call is authorized
 * by RBAC: a refused one prints ARM's AuthorizationFailed.
 *
 * When `az` is not installed the tests fail under CI (`.ci/run` installs it) and are skipped elsewhere.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { assignRole } from '../../src/management/service.ts';
import { tempDir } from '../helpers/stores.ts';
import { type CompatServer, startCompatServer } from './compat-server.ts';
import { minimalEnv, type ProcessRun, runProcess } from './run-client.ts';

const AZ = spawnSync('sh', ['-c', 'command -v az'], { encoding: 'utf8' }).stdout.trim();
const missing = AZ === '' ? 'the Azure CLI (`az`) is not installed: apt-get install azure-cli' : undefined;
if (missing && process.env.CI) {
  it('the Azure CLI is installed', () => assert.fail(missing));
}

function az(args: string[], env: Record<string, string>): Promise<ProcessRun> {
  return runProcess('az', [...args, '-o', 'json'], { env: minimalEnv(env), timeoutMs: 120_000 });
}

function ok(run: ProcessRun, what: string): unknown {
  assert.equal(run.code, 0, `${what} (stderr: ${run.stderr.slice(0, 3000)})`);
  return run.stdout.trim() === '' ? undefined : JSON.parse(run.stdout);
}

describe('Azure CLI against Lanyard Resource Manager', {
  skip: missing && !process.env.CI ? missing : false,
}, () => {
  let s: CompatServer;
  let env: Record<string, string>;
  let sub: string;

  before(async () => {
    s = await startCompatServer();
    const d = s.runtime.directory;
    sub = (await d.getTenant('contoso')).defaultSubscriptionId.toLowerCase();
    await d.createResource('contoso', { name: 'kv1', kind: 'vault' });
    await d.createResource('contoso', { name: 'build-vm', kind: 'vm', powerState: 'deallocated' });
    await assignRole(d, 'contoso', {
      principal: s.seed.caller.servicePrincipalId,
      role: 'Reader',
      scope: 'subscription',
    });
    const dir = tempDir('lanyard-az-arm-');
    env = {
      AZURE_CONFIG_DIR: dir,
      AZURE_CORE_COLLECT_TELEMETRY: 'false',
      AZURE_CORE_SURVEY_MESSAGE: 'false',
      AZURE_CORE_NO_COLOR: 'true',
      REQUESTS_CA_BUNDLE: s.caPath,
    };
    // The metadata document fills what is not given: the login endpoint comes as <lanyard>/adfs here so that
    // MSAL Python takes it as known (no instance discovery); the rest — the token audience — from Lanyard.
    ok(
      await az(
        [
          'cloud',
          'register',
          '--name',
          'LanyardArm',
          '--endpoint-resource-manager',
          s.url,
          '--endpoint-active-directory',
          `${s.url}/adfs`,
          '--endpoint-active-directory-graph-resource-id',
          'https://graph.windows.net/',
        ],
        env,
      ),
      'az cloud register',
    );
    ok(await az(['cloud', 'set', '--name', 'LanyardArm'], env), 'az cloud set');
  });
  after(async () => s?.cleanup());

  it('az login --service-principal lists the subscription the app holds a role in; az account list shows it', async () => {
    const login = ok(
      await az(
        [
          'login',
          '--service-principal',
          '-u',
          s.seed.caller.appId,
          '-p',
          s.seed.caller.secret,
          '--tenant',
          s.seed.tenantId,
        ],
        env,
      ),
      'az login',
    ) as { id: string; tenantId: string; state: string; isDefault: boolean }[];
    assert.equal(login.length, 1);
    assert.equal(login[0]!.id, sub);
    assert.equal(login[0]!.tenantId, s.seed.tenantId);
    assert.equal(login[0]!.state, 'Enabled');
    const accounts = ok(await az(['account', 'list'], env), 'az account list') as {
      id: string;
      isDefault: boolean;
    }[];
    assert.deepEqual(
      accounts.map((a) => [a.id, a.isDefault]),
      [[sub, true]],
    );
  });

  it('az group list as Reader; az group create refused with AuthorizationFailed, then allowed as Contributor', async () => {
    const groups = ok(await az(['group', 'list'], env), 'az group list') as { name: string }[];
    assert.ok(groups.some((g) => g.name === 'lanyard'));
    const refused = await az(['group', 'create', '-n', 'az-rg', '-l', 'westeurope'], env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /AuthorizationFailed/);
    assert.match(refused.stderr, /Microsoft\.Resources\/subscriptions\/resourceGroups\/write/);
    await assignRole(s.runtime.directory, 'contoso', {
      principal: s.seed.caller.servicePrincipalId,
      role: 'Contributor',
      scope: 'subscription',
    });
    const made = ok(
      await az(['group', 'create', '-n', 'az-rg', '-l', 'westeurope'], env),
      'az group create',
    ) as {
      id: string;
      location: string;
    };
    assert.equal(made.id, `/subscriptions/${sub}/resourceGroups/az-rg`);
    assert.equal(made.location, 'westeurope');
    assert.equal(ok(await az(['group', 'exists', '-n', 'az-rg'], env), 'az group exists') as boolean, true);
    const started = Date.now();
    ok(await az(['group', 'delete', '-n', 'az-rg', '--yes'], env), 'az group delete');
    assert.ok(Date.now() - started < 60_000, 'the delete poll did not wait az’s default 30 s per round');
    assert.equal(ok(await az(['group', 'exists', '-n', 'az-rg'], env), 'az group exists') as boolean, false);
  });

  it('az resource list shows the vault', async () => {
    const resources = ok(await az(['resource', 'list'], env), 'az resource list') as {
      name: string;
      type: string;
    }[];
    assert.ok(resources.some((r) => r.name === 'kv1' && r.type === 'Microsoft.KeyVault/vaults'));
  });

  it('az rest puts, lists and deletes a role assignment (as User Access Administrator)', async () => {
    await assignRole(s.runtime.directory, 'contoso', {
      principal: s.seed.caller.servicePrincipalId,
      role: 'User Access Administrator',
      scope: 'subscription',
    });
    const scope = `/subscriptions/${sub}/resourceGroups/lanyard/providers/Microsoft.KeyVault/vaults/kv1`;
    const name = 'a3c9f7a2-5b1e-4d6c-8e2f-1a2b3c4d5e6f';
    const url = `${s.url}${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`;
    const body = JSON.stringify({
      properties: {
        roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
        principalId: s.seed.caller.servicePrincipalId,
        principalType: 'ServicePrincipal',
      },
    });
    const made = ok(
      await az(['rest', '--method', 'put', '--url', url, '--body', body], env),
      'az rest put',
    ) as {
      name: string;
      properties: { scope: string };
    };
    assert.equal(made.name, name);
    assert.equal(made.properties.scope, scope);
    const listed = ok(
      await az(
        [
          'rest',
          '--method',
          'get',
          '--url',
          `${s.url}${scope}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()`,
        ],
        env,
      ),
      'az rest get',
    ) as { value: { name: string }[] };
    assert.ok(listed.value.some((a) => a.name === name));
    ok(await az(['rest', '--method', 'delete', '--url', url], env), 'az rest delete');
  });
  it("az vm list -d (the 2020-09-01-hybrid profile Debian's az needs) shows the power state and private IP", async () => {
    ok(await az(['cloud', 'update', '--profile', '2020-09-01-hybrid'], env), 'az cloud update --profile');
    const vms = ok(await az(['vm', 'list', '-d'], env), 'az vm list -d') as {
      name: string;
      powerState: string;
      privateIps: string;
      macAddresses: string;
    }[];
    const vm = vms.find((v) => v.name === 'build-vm');
    assert.ok(vm, JSON.stringify(vms));
    assert.equal(vm.powerState, 'VM deallocated');
    assert.match(vm.privateIps, /^10\.0\.\d+\.\d+$/);
    assert.match(vm.macAddresses, /^00-0D-3A-/);
    ok(await az(['vm', 'start', '-n', 'build-vm', '-g', 'lanyard'], env), 'az vm start');
    const started = ok(
      await az(['vm', 'get-instance-view', '-n', 'build-vm', '-g', 'lanyard'], env),
      'instance view',
    ) as {
      instanceView: { statuses: { code: string }[] };
    };
    assert.ok(started.instanceView.statuses.some((x) => x.code === 'PowerState/running'));
  });
});
