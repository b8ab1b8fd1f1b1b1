/**
 * @module gateway/expressions/jwt
 * API Management's `Jwt` object: what `validate-jwt` stores in `output-token-variable-name` and what
 * `string.AsJwt()` returns. `AsJwt` only *reads* a token (no signature, lifetime or issuer check), as API
 * Management's does: a policy that trusts it without `validate-jwt` trusts whatever the caller wrote.
 */
import { parseStrictObject } from '../../encoding/strict-json.ts';
import { DateTimeValue } from './values.ts';

export class Jwt {
  readonly Algorithm: string | null;
  readonly Audiences: readonly string[];
  /** Claim name → its values (a JSON array claim has several; case-sensitive names). */
  readonly Claims: ReadonlyMap<string, readonly string[]>;
  readonly ExpirationTime: DateTimeValue | null;
  readonly Id: string | null;
  readonly Issuer: string | null;
  readonly IssuedAt: DateTimeValue | null;
  readonly NotBefore: DateTimeValue | null;
  readonly Subject: string | null;
  readonly Type: string | null;

  constructor(header: Readonly<Record<string, unknown>>, payload: Readonly<Record<string, unknown>>) {
    const text = (v: unknown) => (typeof v === 'string' ? v : null);
    const time = (v: unknown) =>
      typeof v === 'number' && Number.isFinite(v) ? new DateTimeValue(Math.trunc(v) * 1000) : null;
    this.Algorithm = text(header.alg);
    this.Type = text(header.typ);
    const claims = new Map<string, readonly string[]>();
    for (const [name, value] of Object.entries(payload)) claims.set(name, Object.freeze(claimValues(value)));
    this.Claims = claims;
    this.Audiences = Object.freeze(claimValues(payload.aud ?? []));
    this.ExpirationTime = time(payload.exp);
    this.IssuedAt = time(payload.iat);
    this.NotBefore = time(payload.nbf);
    this.Id = text(payload.jti);
    this.Issuer = text(payload.iss);
    this.Subject = text(payload.sub);
    Object.freeze(this);
  }
}

/** A claim's values as text: each array element is one value; numbers and booleans as in JSON; objects as JSON. */
function claimValues(value: unknown): string[] {
  const one = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
  return Array.isArray(value) ? value.map(one) : [one(value)];
}

/** The `Jwt` of a token whose header and payload are already decoded (validate-jwt has them). */
export function jwtFromParts(
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
): Jwt {
  return new Jwt(header, payload);
}

/** Tokens larger than this are not read (a header line is smaller anyway). */
const MAX_TOKEN_LENGTH = 64 * 1024;

function decodeSegment(segment: string): Record<string, unknown> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return null;
  try {
    return parseStrictObject(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

/**
 * `string.AsJwt()`: the token's `Jwt`, or null when the text is not a JWS in compact form (an optional
 * `Bearer ` scheme is skipped, so an Authorization header value works as is). The signature is not checked.
 */
export function parseJwt(value: string): Jwt | null {
  if (value.length > MAX_TOKEN_LENGTH) return null;
  let token = value.trim();
  if (/^bearer\s/i.test(token)) token = token.slice(7).trim();
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const header = decodeSegment(parts[0]!);
  const payload = header === null ? null : decodeSegment(parts[1]!);
  if (header === null || payload === null) return null;
  return new Jwt(header, payload);
}
