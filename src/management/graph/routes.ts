/**
 * @module management/graph/routes
 * The Graph v1.0 subset (docs/management.md, "Microsoft Graph"): applications (list, get, create, update,
 * delete), service principals (list, get; create answers as Graph does for an app that has one), their app
 * role assignments from both sides (`appRoleAssignedTo` of the resource, `appRoleAssignments` of the
 * principal), `directoryObjects/getByIds`, and an empty `users`. Reads come from the tenant's directory view;
 * writes go through the Directory API, so an app role granted here is the assignment `lanyard role list`
 * shows and the next token carries. Every call checks the caller's Graph permissions before it looks
 * anything up, as Graph does.
 */
import type { Directory } from '../../directory/directory.ts';
import type { ServicePrincipal } from '../../directory/types.ts';
import { isLanyardError } from '../../errors/lanyard-error.ts';
import type { Params } from '../../http/router.ts';
import { Router } from '../../http/router.ts';
import { appInputOf, nameFor } from './applications.ts';
import { parseAssignmentId } from './assignment-ids.ts';
import { badRequest, GraphError, invalidId, invalidProperties, notFound } from './errors.ts';
import {
  READ_ASSIGNMENTS,
  READ_DIRECTORY,
  READ_USERS,
  requirePermission,
  WRITE_APPLICATIONS,
  WRITE_ASSIGNMENTS,
} from './permissions.ts';
import { type GraphObject, parseFilter } from './query.ts';
import { type Answer, collection, entity, type GraphRequest } from './request.ts';
import {
  APP_ROLE_ASSIGNMENT_FILTERS,
  APPLICATION_FILTERS,
  applicationJson,
  appRoleAssignmentJson,
  SERVICE_PRINCIPAL_FILTERS,
  servicePrincipalJson,
} from './shapes.ts';

export type Handler = (r: GraphRequest, params: Params, body: () => Promise<unknown>) => Promise<Answer>;

export interface GraphContext {
  readonly directory: Directory;
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Marks an id given by alternate key (`servicePrincipals(appId='…')`): the group rewrites that segment to the
 * entity set and this prefix plus the appId. A control character cannot come from a request path (parseTarget
 * refuses them), so no real id carries it.
 */
export const BY_APP_ID = '\u0000appId=';

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidProperties('Send a JSON object.');
  }
  return body as Record<string, unknown>;
}

function guidField(b: Record<string, unknown>, name: string): string {
  const v = b[name];
  if (typeof v !== 'string' || !GUID_RE.test(v)) {
    throw invalidProperties(`${name} must be an object id (a GUID).`);
  }
  return v.toLowerCase();
}

/** The service principal a path names (object id, or appId by alternate key); 400 for a non-GUID. */
function spOf(r: GraphRequest, id: string): ServicePrincipal {
  if (id.startsWith(BY_APP_ID)) {
    const appId = id.slice(BY_APP_ID.length).toLowerCase();
    const sp = r.view.servicePrincipals.find((s) => s.appId === appId);
    if (!sp) throw notFound(appId, 'No service principal has this appId in the caller\u2019s tenant.');
    return sp;
  }
  if (!GUID_RE.test(id)) throw invalidId(id);
  const sp = r.view.spsByObjectId.get(id.toLowerCase());
  if (!sp) throw notFound(id, 'List them with GET /v1.0/servicePrincipals or `lanyard sp list`.');
  return sp;
}

/** The application (not Microsoft's: those live in Microsoft's tenant) a path names. */
function appOf(r: GraphRequest, id: string) {
  let app: (typeof r.view.apps)[number] | undefined;
  if (id.startsWith(BY_APP_ID)) {
    const appId = id.slice(BY_APP_ID.length).toLowerCase();
    app = r.view.apps.find((a) => a.appId === appId);
  } else {
    if (!GUID_RE.test(id)) throw invalidId(id);
    app = r.view.appsByObjectId.get(id.toLowerCase());
  }
  if (!app || app.firstParty) {
    throw notFound(
      id.replace(BY_APP_ID, ''),
      'Applications are addressed by their object id (`id`), not their appId; `lanyard app list` shows both.',
    );
  }
  return app;
}

