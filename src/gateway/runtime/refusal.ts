/**
 * @module gateway/runtime/refusal
 * A policy's "no": a failed `validate-jwt`, a missing subscription key, a rate limit reached. As in API
 * Management it is an error — the remaining steps are skipped and `on-error` runs with `context.LastError` set
 * from it and `context.Response` already holding the answer the caller will get unless `on-error` changes it:
 * the status and APIM's JSON body `{"statusCode": …, "message": "…"}`.
 *
 * `reason` is APIM's `LastError.Reason` (`TokenNotPresent`, `SubscriptionKeyNotFound`, …). `hint` is
 * Lanyard's: how to fix it, sent in the `x-lanyard-hint` header (never in the body, which clients match on).
 */
export interface RefusalOptions {
  readonly status: number;
  /** APIM's `LastError.Source`: the policy name, or `authorization`, `configuration`, `forward-request`. */
  readonly source: string;
  readonly reason: string;
  /** The body's `message`. */
  readonly message: string;
  readonly hint?: string | undefined;
  /** Extra response headers (`Retry-After`, `WWW-Authenticate`). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

export class GatewayRefusal extends Error {
  readonly status: number;
  readonly source: string;
  readonly reason: string;
  readonly hint: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(o: RefusalOptions) {
    super(o.message);
    this.name = 'GatewayRefusal';
    this.status = o.status;
    this.source = o.source;
    this.reason = o.reason;
    this.hint = o.hint;
    this.headers = o.headers ?? {};
  }

  /** APIM's error body. */
  body(): Buffer {
    return Buffer.from(JSON.stringify({ statusCode: this.status, message: this.message }));
  }
}
