/**
 * @module gateway/policy/services
 * What compiled policies call at run time, handed in by the gateway plane so that policies stay free of the
 * store, the network set-up and the other planes: the clock, managed-identity tokens for the gateway's own
 * identities, the counters behind `rate-limit*` and `quota*`, the gateway's backend entities, operation
 * samples for `mock-response`, and the wait between `retry` attempts.
 */
import type { GatewayContext, GatewayResponse } from '../runtime/context.ts';
import type { TokenServices } from './token-keys.ts';

export interface ManagedIdentityTokenRequest {
  /** Passed through exactly as written in the policy (it becomes the token's `aud`). */
  readonly resource: string;
  /** A user-assigned identity's client id; the gateway's system-assigned identity when left out. */
  readonly clientId?: string | undefined;
}

export interface ManagedIdentityToken {
  readonly accessToken: string;
  /** Epoch seconds. */
  readonly expiresOn: number;
}

/** One counter window after a hit. */
export interface CounterResult {
  /** Whether this hit fits within the limit (a refused hit is not counted). */
  readonly allowed: boolean;
  /** Calls left in the window after this hit. */
  readonly remaining: number;
  /** Milliseconds until a call would be allowed again (0 when allowed; -1 when the window never renews). */
  readonly retryAfterMs: number;
  /** Set when the counters could not be reached and let the call through uncounted (fail-open): why. */
  readonly unavailable?: string | undefined;
}

/**
 * The counters behind `rate-limit*` and `quota*`, one instance per gateway (its keys live under the gateway's
 * name): in memory or in Redis (runtime/counters-memory.ts, counters-redis.ts; `countersFromEnv`). An `amount`
 * of 0 counts nothing and asks whether one more call would fit (a check now, the count later: an
 * `increment-condition`). A counter that cannot be reached rejects with `ERR_GATEWAY_COUNTERS` (fail-closed)
 * or answers allowed with `unavailable` set (fail-open).
 */
export interface Counters {
  /**
   * Counts `amount` against `key` in a window of `windowMs` ending now (sliding, for `rate-limit*`), refusing
   * the hit when it would pass `limit`.
   */
  slidingHit(key: string, limit: number, windowMs: number, amount: number): Promise<CounterResult>;
  /**
   * Counts `amount` against `key` in fixed windows of `periodMs` (for `quota*`), counted from `anchorMs` (epoch
   * milliseconds; 0001-01-01T00:00:00Z when left out); `periodMs` 0 = never renews.
   */
  fixedHit(
    key: string,
    limit: number,
    periodMs: number,
    amount: number,
    anchorMs?: number,
  ): Promise<CounterResult>;
}

export interface BackendCallOptions {
  /** Time allowed for the backend's status and headers (APIM's forward-request `timeout`, seconds × 1000). */
  readonly timeoutMs: number;
  readonly followRedirects: boolean;
}

/** Sends the request as the policies left it to the backend and returns the answer, its body streaming. */
export interface BackendClient {
  send(ctx: GatewayContext, options: BackendCallOptions): Promise<GatewayResponse>;
}

/** What `mock-response` asks for: the operation's sample answer for a status (and a content type, if given). */
export interface SampleRequest {
  readonly apiId: string;
  readonly operationId: string;
  readonly status: number;
  readonly contentType?: string | undefined;
}

export interface OperationSample {
  readonly contentType: string;
  readonly body: string;
}

export interface GatewayServices {
  /**
   * Token validation for validate-jwt and validate-azure-ad-token: the shared validator and the key source of
   * each openid-config URL, kept across recompiles (token-keys.ts; `createTokenServices`).
   */
  readonly tokens: TokenServices;
  /** Milliseconds since the epoch (tests move it). */
  now(): number;
  /**
   * A token for one of the gateway's identities; rejects with a reason when it has none or the issuer refuses.
   * Caching is this service's job, not the policy's: a token is reused until shortly before it expires, as
   * APIM's is, so authentication-managed-identity on every request costs no issuer call (mi-tokens.ts).
   */
  managedIdentityToken(request: ManagedIdentityTokenRequest): Promise<ManagedIdentityToken>;
  readonly counters: Counters;
  readonly backend: BackendClient;
  /**
   * A backend entity of the gateway by its name (`set-backend-service backend-id`), or undefined. Left out: the
   * gateway has none, and a policy naming one is refused.
   */
  backendEntity?(id: string): { readonly url: string } | undefined;
  /** The operation's sample answer (`mock-response`), or undefined when it has none (an empty body then). */
  operationSample?(request: SampleRequest): OperationSample | undefined;
  /** Waits between `retry` attempts; `setTimeout` when left out (tests pass one that only moves their clock). */
  sleep?(ms: number): Promise<void>;
}
