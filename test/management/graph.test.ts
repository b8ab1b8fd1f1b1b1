/**
 * Microsoft Graph v1.0 on the main listener, over real HTTPS with tokens from Lanyard's issuer: Graph's
 * permissions (the `roles` of the caller's Graph token, granted as app roles of the first-party Microsoft
 * Graph app), envelopes and headers; applications, service principals (an app's and a managed identity's),
 * app role assignments from both sides (the same assignments the directory lists, carried by the next token),
 * getByIds, $filter / $select / paging.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { GRAPH_APP_ROLES } from '../../src/directory/first-party.ts';
import { graphAssignmentId, parseAssignmentId } from '../../src/management/graph/assignment-ids.ts';
import { startTestServer, type TestServer } from '../host/harness.ts';
import { clientToken } from './tokens.ts';

const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

describe('microsoft graph', () => {
  let t: TestServer;
  let tenantId: string;
  const secrets = new Map<string, { appId: string; secret: string; sp: string }>();
  const tokens = new Map<string, string>();
  let graphSp: string;
  let api: { objectId: string; appId: string; sp: string; roleId: string };
  let uami: { clientId: string; principalId: string; resourceId: string };

  const token = (name: string, scope = GRAPH_SCOPE) => clientToken(t, tenantId, secrets.get(name)!, scope);
  const graph = (
    method: string,
    path: string,
    as: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) =>
    // Spaces in $filter as clients send them (undici refuses a raw space in a path).
    t.call(method, path.replace(/ /g, '%20'), {
      token: tokens.get(as) ?? as,
      ...(body === undefined ? {} : { body }),
      ...(headers ? { headers } : {}),
    });

  before(async () => {
    t = await startTestServer('sqlite');
    const d = t.runtime.directory;
    const tenant = await d.createTenant({ name: 'contoso' });
    tenantId = tenant.id;
    // One caller per permission set; `nobody` holds no Graph permission.
    const grants: Record<string, string[]> = {
      reader: ['Application.Read.All'],
      writer: ['Application.ReadWrite.All'],
      granter: ['AppRoleAssignment.ReadWrite.All', 'Application.Read.All'],
      grantOnly: ['AppRoleAssignment.ReadWrite.All'],
      directory: ['Directory.Read.All'],
      nobody: [],
    };
    for (const [name, roles] of Object.entries(grants)) {
      const app = await d.createApp('contoso', { name });
      const s = await d.addClientSecret('contoso', name, {});
      secrets.set(name, { appId: app.appId, secret: s.secretText, sp: app.servicePrincipalId });
      for (const role of roles) {
        await d.assignRole('contoso', { principal: `app:${name}`, app: 'microsoft-graph', role });
      }
    }
    const orders = await d.createApp('contoso', {
      name: 'orders-api',
      displayName: 'Orders API',
      identifierUris: ['api://orders-api'],
      appRoles: [{ value: 'Orders.Read', displayName: 'Read orders' }],
      appRoleAssignmentRequired: true,
    });
    api = {
      objectId: orders.objectId,
      appId: orders.appId,
      sp: orders.servicePrincipalId,
      roleId: orders.appRoles[0]!.id,
    };
    const mi = await d.createIdentity('contoso', { name: 'orders-uami' });
    uami = { clientId: mi.clientId, principalId: mi.principalId, resourceId: mi.resourceId };
    graphSp = (await d.getServicePrincipal('contoso', GRAPH_APP_ID)).objectId;
    for (const name of secrets.keys()) tokens.set(name, await token(name));
    tokens.set('arm', await token('granter', 'https://management.azure.com/.default'));
  });
  after(async () => t?.cleanup());

  describe('the Graph permissions as app roles of the first-party Graph app', () => {
    it('are the Graph app roles with their real ids, and the Graph token carries those granted', async () => {
      const app = await t.runtime.directory.getApp('contoso', 'microsoft-graph');
      const byValue = new Map(app.appRoles.map((r) => [r.value, r.id]));
      assert.equal(byValue.get('Application.Read.All'), '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30');
      assert.equal(byValue.get('Application.ReadWrite.All'), '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9');
      assert.equal(byValue.get('AppRoleAssignment.ReadWrite.All'), '06b708a9-e830-4db3-a914-8e69da51d44f');
      assert.equal(byValue.get('Directory.Read.All'), '7ab1d382-f21e-4acd-a863-ba3e13f7da61');
      assert.equal(app.appRoles.length, GRAPH_APP_ROLES.length);
      const claims = decodeJwt(tokens.get('granter')!);
      assert.equal(claims.aud, 'https://graph.microsoft.com');
      assert.deepEqual(claims.roles, ['AppRoleAssignment.ReadWrite.All', 'Application.Read.All']);
      assert.equal(decodeJwt(tokens.get('nobody')!).roles, undefined);
      // The directory lists the grant with the role's value, as `lanyard role list` prints it.
      const listed = await t.runtime.directory.listRoleAssignments('contoso', { principal: 'app:reader' });
      assert.deepEqual(
        listed.map((a) => [a.resourceAppName, a.appRoleValue, a.appRoleId]),
        [['microsoft-graph', 'Application.Read.All', '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30']],
      );
    });

    it('refuses a role Graph does not define, and the default role on Graph (it defines roles)', async () => {
      const d = t.runtime.directory;
      await assert.rejects(
        d.assignRole('contoso', { principal: 'app:nobody', app: 'microsoft-graph', role: 'Mail.Send' }),
        /has no role "Mail.Send"/,
      );
      await assert.rejects(
        d.assignRole('contoso', { principal: 'app:nobody', app: 'microsoft-graph' }),
        /defines roles/,
      );
    });

    it('a role removed from the caller is gone from its next token', async () => {
      const d = t.runtime.directory;
      await d.assignRole('contoso', {
        principal: 'app:nobody',
        app: 'microsoft-graph',
        role: 'User.Read.All',
      });
      assert.deepEqual(decodeJwt(await token('nobody')).roles, ['User.Read.All']);
      await d.unassignRole('contoso', {
        principal: 'app:nobody',
        app: 'microsoft-graph',
        role: 'User.Read.All',
      });
      assert.equal(decodeJwt(await token('nobody')).roles, undefined);
    });
  });

  describe('every endpoint: an authorized caller, one without the permission, a token for another audience', () => {
    // [method, path, body, the caller allowed, the permission a refusal names, the status when allowed]
    const cases: [string, () => string, (() => unknown) | undefined, string, string, number][] = [
      ['GET', () => '/v1.0/applications', undefined, 'reader', 'Application.Read.All', 200],
      [
        'GET',
        () => `/v1.0/applications/${api.objectId}`,
        undefined,
        'directory',
        'Application.Read.All',
        200,
      ],
      [
        'POST',
        () => '/v1.0/applications',
        () => ({ displayName: 'Matrix App' }),
        'writer',
        'Application.ReadWrite.All',
        201,
      ],
      [
        'PATCH',
        () => `/v1.0/applications/${api.objectId}`,
        () => ({ displayName: 'Orders API' }),
        'writer',
        'Application.ReadWrite.All',
        204,
      ],
      ['GET', () => '/v1.0/servicePrincipals', undefined, 'reader', 'Application.Read.All', 200],
      ['GET', () => `/v1.0/servicePrincipals/${api.sp}`, undefined, 'reader', 'Application.Read.All', 200],
      [
        'POST',
        () => '/v1.0/servicePrincipals',
        () => ({ appId: api.appId }),
        'writer',
        'Application.ReadWrite.All',
        409,
      ],
      [
        'GET',
        () => `/v1.0/servicePrincipals/${api.sp}/appRoleAssignedTo`,
        undefined,
        'grantOnly',
        'Application.Read.All',
        200,
      ],
      [
        'GET',
        () => `/v1.0/servicePrincipals/${uami.principalId}/appRoleAssignments`,
        undefined,
        'reader',
        'Application.Read.All',
        200,
      ],
      [
        'POST',
        () => `/v1.0/servicePrincipals/${api.sp}/appRoleAssignedTo`,
        () => ({ principalId: secrets.get('nobody')!.sp, resourceId: api.sp, appRoleId: api.roleId }),
        'granter',
        'AppRoleAssignment.ReadWrite.All',
        201,
      ],
      [
        'POST',
        () => `/v1.0/servicePrincipals/${secrets.get('reader')!.sp}/appRoleAssignments`,
        () => ({ principalId: secrets.get('reader')!.sp, resourceId: api.sp, appRoleId: api.roleId }),
        'granter',
        'AppRoleAssignment.ReadWrite.All',
        201,
      ],
      [
        'POST',
        () => '/v1.0/directoryObjects/getByIds',
        () => ({ ids: [api.sp], types: ['servicePrincipal'] }),
        'directory',
        'Application.Read.All',
        200,
      ],
      ['GET', () => '/v1.0/users', undefined, 'directory', 'User.Read.All', 200],
    ];
    for (const [method, path, body, allowed, permission, status] of cases) {
      it(`${method} ${path.toString().replace(/^\(\) => /, '')}`, async () => {
        const refused = await graph(method, path(), 'nobody', body?.());
        assert.equal(refused.status, 403, refused.text);
        assert.equal(refused.json.error.code, 'Authorization_RequestDenied');
        assert.equal(refused.json.error.message, 'Insufficient privileges to complete the operation.');
        assert.match(
          String(refused.headers['x-lanyard-hint']),
          new RegExp(`permission ${permission.replace(/\./g, '\\.')}`),
        );
        assert.match(
          String(refused.headers['x-lanyard-hint']),
          /lanyard role assign --principal .* --app microsoft-graph --role/,
        );
        const wrong = await graph(method, path(), 'arm', body?.());
        assert.equal(wrong.status, 401, wrong.text);
        assert.equal(wrong.json.error.code, 'InvalidAuthenticationToken');
        assert.equal(wrong.json.error.message, 'Access token validation failure. Invalid audience.');
        assert.match(String(wrong.headers['x-lanyard-hint']), /https:\/\/management\.azure\.com/);
        assert.match(String(wrong.headers['www-authenticate']), /^Bearer realm="", authorization_uri=/);
        const ok = await graph(method, path(), allowed, body?.());
        assert.equal(ok.status, status, ok.text);
      });
    }
  });

  describe('conventions', () => {
    it('answers errors in the Graph envelope with innerError and echoes client-request-id', async () => {
      const r = await graph('GET', '/v1.0/servicePrincipals/not-a-guid', 'reader', undefined, {
        'client-request-id': 'my-client-id-1',
      });
      assert.equal(r.status, 400);
      assert.equal(r.json.error.code, 'Request_BadRequest');
      assert.equal(r.json.error.message, "Invalid object identifier 'not-a-guid'.");
      assert.equal(r.json.error.innerError['client-request-id'], 'my-client-id-1');
      assert.equal(r.json.error.innerError['request-id'], r.headers['request-id']);
      assert.match(r.json.error.innerError.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      assert.equal(r.headers['client-request-id'], 'my-client-id-1');
      const missing = await graph(
        'GET',
        '/v1.0/servicePrincipals/00000000-0000-0000-0000-00000000abcd',
        'reader',
      );
      assert.equal(missing.status, 404);
      assert.equal(missing.json.error.code, 'Request_ResourceNotFound');
      assert.match(
        missing.json.error.message,
        /^Resource '00000000-0000-0000-0000-00000000abcd' does not exist/,
      );
      const none = await t.call('GET', '/v1.0/servicePrincipals', { token: null });
      assert.equal(none.status, 401);
      assert.equal(none.json.error.code, 'InvalidAuthenticationToken');
      assert.equal(none.json.error.message, 'Access token is empty.');
      const garbage = await graph('GET', '/v1.0/servicePrincipals', 'a.b.c');
      assert.equal(garbage.json.error.code, 'InvalidAuthenticationToken');
      assert.equal(typeof garbage.json.error.message, 'string');
      const segment = await graph('GET', '/v1.0/groups', 'reader');
      assert.equal(segment.status, 400);
      assert.equal(segment.json.error.message, "Resource not found for the segment 'groups'.");
      const method = await graph('PUT', '/v1.0/servicePrincipals', 'reader');
      assert.equal(method.status, 405);
      assert.equal(typeof method.json.error.message, 'string');
    });

    it('matches paths without case and tolerates ConsistencyLevel, $count and $search', async () => {
      const r = await graph('GET', '/V1.0/SERVICEPRINCIPALS?$count=true&$search=x', 'reader', undefined, {
        ConsistencyLevel: 'eventual',
      });
      assert.equal(r.status, 200);
      assert.match(r.json['@odata.context'], /\/v1\.0\/\$metadata#servicePrincipals$/);
      assert.equal(r.json['@odata.count'], r.json.value.length);
      assert.match(String(r.headers['content-type']), /^application\/json;odata\.metadata=minimal/);
    });

    it('pages with $top and an absolute @odata.nextLink that clients follow as given', async () => {
      const all = await graph('GET', '/v1.0/servicePrincipals', 'reader');
      const seen: string[] = [];
      let next: string | undefined = '/v1.0/servicePrincipals?$top=2&$select=id';
      while (next) {
        const page = await graph('GET', next, 'reader');
        assert.equal(page.status, 200, page.text);
        assert.ok(page.json.value.length <= 2);
        for (const sp of page.json.value) {
          assert.deepEqual(Object.keys(sp), ['id']);
          seen.push(sp.id);
        }
        const link = page.json['@odata.nextLink'] as string | undefined;
        if (link) assert.ok(link.startsWith(`${t.server.url.replace('127.0.0.1', '127.0.0.1')}/v1.0/`), link);
        next = link ? link.slice(new URL(link).origin.length) : undefined;
      }
      assert.deepEqual(
        seen,
        all.json.value.map((s: { id: string }) => s.id),
      );
      const bad = await graph('GET', '/v1.0/servicePrincipals?$top=1000', 'reader');
      assert.equal(bad.status, 400);
    });
  });

  describe('service principals', () => {
    it('finds one by appId, displayName and servicePrincipalNames/any (raw and URL-encoded), as az does', async () => {
      const byAppId = await graph(
        'GET',
        `/v1.0/servicePrincipals?$filter=appId eq '${GRAPH_APP_ID}'&$select=id,appRoles`,
        'reader',
      );
      assert.equal(byAppId.status, 200, byAppId.text);
      assert.equal(byAppId.json.value.length, 1);
      assert.equal(byAppId.json.value[0].id, graphSp);
      assert.deepEqual(Object.keys(byAppId.json.value[0]).sort(), ['appRoles', 'id']);
      const role = byAppId.json.value[0].appRoles.find(
        (r: { value: string }) => r.value === 'AppRoleAssignment.ReadWrite.All',
      );
      assert.deepEqual(role, {
        allowedMemberTypes: ['Application'],
        description: role.description,
        displayName: role.displayName,
        id: '06b708a9-e830-4db3-a914-8e69da51d44f',
        isEnabled: true,
        origin: 'Application',
        value: 'AppRoleAssignment.ReadWrite.All',
      });
      // PowerShell writes `AppId eq`; Entra compares names and values without case.
      const ps = await graph(
        'GET',
        `/v1.0/servicePrincipals?$filter=AppId eq '${api.appId.toUpperCase()}'`,
        'reader',
      );
      assert.deepEqual(
        ps.json.value.map((s: { id: string }) => s.id),
        [api.sp],
      );
      const byName = await graph(
        'GET',
        `/v1.0/servicePrincipals?$filter=${encodeURIComponent("displayName eq 'orders-uami'")}`,
        'reader',
      );
      assert.deepEqual(
        byName.json.value.map((s: { id: string }) => s.id),
        [uami.principalId],
      );
      const encoded = await graph(
        'GET',
        `/v1.0/servicePrincipals?$filter=servicePrincipalNames%2Fany%28c%3Ac%20eq%20%27api%3A%2F%2Forders-api%27%29`,
        'reader',
      );
      assert.deepEqual(
        encoded.json.value.map((s: { id: string }) => s.id),
        [api.sp],
      );
      const byAltKey = await graph('GET', `/v1.0/servicePrincipals(appId='${api.appId}')`, 'reader');
      assert.equal(byAltKey.json.id, api.sp);
      const starts = await graph(
        'GET',
        "/v1.0/servicePrincipals?$filter=startswith(displayName,'Orders A')",
        'reader',
      );
      assert.deepEqual(
        starts.json.value.map((s: { id: string }) => s.id),
        [api.sp],
      );
      const unsupported = await graph('GET', "/v1.0/servicePrincipals?$filter=homepage eq 'x'", 'reader');
      assert.equal(unsupported.status, 400);
      assert.equal(unsupported.json.error.code, 'Request_UnsupportedQuery');
    });

    it("shapes an app's service principal and a managed identity's as Graph does", async () => {
      const app = await graph('GET', `/v1.0/servicePrincipals/${api.sp}`, 'reader');
      assert.match(app.json['@odata.context'], /#servicePrincipals\/\$entity$/);
      assert.equal(app.json.servicePrincipalType, 'Application');
      assert.equal(app.json.appId, api.appId);
      assert.equal(app.json.appDisplayName, 'Orders API');
      assert.equal(app.json.appOwnerOrganizationId, tenantId);
      assert.equal(app.json.appRoleAssignmentRequired, true);
      assert.deepEqual(app.json.servicePrincipalNames, [api.appId, 'api://orders-api']);
      assert.deepEqual(
        app.json.appRoles.map((r: { value: string }) => r.value),
        ['Orders.Read'],
      );
      const mi = await graph('GET', `/v1.0/servicePrincipals/${uami.principalId}`, 'reader');
      assert.equal(mi.json.servicePrincipalType, 'ManagedIdentity');
      assert.equal(mi.json.appId, uami.clientId);
      assert.equal(mi.json.displayName, 'orders-uami');
      assert.equal(mi.json.appDisplayName, null);
      assert.equal(mi.json.appOwnerOrganizationId, null);
      assert.deepEqual(mi.json.alternativeNames, ['isExplicit=True', uami.resourceId]);
      assert.deepEqual(mi.json.servicePrincipalNames, [uami.clientId]);
      const graphSelf = await graph('GET', `/v1.0/servicePrincipals/${graphSp}`, 'reader');
      assert.equal(graphSelf.json.displayName, 'Microsoft Graph');
      assert.equal(graphSelf.json.appOwnerOrganizationId, 'f8cdef31-a31e-4b4a-93e4-5f571e91255a');
    });

    it('POST answers as Graph for an app that has its service principal, and for an unknown appId', async () => {
      const exists = await graph('POST', '/v1.0/servicePrincipals', 'writer', { appId: api.appId });
      assert.equal(exists.status, 409);
      assert.equal(exists.json.error.code, 'Request_MultipleObjectsWithSameKeyValue');
      assert.match(String(exists.headers['x-lanyard-hint']), new RegExp(api.sp));
      const unknown = await graph('POST', '/v1.0/servicePrincipals', 'writer', {
        appId: '11111111-2222-3333-4444-555555555555',
      });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.json.error.code, 'Request_BadRequest');
    });

    it('getByIds returns service principals with @odata.type, as az role assignment resolves them', async () => {
      const r = await graph('POST', '/v1.0/directoryObjects/getByIds', 'reader', {
        ids: [uami.principalId, api.sp, '00000000-0000-0000-0000-00000000abcd'],
        types: ['user', 'group', 'servicePrincipal', 'directoryObjectPartnerReference'],
      });
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.json.value.map((o: Record<string, string>) => [o['@odata.type'], o.id]),
        [
          ['#microsoft.graph.servicePrincipal', uami.principalId],
          ['#microsoft.graph.servicePrincipal', api.sp],
        ],
      );
      const users = await graph('POST', '/v1.0/directoryObjects/getByIds', 'reader', {
        ids: [api.sp],
        types: ['user'],
      });
      assert.deepEqual(users.json.value, []);
      const bad = await graph('POST', '/v1.0/directoryObjects/getByIds', 'reader', { ids: ['nope'] });
      assert.equal(bad.json.error.message, "Invalid object identifier 'nope'.");
    });
  });

  describe('applications', () => {
    it('lists the tenant’s registrations (not Microsoft’s), filters and reads one', async () => {
      const all = await graph('GET', '/v1.0/applications', 'reader');
      assert.ok(all.json.value.every((a: { appId: string }) => a.appId !== GRAPH_APP_ID));
      const one = await graph(
        'GET',
        `/v1.0/applications?$filter=appId eq '${api.appId}'&$select=id,displayName`,
        'reader',
      );
      assert.deepEqual(one.json.value, [{ id: api.objectId, displayName: 'Orders API' }]);
      assert.match(one.json['@odata.context'], /#applications\(id,displayName\)$/);
      const byName = await graph('GET', "/v1.0/applications?$filter=displayName eq 'orders api'", 'reader');
      assert.equal(byName.json.value.length, 1);
      const got = await graph('GET', `/v1.0/applications/${api.objectId}`, 'reader');
      assert.deepEqual(got.json.identifierUris, ['api://orders-api']);
      assert.equal(got.json.appRoles[0].id, api.roleId);
      const graphApp = (await t.runtime.directory.getApp('contoso', 'microsoft-graph')).objectId;
      const first = await graph('GET', `/v1.0/applications/${graphApp}`, 'reader');
      assert.equal(first.status, 404);
    });

    it('creates, updates and deletes through the Directory API', async () => {
      const created = await graph('POST', '/v1.0/applications', 'writer', {
        displayName: 'Billing API',
        identifierUris: ['api://billing'],
        signInAudience: 'AzureADMyOrg',
        requiredResourceAccess: [],
        appRoles: [
          {
            id: 'a8a8a8a8-0000-4000-8000-000000000001',
            value: 'Billing.Run',
            displayName: 'Run billing',
            description: 'Runs billing',
            allowedMemberTypes: ['Application'],
            isEnabled: true,
            origin: 'Application',
          },
        ],
      });
      assert.equal(created.status, 201, created.text);
      assert.match(String(created.headers.location), new RegExp(`/v1\\.0/applications/${created.json.id}$`));
      const stored = await t.runtime.directory.getApp('contoso', created.json.id);
      assert.equal(stored.name, 'billing-api');
      assert.deepEqual(stored.identifierUris, ['api://billing']);
      assert.equal(stored.appRoles[0]!.id, 'a8a8a8a8-0000-4000-8000-000000000001');
      // Its service principal exists at once, as Lanyard registers every app with one.
      const sp = await graph(
        'GET',
        `/v1.0/servicePrincipals?$filter=appId eq '${created.json.appId}'`,
        'reader',
      );
      assert.equal(sp.json.value.length, 1);
      const patched = await graph('PATCH', `/v1.0/applications/${created.json.id}`, 'writer', {
        displayName: 'Billing',
        api: { requestedAccessTokenVersion: 2 },
      });
      assert.equal(patched.status, 204, patched.text);
      const after = await graph('GET', `/v1.0/applications/${created.json.id}`, 'reader');
      assert.equal(after.json.displayName, 'Billing');
      assert.equal(after.json.api.requestedAccessTokenVersion, 2);
      const again = await graph('POST', '/v1.0/applications', 'writer', { displayName: 'Billing API' });
      assert.equal(again.status, 201);
      assert.equal((await t.runtime.directory.getApp('contoso', again.json.id)).name, 'billing-api-2');
      const clash = await graph('POST', '/v1.0/applications', 'writer', {
        displayName: 'Clash',
        identifierUris: ['api://billing'],
      });
      assert.equal(clash.status, 400);
      assert.equal(clash.json.error.code, 'Request_BadRequest');
      const unknown = await graph('POST', '/v1.0/applications', 'writer', {
        displayName: 'X',
        colour: 'red',
      });
      assert.equal(unknown.status, 400);
      assert.match(unknown.json.error.message, /Property 'colour' does not exist/);
      for (const id of [created.json.id, again.json.id]) {
        const gone = await graph('DELETE', `/v1.0/applications/${id}`, 'writer');
        assert.equal(gone.status, 204);
      }
      assert.equal((await graph('GET', `/v1.0/applications/${created.json.id}`, 'reader')).status, 404);
    });
  });

  describe('app role assignments', () => {
    it('grants a role to a managed identity (appRoleAssignments), the directory lists it and its next token carries it', async () => {
      const before = await t.runtime.directory.listRoleAssignments('contoso', {
        principal: 'identity:orders-uami',
      });
      assert.deepEqual(before, []);
      const r = await graph(
        'POST',
        `/v1.0/servicePrincipals/${uami.principalId}/appRoleAssignments`,
        'granter',
        {
          principalId: uami.principalId,
          resourceId: api.sp,
          appRoleId: api.roleId,
        },
      );
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.principalId, uami.principalId);
      assert.equal(r.json.principalType, 'ServicePrincipal');
      assert.equal(r.json.principalDisplayName, 'orders-uami');
      assert.equal(r.json.resourceId, api.sp);
      assert.equal(r.json.resourceDisplayName, 'Orders API');
      assert.equal(r.json.appRoleId, api.roleId);
      assert.match(r.json.id, /^[A-Za-z0-9_-]{43}$/);
      assert.match(
        r.json['@odata.context'],
        /#servicePrincipals\('[0-9a-f-]{36}'\)\/appRoleAssignments\/\$entity$/,
      );
      const listed = await t.runtime.directory.listRoleAssignments('contoso', {
        principal: 'identity:orders-uami',
      });
      assert.equal(listed.length, 1);
      assert.equal(listed[0]!.appRoleValue, 'Orders.Read');
      assert.equal(r.json.id, graphAssignmentId(uami.principalId, listed[0]!.id));
      assert.deepEqual(parseAssignmentId(r.json.id), {
        principalId: uami.principalId,
        assignmentId: listed[0]!.id,
      });
      // Seen from both sides.
      const assignedTo = await graph('GET', `/v1.0/servicePrincipals/${api.sp}/appRoleAssignedTo`, 'reader');
      assert.ok(assignedTo.json.value.some((a: { id: string }) => a.id === r.json.id));
      const held = await graph(
        'GET',
        `/v1.0/servicePrincipals/${uami.principalId}/appRoleAssignments`,
        'reader',
      );
      assert.deepEqual(
        held.json.value.map((a: { id: string }) => a.id),
        [r.json.id],
      );
      const one = await graph(
        'GET',
        `/v1.0/servicePrincipals/${api.sp}/appRoleAssignedTo/${r.json.id}`,
        'reader',
      );
      assert.equal(one.json.id, r.json.id);
      // The managed identity's next token for the API carries the role.
      const d = t.runtime.directory;
      const tenant = (await d.getTenant('contoso'))!;
      const client = (await d.findClient(tenantId, uami.clientId))!;
      const issued = await t.runtime.tokens.mint({
        tenant,
        client,
        requestedAs: api.appId,
        acr: '1',
        via: 'test',
      });
      assert.deepEqual(decodeJwt(issued.accessToken).roles, ['Orders.Read']);
      // Twice is Graph's 400.
      const dup = await graph('POST', `/v1.0/servicePrincipals/${api.sp}/appRoleAssignedTo`, 'granter', {
        principalId: uami.principalId,
        resourceId: api.sp,
        appRoleId: api.roleId,
      });
      assert.equal(dup.status, 400);
      assert.equal(dup.json.error.message, 'Permission being assigned already exists on the object.');
      // Removed from the resource's side with the Graph id.
      const del = await graph(
        'DELETE',
        `/v1.0/servicePrincipals/${api.sp}/appRoleAssignedTo/${r.json.id}`,
        'granter',
      );
      assert.equal(del.status, 204, del.text);
      assert.deepEqual(await d.listRoleAssignments('contoso', { principal: 'identity:orders-uami' }), []);
      const gone = await graph(
        'DELETE',
        `/v1.0/servicePrincipals/${api.sp}/appRoleAssignedTo/${r.json.id}`,
        'granter',
      );
      assert.equal(gone.status, 404);
      assert.equal(gone.json.error.code, 'Request_ResourceNotFound');
    });

    it('grants a Graph permission through Graph, and removes an assignment by the directory id', async () => {
      const r = await graph('POST', `/v1.0/servicePrincipals/${graphSp}/appRoleAssignedTo`, 'granter', {
        principalId: secrets.get('nobody')!.sp,
        resourceId: graphSp,
        appRoleId: '7ab1d382-f21e-4acd-a863-ba3e13f7da61',
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.resourceDisplayName, 'Microsoft Graph');
      assert.deepEqual(decodeJwt(await token('nobody')).roles, ['Directory.Read.All']);
      const [a] = await t.runtime.directory.listRoleAssignments('contoso', {
        principal: 'app:nobody',
        app: 'microsoft-graph',
      });
      assert.equal(a!.appRoleValue, 'Directory.Read.All');
      const del = await graph(
        'DELETE',
        `/v1.0/servicePrincipals/${secrets.get('nobody')!.sp}/appRoleAssignments/${a!.id}`,
        'granter',
      );
      assert.equal(del.status, 204, del.text);
    });

    it('refuses a body that disagrees with the path, an unknown role and unknown principals as Graph does', async () => {
      const wrongSide = await graph(
        'POST',
        `/v1.0/servicePrincipals/${api.sp}/appRoleAssignments`,
        'granter',
        {
          principalId: uami.principalId,
          resourceId: api.sp,
          appRoleId: api.roleId,
        },
      );
      assert.equal(wrongSide.status, 400);
      assert.equal(wrongSide.json.error.message, 'Not a valid reference update.');
      const unknownRole = await graph(
        'POST',
        `/v1.0/servicePrincipals/${api.sp}/appRoleAssignedTo`,
        'granter',
        {
          principalId: uami.principalId,
          resourceId: api.sp,
          appRoleId: '12345678-1234-1234-1234-123456789012',
        },
      );
      assert.equal(unknownRole.status, 400);
      assert.equal(
        unknownRole.json.error.message,
        `Permission being assigned was not found on application '${api.appId}'.`,
      );
      const nobody = await graph('POST', `/v1.0/servicePrincipals/${api.sp}/appRoleAssignedTo`, 'granter', {
        principalId: '12345678-1234-1234-1234-123456789012',
        resourceId: api.sp,
        appRoleId: api.roleId,
      });
      assert.equal(nobody.status, 404);
      const missing = await graph('POST', `/v1.0/servicePrincipals/${api.sp}/appRoleAssignedTo`, 'granter', {
        principalId: uami.principalId,
      });
      assert.equal(missing.status, 400);
      assert.equal(missing.json.error.message, 'One or more properties are invalid.');
    });

    it('AppRoleAssignment.ReadWrite.All alone may read but not grant: Graph also wants a read permission', async () => {
      const r = await graph('POST', `/v1.0/servicePrincipals/${api.sp}/appRoleAssignedTo`, 'grantOnly', {
        principalId: uami.principalId,
        resourceId: api.sp,
        appRoleId: api.roleId,
      });
      assert.equal(r.status, 403);
      assert.match(String(r.headers['x-lanyard-hint']), /permission Application\.Read\.All/);
    });
  });
});
