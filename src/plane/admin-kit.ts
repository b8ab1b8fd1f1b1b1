/**
 * @module plane/admin-kit
 * How a plane adds routes to the admin API (`/admin/…`, JSON, admin token required). A plane's `admin(routes)`
 * registers thin mappings — path params, declared query parameters and a JSON body in, a call on its own
 * service, a status and body out; validation and refusals stay in the plane, so the admin API, the CLI and the
 * manifest behave alike. The host owns the rest: the admin-token check before routing, 404/405, the bounded
 * body, error shapes, and the route table docs/admin-api.md documents.
 */
import { LanyardError } from '../errors/lanyard-error.ts';
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

export interface AdminRoutes<D> {
  /** Adds `METHOD /admin/…pattern` (`:name` segments are params); `query` lists the parameters it accepts. */
  add(
    method: string,
    pattern: string,
    run: (call: AdminCall<D>) => Promise<AdminReply>,
    query?: readonly string[],
  ): void;
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
