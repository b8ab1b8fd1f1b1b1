/**
 * Seed 002's prerequisite as its author did it, with the real clients in their own processes: the example
 * examples/graph-assign-role/assign-role.mjs (`@microsoft/microsoft-graph-client` with `@azure/identity`'s
 * ClientSecretCredential through TokenCredentialAuthenticationProvider, Lanyard as authority and Graph host,
 * trust by NODE_EXTRA_CA_CERTS) assigns the API's app role to the user-assigned identity through Graph; the
 * identity's managed-identity token for the API (`@azure/identity` ManagedIdentityCredential at Lanyard's
 * App Service endpoint) is refused before and carries the role after. Without the Graph permission the
 * example gets Graph's 403, which the SDK surfaces with Graph's code and message.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { minimalEnv, runProcess } from '../compat/run-client.ts';
import { startTestServer, type TestServer } from '../host/harness.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const EXAMPLE = path.join(ROOT, 'examples/graph-assign-role/assign-role.mjs');
const MI_CLIENT = path.join(ROOT, 'test/compat/clients/mi-credentials.mjs');

describe('seed 002 prerequisite: the Graph SDK assigns an app role to a user-assigned identity', () => {
  let t: TestServer;
  let tenantId: string;
  let apiAppId: string;
  let admin: { appId: string; secret: string };
  let bystander: { appId: string; secret: string };
  let uami: { clientId: string; principalId: string };
  let miEnv: Record<string, string>;

  const assign = async (as: { appId: string; secret: string }) => {
    const run = await runProcess(
      process.execPath,
      [EXAMPLE, 'apim-caller', 'APIM Protected API', 'API.Call'],
      {
        cwd: ROOT,
        env: minimalEnv({
          NODE_EXTRA_CA_CERTS: t.server.caCertPath,
          AZURE_TENANT_ID: tenantId,
          AZURE_CLIENT_ID: as.appId,
          AZURE_CLIENT_SECRET: as.secret,
          LANYARD_URL: t.server.url,
        }),
        timeoutMs: 30_000,
      },
    );
    assert.equal(run.killed, false, 'the example exited on its own');
    const line = run.stdout.trim().split('\n').at(-1) ?? '';
    assert.ok(line.startsWith('{'), `the example printed its result (stderr: ${run.stderr.slice(0, 2000)})`);
    return { code: run.code, result: JSON.parse(line) };
  };

  /** The identity's token for the API, as the seed's function gets it (ManagedIdentityCredential({ clientId })). */
  const miToken = async () => {
    const cases = [{ label: 'uami', credential: 'mi', options: { clientId: uami.clientId } }];
    const run = await runProcess(
      process.execPath,
      [MI_CLIENT, JSON.stringify(cases), `${apiAppId}/.default`],
      {
        cwd: ROOT,
        env: minimalEnv(miEnv),
        timeoutMs: 30_000,
      },
    );
    const line = run.stdout.split('\n').find((l) => l.startsWith('MI_RESULT '));
    assert.ok(line, `the MI client printed its result (stderr: ${run.stderr.slice(0, 2000)})`);
    return JSON.parse(line.slice('MI_RESULT '.length))[0];
  };

  before(async () => {
    t = await startTestServer('sqlite');
    const d = t.runtime.directory;
    tenantId = (await d.createTenant({ name: 'contoso' })).id;
    const api = await d.createApp('contoso', {
      name: 'apim-protected-api',
      displayName: 'APIM Protected API',
      identifierUris: ['api://apim-protected-api'],
      appRoles: [{ value: 'API.Call', allowedMemberTypes: ['Application'] }],
      appRoleAssignmentRequired: true,
    });
    apiAppId = api.appId;
    const mi = await d.createIdentity('contoso', { name: 'apim-caller' });
    uami = { clientId: mi.clientId, principalId: mi.principalId };
    await d.createResource('contoso', {
      name: 'apim-client-function',
      kind: 'app',
      userAssignedIdentities: ['apim-caller'],
    });
    // The administrator's app, granted the Graph permissions the way `lanyard role assign` does.
    for (const name of ['role-admin', 'bystander']) {
      const app = await d.createApp('contoso', { name });
      const s = await d.addClientSecret('contoso', name, {});
      if (name === 'role-admin') admin = { appId: app.appId, secret: s.secretText };
      else bystander = { appId: app.appId, secret: s.secretText };
    }
    for (const role of ['AppRoleAssignment.ReadWrite.All', 'Application.Read.All']) {
      await d.assignRole('contoso', { principal: 'app:role-admin', app: 'microsoft-graph', role });
    }
    const workload = await t.runtime.workloads.issue(tenantId, 'apim-client-function', {
      label: 'graph sdk test',
    });
    const endpoint = t.host.planes.get('identity')?.info?.identityEndpoint;
    assert.ok(typeof endpoint === 'string', 'the identity plane serves its endpoint');
    miEnv = { IDENTITY_ENDPOINT: endpoint, IDENTITY_HEADER: workload.secret };
  });
  after(async () => t?.cleanup());

  it('without the assignment the identity gets no token for the API (assignment required)', async () => {
    const r = await miToken();
    assert.equal(r.ok, false);
    assert.match(r.error.message, /AADSTS501051/);
  });

  it('a caller without Graph permissions gets Graph’s 403 through the SDK', async () => {
    const { code, result } = await assign(bystander);
    assert.equal(code, 1);
    assert.equal(result.ok, false);
    assert.equal(result.statusCode, 403);
    assert.equal(result.code, 'Authorization_RequestDenied');
    assert.equal(result.message, 'Insufficient privileges to complete the operation.');
  });

  it('the administrator assigns API.Call through Graph; the identity’s next token carries it', async () => {
    const { code, result } = await assign(admin);
    assert.equal(code, 0, JSON.stringify(result));
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.assignment.principalId, uami.principalId);
    assert.equal(result.assignment.principalDisplayName, 'apim-caller');
    assert.equal(result.assignment.resourceDisplayName, 'APIM Protected API');
    // The same assignment `lanyard role list` shows.
    const listed = await t.runtime.directory.listRoleAssignments('contoso', {
      principal: 'identity:apim-caller',
    });
    assert.deepEqual(
      listed.map((a) => [a.resourceAppName, a.appRoleValue]),
      [['apim-protected-api', 'API.Call']],
    );
    const r = await miToken();
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const claims = decodeJwt(r.tokens[0].token);
    assert.equal(claims.aud, apiAppId);
    assert.equal(claims.oid, uami.principalId);
    assert.deepEqual(claims.roles, ['API.Call']);
    // Run again, Graph says the permission is already there (400), which the SDK surfaces.
    const again = await assign(admin);
    assert.equal(again.result.statusCode, 400);
    assert.equal(again.result.message, 'Permission being assigned already exists on the object.');
  });
});
