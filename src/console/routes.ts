/**
 * @module console/routes
 * The console on the main listener, under `/console`:
 *   GET  /console, /console/            the page: an HTML shell that loads /console/app/main.js and console.css
 *   GET  /console/app/<path>.js|.css    the front end (assets.ts)
 *   GET  /console/vendor/<name>.js      preact, preact-hooks, htm, cytoscape (assets.ts)
 *   POST /console/api/session           sign in with the admin token or a read-only token → a session cookie
 *   GET  /console/api/session           the session: role, CSRF token, when it ends
 *   DELETE /console/api/session         sign out
 *   GET  /console/api/events            the audit trail, live (server-sent events; events.ts)
 * Every answer carries a strict Content-Security-Policy (nothing inline, nothing from another origin) and the
 * headers that keep the page out of frames and its requests from leaking a referrer. Failed sign-ins are limited per
 * address (10 a minute) and audited (`console.signin`), success and failure; a token is never logged or kept.
 * What the views show comes from the admin API, which takes the session cookie (auth.ts).
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import { type RequestContext, readJsonBody, sendJson } from '../http/http.ts';
import type { RouteGroup } from '../http/route-group.ts';
import { onlyFields } from '../plane/admin-kit.ts';
import { type Asset, Assets } from './assets.ts';
import { checkSameOrigin, checkWrite, noSession, sessionOf } from './auth.ts';
import { DEFAULT_BACKLOG, type EventFilter } from './events.ts';
import { CLEARED_COOKIE, sessionCookie, sessionIdsOf } from './sessions.ts';
import type { ConsoleState } from './state.ts';
import { verifyReadOnlyToken } from './tokens.ts';

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** On every answer under /console. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
};

/**
 * The page: nothing inline; the front end mounts on `#app` (its modules preloaded so the first paint waits on one
 * round trip). The icon is empty (no request for /favicon.ico); cytoscape's stylesheet is linked under the id
 * cytoscape looks for, so it does not inject an inline one the CSP would refuse.
 */
