/**
 * @module issuer/auth-throttle
 * Throttling of failed client authentications at the token endpoints (security catalogue G105): failures are
 * counted per client id and per source address in a fixed window; once either count reaches its limit, every
 * authentication for that client id or from that address is refused with HTTP 429 and `Retry-After` until its
 * window ends — a correct secret included (see `attempt`). Both tables have a fixed size: when full, the oldest
 * entry is dropped, so a flood of distinct client ids costs bounded memory.
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import { AadstsError } from './aadsts.ts';

export interface AuthThrottleOptions {
  /** Failed authentications per client id per window (`LANYARD_AUTH_FAILURES_PER_CLIENT`, default 10). */
  perClient: number;
  /** Failed authentications per source address per window (`LANYARD_AUTH_FAILURES_PER_SOURCE`, default 30). */
  perSource: number;
  /** The window in milliseconds (`LANYARD_AUTH_FAILURE_WINDOW_SECONDS`, default 60 s). */
  windowMs: number;
  /** Entries kept per table (client ids, addresses) before the oldest is dropped. */
  maxEntries: number;
}

export const AUTH_THROTTLE_DEFAULTS: Readonly<AuthThrottleOptions> = Object.freeze({
  perClient: 10,
  perSource: 30,
  windowMs: 60_000,
  maxEntries: 10_000,
});

const ENV = {
  perClient: 'LANYARD_AUTH_FAILURES_PER_CLIENT',
  perSource: 'LANYARD_AUTH_FAILURES_PER_SOURCE',
  windowSeconds: 'LANYARD_AUTH_FAILURE_WINDOW_SECONDS',
} as const;

function positiveInt(env: Readonly<Record<string, string | undefined>>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
    throw new LanyardError('ERR_VALIDATION', `${name} must be a whole number from 1 to 1000000`, {
      hint: 'Unset it for the default (docs/security.md, "Client-authentication throttling").',
    });
  }
  return n;
}

/** The limits from the environment; what is unset keeps its default. */
export function authThrottleFromEnv(env: Readonly<Record<string, string | undefined>>): AuthThrottleOptions {
  const windowSeconds = positiveInt(env, ENV.windowSeconds);
  return {
    ...AUTH_THROTTLE_DEFAULTS,
    perClient: positiveInt(env, ENV.perClient) ?? AUTH_THROTTLE_DEFAULTS.perClient,
    perSource: positiveInt(env, ENV.perSource) ?? AUTH_THROTTLE_DEFAULTS.perSource,
    windowMs: windowSeconds === undefined ? AUTH_THROTTLE_DEFAULTS.windowMs : windowSeconds * 1000,
  };
}

interface Window {
  start: number;
  failures: number;
}

/** Failure counts by key, at most `max` keys; the oldest-inserted key goes first when it is full. */
class BoundedWindows {
  readonly #map = new Map<string, Window>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The window of `key` if it is still open at `now`. */
  open(key: string, now: number, windowMs: number): Window | undefined {
    const w = this.#map.get(key);
    if (w && now - w.start < windowMs) return w;
    if (w) this.#map.delete(key);
    return undefined;
  }

  fail(key: string, now: number, windowMs: number): void {
    const w = this.open(key, now, windowMs);
    if (w) {
      w.failures++;
      return;
    }
    while (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next().value;
      if (oldest === undefined) break;
      this.#map.delete(oldest);
    }
    this.#map.set(key, { start: now, failures: 1 });
  }
}

/** AADSTS codes that mean "the client did not prove who it is" (or named no client there is). */
const AUTH_FAILURES = new Set<number>([7000215, 7000222, 7000218, 700027, 700024, 700016, 70021, 50027]);

export function isAuthFailure(err: unknown): boolean {
  return err instanceof AadstsError && AUTH_FAILURES.has(err.code);
}

export class ClientAuthThrottle {
  readonly options: AuthThrottleOptions;
  readonly #clients: BoundedWindows;
  readonly #sources: BoundedWindows;

  constructor(options: Partial<AuthThrottleOptions> = {}) {
    this.options = { ...AUTH_THROTTLE_DEFAULTS, ...options };
    this.#clients = new BoundedWindows(this.options.maxEntries);
    this.#sources = new BoundedWindows(this.options.maxEntries);
  }

  /** Entries held (client ids, source addresses): bounded by `maxEntries` each. */
  get entries(): { clients: number; sources: number } {
    return { clients: this.#clients.size, sources: this.#sources.size };
  }

  /**
   * Starts one client authentication: throws AADSTS90055 (429) when the client id or the source address has
   * used up its failures, else counts the attempt as a failure until `succeeded` takes it back. Counting first
   * means parallel guesses cannot all pass the check before the first of them fails. It runs before the
   * credentials are checked, so a correct secret is refused too while throttled: answering a correct guess
   * differently from a wrong one would let an attacker keep guessing and learn from the answer which guess was
   * right — the throttle would slow nothing.
   */
  attempt(clientId: string | undefined, source: string | undefined, now: Date): void {
    const t = now.getTime();
    const { windowMs } = this.options;
    const client = clientId?.toLowerCase();
    const byClient = client === undefined ? undefined : this.#clients.open(client, t, windowMs);
    const bySource = source === undefined ? undefined : this.#sources.open(source, t, windowMs);
    const clientOver = byClient !== undefined && byClient.failures >= this.options.perClient;
    const sourceOver = bySource !== undefined && bySource.failures >= this.options.perSource;
    if (clientOver || sourceOver) {
      const ends = Math.max(
        clientOver ? byClient.start + windowMs : 0,
        sourceOver ? bySource.start + windowMs : 0,
      );
      const retryAfter = Math.max(1, Math.ceil((ends - t) / 1000));
      const what = clientOver
        ? `client '${clientId}' (${this.options.perClient} failed authentications`
        : `this source address (${this.options.perSource} failed authentications`;
      throw new AadstsError(
        90055,
        `There are too many incoming requests. Client authentication is throttled for ${what} within ${windowMs / 1000} s).`,
        `Lanyard: wait ${retryAfter} s (Retry-After) and check the client's credentials.`,
        {
          headers: { 'Retry-After': String(retryAfter) },
          auditNote: clientOver
            ? 'throttled: failed client authentications per client id'
            : 'throttled: failed client authentications per source address',
        },
      );
    }
    if (client !== undefined) this.#clients.fail(client, t, windowMs);
    if (source !== undefined) this.#sources.fail(source, t, windowMs);
  }

  /** The attempt `attempt` counted did not fail client authentication: take it back. */
  succeeded(clientId: string | undefined, source: string | undefined, now: Date): void {
    const t = now.getTime();
    const { windowMs } = this.options;
    const byClient =
      clientId === undefined ? undefined : this.#clients.open(clientId.toLowerCase(), t, windowMs);
    const bySource = source === undefined ? undefined : this.#sources.open(source, t, windowMs);
    if (byClient && byClient.failures > 0) byClient.failures--;
    if (bySource && bySource.failures > 0) bySource.failures--;
  }
}
