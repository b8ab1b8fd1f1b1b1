/**
 * @module host/admin-api
 * The admin API: JSON REST over every Directory operation, under `/admin/`, for the console, scripts and
 * tests. Each route is a thin mapping (path params and body in, Directory call, status out); validation and
 * every refusal live in the directory, so the API, the CLI and the manifest behave alike. Every route needs
 * the admin token, checked before routing so that unauthenticated callers learn nothing about which routes
 * exist. The route table below is the reference for docs/admin-api.md.
 */

import type { Directory } from '../directory/directory.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { ADMIN_BODY_LIMIT, type RequestContext, readJsonBody, sendJson } from '../http/http.ts';
import type { RouteGroup } from '../http/route-group.ts';
import { type Params, Router } from '../http/router.ts';
import { bearerMatches } from './admin-token.ts';
import type { Runtime } from './runtime.ts';
import { VERSION } from './version.ts';

interface AdminCall {
  params: Params;
  /** The route's declared query parameters that were given (non-empty); any other was refused. */
  query: Readonly<Partial<Record<string, string>>>;
  directory: Directory;
  store: { dialect: string; location: string };
  /**
   * The parsed JSON body (`{}` when none was sent, so a missing body reads as "no fields"). Typed as the
   * operation's input only for the call: the directory validates it against that operation's zod schema.
   */
  body<T>(): Promise<T>;
}

interface Reply {
  status: number;
  body?: unknown;
}

interface AdminHandler {
  /** Query parameters the route accepts. */
  query: readonly string[];
  run: (call: AdminCall) => Promise<Reply>;
}

export interface AdminRouteOptions {
  adminToken: string;
}

const ok = (body: unknown): Reply => ({ status: 200, body });
const created = (body: unknown): Reply => ({ status: 201, body });
const noContent = (): Reply => ({ status: 204 });

/** Query parameters a route accepts; any other is refused so a typo is not silently ignored. */
function queryParams(query: URLSearchParams, allowed: readonly string[]): Partial<Record<string, string>> {
  const out: Partial<Record<string, string>> = {};
  for (const name of new Set(query.keys())) {
    if (!allowed.includes(name)) {
      throw new LanyardError('ERR_VALIDATION', `Unknown query parameter "${name}".`, {
        hint:
          allowed.length === 0
            ? 'This route takes no query parameters.'
            : `This route accepts: ${allowed.join(', ')}.`,
      });
    }
    const values = query.getAll(name);
    if (values.length > 1) throw new LanyardError('ERR_VALIDATION', `Query parameter "${name}" is repeated.`);
    if (values[0] !== '') out[name] = values[0]!;
  }
  return out;
}

function booleanParam(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new LanyardError('ERR_VALIDATION', `Query parameter "${name}" must be true or false.`);
}