/** The directory's (and the body reader's) refusals in Graph's words. */
export function graphErrorOf(err: unknown): unknown {
  if (!isLanyardError(err)) return err;
  const hint = [err.message, err.hint].filter(Boolean).join(' ');
  switch (err.code) {
    case 'ERR_NOT_FOUND':
      return notFound(String((err.details as { ref?: unknown } | undefined)?.ref ?? ''), hint);
    case 'ERR_BAD_JSON':
      return badRequest(
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
        hint,
      );
    case 'ERR_REQUEST_TOO_LARGE':
      return new GraphError(413, 'Request_BadRequest', err.message, { hint });
    case 'ERR_READ_ONLY':
      return new GraphError(
        403,
        'Authorization_RequestDenied',
        'Insufficient privileges to complete the operation.',
        {
          hint,
        },
      );
    default:
      // Validation, conflicts (an identifier URI in use), a role still assigned: Graph's 400, Lanyard's reason.
      return err.status >= 400 && err.status < 500 ? badRequest(err.message, err.hint) : err;
  }
}

async function write<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw graphErrorOf(err);
  }
}

type Side = 'appRoleAssignedTo' | 'appRoleAssignments';

/** The assignments listed under a service principal: those to it (resource) or held by it (principal). */
function assignmentsUnder(r: GraphRequest, sp: ServicePrincipal, side: Side) {
  return r.view.assignments.filter((a) =>
    side === 'appRoleAssignedTo' ? a.resourceId === sp.objectId : a.principalId === sp.objectId,
  );
}

function findAssignment(r: GraphRequest, sp: ServicePrincipal, side: Side, id: string) {
  const parsed = parseAssignmentId(id);
  if (!parsed) throw invalidId(id);
  const found = assignmentsUnder(r, sp, side).find(
    (a) =>
      a.id === parsed.assignmentId &&
      (parsed.principalId === undefined || a.principalId === parsed.principalId),
  );
  if (!found) throw notFound(id, `List them with GET /v1.0/servicePrincipals/${sp.objectId}/${side}.`);
  return found;
}

