/**
 * @module console/plane
 * The console plane: the web console on the main listener at `/console` (routes.ts: its page, the front end's
 * modules from web/, the vendor modules, sign-in sessions and the live audit stream), the session cookie as a
 * credential of the admin API (auth.ts, `adminAuth`: every view reads and writes the same admin API the CLI
 * and scripts use), read-only tokens (tokens.ts, migration `0015-console`, `lanyard console token|tokens|revoke`
 * in cli/commands.ts), and the admin routes its views need that no other plane serves (admin-routes.ts: the
 * graph, "may X call Y?", explain, keys, the audit trail). Sessions live in the server's memory: a restart
 * signs everyone out. docs/console.md.
 */
import type { Plane } from '../plane/contract.ts';
import { consoleAdminRoutes } from './admin-routes.ts';
import { consoleAdminAuth } from './auth.ts';
import type { ConsoleDeps } from './deps.ts';
import * as m0015 from './migrations/0015-console.ts';
import { consoleRoutes } from './routes.ts';
import { consoleState } from './state.ts';

export const consolePlane: Plane<ConsoleDeps> = {
  name: 'console',
  owns: 'The web console at /console: its page and front end, sign-in sessions, read-only tokens, the live audit stream, and the admin routes its views need',
  migrations: { '0015-console': m0015 },
  auditActions: ['console.signin', 'console.signout', 'console.token-issue', 'console.token-revoke'],
  admin: consoleAdminRoutes,
  adminAuth: (deps) => consoleAdminAuth(consoleState(deps)),
  routes: (deps) => [consoleRoutes(consoleState(deps), deps.isAdminToken)],
  async start(deps, ctx) {
    const state = consoleState(deps);
    return {
      lines: ctx.mainUrl ? [`console: ${ctx.mainUrl}/console  (sign in with the admin token)`] : [],
      close: () => state.close(),
    };
  },
};