/** The admin route table. Exported for the docs test and for tools that list the API. */
export function adminRouter(): Router<AdminHandler> {
  const router = new Router<AdminHandler>();
  const r = {
    add(method: string, pattern: string, run: AdminHandler['run'], query: readonly string[] = []) {
      router.add(method, pattern, { query, run });
    },
  };
  const T = '/admin/tenants/:tenant';
  const A = `${T}/apps/:app`;
  const I = `${T}/identities/:identity`;
  const R = `${T}/resources/:resource`;
  r.add('GET', '/admin/version', async ({ directory, store }) =>
    ok({ version: VERSION, node: process.version, directoryVersion: await directory.version(), store }),
  );

  // tenants
  r.add('GET', '/admin/tenants', async ({ directory }) => ok(await directory.listTenants()));
  r.add('POST', '/admin/tenants', async ({ directory, body }) =>
    created(await directory.createTenant(await body())),
  );
  r.add('GET', T, async ({ directory, params }) => ok(await directory.getTenant(params.tenant!)));
  r.add('PATCH', T, async ({ directory, params, body }) =>
    ok(await directory.updateTenant(params.tenant!, await body())),
  );
  r.add('DELETE', T, async ({ directory, params }) => ok(await directory.deleteTenant(params.tenant!)));

  // applications
  r.add(
    'GET',
    `${T}/apps`,
    async ({ directory, params, query }) => {
      const includeFirstParty = booleanParam('firstParty', query.firstParty) ?? false;
      return ok(await directory.listApps(params.tenant!, { includeFirstParty }));
    },
    ['firstParty'],
  );
  r.add('POST', `${T}/apps`, async ({ directory, params, body }) =>
    created(await directory.createApp(params.tenant!, await body())),
  );
  r.add('GET', A, async ({ directory, params }) => ok(await directory.getApp(params.tenant!, params.app!)));
  r.add('PATCH', A, async ({ directory, params, body }) =>
    ok(await directory.updateApp(params.tenant!, params.app!, await body())),
  );
  r.add('DELETE', A, async ({ directory, params }) =>
    ok(await directory.deleteApp(params.tenant!, params.app!)),
  );

  // client secrets: the text is in the 201 body only; lists show the hint
  r.add('GET', `${A}/secrets`, async ({ directory, params }) =>
    ok(await directory.listClientSecrets(params.tenant!, params.app!)),
  );
  r.add('POST', `${A}/secrets`, async ({ directory, params, body }) =>
    created(await directory.addClientSecret(params.tenant!, params.app!, await body())),
  );
  r.add('DELETE', `${A}/secrets/:keyId`, async ({ directory, params }) => {
    await directory.removeClientSecret(params.tenant!, params.app!, params.keyId!);
    return noContent();
  });

  // certificate credentials (public keys)
  r.add('GET', `${A}/certificates`, async ({ directory, params }) =>
    ok(await directory.listCertificates(params.tenant!, params.app!)),
  );
  r.add('POST', `${A}/certificates`, async ({ directory, params, body }) =>
    created(await directory.addCertificate(params.tenant!, params.app!, await body())),
  );
  r.add('DELETE', `${A}/certificates/:certificate`, async ({ directory, params }) => {
    await directory.removeCertificate(params.tenant!, params.app!, params.certificate!);
    return noContent();
  });

  // federated identity credentials, on apps and on user-assigned identities
  for (const [base, kind, key] of [
    [A, 'app', 'app'],
    [I, 'identity', 'identity'],
  ] as const) {
    const owner = (params: Params) => ({ kind, name: params[key]! });
    r.add('GET', `${base}/federated-credentials`, async ({ directory, params }) =>
      ok(await directory.listFederatedCredentials(params.tenant!, owner(params))),
    );
    r.add('POST', `${base}/federated-credentials`, async ({ directory, params, body }) =>
      created(await directory.addFederatedCredential(params.tenant!, owner(params), await body())),
    );
    r.add('DELETE', `${base}/federated-credentials/:credential`, async ({ directory, params }) => {
      await directory.removeFederatedCredential(params.tenant!, owner(params), params.credential!);
      return noContent();
    });
  }

  // service principals (read-only: they follow their apps and identities)
  r.add('GET', `${T}/service-principals`, async ({ directory, params }) =>
    ok(await directory.listServicePrincipals(params.tenant!)),
  );
  r.add('GET', `${T}/service-principals/:sp`, async ({ directory, params }) =>
    ok(await directory.getServicePrincipal(params.tenant!, params.sp!)),
  );

  // managed identities
  r.add(
    'GET',
    `${T}/identities`,
    async ({ directory, params, query }) => {
      const includeSystem = booleanParam('includeSystem', query.includeSystem) ?? false;
      return ok(await directory.listIdentities(params.tenant!, { includeSystem }));
    },
    ['includeSystem'],
  );
  r.add('POST', `${T}/identities`, async ({ directory, params, body }) =>
    created(await directory.createIdentity(params.tenant!, await body())),
  );
  r.add('GET', I, async ({ directory, params }) =>
    ok(await directory.getIdentity(params.tenant!, params.identity!)),
  );
  r.add('DELETE', I, async ({ directory, params }) =>
    ok(await directory.deleteIdentity(params.tenant!, params.identity!)),
  );

  // resources that carry identities
  r.add('GET', `${T}/resources`, async ({ directory, params }) =>
    ok(await directory.listResources(params.tenant!)),
  );
  r.add('POST', `${T}/resources`, async ({ directory, params, body }) =>
    created(await directory.createResource(params.tenant!, await body())),
  );
  r.add('GET', R, async ({ directory, params }) =>
    ok(await directory.getResource(params.tenant!, params.resource!)),
  );
  r.add('PATCH', R, async ({ directory, params, body }) =>
    ok(await directory.updateResource(params.tenant!, params.resource!, await body())),
  );
  r.add('DELETE', R, async ({ directory, params }) =>
    ok(await directory.deleteResource(params.tenant!, params.resource!)),
  );
  r.add('PUT', `${R}/identities/:identity`, async ({ directory, params }) =>
    ok(await directory.attachIdentity(params.tenant!, params.resource!, params.identity!)),
  );
  r.add('DELETE', `${R}/identities/:identity`, async ({ directory, params }) =>
    ok(await directory.detachIdentity(params.tenant!, params.resource!, params.identity!)),
  );

  // app role assignments
  r.add(
    'GET',
    `${T}/role-assignments`,
    async ({ directory, params, query }) =>
      ok(await directory.listRoleAssignments(params.tenant!, { principal: query.principal, app: query.app })),
    ['principal', 'app'],
  );
  r.add('POST', `${T}/role-assignments`, async ({ directory, params, body }) =>
    created(await directory.assignRole(params.tenant!, await body())),
  );
  r.add('DELETE', `${T}/role-assignments/:id`, async ({ directory, params }) =>
    ok(await directory.unassignRole(params.tenant!, params.id!)),
  );

  return router;
}

