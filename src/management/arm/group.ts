/**
 * @module management/arm/group
 * Resource Manager on the main listener: the paths ARM has (`/subscriptions…`, `/tenants`, `/providers…`,
 * `/metadata/endpoints`) answered in ARM's way — api-version first (400 before anything else, as ARM), then
 * the token (401), then the route and RBAC (404/403) — with ARM's headers on every answer, refusals in ARM's
 * envelope, and paths matched without regard to case. Point `az cloud register --endpoint-resource-manager`
 * or an ARM SDK's `endpoint` at the main listener's origin (docs/management.md).
 */
import { readJsonBody } from '../../http/http.ts';
import { logField } from '../../http/listener.ts';
import type { RouteGroup } from '../../http/route-group.ts';
import type { ViewCache } from '../view.ts';
import type { Authenticator } from './auth.ts';
import { authorizationPath, handleAuthorization } from './authorization.ts';
import { ArmError, missingApiVersion } from './errors.ts';
import type { Answer, ArmContext } from './handler.ts';
import { metadataEndpoints } from './metadata.ts';
import { type ArmRequest, armHeaders, newRequestId, originOf } from './request.ts';
import { armErrorOf, armRoutes } from './routes.ts';

/** The largest ARM request body Lanyard reads (role assignments and resource groups are small). */
const BODY_LIMIT = 256 * 1024;

const FIRST = new Set(['subscriptions', 'tenants', 'providers']);

export interface ArmGroupOptions extends ArmContext {
  readonly auth: Authenticator;
  readonly views: ViewCache;
}

export function armRouteGroup(o: ArmGroupOptions): RouteGroup {
  const router = armRoutes(o);
  return {
    name: 'resource-manager',
    matches: (ctx) => {
      const first = ctx.segments[0]?.toLowerCase();
      if (first === undefined) return false;
      if (FIRST.has(first)) return true;
      return (
        first === 'metadata' && ctx.segments[1]?.toLowerCase() === 'endpoints' && ctx.segments.length === 2
      );
    },
    async handle(http) {
      const requestId = newRequestId();
      const headers = armHeaders(http, requestId);
      const send = (a: Answer) => {
        const text = a.body === undefined ? '' : JSON.stringify(a.body);
        http.res.writeHead(a.status, {
          ...headers,
          ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
          'Content-Length': Buffer.byteLength(text),
          ...a.headers,
        });
        http.res.end(http.method === 'HEAD' ? undefined : text);
      };
      try {
        const apiVersion = http.query.get('api-version');
        if (!apiVersion) throw missingApiVersion();
        if (http.segments[0]?.toLowerCase() === 'metadata') {
          send({ status: 200, body: metadataEndpoints(apiVersion, originOf(http)) });
          return;
        }
        const caller = await o.auth.authenticate(http.req);
        const r: ArmRequest = {
          http,
          caller,
          view: await o.views.get(),
          apiVersion,
          requestId,
          origin: originOf(http),
        };
        const body = () => readJsonBody(http.req, BODY_LIMIT);
        const authz = authorizationPath(http.segments);
        if (authz) {
          send(await handleAuthorization(o, r, authz, body));
          return;
        }
        const m = router.match(http.method, http.segments);
        if (m.kind === 'found') {
          send(await m.handler(r, m.params, body));
          return;
        }
        if (m.kind === 'method') {
          throw new ArmError(405, 'MethodNotAllowed', `The requested method ${http.method} is not allowed.`, {
            headers: { Allow: m.allow.join(', ') },
          });
        }
        throw new ArmError(
          404,
          'InvalidResourceType',
          `The resource type '${http.segments.slice(-2, -1)[0] ?? ''}' could not be found in the namespace of this path.`,
          { hint: 'docs/management.md lists the Resource Manager paths Lanyard serves.' },
        );
      } catch (err) {
        const mapped = armErrorOf(err);
        if (!(mapped instanceof ArmError)) http.logger.error({ err }, 'resource manager request failed');
        const e =
          mapped instanceof ArmError
            ? mapped
            : new ArmError(500, 'InternalServerError', 'Encountered internal server error.');
        logField(http.res, 'reason', e.code);
        if (e.hint) headers['x-lanyard-hint'] = e.hint.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024);
        if (!http.req.complete) headers.Connection = 'close';
        send({ status: e.status, body: e.body(), headers: e.headers });
      }
    },
  };
}
