/**
 * @module console/sessions
 * Console sessions, in the server's memory: a restart signs everyone out. A sign-in (routes.ts) makes a session
 * with a random id (the `__Host-lanyard-console` cookie: HttpOnly, Secure, SameSite=Strict, Path=/) and a random
 * CSRF token (answered once in the sign-in's JSON, then by `GET /console/api/session`), both 32 bytes in
 * base64url. The id is kept only as its SHA-256, so a memory dump shows no usable id; the CSRF token is compared
 * in constant time.
 *
 * A session ends after 15 minutes without a request, 8 hours after sign-in (or when its read-only token expires
 * or is revoked, checked at most every 30 s), at sign-out, or when the same browser signs in again. Its id is
 * rotated every 10 minutes of use: the answer carries the new cookie, and the old id keeps working for a minute
 * for requests already under way.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { generateOpaqueToken } from '../crypto/random.ts';
import { constantTimeEqual } from '../crypto/secret-hash.ts';

export const SESSION_COOKIE = '__Host-lanyard-console';

export interface SessionPolicy {
  /** Ends after this long without a request. */
  readonly idleMs: number;
  /** Ends this long after sign-in, whatever happens. */
  readonly absoluteMs: number;
  /** A new id after this long. */
  readonly rotateMs: number;
  /** How long a rotated-away id still works. */
  readonly graceMs: number;
  /** How often a read-only session's token is looked at again. */
  readonly tokenRecheckMs: number;
  /** At most this many live sessions; the least recently used goes first. */
  readonly maxSessions: number;
}

export const SESSION_POLICY: SessionPolicy = {
  idleMs: 15 * 60_000,
  absoluteMs: 8 * 3_600_000,
  rotateMs: 10 * 60_000,
  graceMs: 60_000,
  tokenRecheckMs: 30_000,
  maxSessions: 1000,
};

export type SessionRole = 'admin' | 'read-only';

export interface Session {
  readonly role: SessionRole;
  readonly csrf: string;
  /** The read-only token it was signed in with. */
  readonly tokenId: string | undefined;
  readonly createdAt: number;
  /** Whichever comes first of 8 h after sign-in and the read-only token's expiry. */
  readonly endsAt: number;
  lastSeen: number;
  /** When its current id was made. */
  idAt: number;
  tokenCheckedAt: number;
  ended: boolean;
}

/** What a client is told of its session (never the id, which only travels in the cookie). */
export interface SessionView {
  role: SessionRole;
  csrf: string;
  /** When it ends if no request comes before (idle), or at the latest. */
  expiresAt: string;
  /** When it ends at the latest. */
  absoluteExpiresAt: string;
  idleTimeoutSeconds: number;
}

interface Entry {
  session: Session;
  /** Set on an id that was rotated away: it works until then. */
  retiredUntil?: number | undefined;
}

const digest = (id: string) => createHash('sha256').update(id, 'utf8').digest('base64url');

/** The session ids the request's cookies carry (several when a browser sends more than one of ours). */
export function sessionIdsOf(req: IncomingMessage): string[] {
  const header = req.headers.cookie;
  if (!header) return [];
  const ids: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    // 32 bytes of base64url: anything else is not ours, and is not hashed or looked up.
    if (/^[A-Za-z0-9_-]{43}$/.test(value)) ids.push(value);
  }
  return ids;
}

