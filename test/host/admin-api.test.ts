/**
 * @module test/server/admin-api.test
 * The admin API through real HTTPS against each store dialect: authentication, the CRUD round trip of every
 * directory object, error mapping, request limits and path handling.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ensureLocalCa } from '../../src/crypto/local-ca.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './harness.ts';

for (const kind of STORE_KINDS) {
  describe(`admin API over HTTPS (${kind})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer(kind);
    });
    after(async () => {
      await t?.cleanup();
    });

    it('serves /healthz without a token, with the JSON safety headers', async () => {
      const res = await t.call('GET', '/healthz', { token: null });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { status: 'ok' });
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    });

    it('refuses admin calls without a token or with a wrong one, and never logs the presented token', async () => {
      const wrong = `wrong_${'y'.repeat(40)}`;
      for (const token of [null, wrong, '']) {
        const res = await t.call('GET', '/admin/tenants', { token });
        assert.equal(res.status, 401);
        assert.equal(res.json.error.code, 'ERR_ADMIN_UNAUTHORIZED');
        assert.equal(res.headers['www-authenticate'], 'Bearer realm="lanyard-admin"');
        assert.equal(res.headers['cache-control'], 'no-store');
      }
      // Other schemes and the right token in the wrong place are refused too.
      const basic = await t.call('GET', '/admin/tenants', {
        token: null,
        headers: { authorization: `Basic ${t.runtime.dataDir}` },
      });
      assert.equal(basic.status, 401);
      // Unknown routes answer 401 too before authentication: nothing about the route table leaks.
      assert.equal((await t.call('GET', '/admin/nope', { token: wrong })).status, 401);
      const logged = t.logs.join('');
      assert.ok(logged.includes('"status":401'), 'the refused requests are logged');
      assert.ok(!logged.includes(wrong), 'the wrong token is not in the log');
      assert.ok(!logged.includes('y'.repeat(40)));
    });

    it('accepts the bearer scheme in any case', async () => {
      const res = await t.call('GET', '/admin/tenants', {
        token: null,
        headers: { authorization: `bEaReR ${ADMIN_TOKEN}` },
      });
      assert.equal(res.status, 200);
    });

    it('reports its version and store', async () => {
      const res = await t.call('GET', '/admin/version');
      assert.equal(res.status, 200);
      assert.match(res.json.version, /^\d+\.\d+\.\d+/);
      assert.equal(res.json.node, process.version);
      assert.equal(typeof res.json.directoryVersion, 'number');
      assert.equal(res.json.store.dialect, kind);
      assert.equal(typeof res.json.store.location, 'string');
    });

    it('round-trips tenants, apps, credentials, identities, resources and role assignments', async () => {
      // tenant
      const tenant = await t.call('POST', '/admin/tenants', { body: { name: 'contoso' } });
      assert.equal(tenant.status, 201, tenant.text);
      assert.equal(tenant.json.name, 'contoso');
      const versionBefore = (await t.call('GET', '/admin/version')).json.directoryVersion;
      assert.ok(versionBefore > 0);
      assert.deepEqual(
        (await t.call('GET', '/admin/tenants')).json.map((x: { name: string }) => x.name),
        ['contoso'],
      );
      const patched = await t.call('PATCH', '/admin/tenants/contoso', {
        body: { displayName: 'Contoso Ltd' },
      });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.json.displayName, 'Contoso Ltd');
      assert.equal((await t.call('GET', `/admin/tenants/${tenant.json.id}`)).json.displayName, 'Contoso Ltd');

      // app, addressed by name and by its identifier URI (encoded once in the path)
      const app = await t.call('POST', '/admin/tenants/contoso/apps', {
        body: { name: 'orders', identifierUris: ['api://orders'], appRoles: [{ value: 'Orders.Read' }] },
      });
      assert.equal(app.status, 201, app.text);
      const byUri = await t.call('GET', `/admin/tenants/contoso/apps/${encodeURIComponent('api://orders')}`);
      assert.equal(byUri.status, 200, byUri.text);
      assert.equal(byUri.json.appId, app.json.appId);
      const own = await t.call('GET', '/admin/tenants/contoso/apps');
      assert.deepEqual(
        own.json.map((a: { name: string }) => a.name),
        ['orders'],
      );
      const all = await t.call('GET', '/admin/tenants/contoso/apps?firstParty=true');
      assert.ok(all.json.length > own.json.length);
      assert.ok(all.json.some((a: { firstParty: boolean }) => a.firstParty));
      const updated = await t.call('PATCH', '/admin/tenants/contoso/apps/orders', {
        body: { appRoleAssignmentRequired: true },
      });
      assert.equal(updated.status, 200, updated.text);
      assert.equal(updated.json.appRoleAssignmentRequired, true);

      // client secret: the text once, then only the hint
      const secret = await t.call('POST', '/admin/tenants/contoso/apps/orders/secrets', {
        body: { displayName: 'ci' },
      });
      assert.equal(secret.status, 201, secret.text);
      assert.equal(typeof secret.json.secretText, 'string');
      assert.ok(secret.json.secretText.length >= 40);
      const secrets = await t.call('GET', '/admin/tenants/contoso/apps/orders/secrets');
      assert.equal(secrets.json.length, 1);
      assert.equal(secrets.json[0].hint, secret.json.secretText.slice(0, 3));
      assert.equal(secrets.json[0].secretText, undefined);
      assert.ok(!secrets.text.includes(secret.json.secretText));
      assert.ok(!t.logs.join('').includes(secret.json.secretText), 'the secret is not logged');
      // A POST without a body is a secret with defaults.
      const second = await t.call('POST', '/admin/tenants/contoso/apps/orders/secrets');
      assert.equal(second.status, 201, second.text);
      const removed = await t.call(
        'DELETE',
        `/admin/tenants/contoso/apps/orders/secrets/${secret.json.keyId}`,
      );
      assert.equal(removed.status, 204);
      assert.equal(removed.text, '');
      assert.deepEqual(
        (await t.call('GET', '/admin/tenants/contoso/apps/orders/secrets')).json.map(
          (s: { keyId: string }) => s.keyId,
        ),
        [second.json.keyId],
      );

      // certificate credential
      const issued = await (
        await ensureLocalCa({ dataDir: t.dataDir, envelope: t.runtime.envelope })
      ).issueServerCertificate(['client.example']);
      const cert = await t.call('POST', '/admin/tenants/contoso/apps/orders/certificates', {
        body: { certificate: issued.certPem },
      });
      assert.equal(cert.status, 201, cert.text);
      assert.equal(cert.json.thumbprint, issued.thumbprints.sha1Hex);
      assert.equal((await t.call('GET', '/admin/tenants/contoso/apps/orders/certificates')).json.length, 1);
      const certDup = await t.call('POST', '/admin/tenants/contoso/apps/orders/certificates', {
        body: { certificate: issued.certPem },
      });
      assert.equal(certDup.status, 409);
      assert.equal(
        (await t.call('DELETE', `/admin/tenants/contoso/apps/orders/certificates/${cert.json.thumbprint}`))
          .status,
        204,
      );

      // federated credential on the app
      const fedApp = await t.call('POST', '/admin/tenants/contoso/apps/orders/federated-credentials', {
        body: {
          name: 'gh-main',
          issuer: 'https://token.actions.githubusercontent.com',
          subject: 'repo:c/o:ref:refs/heads/main',
        },
      });
      assert.equal(fedApp.status, 201, fedApp.text);
      assert.deepEqual(fedApp.json.owner, { kind: 'app', name: 'orders' });

      // user-assigned identity with a federated credential
      const identity = await t.call('POST', '/admin/tenants/contoso/identities', {
        body: { name: 'orders-mi' },
      });
      assert.equal(identity.status, 201, identity.text);
      assert.equal(identity.json.kind, 'user');
      assert.equal(
        (await t.call('GET', '/admin/tenants/contoso/identities/orders-mi')).json.clientId,
        identity.json.clientId,
      );
      const fedMi = await t.call(
        'POST',
        '/admin/tenants/contoso/identities/orders-mi/federated-credentials',
        {
          body: { name: 'k8s', issuer: 'https://oidc.example.com', subject: 'system:serviceaccount:ns:sa' },
        },
      );
      assert.equal(fedMi.status, 201, fedMi.text);
      assert.equal(
        (await t.call('GET', '/admin/tenants/contoso/identities/orders-mi/federated-credentials')).json[0]
          .name,
        'k8s',
      );
      assert.equal(
        (await t.call('DELETE', '/admin/tenants/contoso/identities/orders-mi/federated-credentials/k8s'))
          .status,
        204,
      );
      assert.equal(
        (await t.call('DELETE', '/admin/tenants/contoso/apps/orders/federated-credentials/gh-main')).status,
        204,
      );

      // resource with a system-assigned identity; attach and detach the user-assigned one
      const resource = await t.call('POST', '/admin/tenants/contoso/resources', {
        body: { name: 'runbooks', kind: 'automation', systemAssignedIdentity: true },
      });
      assert.equal(resource.status, 201, resource.text);
      assert.ok(resource.json.systemAssignedIdentity);
      const attached = await t.call('PUT', '/admin/tenants/contoso/resources/runbooks/identities/orders-mi');
      assert.equal(attached.status, 200, attached.text);
      assert.deepEqual(
        attached.json.userAssignedIdentities.map((i: { name: string }) => i.name),
        ['orders-mi'],
      );
      const users = await t.call('GET', '/admin/tenants/contoso/identities');
      const withSystem = await t.call('GET', '/admin/tenants/contoso/identities?includeSystem=true');
      assert.deepEqual(
        users.json.map((i: { kind: string }) => i.kind),
        ['user'],
      );
      assert.ok(
        withSystem.json.some(
          (i: { kind: string; name: string }) => i.kind === 'system' && i.name === 'runbooks',
        ),
      );
      const patchedResource = await t.call('PATCH', '/admin/tenants/contoso/resources/runbooks', {
        body: { systemAssignedIdentity: true },
      });
      assert.equal(patchedResource.status, 200, patchedResource.text);
      assert.equal((await t.call('GET', '/admin/tenants/contoso/resources')).json.length, 1);

      // service principals
      const sps = await t.call('GET', '/admin/tenants/contoso/service-principals');
      assert.equal(sps.status, 200);
      const appSp = sps.json.find((sp: { appName?: string }) => sp.appName === 'orders');
      assert.ok(appSp);
      assert.equal(
        (await t.call('GET', `/admin/tenants/contoso/service-principals/${appSp.objectId}`)).json.appId,
        app.json.appId,
      );

      // role assignment, listed with filters; a second identical one conflicts
      const assignment = await t.call('POST', '/admin/tenants/contoso/role-assignments', {
        body: { principal: 'resource:runbooks', app: 'api://orders', role: 'Orders.Read' },
      });
      assert.equal(assignment.status, 201, assignment.text);
      assert.equal(assignment.json.appRoleValue, 'Orders.Read');
      const conflict = await t.call('POST', '/admin/tenants/contoso/role-assignments', {
        body: { principal: 'resource:runbooks', app: 'orders', role: 'Orders.Read' },
      });
      assert.equal(conflict.status, 409);
      assert.equal(conflict.json.error.code, 'ERR_CONFLICT');
      const filtered = await t.call(
        'GET',
        `/admin/tenants/contoso/role-assignments?app=${encodeURIComponent('api://orders')}&principal=resource:runbooks`,
      );
      assert.equal(filtered.status, 200, filtered.text);
      assert.deepEqual(
        filtered.json.map((a: { id: string }) => a.id),
        [assignment.json.id],
      );
      const unassigned = await t.call(
        'DELETE',
        `/admin/tenants/contoso/role-assignments/${assignment.json.id}`,
      );
      assert.equal(unassigned.status, 200);
      assert.equal(unassigned.json.id, assignment.json.id);
      assert.deepEqual((await t.call('GET', '/admin/tenants/contoso/role-assignments')).json, []);

      // tear down in order; each delete returns what it deleted
      const detached = await t.call(
        'DELETE',
        '/admin/tenants/contoso/resources/runbooks/identities/orders-mi',
      );
      assert.equal(detached.status, 200, detached.text);
      assert.deepEqual(detached.json.userAssignedIdentities, []);
      const deletedResource = await t.call('DELETE', '/admin/tenants/contoso/resources/runbooks');
      assert.equal(deletedResource.status, 200);
      assert.equal(deletedResource.json.name, 'runbooks');
      const deletedIdentity = await t.call('DELETE', '/admin/tenants/contoso/identities/orders-mi');
      assert.equal(deletedIdentity.status, 200);
      assert.equal(deletedIdentity.json.name, 'orders-mi');
      const deletedApp = await t.call(
        'DELETE',
        `/admin/tenants/contoso/apps/${encodeURIComponent('api://orders')}`,
      );
      assert.equal(deletedApp.status, 200, deletedApp.text);
      assert.equal(deletedApp.json.name, 'orders');
      const deletedTenant = await t.call('DELETE', '/admin/tenants/contoso');
      assert.equal(deletedTenant.status, 200, deletedTenant.text);
      assert.equal(deletedTenant.json.id, tenant.json.id);
      const gone = await t.call('GET', '/admin/tenants/contoso');
      assert.equal(gone.status, 404);
      assert.equal(gone.json.error.code, 'ERR_NOT_FOUND');
    });

    it('maps validation errors to 400 with a hint, conflicts to 409 and missing objects to 404', async () => {
      const bad = await t.call('POST', '/admin/tenants', { body: { name: 'not a name!' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.code, 'ERR_VALIDATION');
      assert.match(bad.json.error.message, /name/);
      assert.match(bad.json.error.hint, /docs\/admin-api\.md/);
      assert.ok(Array.isArray(bad.json.error.details.issues));

      assert.equal((await t.call('POST', '/admin/tenants', { body: { name: 'fabrikam' } })).status, 201);
      const uri = await t.call('POST', '/admin/tenants/fabrikam/apps', {
        body: { name: 'api', identifierUris: ['https://api.elsewhere.example'] },
      });
      assert.equal(uri.status, 400);
      assert.equal(uri.json.error.code, 'ERR_VALIDATION');
      assert.match(uri.json.error.hint, /domains/);

      const dup = await t.call('POST', '/admin/tenants', { body: { name: 'fabrikam' } });
      assert.equal(dup.status, 409);
      assert.equal(dup.json.error.code, 'ERR_CONFLICT');

      const missing = await t.call('GET', '/admin/tenants/fabrikam/apps/nothing-here');
      assert.equal(missing.status, 404);
      assert.equal(missing.json.error.code, 'ERR_NOT_FOUND');
      assert.equal(typeof missing.json.error.message, 'string');

      const query = await t.call('GET', '/admin/tenants/fabrikam/identities?includesystem=true');
      assert.equal(query.status, 400);
      assert.match(query.json.error.hint, /includeSystem/);
      const notBool = await t.call('GET', '/admin/tenants/fabrikam/apps?firstParty=yes');
      assert.equal(notBool.status, 400);
    });

    it('refuses bad JSON (400) and bodies over 1 MiB (413), declared or streamed', async () => {
      const badJson = await t.call('POST', '/admin/tenants', {
        rawBody: '{"name": "sec',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(badJson.status, 400);
      assert.equal(badJson.json.error.code, 'ERR_BAD_JSON');
      assert.ok(!badJson.text.includes('sec'), 'the body is not echoed');

      const declared = await t.call('POST', '/admin/tenants', {
        rawBody: Buffer.alloc(1024 * 1024 + 1, 0x20),
      });
      assert.equal(declared.status, 413);
      assert.equal(declared.json.error.code, 'ERR_REQUEST_TOO_LARGE');

      // Chunked, no Content-Length: refused once the bytes pass the limit.
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const streamed = await t.call('POST', '/admin/tenants', {
        rawBody: Readable.from(
          (function* () {
            for (let i = 0; i < 17; i++) yield chunk;
          })(),
        ),
      });
      assert.equal(streamed.status, 413);
      assert.equal(streamed.json.error.code, 'ERR_REQUEST_TOO_LARGE');
      // The server is still healthy afterwards.
      assert.equal((await t.call('GET', '/healthz')).status, 200);
    });

    it('answers unknown routes with 404 and wrong methods with 405 and Allow', async () => {
      const unknown = await t.call('GET', '/admin/tenants/x/widgets');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.error.code, 'ERR_ADMIN_ROUTE');
      const trailing = await t.call('GET', '/admin/tenants/');
      assert.equal(trailing.status, 404);
      const outside = await t.call('GET', '/nothing', { token: null });
      assert.equal(outside.status, 404);
      assert.equal(outside.json.error.code, 'ERR_NOT_FOUND');

      const wrong = await t.call('PUT', '/admin/tenants');
      assert.equal(wrong.status, 405);
      assert.equal(wrong.json.error.code, 'ERR_ADMIN_METHOD');
      assert.equal(wrong.headers.allow, 'GET, POST');
      const health = await t.call('POST', '/healthz', { token: null });
      assert.equal(health.status, 405);
      assert.equal(health.headers.allow, 'GET, HEAD');
    });

    it('refuses ambiguous paths instead of normalising them', async () => {
      for (const path of [
        '/admin/tenants/%2e%2e',
        '/admin/tenants/..',
        '/admin//tenants',
        '/admin/tenants/%zz',
        '/admin/tenants/a%00b',
      ]) {
        const res = await t.call('GET', path);
        assert.equal(res.status, 400, path);
        assert.equal(res.json.error.code, 'ERR_VALIDATION', path);
      }
    });

    it('logs one line per request without the query string or headers', async () => {
      const before = t.logs.length;
      await t.call('GET', '/admin/tenants/fabrikam/apps?firstParty=true');
      const lines = t.logs
        .slice(before)
        .map((l) => JSON.parse(l))
        .filter((l) => l.msg === 'request');
      assert.equal(lines.length, 1);
      assert.equal(lines[0].method, 'GET');
      assert.equal(lines[0].path, '/admin/tenants/fabrikam/apps');
      assert.equal(lines[0].status, 200);
      assert.equal(typeof lines[0].ms, 'number');
      const text = t.logs.slice(before).join('');
      assert.ok(!text.includes('firstParty'));
      assert.ok(!text.includes('authorization') && !text.includes('x'.repeat(40)));
    });
  });
}