/** A schema refusal names the bad fields but not where they are documented: point at the route's entry. */
function withRouteHint(err: unknown, method: string, pattern: string): unknown {
  if (!(err instanceof LanyardError) || err.code !== 'ERR_VALIDATION' || err.hint !== undefined) return err;
  return new LanyardError(err.code, err.message, {
    hint: `See "${method} ${pattern}" in docs/admin-api.md for the fields and parameters it accepts.`,
    details: err.details,
    cause: err,
  });
}

/** The admin API as a route group of the main listener. */
export function adminRoutes(
  runtime: Pick<Runtime, 'directory' | 'store'>,
  { adminToken }: AdminRouteOptions,
): RouteGroup {
  const router = adminRouter();
  const store = { dialect: runtime.store.dialect, location: runtime.store.location };
  return {
    name: 'admin',
    matches: (ctx) => ctx.segments[0] === 'admin',
    async handle(ctx: RequestContext) {
      if (!bearerMatches(ctx.req.headersDistinct.authorization, adminToken)) {
        throw new LanyardError('ERR_ADMIN_UNAUTHORIZED', 'The admin API needs the admin token.', {
          hint: 'Send `Authorization: Bearer <token>`; `lanyard up` prints where the token file is (LANYARD_ADMIN_TOKEN overrides it).',
        });
      }
      const match = router.match(ctx.method, ctx.segments);
      if (match.kind === 'none') {
        throw new LanyardError('ERR_ADMIN_ROUTE', `No admin API route is ${ctx.method} ${ctx.path}.`, {
          hint: 'See docs/admin-api.md for the routes.',
        });
      }
      if (match.kind === 'method') {
        throw new LanyardError(
          'ERR_ADMIN_METHOD',
          `${ctx.method} is not allowed here; this route accepts ${match.allow.join(', ')}.`,
          { details: { allow: match.allow } },
        );
      }
      let parsed: { body: unknown } | undefined;
      let reply: Reply;
      try {
        reply = await match.handler.run({
          params: match.params,
          query: queryParams(ctx.query, match.handler.query),
          directory: runtime.directory,
          store,
          body: async <T>() => {
            parsed ??= { body: await readJsonBody(ctx.req, ADMIN_BODY_LIMIT) };
            return (parsed.body ?? {}) as T;
          },
        });
      } catch (err) {
        throw withRouteHint(err, ctx.method, match.route.pattern);
      }
      sendJson(ctx.res, reply.status, reply.body);
    },
  };
}
