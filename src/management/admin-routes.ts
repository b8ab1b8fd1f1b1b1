/**
 * @module management/admin-routes
 * The management plane's part of the admin API (`/admin/tenants/:tenant/…`), over service.ts — what the CLI's
 * `lanyard rbac`, `subscription` and `group` do, as JSON: Azure RBAC role assignments (list with `?principal=`
 * and `?scope=`, create, delete), role definitions (list, create or replace a custom one, delete), a decision
 * with its explanation (`rbac/check`), subscriptions and resource groups. Inputs are checked by the service and
 * the RBAC index; refusals are Lanyard's error bodies.
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import { type AdminRoutes, created, ok } from '../plane/admin-kit.ts';
import type { ManagementDeps } from './deps.ts';

const service = () => import('./service.ts');

type Body = Record<string, unknown>;

function text(body: Body, name: string, required: true): string;
function text(body: Body, name: string, required?: false): string | undefined;
function text(body: Body, name: string, required = false): string | undefined {
  const v = body[name];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v === '') {
    throw new LanyardError('ERR_VALIDATION', `The body needs \`${name}\` as a non-empty string.`);
  }
  return v;
}

export function managementAdminRoutes(routes: AdminRoutes<ManagementDeps>): void {
  const base = '/admin/tenants/:tenant';

  routes.add(
    'GET',
    `${base}/rbac/assignments`,
    async ({ deps, params, query }) =>
      ok(
        await (await service()).listRoleAssignments(deps.directory, params.tenant!, {
          principal: query.principal,
          scope: query.scope,
        }),
      ),
    ['principal', 'scope'],
  );
  routes.add('POST', `${base}/rbac/assignments`, async ({ deps, params, body }) => {
    const b = await body<Body>();
    return created(
      await (await service()).assignRole(deps.directory, params.tenant!, {
        principal: text(b, 'principal', true),
        role: text(b, 'role', true),
        scope: text(b, 'scope', true),
        id: text(b, 'name'),
        description: text(b, 'description'),
      }),
    );
  });
  routes.add('DELETE', `${base}/rbac/assignments/:name`, async ({ deps, params }) =>
    ok(await (await service()).unassignRole(deps.directory, params.tenant!, { id: params.name! })),
  );
  // A question, not a change: read-only callers may ask it.
  routes.add(
    'POST',
    `${base}/rbac/check`,
    async ({ deps, params, body }) => {
      const b = await body<Body>();
      if (b.dataAction !== undefined && typeof b.dataAction !== 'boolean') {
        throw new LanyardError('ERR_VALIDATION', '`dataAction` must be true or false.');
      }
      return ok(
        await (await service()).checkAccess(deps.directory, params.tenant!, {
          principal: text(b, 'principal', true),
          action: text(b, 'action', true),
          scope: text(b, 'scope', true),
          dataAction: b.dataAction === true,
        }),
      );
    },
    [],
    { access: 'read' },
  );

  routes.add('GET', `${base}/rbac/roles`, async ({ deps }) =>
    ok(await (await service()).listRoles(deps.directory)),
  );
  routes.add('PUT', `${base}/rbac/roles`, async ({ deps, params, body }) => {
    const b = await body<Body>();
    if (!Array.isArray(b.assignableScopes) || !b.assignableScopes.every((x) => typeof x === 'string')) {
      throw new LanyardError('ERR_VALIDATION', '`assignableScopes` must be a list of scopes.');
    }
    if (!Array.isArray(b.permissions) || !b.permissions.every((x) => typeof x === 'object' && x !== null)) {
      throw new LanyardError('ERR_VALIDATION', '`permissions` must be a list of permission blocks.');
    }
    const { role, created: made } = await (await service()).putRole(deps.directory, params.tenant!, {
      id: text(b, 'id'),
      roleName: text(b, 'roleName', true),
      description: text(b, 'description') ?? '',
      assignableScopes: b.assignableScopes as string[],
      permissions: b.permissions as never,
    });
    return made ? created(role) : ok(role);
  });
  routes.add('DELETE', `${base}/rbac/roles/:role`, async ({ deps, params }) =>
    ok(await (await service()).deleteRole(deps.directory, params.role!)),
  );

  routes.add('GET', `${base}/subscriptions`, async ({ deps, params }) =>
    ok(await (await service()).listSubscriptions(deps.directory, params.tenant!)),
  );
  routes.add('POST', `${base}/subscriptions`, async ({ deps, params, body }) => {
    const b = await body<Body>();
    return created(
      await (await service()).createSubscription(deps.directory, params.tenant!, {
        id: text(b, 'id'),
        displayName: text(b, 'displayName', true),
        state: text(b, 'state'),
      }),
    );
  });
  routes.add(
    'GET',
    `${base}/resource-groups`,
    async ({ deps, params, query }) =>
      ok(await (await service()).listResourceGroups(deps.directory, params.tenant!, query.subscription)),
    ['subscription'],
  );
  routes.add('POST', `${base}/resource-groups`, async ({ deps, params, body }) => {
    const b = await body<Body>();
    if (b.tags !== undefined && (typeof b.tags !== 'object' || b.tags === null || Array.isArray(b.tags))) {
      throw new LanyardError('ERR_VALIDATION', '`tags` must be an object of strings.');
    }
    const r = await (await service()).createResourceGroup(deps.directory, params.tenant!, {
      name: text(b, 'name', true),
      subscriptionId: text(b, 'subscription'),
      location: text(b, 'location'),
      tags: b.tags as Record<string, string> | undefined,
    });
    return r.created ? created(r.group) : ok(r.group);
  });
  routes.add(
    'DELETE',
    `${base}/resource-groups/:name`,
    async ({ deps, params, query }) =>
      ok(
        await (await service()).deleteResourceGroup(deps.directory, params.tenant!, {
          name: params.name!,
          subscriptionId: query.subscription,
        }),
      ),
    ['subscription'],
  );
}
