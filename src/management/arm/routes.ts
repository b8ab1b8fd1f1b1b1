/**
 * @module management/arm/routes
 * The Resource Manager subset Lanyard serves (docs/management.md, "Resource Manager"): tenants, subscriptions,
 * resource groups (with the 202 + Location of a delete), the generic resource lists and a resource by id with
 * its `identity` block, user-assigned identities. Every call is authorized by RBAC on the scope it names, as
 * ARM does; lists show what the caller may read. Role definitions and assignments, whose routes hang off any
 * scope, are authorization.ts.
 */
import { isLanyardError } from '../../errors/lanyard-error.ts';
import type { Params } from '../../http/router.ts';
import { Router } from '../../http/router.ts';
import { parseScope } from '../rbac/scope.ts';
import { createResourceGroup, deleteResourceGroup } from '../service.ts';
import type { ArmResource, TenantView } from '../view.ts';
import { addComputeRoutes } from './compute.ts';
import { ArmError, resourceGroupNotFound, resourceNotFound } from './errors.ts';
import type { Answer, ArmContext, Handler } from './handler.ts';
import {
  type ArmRequest,
  allowed,
  authorize,
  holdsRoleIn,
  objectBody,
  page,
  requireAnyAccess,
  subscriptionOf,
} from './request.ts';
import { groupJson, resourceJson, subscriptionJson, tenantJson, userIdentityJson } from './shapes.ts';

const UAMI = 'Microsoft.ManagedIdentity/userAssignedIdentities';

function groupOf(t: TenantView, subscriptionId: string, name: string) {
  return t.groups.get(subscriptionId.toLowerCase())?.find((g) => g.name.toLowerCase() === name.toLowerCase());
}

function requireGroup(t: TenantView, subscriptionId: string, name: string) {
  const g = groupOf(t, subscriptionId, name);
  if (!g) throw resourceGroupNotFound(name);
  return g;
}

const readAction = (type: string) => `${type}/read`;

/** The resources the caller may read, of the subscription (and group), filtered by `$filter`. */
function visibleResources(r: ArmRequest, t: TenantView, sub: string, group?: string): ArmResource[] {
  requireAnyAccess(r, sub, 'Microsoft.Resources/subscriptions/resources/read');
  const filter = parseFilter(r.http.query.get('$filter'));
  return t.resources.filter(
    (x) =>
      x.subscriptionId === sub.toLowerCase() &&
      (group === undefined || x.resourceGroup.toLowerCase() === group.toLowerCase()) &&
      filter(x) &&
      allowed(r, readAction(x.type), x.id),
  );
}

/**
 * The `$filter`s of the generic list Lanyard understands: `resourceType eq '…'`, `name eq '…'`,
 * `substringof('…', name)`, joined with `and`. Anything else is refused rather than ignored.
 */
function parseFilter(text: string | null): (r: ArmResource) => boolean {
  if (!text) return () => true;
  const tests = text.split(/\s+and\s+/i).map((clause) => {
    const eq = /^\s*(resourceType|name)\s+eq\s+'([^']*)'\s*$/i.exec(clause);
    if (eq) {
      const field = eq[1]!.toLowerCase();
      const value = eq[2]!.toLowerCase();
      return (r: ArmResource) => (field === 'name' ? r.name : r.type).toLowerCase() === value;
    }
    const sub = /^\s*substringof\(\s*'([^']*)'\s*,\s*name\s*\)\s*$/i.exec(clause);
    if (sub) {
      const value = sub[1]!.toLowerCase();
      return (r: ArmResource) => r.name.toLowerCase().includes(value);
    }
    throw new ArmError(
      400,
      'InvalidFilterInQueryString',
      `Invalid $filter '${text}' specified in the query string.`,
      {
        hint: "Lanyard understands resourceType eq '…', name eq '…' and substringof('…', name), joined with and.",
      },
    );
  });
  return (r) => tests.every((t) => t(r));
}

/** Maps a refusal of the service layer to ARM's envelope. */
export function armErrorOf(err: unknown): unknown {
  if (!isLanyardError(err)) return err;
  const hint = err.hint;
  switch (err.code) {
    case 'ERR_NOT_FOUND':
      return new ArmError(404, 'NotFound', err.message, { hint });
    case 'ERR_IN_USE':
      return new ArmError(409, 'Conflict', err.message, { hint });
    case 'ERR_RBAC_ASSIGNMENT_EXISTS':
      return new ArmError(409, 'RoleAssignmentExists', 'The role assignment already exists.', {
        hint: err.message,
      });
    case 'ERR_CONFLICT':
      return new ArmError(409, 'Conflict', err.message, { hint });
    case 'ERR_READ_ONLY':
      return new ArmError(403, 'Forbidden', err.message, { hint });
    default:
      return err.status >= 400 && err.status < 500
        ? new ArmError(400, 'InvalidRequest', err.message, { hint })
        : err;
  }
}

