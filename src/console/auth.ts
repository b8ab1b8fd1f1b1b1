/**
 * @module console/auth
 * Who a console request is made by, from its session cookie (sessions.ts), and the rules every console call
 * keeps: a session of either role may read; any other method needs the session's CSRF token in `X-CSRF-Token`
 * (compared in constant time) and, when the browser says where the page came from (`Origin`,
 * `Sec-Fetch-Site`), this server's own origin. The admin API takes the console's session through
 * `consoleAdminAuth` (`Plane.adminAuth`), so every view reads and writes the same admin API the CLI's scripts
 * use; the host then lets a read-only session reach only the routes whose access is `read`.
 */
import type { IncomingMessage } from 'node:http';
import { LanyardError } from '../errors/lanyard-error.ts';
import type { RequestContext } from '../http/http.ts';
import type { AdminAuthenticator } from '../plane/admin-kit.ts';
import type { Session } from './sessions.ts';
import { sessionIdsOf } from './sessions.ts';
import type { ConsoleState } from './state.ts';
import { readOnlyTokenLive } from './tokens.ts';

const READS = new Set(['GET', 'HEAD']);

export function noSession(): LanyardError {
  return new LanyardError('ERR_CONSOLE_SESSION', 'There is no console session, or it has ended.', {
    hint: 'Sign in again at /console (sessions end after 15 minutes without a request, after 8 hours, and when Lanyard restarts).',
  });
}

/**
 * Refuses a request a page of another origin made: `Origin`, when sent, must be this server's (`https://` and
 * the Host the request was sent to), and `Sec-Fetch-Site`, when sent, `same-origin` (or `none`: typed by the
 * user). A browser sets both on a cross-site request and no page can forge them.
 */
export function checkSameOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (
    origin !== undefined &&
    (host === undefined || origin.toLowerCase() !== `https://${host.toLowerCase()}`)
  ) {
    throw new LanyardError('ERR_ADMIN_CSRF', `The request comes from a page of another origin (${origin}).`, {
      hint: 'Only the console served by this Lanyard may change it; open it at /console on this server.',
    });
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new LanyardError('ERR_ADMIN_CSRF', `The request comes from a page of another site (${site}).`, {
      hint: 'Only the console served by this Lanyard may change it; open it at /console on this server.',
    });
  }
}

/**
 * The live session a request's cookie names, or undefined when it carries none of ours; a cookie naming a
 * session that has ended is ERR_CONSOLE_SESSION. A read-only session ends with its token (looked at again at
 * most every 30 s).
 */
export async function sessionOf(
  state: ConsoleState,
  req: IncomingMessage,
): Promise<{ id: string; session: Session } | undefined> {
  const ids = sessionIdsOf(req);
  if (ids.length === 0) return undefined;
  const found = state.sessions.find(ids);
  if (!found) throw noSession();
  const s = found.session;
  const now = state.now();
  if (s.tokenId !== undefined && now - s.tokenCheckedAt >= state.sessions.policy.tokenRecheckMs) {
    s.tokenCheckedAt = now;
    if (!(await readOnlyTokenLive(state.deps, s.tokenId))) {
      state.sessions.end(s);
      throw noSession();
    }
  }
  return found;
}

/** A write's CSRF token and origin, for a session-authenticated call other than GET/HEAD. */
export function checkWrite(state: ConsoleState, ctx: RequestContext, session: Session): void {
  if (READS.has(ctx.method)) return;
  checkSameOrigin(ctx.req);
  const given = ctx.req.headersDistinct['x-csrf-token'];
  if (given?.length !== 1 || !state.sessions.csrfMatches(session, given[0])) {
    throw new LanyardError(
      'ERR_ADMIN_CSRF',
      given === undefined
        ? `${ctx.method} needs the session's CSRF token in the X-CSRF-Token header.`
        : "The X-CSRF-Token header is not this session's CSRF token.",
      {
        hint: 'Send the `csrf` value of the sign-in answer (or of GET /console/api/session) as X-CSRF-Token.',
      },
    );
  }
}

/** The console's session as a credential of the admin API (`Plane.adminAuth`). */
export function consoleAdminAuth(state: ConsoleState): AdminAuthenticator {
  return {
    async authenticate(ctx) {
      const found = await sessionOf(state, ctx.req);
      if (!found) return undefined;
      checkWrite(state, ctx, found.session);
      state.sessions.touch(found, ctx.res);
      return { role: found.session.role, via: 'console-session' };
    },
  };
}
