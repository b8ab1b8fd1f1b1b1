/**
 * @module console/web/session
 * The console session: signed in with the admin token (role `admin`) or a read-only token (`read-only`), as
 * `/console/api/session` answers. The token itself is sent once, in the sign-in's body, and never kept: the
 * server answers with an HttpOnly cookie (which scripts cannot read) and a CSRF token, held here in memory
 * for writes (api.ts). A 401 from any call means the session ended: the page goes back to the sign-in form.
 */
import { ApiError, del, get, post, setCsrf, whenUnauthenticated } from './api.ts';
import { createStore } from './store.ts';

export type Role = 'admin' | 'read-only';

export interface SessionInfo {
  role: Role;
  csrf: string;
  expiresAt: string;
}

export interface SessionState {
  status: 'checking' | 'signed-out' | 'signed-in';
  session?: SessionInfo | undefined;
  /** Why the page is back at the sign-in form (the session ended, signed out), shown above it. */
  notice?: string | undefined;
}

export const session = createStore<SessionState>({ status: 'checking' });

const SESSION_URL = '/console/api/session';

function signedIn(info: SessionInfo): void {
  setCsrf(info.csrf);
  session.set({ status: 'signed-in', session: info });
}

function signedOut(notice?: string): void {
  setCsrf(undefined);
  session.set({ status: 'signed-out', notice });
}

whenUnauthenticated((err) => {
  if (session.get().status === 'signed-in') signedOut(`${err.message}${err.hint ? ` ${err.hint}` : ''}`);
});

/** At boot: is there a session already (the cookie of an earlier sign-in)? */
export async function checkSession(): Promise<void> {
  try {
    signedIn(await get<SessionInfo>(SESSION_URL, { quiet401: true }));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) signedOut();
    else signedOut(err instanceof Error ? err.message : String(err));
  }
}

/** Sends the token once; throws the server's error (shown by the form). */
export async function signIn(token: string): Promise<void> {
  signedIn(await post<SessionInfo>(SESSION_URL, { token }, { quiet401: true }));
}

export async function signOut(): Promise<void> {
  try {
    await del(SESSION_URL, { quiet401: true });
  } finally {
    signedOut('Signed out.');
  }
}

/** Whether the session may change things: views hide their write controls when not. */
export function canWrite(): boolean {
  return session.get().session?.role === 'admin';
}