const ok = (body: unknown, status = 200): Answer => ({ status, body });

export function armRoutes(c: ArmContext): Router<Handler> {
  const router = new Router<Handler>({ ignoreCase: true });
  const get = (pattern: string, h: Handler) => router.add('GET', pattern, h);

  get('/tenants', async (r) =>
    ok(page(r, r.view.tenants.filter((t) => t.tenant.id === r.caller.tenantId).map(tenantJson))),
  );

  // The subscriptions the caller holds any role in (at them or below): what ARM lists.
  get('/subscriptions', async (r) => {
    const mine = r.view.tenants.find((t) => t.tenant.id === r.caller.tenantId);
    const subs = (mine?.subscriptions ?? []).filter((s) => holdsRoleIn(r, s.subscriptionId));
    return ok({ ...page(r, subs.map(subscriptionJson)), count: { type: 'Total', value: subs.length } });
  });

  get('/subscriptions/:s', async (r, p) => {
    const t = subscriptionOf(r, p.s!);
    const s = t.subscriptions.find((x) => x.subscriptionId === p.s!.toLowerCase())!;
    requireAnyAccess(r, s.subscriptionId, 'Microsoft.Resources/subscriptions/read');
    return ok(subscriptionJson(s));
  });

  get('/subscriptions/:s/resourcegroups', async (r, p) => {
    const t = subscriptionOf(r, p.s!);
    requireAnyAccess(r, p.s!, 'Microsoft.Resources/subscriptions/resourceGroups/read');
    const groups = t.groups.get(p.s!.toLowerCase()) ?? [];
    const visible = groups.filter((g) =>
      allowed(r, 'Microsoft.Resources/subscriptions/resourceGroups/read', g.id),
    );
    return ok(page(r, visible.map(groupJson)));
  });

  const groupRead = (r: ArmRequest, p: Params) => {
    const t = subscriptionOf(r, p.s!);
    const scope = `/subscriptions/${p.s}/resourceGroups/${p.rg}`;
    authorize(r, 'Microsoft.Resources/subscriptions/resourceGroups/read', scope);
    return requireGroup(t, p.s!, p.rg!);
  };
  get('/subscriptions/:s/resourcegroups/:rg', async (r, p) => ok(groupJson(groupRead(r, p))));
  router.add('HEAD', '/subscriptions/:s/resourcegroups/:rg', async (r, p) => {
    const t = subscriptionOf(r, p.s!);
    authorize(
      r,
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      `/subscriptions/${p.s}/resourceGroups/${p.rg}`,
    );
    return { status: groupOf(t, p.s!, p.rg!) ? 204 : 404 };
  });

  const putGroup = async (r: ArmRequest, p: Params, body: unknown, patch: boolean): Promise<Answer> => {
    const t = subscriptionOf(r, p.s!);
    authorize(
      r,
      'Microsoft.Resources/subscriptions/resourceGroups/write',
      `/subscriptions/${p.s}/resourceGroups/${p.rg}`,
    );
    const b = objectBody(body);
    const existing = groupOf(t, p.s!, p.rg!);
    if (patch && !existing) throw resourceGroupNotFound(p.rg!);
    const location = typeof b.location === 'string' ? b.location : existing?.location;
    if (!patch && !location) {
      throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    }
    if (
      existing &&
      location &&
      existing.declared &&
      location.toLowerCase() !== existing.location.toLowerCase()
    ) {
      throw new ArmError(
        400,
        'InvalidResourceGroupLocation',
        `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}'.`,
      );
    }
    const tags = b.tags && typeof b.tags === 'object' ? (b.tags as Record<string, string>) : existing?.tags;
    try {
      const { group, created } = await createResourceGroup(c.directory, t.tenant.id, {
        name: p.rg!,
        subscriptionId: p.s,
        location,
        tags: tags ? { ...tags } : undefined,
      });
      return ok(groupJson(group), created ? 201 : 200);
    } catch (err) {
      throw armErrorOf(err);
    }
  };
  router.add('PUT', '/subscriptions/:s/resourcegroups/:rg', (r, p, body) =>
    body().then((b) => putGroup(r, p, b, false)),
  );
  router.add('PATCH', '/subscriptions/:s/resourcegroups/:rg', (r, p, body) =>
    body().then((b) => putGroup(r, p, b, true)),
  );

  router.add('DELETE', '/subscriptions/:s/resourcegroups/:rg', async (r, p) => {
    const t = subscriptionOf(r, p.s!);
    authorize(
      r,
      'Microsoft.Resources/subscriptions/resourceGroups/delete',
      `/subscriptions/${p.s}/resourceGroups/${p.rg}`,
    );
    const g = requireGroup(t, p.s!, p.rg!);
    try {
      await deleteResourceGroup(c.directory, t.tenant.id, { name: g.name, subscriptionId: p.s });
    } catch (err) {
      if (isLanyardError(err) && err.code === 'ERR_IN_USE') {
        throw new ArmError(
          409,
          'ResourceGroupDeletionBlocked',
          `Deletion of resource group '${g.name}' failed as resources in it are managed by Lanyard's directory.`,
          { hint: err.hint },
        );
      }
      throw armErrorOf(err);
    }
    // Deleted at once; the 202 and its Location are what the clients poll (final-state-via: location).
    const op = Buffer.from(`rg-delete:${g.name}`).toString('base64url');
    return {
      status: 202,
      headers: {
        Location: `${r.origin}/subscriptions/${p.s}/operationresults/${op}?api-version=${encodeURIComponent(r.apiVersion)}`,
        'Retry-After': '0',
      },
    };
  });
  get('/subscriptions/:s/operationresults/:op', async (r, p) => {
    subscriptionOf(r, p.s!);
    return { status: 200 };
  });

  get('/subscriptions/:s/resources', async (r, p) => {
    const t = subscriptionOf(r, p.s!);
    const expand = (r.http.query.get('$expand') ?? '').length > 0;
    return ok(
      page(
        r,
        visibleResources(r, t, p.s!).map((x) => resourceJson(x, { expand })),
      ),
    );
  });
  get('/subscriptions/:s/resourcegroups/:rg/resources', async (r, p) => {
    const t = subscriptionOf(r, p.s!);
    requireGroup(t, p.s!, p.rg!);
    const expand = (r.http.query.get('$expand') ?? '').length > 0;
    return ok(
      page(
        r,
        visibleResources(r, t, p.s!, p.rg!).map((x) => resourceJson(x, { expand })),
      ),
    );
  });

  const identities = (r: ArmRequest, t: TenantView, sub: string, group?: string) =>
    visibleResources(r, t, sub, group)
      .filter((x) => x.identity)
      .map((x) => userIdentityJson(x.identity!));
  get('/subscriptions/:s/providers/Microsoft.ManagedIdentity/userAssignedIdentities', async (r, p) =>
    ok(page(r, identities(r, subscriptionOf(r, p.s!), p.s!))),
  );
  get(
    '/subscriptions/:s/resourcegroups/:rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities',
    async (r, p) => {
      const t = subscriptionOf(r, p.s!);
      requireGroup(t, p.s!, p.rg!);
      return ok(page(r, identities(r, t, p.s!, p.rg!)));
    },
  );
  router.add(
    'PUT',
    '/subscriptions/:s/resourcegroups/:rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/:name',
    async (r, p, body) => {
      const t = subscriptionOf(r, p.s!);
      const id = `/subscriptions/${p.s}/resourceGroups/${p.rg}/providers/${UAMI}/${p.name}`;
      authorize(r, `${UAMI}/write`, id);
      const g = requireGroup(t, p.s!, p.rg!);
      objectBody(await body());
      const existing = r.view.resources.get(id.toLowerCase());
      if (existing?.identity) return ok(userIdentityJson(existing.identity));
      try {
        const made = await c.directory.createIdentity(t.tenant.id, {
          name: p.name!,
          subscriptionId: p.s!.toLowerCase(),
          resourceGroup: g.name,
        });
        return ok(userIdentityJson(made), 201);
      } catch (err) {
        throw armErrorOf(err);
      }
    },
  );

  addComputeRoutes(router, c);

  // A resource by id (the generic GET, and the typed GETs of the types Lanyard has).
  get('/subscriptions/:s/resourcegroups/:rg/providers/:ns/:type/:name', async (r, p) => {
    const t = subscriptionOf(r, p.s!);
    const scope = parseScope(
      `/subscriptions/${p.s}/resourceGroups/${p.rg}/providers/${p.ns}/${p.type}/${p.name}`,
    );
    authorize(r, readAction(`${p.ns}/${p.type}`), scope);
    requireGroup(t, p.s!, p.rg!);
    const found = r.view.resources.get(scope.key);
    if (!found) throw resourceNotFound(`${p.ns}/${p.type}`, p.name!, p.rg!);
    return ok(resourceJson(found, { properties: true }));
  });

  // A resource's identity changed (PATCH with `identity`): writing the resource is authorized on it, and each
  // user-assigned identity attached needs `…/assign/action` on that identity — ARM's linked authorization, the
  // permission Managed Identity Operator grants.
  router.add(
    'PATCH',
    '/subscriptions/:s/resourcegroups/:rg/providers/:ns/:type/:name',
    async (r, p, body) => {
      const t = subscriptionOf(r, p.s!);
      const scope = parseScope(
        `/subscriptions/${p.s}/resourceGroups/${p.rg}/providers/${p.ns}/${p.type}/${p.name}`,
      );
      const action = `${p.ns}/${p.type}/write`;
      authorize(r, action, scope);
      requireGroup(t, p.s!, p.rg!);
      const found = r.view.resources.get(scope.key);
      if (!found?.resource) throw resourceNotFound(`${p.ns}/${p.type}`, p.name!, p.rg!);
      const b = objectBody(await body());
      if (b.identity === undefined) return ok(resourceJson(found, { properties: true }));
      const identity = objectBody(b.identity);
      const type = String(identity.type ?? '')
        .replace(/\s+/g, '')
        .toLowerCase();
      const TYPES = ['none', 'systemassigned', 'userassigned', 'systemassigned,userassigned'];
      if (!TYPES.includes(type)) {
        throw new ArmError(
          400,
          'InvalidIdentityType',
          `The identity type '${String(identity.type)}' is not valid.`,
          {
            hint: "Use 'None', 'SystemAssigned', 'UserAssigned' or 'SystemAssigned, UserAssigned'.",
          },
        );
      }
      const wanted = new Map<string, string>();
      for (const u of found.resource.userAssignedIdentities) wanted.set(u.resourceId.toLowerCase(), u.name);
      const asked =
        identity.userAssignedIdentities === undefined ? {} : objectBody(identity.userAssignedIdentities);
      const linked: string[] = [];
      for (const [id, value] of Object.entries(asked)) {
        if (value === null) {
          wanted.delete(id.toLowerCase());
          continue;
        }
        const uami = r.view.resources.get(id.toLowerCase());
        if (!uami?.identity) {
          throw new ArmError(400, 'FailedIdentityOperation', `Identity '${id}' was not found.`, {
            hint: 'List user-assigned identities with `lanyard identity list`.',
          });
        }
        if (!wanted.has(id.toLowerCase())) {
          if (!allowed(r, `${UAMI}/assign/action`, uami.id)) linked.push(uami.id);
          wanted.set(id.toLowerCase(), uami.identity.name);
        }
      }
      if (linked.length > 0) {
        const who = r.caller.appId || r.caller.objectId;
        throw new ArmError(
          403,
          'LinkedAuthorizationFailed',
          `The client '${who}' with object id '${r.caller.objectId}' has permission to perform action '${action}' on scope '${scope.id}'; however, it does not have permission to perform action(s) '${linked.map(() => `${UAMI}/assign/action`).join(',')}' on the linked scope(s) '${linked.join(',')}' (respectively) or the linked scope(s) are invalid.`,
          {
            hint: `Managed Identity Operator on the identity would allow it: lanyard rbac assign --principal ${r.caller.objectId} --role "Managed Identity Operator" --scope ${linked[0]}`,
          },
        );
      }
      try {
        await c.directory.updateResource(t.tenant.id, found.resource.name, {
          systemAssignedIdentity: type.startsWith('systemassigned'),
          userAssignedIdentities: type.includes('userassigned') ? [...wanted.values()] : [],
        });
      } catch (err) {
        throw armErrorOf(err);
      }
      const updated = await c.directory.getResource(t.tenant.id, found.resource.name);
      return ok(resourceJson({ ...found, resource: updated }, { properties: true }));
    },
  );

  return router;
}
