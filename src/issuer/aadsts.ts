/**
 * @module issuer/aadsts
 * Refusals of the token endpoints, worded and shaped as Entra's (docs/protocols.md, "AADSTS error responses"): the HTTP status,
 * the OAuth `error`, an `error_description` that starts `AADSTS<code>:` and ends with the trace and correlation
 * ids and timestamp, and the same facts as fields. MSAL and @azure/identity surface `error_description` to the
 * developer, so ours also says what to change — beyond Entra, which often does not.
 */
import { randomUUID } from 'node:crypto';

export interface AadstsBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
}

/** Every AADSTS refusal the issuer makes: `error` value and HTTP status follow Entra's real responses. */
export const AADSTS = {
  /** The resource named by `resource`/`scope` is not registered in the tenant. */
  500011: { error: 'invalid_resource', status: 400 },
  /** The client has no app role assignment on a resource that requires one. */
  501051: { error: 'invalid_grant', status: 400 },
  /** No application with this client id in the tenant. */
  700016: { error: 'unauthorized_client', status: 400 },
  /** Wrong client secret. */
  7000215: { error: 'invalid_client', status: 401 },
  /** The client secret is expired. */
  7000222: { error: 'invalid_client', status: 401 },
  /** Neither client_secret nor client_assertion. */
  7000218: { error: 'invalid_client', status: 401 },
  /** Client assertion: signature does not verify. */
  700027: { error: 'invalid_client', status: 401 },
  /** Client assertion: malformed, wrong audience, expired, unknown certificate … */
  700024: { error: 'invalid_client', status: 401 },
  /** The assertion is not a well-formed JWT. */
  50027: { error: 'invalid_request', status: 400 },
  /** Federated token does not match a federated identity credential. */
  70021: { error: 'invalid_request', status: 400 },
  /** v2 scope without `/.default` for client credentials. */
  1002012: { error: 'invalid_scope', status: 400 },
  /** Scope names more than one resource. */
  70011: { error: 'invalid_scope', status: 400 },
  /** Tenant not found. */
  90002: { error: 'invalid_request', status: 400 },
  /** A required parameter is missing. */
  900144: { error: 'invalid_request', status: 400 },
  /** Unsupported grant type. */
  70003: { error: 'unsupported_grant_type', status: 400 },
  /** Malformed request (bad body, duplicate parameters, too large). */
  900143: { error: 'invalid_request', status: 400 },
  /** Both HTTP Basic and body credentials (RFC 6749 §2.3.1 allows one). */
  90014: { error: 'invalid_request', status: 400 },
  /** Client credentials need a tenant, not common/organizations/consumers. */
  90023: { error: 'invalid_request', status: 400 },
  /** Internal failure while issuing. */
  90033: { error: 'temporarily_unavailable', status: 503 },
  /**
   * Too many requests: Entra's TenantThrottlingError ("There are too many incoming requests"), answered with 429
   * and `Retry-After`. Lanyard answers it when failed client authentications are throttled (auth-throttle.ts);
   * the `error` value is Lanyard's choice (docs/issuer.md).
   */
  90055: { error: 'temporarily_unavailable', status: 429 },
} as const;

export type AadstsCode = keyof typeof AADSTS;

export class AadstsError extends Error {
  readonly code: AadstsCode;
  readonly status: number;
  readonly error: string;
  /** What to change, appended to the description (Lanyard's addition). */
  readonly hint: string | undefined;
  /** Extra answer headers (`Retry-After` of a throttled request). */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** What the audit row's reason adds after the code (e.g. which throttle refused). */
  readonly auditNote: string | undefined;

  constructor(
    code: AadstsCode,
    description: string,
    hint?: string,
    extra?: { headers?: Readonly<Record<string, string>>; auditNote?: string },
  ) {
    super(description);
    this.name = 'AadstsError';
    this.code = code;
    this.status = AADSTS[code].status;
    this.error = AADSTS[code].error;
    this.hint = hint;
    this.headers = extra?.headers;
    this.auditNote = extra?.auditNote;
  }

  toBody(now: Date = new Date(), correlationId: string = randomUUID()): AadstsBody {
    const traceId = randomUUID();
    // Entra's timestamp format: `2016-01-09 02:02:12Z`.
    const timestamp = `${now.toISOString().slice(0, 19).replace('T', ' ')}Z`;
    const text = this.hint ? `${this.message} ${this.hint}` : this.message;
    return {
      error: this.error,
      error_description: `AADSTS${this.code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [this.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${this.code}`,
    };
  }
}