export const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Lanyard console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/app/console.css">
<link rel="stylesheet" id="__________cytoscape_stylesheet" href="/console/vendor/cytoscape.css">
<link rel="modulepreload" href="/console/vendor/preact.js">
<link rel="modulepreload" href="/console/vendor/preact-hooks.js">
<link rel="modulepreload" href="/console/vendor/htm.js">
<script type="module" src="/console/app/main.js"></script>
</head>
<body>
<noscript>The Lanyard console needs JavaScript.</noscript>
<div id="app"></div>
</body>
</html>
`;

const SIGNIN_BODY_LIMIT = 16 * 1024;
const EVENT_QUERY = ['plane', 'outcome', 'action', 'tenant', 'limit', 'lastEventId'];

const notFound = () =>
  new LanyardError('ERR_NOT_FOUND', 'Nothing is served at this path.', {
    hint: 'The console is at /console; docs/console.md lists its routes.',
  });

function methodNotAllowed(allow: readonly string[]): LanyardError {
  return new LanyardError('ERR_ADMIN_METHOD', `This path accepts ${allow.join(', ')}.`, {
    details: { allow: [...allow] },
  });
}

function sendAsset(ctx: RequestContext, asset: Asset | undefined): void {
  if (!asset) throw notFound();
  const { req, res } = ctx;
  const headers = {
    'Content-Type': asset.contentType,
    'Cache-Control': 'no-cache',
    ETag: asset.etag,
  };
  const given = req.headers['if-none-match'];
  if (given?.split(',').some((t) => t.trim() === asset.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': asset.body.length });
  res.end(ctx.method === 'HEAD' ? undefined : asset.body);
}

function clientAddress(ctx: RequestContext): string {
  return ctx.req.socket.remoteAddress ?? 'unknown';
}

async function signIn(
  state: ConsoleState,
  ctx: RequestContext,
  isAdminToken: ((token: string) => boolean) | undefined,
): Promise<void> {
  const { deps } = state;
  checkSameOrigin(ctx.req);
  const address = clientAddress(ctx);
  const wait = state.limiter.retryAfter(address);
  if (wait > 0) {
    ctx.res.setHeader('Retry-After', String(wait));
    throw new LanyardError('ERR_CONSOLE_THROTTLED', 'Too many sign-in attempts from this address.', {
      hint: `Try again in ${wait} s.`,
    });
  }
  const body = onlyFields((await readJsonBody(ctx.req, SIGNIN_BODY_LIMIT)) ?? {}, ['token']);
  const raw = body.token;
  if (typeof raw !== 'string' || raw.trim() === '' || raw.length > 4096) {
    throw new LanyardError('ERR_VALIDATION', 'The body needs `token`: the admin token or a read-only token.');
  }
  const token = raw.trim();
  let role: 'admin' | 'read-only' | undefined;
  let tokenId: string | undefined;
  let tokenExpiresAt: number | undefined;
  if (isAdminToken?.(token)) role = 'admin';
  else {
    const readOnly = await verifyReadOnlyToken(deps, token);
    if (readOnly) {
      role = 'read-only';
      tokenId = readOnly.id;
      tokenExpiresAt = Date.parse(readOnly.expiresAt);
    }
  }
  if (!role) {
    state.limiter.failed(address);
    await deps.audit.record({
      plane: 'console',
      action: 'console.signin',
      outcome: 'failure',
      reason: 'unknown_token',
      details: { address },
    });
    throw new LanyardError(
      'ERR_CONSOLE_SIGNIN',
      'That token is neither the admin token nor a live read-only console token.',
      {
        hint: 'Paste the admin token (the file `lanyard up` names), or a read-only token from `lanyard console token --read-only`.',
      },
    );
  }
  // A browser that signs in again gets a new session; the one it had ends (no session outlives a sign-in).
  const previous = state.sessions.find(sessionIdsOf(ctx.req));
  if (previous) state.sessions.end(previous.session);
  const { id, session } = state.sessions.create(role, {
    ...(tokenId === undefined ? {} : { tokenId }),
    ...(tokenExpiresAt === undefined ? {} : { tokenExpiresAt }),
  });
  await deps.audit.record({
    plane: 'console',
    action: 'console.signin',
    outcome: 'success',
    actor: tokenId === undefined ? 'admin' : `read-only-token:${tokenId}`,
    details: { role, address },
  });
  sendJson(ctx.res, 200, state.sessions.view(session), {
    'Set-Cookie': sessionCookie(id, (session.endsAt - state.now()) / 1000),
  });
}

async function signOut(state: ConsoleState, ctx: RequestContext): Promise<void> {
  let found: Awaited<ReturnType<typeof sessionOf>>;
  try {
    found = await sessionOf(state, ctx.req);
  } catch {
    found = undefined;
  }
  if (found) {
    checkWrite(state, ctx, found.session);
    state.sessions.end(found.session);
    state.streams.endFor(found.session);
    await state.deps.audit.record({
      plane: 'console',
      action: 'console.signout',
      outcome: 'success',
      actor: found.session.tokenId === undefined ? 'admin' : `read-only-token:${found.session.tokenId}`,
    });
  }
  ctx.res.writeHead(204, { 'Set-Cookie': CLEARED_COOKIE });
  ctx.res.end();
}

async function currentSession(state: ConsoleState, ctx: RequestContext): Promise<void> {
  const found = await sessionOf(state, ctx.req);
  if (!found) throw noSession();
  state.sessions.touch(found, ctx.res);
  sendJson(ctx.res, 200, state.sessions.view(found.session));
}

async function events(state: ConsoleState, ctx: RequestContext): Promise<void> {
  const found = await sessionOf(state, ctx.req);
  if (!found) throw noSession();
  const q: Partial<Record<string, string>> = {};
  for (const name of new Set(ctx.query.keys())) {
    if (!EVENT_QUERY.includes(name)) {
      throw new LanyardError('ERR_VALIDATION', `Unknown query parameter "${name}".`, {
        hint: `The event stream accepts: ${EVENT_QUERY.join(', ')}.`,
      });
    }
    const value = ctx.query.get(name)!;
    if (value !== '') q[name] = value;
  }
  if (q.outcome !== undefined && q.outcome !== 'success' && q.outcome !== 'failure') {
    throw new LanyardError('ERR_VALIDATION', 'Query parameter "outcome" must be success or failure.');
  }
  let backlog = DEFAULT_BACKLOG;
  if (q.limit !== undefined) {
    backlog = Number(q.limit);
    if (!Number.isInteger(backlog) || backlog < 0 || backlog > 1000) {
      throw new LanyardError(
        'ERR_VALIDATION',
        'Query parameter "limit" must be a whole number from 0 to 1000.',
      );
    }
  }
  let tenantId: string | undefined;
  if (q.tenant !== undefined) {
    const tenant = await state.deps.directory.findTenant(q.tenant);
    if (!tenant) throw new LanyardError('ERR_NOT_FOUND', `No tenant is named "${q.tenant}".`);
    tenantId = tenant.id;
  }
  const filter: EventFilter = {
    plane: q.plane,
    action: q.action,
    outcome: q.outcome as EventFilter['outcome'],
    tenantId,
  };
  const header = ctx.req.headers['last-event-id'];
  const lastEventId = (typeof header === 'string' && header !== '' ? header : undefined) ?? q.lastEventId;
  state.sessions.touch(found, ctx.res);
  await state.streams.open(ctx.res, found.session, { filter, backlog, lastEventId });
}

/** The route group; `isAdminToken` comes with the main listener's deps (ConsoleDeps). */
export function consoleRoutes(
  state: ConsoleState,
  isAdminToken: ((token: string) => boolean) | undefined,
): RouteGroup {
  const assets = new Assets();
  return {
    name: 'console',
    matches: (ctx) => ctx.segments[0] === 'console',
    async handle(ctx) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) ctx.res.setHeader(name, value);
      const s = ctx.segments;
      const read = ctx.method === 'GET' || ctx.method === 'HEAD';
      if (s.length === 1 || (s.length === 2 && s[1] === '')) {
        if (!read) throw methodNotAllowed(['GET', 'HEAD']);
        const body = Buffer.from(SHELL, 'utf8');
        ctx.res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': body.length });
        ctx.res.end(ctx.method === 'HEAD' ? undefined : body);
        return;
      }
      if (s[1] === 'app' || s[1] === 'vendor') {
        if (!read) throw methodNotAllowed(['GET', 'HEAD']);
        sendAsset(
          ctx,
          s[1] === 'app' ? assets.app(s.slice(2)) : s.length === 3 ? assets.vendor(s[2]!) : undefined,
        );
        return;
      }
      if (s[1] === 'api' && s.length === 3 && s[2] === 'session') {
        if (ctx.method === 'POST') return signIn(state, ctx, isAdminToken);
        if (ctx.method === 'GET') return currentSession(state, ctx);
        if (ctx.method === 'DELETE') return signOut(state, ctx);
        throw methodNotAllowed(['DELETE', 'GET', 'POST']);
      }
      if (s[1] === 'api' && s.length === 3 && s[2] === 'events') {
        if (ctx.method !== 'GET') throw methodNotAllowed(['GET']);
        return events(state, ctx);
      }
      throw notFound();
    },
  };
}