export function sessionCookie(id: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`;
}

export const CLEARED_COOKIE = `${SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0`;

export class SessionStore {
  readonly #byDigest = new Map<string, Entry>();
  readonly #policy: SessionPolicy;
  readonly #now: () => number;

  constructor(now: () => number, policy: Partial<SessionPolicy> = {}) {
    this.#now = now;
    this.#policy = { ...SESSION_POLICY, ...policy };
  }

  get policy(): SessionPolicy {
    return this.#policy;
  }

  /** A new session; returns its id (for the cookie) and the session. */
  create(role: SessionRole, options: { tokenId?: string; tokenExpiresAt?: number } = {}) {
    this.#sweep();
    const now = this.#now();
    const session: Session = {
      role,
      csrf: generateOpaqueToken(32),
      tokenId: options.tokenId,
      createdAt: now,
      endsAt: Math.min(now + this.#policy.absoluteMs, options.tokenExpiresAt ?? Number.POSITIVE_INFINITY),
      lastSeen: now,
      idAt: now,
      tokenCheckedAt: now,
      ended: false,
    };
    const id = generateOpaqueToken(32);
    this.#byDigest.set(digest(id), { session });
    return { id, session };
  }

  /** The live session one of `ids` names (and which id), or undefined. Does not count as use. */
  find(ids: readonly string[]): { id: string; session: Session } | undefined {
    const now = this.#now();
    for (const id of ids) {
      const key = digest(id);
      const entry = this.#byDigest.get(key);
      if (!entry) continue;
      if (entry.retiredUntil !== undefined && entry.retiredUntil <= now) {
        this.#byDigest.delete(key);
        continue;
      }
      if (!this.live(entry.session)) {
        this.#byDigest.delete(key);
        continue;
      }
      return { id, session: entry.session };
    }
    return undefined;
  }

  live(s: Session): boolean {
    const now = this.#now();
    return !s.ended && now < s.endsAt && now - s.lastSeen < this.#policy.idleMs;
  }

  /**
   * Counts a request as use; when the id is due, a new one replaces it (the old works a minute more) and the
   * new cookie is set on `res`.
   */
  touch(found: { id: string; session: Session }, res: ServerResponse | undefined): void {
    const now = this.#now();
    const s = found.session;
    s.lastSeen = now;
    if (!res || now - s.idAt < this.#policy.rotateMs) return;
    const old = this.#byDigest.get(digest(found.id));
    if (!old || old.retiredUntil !== undefined) return;
    old.retiredUntil = now + this.#policy.graceMs;
    const id = generateOpaqueToken(32);
    s.idAt = now;
    this.#byDigest.set(digest(id), { session: s });
    res.appendHeader('Set-Cookie', sessionCookie(id, (s.endsAt - now) / 1000));
  }

  /** Ends the session (every id of it). */
  end(s: Session): void {
    s.ended = true;
    for (const [key, entry] of this.#byDigest) if (entry.session === s) this.#byDigest.delete(key);
  }

  /** Whether `given` is the session's CSRF token (constant time). */
  csrfMatches(s: Session, given: string | undefined): boolean {
    return given !== undefined && given !== '' && constantTimeEqual(given, s.csrf);
  }

  view(s: Session): SessionView {
    const idleEnd = s.lastSeen + this.#policy.idleMs;
    return {
      role: s.role,
      csrf: s.csrf,
      expiresAt: new Date(Math.min(idleEnd, s.endsAt)).toISOString(),
      absoluteExpiresAt: new Date(s.endsAt).toISOString(),
      idleTimeoutSeconds: Math.round(this.#policy.idleMs / 1000),
    };
  }

  /** Ends every session (the server stops). */
  clear(): void {
    for (const entry of this.#byDigest.values()) entry.session.ended = true;
    this.#byDigest.clear();
  }

  get size(): number {
    return this.#byDigest.size;
  }

  /** Drops ended sessions and retired ids; past the cap, the least recently used sessions go. */
  #sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#byDigest) {
      if (!this.live(entry.session) || (entry.retiredUntil !== undefined && entry.retiredUntil <= now)) {
        this.#byDigest.delete(key);
      }
    }
    if (this.#byDigest.size < this.#policy.maxSessions) return;
    const byUse = [...this.#byDigest.values()].sort((a, b) => a.session.lastSeen - b.session.lastSeen);
    for (const entry of byUse.slice(0, this.#byDigest.size - this.#policy.maxSessions + 1)) {
      this.end(entry.session);
    }
  }
}

/**
 * Failed sign-ins per client address, kept in memory: after `limit` in a minute, the address's sign-ins are
 * refused (the right token too) until the minute is over. Successful sign-ins are not counted.
 */
export class SignInLimiter {
  readonly #windows = new Map<string, { start: number; failures: number }>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(now: () => number, limit = 10, windowMs = 60_000) {
    this.#now = now;
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** The seconds the address must wait before signing in again; 0 when it may now. */
  retryAfter(address: string): number {
    const w = this.#window(address);
    return w && w.failures >= this.#limit
      ? Math.max(1, Math.ceil((w.start + this.#windowMs - this.#now()) / 1000))
      : 0;
  }

  failed(address: string): void {
    const now = this.#now();
    if (this.#windows.size > 10_000) {
      for (const [k, w] of this.#windows) if (now - w.start >= this.#windowMs) this.#windows.delete(k);
    }
    const w = this.#window(address) ?? { start: now, failures: 0 };
    w.failures++;
    this.#windows.set(address, w);
  }

  #window(address: string) {
    const w = this.#windows.get(address);
    if (w && this.#now() - w.start >= this.#windowMs) {
      this.#windows.delete(address);
      return undefined;
    }
    return w;
  }
}
