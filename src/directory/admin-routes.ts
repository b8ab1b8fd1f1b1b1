/**
 * @module directory/admin-routes
 * The directory's part of the admin API: JSON REST over every Directory operation (tenants, apps and their
 * credentials, service principals, identities, resources, role assignments). Each route is a thin mapping;
 * validation and every refusal live in the directory. docs/admin-api.md documents each route.
 */
import type { Params } from '../http/router.ts';
import { type AdminRoutes, booleanParam, created, noContent, ok } from '../plane/admin-kit.ts';
import type { DirectoryDeps } from './deps.ts';

export function directoryAdminRoutes(r: AdminRoutes<DirectoryDeps>): void {
  const T = '/admin/tenants/:tenant';
  const A = `${T}/apps/:app`;
  const I = `${T}/identities/:identity`;
  const R = `${T}/resources/:resource`;
  // tenants
  r.add('GET', '/admin/tenants', async ({ deps: { directory } }) => ok(await directory.listTenants()));
  r.add('POST', '/admin/tenants', async ({ deps: { directory }, body }) =>
    created(await directory.createTenant(await body())),
  );
  r.add('GET', T, async ({ deps: { directory }, params }) => ok(await directory.getTenant(params.tenant!)));
  r.add('PATCH', T, async ({ deps: { directory }, params, body }) =>
    ok(await directory.updateTenant(params.tenant!, await body())),
  );
  r.add('DELETE', T, async ({ deps: { directory }, params }) =>
    ok(await directory.deleteTenant(params.tenant!)),
  );

  // applications
  r.add(
    'GET',
    `${T}/apps`,
    async ({ deps: { directory }, params, query }) => {
      const includeFirstParty = booleanParam('firstParty', query.firstParty) ?? false;
      return ok(await directory.listApps(params.tenant!, { includeFirstParty }));
    },
    ['firstParty'],
  );
  r.add('POST', `${T}/apps`, async ({ deps: { directory }, params, body }) =>
    created(await directory.createApp(params.tenant!, await body())),
  );
  r.add('GET', A, async ({ deps: { directory }, params }) =>
    ok(await directory.getApp(params.tenant!, params.app!)),
  );
  r.add('PATCH', A, async ({ deps: { directory }, params, body }) =>
    ok(await directory.updateApp(params.tenant!, params.app!, await body())),
  );
  r.add('DELETE', A, async ({ deps: { directory }, params }) =>
    ok(await directory.deleteApp(params.tenant!, params.app!)),
  );

  // client secrets: the text is in the 201 body only; lists show the hint
  r.add('GET', `${A}/secrets`, async ({ deps: { directory }, params }) =>
    ok(await directory.listClientSecrets(params.tenant!, params.app!)),
  );
  r.add('POST', `${A}/secrets`, async ({ deps: { directory }, params, body }) =>
    created(await directory.addClientSecret(params.tenant!, params.app!, await body())),
  );
  r.add('DELETE', `${A}/secrets/:keyId`, async ({ deps: { directory }, params }) => {
    await directory.removeClientSecret(params.tenant!, params.app!, params.keyId!);
    return noContent();
  });

  // certificate credentials (public keys)
  r.add('GET', `${A}/certificates`, async ({ deps: { directory }, params }) =>
    ok(await directory.listCertificates(params.tenant!, params.app!)),
  );
  r.add('POST', `${A}/certificates`, async ({ deps: { directory }, params, body }) =>
    created(await directory.addCertificate(params.tenant!, params.app!, await body())),
  );
  r.add('DELETE', `${A}/certificates/:certificate`, async ({ deps: { directory }, params }) => {
    await directory.removeCertificate(params.tenant!, params.app!, params.certificate!);
    return noContent();
  });

  // federated identity credentials, on apps and on user-assigned identities
  for (const [base, kind, key] of [
    [A, 'app', 'app'],
    [I, 'identity', 'identity'],
  ] as const) {
    const owner = (params: Params) => ({ kind, name: params[key]! });
    r.add('GET', `${base}/federated-credentials`, async ({ deps: { directory }, params }) =>
      ok(await directory.listFederatedCredentials(params.tenant!, owner(params))),
    );
    r.add('POST', `${base}/federated-credentials`, async ({ deps: { directory }, params, body }) =>
      created(await directory.addFederatedCredential(params.tenant!, owner(params), await body())),
    );
    r.add('DELETE', `${base}/federated-credentials/:credential`, async ({ deps: { directory }, params }) => {
      await directory.removeFederatedCredential(params.tenant!, owner(params), params.credential!);
      return noContent();
    });
  }

  // service principals (read-only: they follow their apps and identities)
  r.add('GET', `${T}/service-principals`, async ({ deps: { directory }, params }) =>
    ok(await directory.listServicePrincipals(params.tenant!)),
  );
  r.add('GET', `${T}/service-principals/:sp`, async ({ deps: { directory }, params }) =>
    ok(await directory.getServicePrincipal(params.tenant!, params.sp!)),
  );

  // managed identities
  r.add(
    'GET',
    `${T}/identities`,
    async ({ deps: { directory }, params, query }) => {
      const includeSystem = booleanParam('includeSystem', query.includeSystem) ?? false;
      return ok(await directory.listIdentities(params.tenant!, { includeSystem }));
    },
    ['includeSystem'],
  );
  r.add('POST', `${T}/identities`, async ({ deps: { directory }, params, body }) =>
    created(await directory.createIdentity(params.tenant!, await body())),
  );
  r.add('GET', I, async ({ deps: { directory }, params }) =>
    ok(await directory.getIdentity(params.tenant!, params.identity!)),
  );
  r.add('DELETE', I, async ({ deps: { directory }, params }) =>
    ok(await directory.deleteIdentity(params.tenant!, params.identity!)),
  );

  // resources that carry identities
  r.add('GET', `${T}/resources`, async ({ deps: { directory }, params }) =>
    ok(await directory.listResources(params.tenant!)),
  );
  r.add('POST', `${T}/resources`, async ({ deps: { directory }, params, body }) =>
    created(await directory.createResource(params.tenant!, await body())),
  );
  r.add('GET', R, async ({ deps: { directory }, params }) =>
    ok(await directory.getResource(params.tenant!, params.resource!)),
  );
  r.add('PATCH', R, async ({ deps: { directory }, params, body }) =>
    ok(await directory.updateResource(params.tenant!, params.resource!, await body())),
  );
  r.add('DELETE', R, async ({ deps: { directory }, params }) =>
    ok(await directory.deleteResource(params.tenant!, params.resource!)),
  );
  r.add('PUT', `${R}/identities/:identity`, async ({ deps: { directory }, params }) =>
    ok(await directory.attachIdentity(params.tenant!, params.resource!, params.identity!)),
  );
  r.add('DELETE', `${R}/identities/:identity`, async ({ deps: { directory }, params }) =>
    ok(await directory.detachIdentity(params.tenant!, params.resource!, params.identity!)),
  );

  // app role assignments
  r.add(
    'GET',
    `${T}/role-assignments`,
    async ({ deps: { directory }, params, query }) =>
      ok(await directory.listRoleAssignments(params.tenant!, { principal: query.principal, app: query.app })),
    ['principal', 'app'],
  );
  r.add('POST', `${T}/role-assignments`, async ({ deps: { directory }, params, body }) =>
    created(await directory.assignRole(params.tenant!, await body())),
  );
  r.add('DELETE', `${T}/role-assignments/:id`, async ({ deps: { directory }, params }) =>
    ok(await directory.unassignRole(params.tenant!, params.id!)),
  );
}