export function graphRoutes(c: GraphContext): Router<Handler> {
  const router = new Router<Handler>({ ignoreCase: true });
  const tenant = (r: GraphRequest) => r.view.tenantId;

  // ---- applications ----

  const filteredApps = (r: GraphRequest) => {
    const test = parseFilter(r.http.query.get('$filter'), 'application', APPLICATION_FILTERS);
    return r.view.apps
      .filter((a) => !a.firstParty)
      .map(applicationJson)
      .filter(test);
  };
  router.add('GET', '/v1.0/applications', async (r) => {
    requirePermission(r.caller, 'Reading applications', READ_DIRECTORY);
    return collection(r, 'applications', filteredApps(r));
  });
  router.add('GET', '/v1.0/applications/:id', async (r, p) => {
    requirePermission(r.caller, 'Reading applications', READ_DIRECTORY);
    return entity(r, 'applications', applicationJson(appOf(r, p.id!)));
  });
  router.add('POST', '/v1.0/applications', async (r, _p, body) => {
    requirePermission(r.caller, 'Creating applications', WRITE_APPLICATIONS);
    const input = appInputOf(objectBody(await body()));
    if (input.displayName === undefined) {
      throw invalidProperties('displayName is required to create an application.');
    }
    const created = await write(() =>
      c.directory.createApp(tenant(r), {
        ...input,
        name: nameFor(input.displayName!, r.view.apps),
      } as Parameters<Directory['createApp']>[1]),
    );
    const answer = entity(r, 'applications', applicationJson(created), 201);
    return { ...answer, headers: { Location: `${r.origin}/v1.0/applications/${created.objectId}` } };
  });
  router.add('PATCH', '/v1.0/applications/:id', async (r, p, body) => {
    requirePermission(r.caller, 'Updating applications', WRITE_APPLICATIONS);
    const app = appOf(r, p.id!);
    const input = appInputOf(objectBody(await body()));
    await write(() =>
      c.directory.updateApp(tenant(r), app.objectId, input as Parameters<Directory['updateApp']>[2]),
    );
    return { status: 204 };
  });
  router.add('DELETE', '/v1.0/applications/:id', async (r, p) => {
    requirePermission(r.caller, 'Deleting applications', WRITE_APPLICATIONS);
    const app = appOf(r, p.id!);
    await write(() => c.directory.deleteApp(tenant(r), app.objectId));
    return { status: 204 };
  });

  // ---- service principals ----

  router.add('GET', '/v1.0/servicePrincipals', async (r) => {
    requirePermission(r.caller, 'Reading service principals', READ_DIRECTORY);
    const test = parseFilter(r.http.query.get('$filter'), 'servicePrincipal', SERVICE_PRINCIPAL_FILTERS);
    const items = r.view.servicePrincipals.map((s) => servicePrincipalJson(s, r.view)).filter(test);
    return collection(r, 'servicePrincipals', items);
  });
  router.add('GET', '/v1.0/servicePrincipals/:id', async (r, p) => {
    requirePermission(r.caller, 'Reading service principals', READ_DIRECTORY);
    return entity(r, 'servicePrincipals', servicePrincipalJson(spOf(r, p.id!), r.view));
  });
  router.add('POST', '/v1.0/servicePrincipals', async (r, _p, body) => {
    requirePermission(r.caller, 'Creating service principals', WRITE_APPLICATIONS);
    const b = objectBody(await body());
    if (typeof b.appId !== 'string' || b.appId === '') {
      throw invalidProperties('appId is required: the application the service principal is for.');
    }
    const appId = b.appId.toLowerCase();
    const app = r.view.apps.find((a) => a.appId === appId);
    if (!app) {
      throw badRequest(
        `The appId '${b.appId}' of the service principal does not reference a valid application object.`,
        'Register the application first (POST /v1.0/applications); it gets its service principal with it.',
      );
    }
    // Every application in Lanyard has its service principal from the moment it is registered.
    throw new GraphError(
      409,
      'Request_MultipleObjectsWithSameKeyValue',
      `The service principal cannot be created, updated, or restored because the service principal name ${app.appId} is already in use.`,
      {
        hint: `Lanyard creates an application's service principal with it: GET /v1.0/servicePrincipals?$filter=appId eq '${app.appId}' (id ${app.servicePrincipalId}).`,
      },
    );
  });

  // ---- app role assignments, from either side ----

  for (const side of ['appRoleAssignedTo', 'appRoleAssignments'] as const) {
    const set = (sp: ServicePrincipal) => `servicePrincipals('${sp.objectId}')/${side}`;

    router.add('GET', `/v1.0/servicePrincipals/:id/${side}`, async (r, p) => {
      requirePermission(r.caller, 'Reading app role assignments', READ_ASSIGNMENTS);
      const sp = spOf(r, p.id!);
      const test = parseFilter(r.http.query.get('$filter'), 'appRoleAssignment', APP_ROLE_ASSIGNMENT_FILTERS);
      return collection(r, set(sp), assignmentsUnder(r, sp, side).map(appRoleAssignmentJson).filter(test));
    });

    router.add('GET', `/v1.0/servicePrincipals/:id/${side}/:assignment`, async (r, p) => {
      requirePermission(r.caller, 'Reading app role assignments', READ_ASSIGNMENTS);
      const sp = spOf(r, p.id!);
      return entity(r, set(sp), appRoleAssignmentJson(findAssignment(r, sp, side, p.assignment!)));
    });

    router.add('POST', `/v1.0/servicePrincipals/:id/${side}`, async (r, p, body) => {
      requirePermission(r.caller, 'Granting app roles', WRITE_ASSIGNMENTS, READ_DIRECTORY);
      const sp = spOf(r, p.id!);
      const b = objectBody(await body());
      const principalId = guidField(b, 'principalId');
      const resourceId = guidField(b, 'resourceId');
      const appRoleId = guidField(b, 'appRoleId');
      // The path names one side of the assignment; the body must agree with it.
      const pathSide = side === 'appRoleAssignedTo' ? resourceId : principalId;
      if (pathSide !== sp.objectId) {
        throw badRequest(
          'Not a valid reference update.',
          side === 'appRoleAssignedTo'
            ? `POST …/servicePrincipals/{resource}/appRoleAssignedTo takes the resource's id as resourceId (${sp.objectId}).`
            : `POST …/servicePrincipals/{principal}/appRoleAssignments takes the principal's id as principalId (${sp.objectId}).`,
        );
      }
      const principal = r.view.spsByObjectId.get(principalId);
      if (!principal) throw notFound(principalId, 'principalId names no service principal of this tenant.');
      const resource = r.view.spsByObjectId.get(resourceId);
      if (!resource) throw notFound(resourceId, 'resourceId names no service principal of this tenant.');
      const app = r.view.apps.find((a) => a.servicePrincipalId === resource.objectId);
      if (!app) {
        throw badRequest(
          'Not a valid reference update.',
          `${resource.displayName} is a managed identity: it defines no app roles to grant.`,
        );
      }
      const assigned = await c.directory
        .assignRole(tenant(r), { principal: principal.objectId, app: app.objectId, role: appRoleId })
        .catch((err: unknown) => {
          if (!isLanyardError(err)) throw err;
          if (err.code === 'ERR_CONFLICT') {
            throw badRequest('Permission being assigned already exists on the object.', err.message);
          }
          if (err.code === 'ERR_NOT_FOUND') {
            throw badRequest(
              `Permission being assigned was not found on application '${app.appId}'.`,
              [err.message, err.hint].filter(Boolean).join(' '),
            );
          }
          throw graphErrorOf(err);
        });
      return entity(r, set(sp), appRoleAssignmentJson(assigned), 201);
    });

    router.add('DELETE', `/v1.0/servicePrincipals/:id/${side}/:assignment`, async (r, p) => {
      requirePermission(r.caller, 'Removing app role assignments', WRITE_ASSIGNMENTS, READ_DIRECTORY);
      const sp = spOf(r, p.id!);
      const found = findAssignment(r, sp, side, p.assignment!);
      await write(() => c.directory.unassignRole(tenant(r), found.id));
      return { status: 204 };
    });
  }

  // ---- directory objects ----

  router.add('POST', '/v1.0/directoryObjects/getByIds', async (r, _p, body) => {
    requirePermission(r.caller, 'Reading directory objects', READ_DIRECTORY);
    const b = objectBody(await body());
    const ids = b.ids;
    if (
      !Array.isArray(ids) ||
      ids.length === 0 ||
      ids.length > 1000 ||
      ids.some((x) => typeof x !== 'string')
    ) {
      throw invalidProperties('ids must be an array of 1 to 1000 object ids.');
    }
    for (const id of ids as string[]) if (!GUID_RE.test(id)) throw invalidId(id);
    let wantsSps = true;
    if (b.types !== undefined && b.types !== null) {
      if (!Array.isArray(b.types)) throw invalidProperties('types must be an array of type names.');
      const types = (b.types as unknown[]).map((t) =>
        String(t)
          .toLowerCase()
          .replace(/^#?microsoft\.graph\./, ''),
      );
      wantsSps = types.includes('serviceprincipal') || types.includes('directoryobject');
    }
    const value: GraphObject[] = [];
    if (wantsSps) {
      for (const id of ids as string[]) {
        const sp = r.view.spsByObjectId.get(id.toLowerCase());
        if (sp)
          value.push({
            '@odata.type': '#microsoft.graph.servicePrincipal',
            ...servicePrincipalJson(sp, r.view),
          });
      }
    }
    return { status: 200, body: { '@odata.context': `${r.origin}/v1.0/$metadata#directoryObjects`, value } };
  });

  // ---- users: Lanyard has none; `az role assignment --assignee name@domain` asks here first ----

  router.add('GET', '/v1.0/users', async (r) => {
    requirePermission(r.caller, 'Reading users', READ_USERS);
    parseFilter(r.http.query.get('$filter'), 'user', ['id', 'userPrincipalName', 'displayName', 'mail']);
    return collection(r, 'users', []);
  });
  router.add('GET', '/v1.0/users/:id', async (r, p) => {
    requirePermission(r.caller, 'Reading users', READ_USERS);
    throw notFound(
      p.id!,
      'Lanyard models no users: principals are service principals and managed identities.',
    );
  });

  return router;
}
