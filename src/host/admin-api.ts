/**
 * @module host/admin-api
 * The admin API under `/admin/`, for the console, scripts and tests: `/admin/version` here, and every
 * plane's routes (plane/admin-kit.ts; today the directory's, directory/admin-routes.ts). Every route needs
 * the admin token, or a credential a plane's `adminAuth` vouches for (the console's session cookie), checked
 * before routing so that unauthenticated callers learn nothing about which routes exist; a read-only caller
 * reaches only the routes whose access is `read`. `adminRouter()` is the route table docs/admin-api.md
 * documents (a test holds them together).
 */

import { LanyardError } from '../errors/lanyard-error.ts';
import { ADMIN_BODY_LIMIT, type RequestContext, readJsonBody, sendJson } from '../http/http.ts';
import type { RouteGroup } from '../http/route-group.ts';
import { Router } from '../http/router.ts';
import {
  type AdminAccess,
  type AdminAuthenticator,
  type AdminCall,
  type AdminCaller,
  type AdminReply,
  type AdminRoutes,
  ok,
} from '../plane/admin-kit.ts';
import type { Plane } from '../plane/contract.ts';
import { bearerMatches } from './admin-token.ts';
import { PLANES } from './planes.ts';
import type { Runtime } from './runtime.ts';
import { VERSION } from './version.ts';

interface AdminHandler {
  /** Query parameters the route accepts. */
  query: readonly string[];
  /** Who may call it (plane/admin-kit.ts, `AdminAccess`). */
  access: AdminAccess;
  run: (call: AdminCall<Runtime>) => Promise<AdminReply>;
}

export interface AdminRouteOptions {
  adminToken: string;
  /** The planes whose admin routes are served (default: the registry). */
  planes?: readonly Plane<Runtime>[] | undefined;
}

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

/** The admin route table. Exported for the docs test and for tools that list the API. */
export function adminRouter(planes: readonly Plane<Runtime>[] = PLANES): Router<AdminHandler> {
  const router = new Router<AdminHandler>();
  const r: AdminRoutes<Runtime> = {
    add(method, pattern, run, query = [], options = {}) {
      const access = options.access ?? (method === 'GET' || method === 'HEAD' ? 'read' : 'write');
      router.add(method, pattern, { query, access, run });
    },
  };
  r.add('GET', '/admin/version', async ({ deps: { directory, store } }) =>
    ok({
      version: VERSION,
      node: process.version,
      directoryVersion: await directory.version(),
      store: { dialect: store.dialect, location: store.location },
    }),
  );
  for (const plane of planes) plane.admin?.(r);
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

const ADMIN_TOKEN_CALLER: AdminCaller = { role: 'admin', via: 'admin-token' };

/**
 * Who calls: the admin token's holder, or (with no Authorization header at all) whoever a plane's authenticator
 * vouches for (the console's session cookie); anyone else is refused before routing.
 */
async function callerOf(
  ctx: RequestContext,
  adminToken: string,
  authenticators: readonly AdminAuthenticator[],
): Promise<AdminCaller> {
  const authorization = ctx.req.headersDistinct.authorization;
  if (bearerMatches(authorization, adminToken)) return ADMIN_TOKEN_CALLER;
  if (authorization === undefined) {
    for (const a of authenticators) {
      const caller = await a.authenticate(ctx);
      if (caller) return caller;
    }
  }
  throw new LanyardError('ERR_ADMIN_UNAUTHORIZED', 'The admin API needs the admin token.', {
    hint: 'Send `Authorization: Bearer <token>`; `lanyard up` prints where the token file is (LANYARD_ADMIN_TOKEN overrides it).',
  });
}

/** The admin API as a route group of the main listener. */
export function adminRoutes(runtime: Runtime, { adminToken, planes }: AdminRouteOptions): RouteGroup {
  const router = adminRouter(planes);
  const authenticators = (planes ?? PLANES).flatMap((p) => p.adminAuth?.(runtime) ?? []);
  return {
    name: 'admin',
    matches: (ctx) => ctx.segments[0] === 'admin',
    async handle(ctx: RequestContext) {
      const caller = await callerOf(ctx, adminToken, authenticators);
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
      const { access } = match.handler;
      if (caller.role !== 'admin' && access !== 'read') {
        throw new LanyardError(
          'ERR_ADMIN_READ_ONLY',
          access === 'admin'
            ? `${ctx.method} ${match.route.pattern} is for the admin only; this session is read-only.`
            : `${ctx.method} ${match.route.pattern} changes Lanyard; this session is read-only.`,
          { hint: 'Sign in to the console with the admin token to make changes.' },
        );
      }
      let parsed: { body: unknown } | undefined;
      let reply: AdminReply;
      try {
        reply = await match.handler.run({
          params: match.params,
          query: queryParams(ctx.query, match.handler.query),
          deps: runtime,
          logger: ctx.logger,
          caller,
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
