/**
 * @module http/route-group
 * The main listener serves several planes (health, admin API; later the issuer and the managed-identity
 * endpoints) on one port. Each plane is a RouteGroup; the request handler asks the groups in order which one
 * the path belongs to and hands the request to it. Adding a plane is one more entry in the list. Shared here,
 * once for all groups: target parsing, default safety headers and error responses; the listener writes the
 * request log line, with the group that answered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LanyardError } from '../errors/lanyard-error.ts';
import { parseTarget, type RequestContext, sendError } from './http.ts';
import { logField } from './listener.ts';
import type { Logger } from './logger.ts';

export interface RouteGroup {
  /** Shown in the request log, e.g. `admin`. */
  readonly name: string;
  /**
   * Whether the group is chosen by the request's Host (Key Vault's `<vault>.vault.localhost`) rather than its
   * path: such groups are asked first, so a path another group serves never takes a request meant for them.
   */
  readonly byHost?: boolean | undefined;
  /** Whether the request belongs to this group, from its method, host and path alone (nothing read yet). */
  matches(ctx: RequestContext): boolean;
  /** Answers the request. A throw becomes an error response (LanyardError → its status; else a 500). */
  handle(ctx: RequestContext): Promise<void>;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createRequestHandler(given: readonly RouteGroup[], logger: Logger): RequestHandler {
  const groups = [...given.filter((g) => g.byHost), ...given.filter((g) => !g.byHost)];
  return (req, res) => {
    const method = req.method ?? 'GET';
    // Defaults for every response; a group that serves something else (HTML, static files) may override.
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');

    void (async () => {
      let ctx: RequestContext | undefined;
      try {
        const target = parseTarget(req.url);
        ctx = { req, res, method, ...target, logger };
        const group = groups.find((g) => g.matches(ctx!));
        if (!group) {
          throw new LanyardError('ERR_NOT_FOUND', 'Nothing is served at this path.', {
            hint: 'The admin API is under /admin/ (see docs/admin-api.md); health is at /healthz.',
          });
        }
        logField(res, 'group', group.name);
        await group.handle(ctx);
      } catch (err) {
        sendError({ req, res, logger }, err);
      }
    })();
  };
}
