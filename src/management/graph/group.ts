/**
 * @module management/graph/group
 * Microsoft Graph v1.0 on the main listener: every path under `/v1.0/`, matched without regard to case as
 * Graph matches them, the token checked first (401 `InvalidAuthenticationToken` with Graph's challenge), then
 * the route, the caller's Graph permissions and the objects named, with Graph's headers on every answer and
 * refusals in Graph's envelope. Point a Graph client's base URL at `<main listener>/v1.0` and its credential
 * at Lanyard's issuer (docs/management.md, "Microsoft Graph").
 */
import { readJsonBody } from '../../http/http.ts';
import { logField } from '../../http/listener.ts';
import type { RouteGroup } from '../../http/route-group.ts';
import type { Authenticator } from '../arm/auth.ts';
import type { GraphViewCache } from './directory-view.ts';
import { GRAPH_APP_ID, GraphError } from './errors.ts';
import { type Answer, CONTENT_TYPE, type GraphRequest, graphHeaders, graphIds, originOf } from './request.ts';
import { BY_APP_ID, type GraphContext, graphErrorOf, graphRoutes } from './routes.ts';

/** What Graph accepts as `aud`: its v1 resource (with and without the slash `az` adds) and its appId. */
export const GRAPH_AUDIENCES: readonly string[] = Object.freeze([
  'https://graph.microsoft.com',
  'https://graph.microsoft.com/',
  GRAPH_APP_ID,
]);

/** The largest Graph request body Lanyard reads (an application with many roles fits well inside). */
const BODY_LIMIT = 1024 * 1024;

/** `servicePrincipals(appId='…')` and `applications(appId='…')`: Graph's alternate key, one segment. */
const ALTERNATE_KEY = /^(servicePrincipals|applications)\(appId='([^']{1,100})'\)$/i;

export interface GraphGroupOptions extends GraphContext {
  readonly auth: Authenticator;
  readonly views: GraphViewCache;
}

/** The segments with an alternate key split into the entity set and a marked id. */
function withAlternateKey(segments: readonly string[]): readonly string[] {
  const m = segments[1] === undefined ? null : ALTERNATE_KEY.exec(segments[1]);
  if (!m) return segments;
  return [segments[0]!, m[1]!, `${BY_APP_ID}${m[2]}`, ...segments.slice(2)];
}

export function graphRouteGroup(o: GraphGroupOptions): RouteGroup {
  const router = graphRoutes(o);
  return {
    name: 'microsoft-graph',
    matches: (ctx) => ctx.segments[0]?.toLowerCase() === 'v1.0',
    async handle(http) {
      const ids = graphIds(http);
      const headers = graphHeaders(ids);
      const send = (a: Answer) => {
        const text = a.body === undefined ? '' : JSON.stringify(a.body);
        http.res.writeHead(a.status, {
          ...headers,
          ...(text ? { 'Content-Type': CONTENT_TYPE } : {}),
          'Content-Length': Buffer.byteLength(text),
          ...a.headers,
        });
        http.res.end(text);
      };
      try {
        const caller = await o.auth.authenticate(http.req);
        const segments = withAlternateKey(http.segments);
        const m = router.match(http.method, segments);
        if (m.kind === 'method') {
          throw new GraphError(
            405,
            'Request_BadRequest',
            'Specified HTTP method is not allowed for the request uri.',
            { headers: { Allow: m.allow.join(', ') } },
          );
        }
        if (m.kind === 'none') {
          const known = ['applications', 'serviceprincipals', 'directoryobjects', 'users'];
          const first = segments[1] ?? '';
          const segment = known.includes(first.toLowerCase()) ? (segments.at(-1) ?? '') : first;
          throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`, {
            hint: 'docs/management.md lists the Microsoft Graph paths Lanyard serves.',
          });
        }
        const r: GraphRequest = {
          http,
          caller,
          view: await o.views.get(caller.tenantId),
          origin: originOf(http),
        };
        send(await m.handler(r, m.params, () => readJsonBody(http.req, BODY_LIMIT)));
      } catch (err) {
        const mapped = graphErrorOf(err);
        let e: GraphError;
        if (mapped instanceof GraphError) e = mapped;
        else {
          http.logger.error({ err }, 'graph request failed');
          e = new GraphError(500, 'InternalServerError', 'An internal server error occurred.');
        }
        logField(http.res, 'reason', e.code);
        if (e.hint) headers['x-lanyard-hint'] = e.hint.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024);
        if (!http.req.complete) headers.Connection = 'close';
        send({
          status: e.status,
          body: e.body(ids.requestId, ids.clientRequestId, new Date()),
          headers: e.headers,
        });
      }
    },
  };
}
