/**
 * @module host/health
 * `GET /healthz`, without authentication: what a load balancer, a test or `lanyard up`'s callers poll to know
 * the listener is up. It says nothing about the directory, so it leaks nothing.
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import { sendJson } from '../http/http.ts';
import type { RouteGroup } from '../http/route-group.ts';

export function healthRoutes(): RouteGroup {
  return {
    name: 'health',
    matches: (ctx) => ctx.segments.length === 1 && ctx.segments[0] === 'healthz',
    async handle(ctx) {
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
        throw new LanyardError('ERR_ADMIN_METHOD', `${ctx.method} is not allowed on /healthz.`, {
          details: { allow: ['GET', 'HEAD'] },
        });
      }
      sendJson(ctx.res, 200, { status: 'ok' });
    },
  };
}
