/**
 * @module plane/admin-kit
 * How a plane adds routes to the admin API (`/admin/…`, JSON, admin token required). A plane's `admin(routes)`
 * registers thin mappings — path params, declared query parameters and a JSON body in, a call on its own
 * service, a status and body out; validation and refusals stay in the plane, so the admin API, the CLI and the
 * manifest behave alike. The host owns the rest: the admin-token check before routing, 404/405, the bounded
 * body, error shapes, and the route table docs/admin-api.md documents.
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import type { RequestContext } from '../http/http.ts';
import type { Logger } from '../http/logger.ts';
import type { Params } from '../http/router.ts';

export interface AdminCall<D> {
  params: Params;
  /** The route's declared query parameters that were given (non-empty); any other was refused. */
  query: Readonly<Partial<Record<string, string>>>;
  /** The plane's dependencies, as the host provides them. */
  deps: D;
  /** The server's logger, for work a route starts that outlives its answer (a runbook job). */
  logger: Logger;
  /** Who calls (the host always says; absent only where a route is called without the host). */
  caller?: AdminCaller | undefined;
  /**
   * The parsed JSON body (`{}` when none was sent, so a missing body reads as "no fields"). Typed as the
   * operation's input only for the call: the plane validates it against that operation's schema.
   */
  body<T>(): Promise<T>;
}

export interface AdminReply {
  status: number;
  body?: unknown;
}

/**
 * Who may call a route. `read`: every caller, a read-only one too (what GET and HEAD routes are, and a question
 * asked with a body, such as a token to explain, which must not go in a URL). `write`: callers with the admin
 * role (what every other method is). `admin`: the admin role only, even for a GET (read-only tokens' list).
 */
export type AdminAccess = 'read' | 'write' | 'admin';

export interface AdminRouteOptions {
  /** Default: `read` for GET and HEAD, `write` for the other methods. */
  readonly access?: AdminAccess | undefined;
}

export interface AdminRoutes<D> {
  /** Adds `METHOD /admin/…pattern` (`:name` segments are params); `query` lists the parameters it accepts. */
  add(
    method: string,
    pattern: string,
    run: (call: AdminCall<D>) => Promise<AdminReply>,
    query?: readonly string[],
    options?: AdminRouteOptions,
  ): void;
}

/** The admin API's caller: the admin token's holder, or someone a plane's authenticator vouches for. */
export interface AdminCaller {
  /** `admin` may call every route; `read-only` only `read` ones (else 403 ERR_ADMIN_READ_ONLY). */
  readonly role: 'admin' | 'read-only';
  /** For logs and audit rows: `admin-token`, or the authenticator's word (`console-session`). */
  readonly via: string;
}

/**
 * Another way to call the admin API than `Authorization: Bearer <admin token>` (`Plane.adminAuth`): the console's
 * session cookie. Asked, in registry order, for requests that carry no Authorization header, before routing.
 */
export interface AdminAuthenticator {
  /**
   * The caller this request is made by, or undefined when it carries no credential of this kind. Throws a
   * LanyardError for a credential it refuses (an expired session 401, a write without its CSRF token 403); it
   * may set response headers (a rotated session cookie) on `ctx.res`.
   */
  authenticate(ctx: RequestContext): Promise<AdminCaller | undefined>;
}

export const ok = (body: unknown): AdminReply => ({ status: 200, body });
export const created = (body: unknown): AdminReply => ({ status: 201, body });
export const noContent = (): AdminReply => ({ status: 204 });

/** A `true`/`false` query parameter; anything else is refused. */
export function booleanParam(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new LanyardError('ERR_VALIDATION', `Query parameter "${name}" must be true or false.`);
}

/**
 * A JSON body that must be an object holding only `allowed` fields: a misspelt field is refused, naming it and
 * what the route takes, rather than ignored.
 */
export function onlyFields(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new LanyardError('ERR_VALIDATION', 'The body must be a JSON object.');
  }
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw new LanyardError(
        'ERR_VALIDATION',
        `Unknown field \`${key}\`; this route takes ${allowed.join(', ')}.`,
      );
    }
  }
  return body as Record<string, unknown>;
}
