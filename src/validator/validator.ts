/**
 * @module validator/validator
 * One token validator for Easy Auth, the gateway, the vault and the SDK middleware. It answers with the
 * claims, or with a failure that has a stable reason code, what was expected, what the token had, and how to
 * fix it — the explanation Azure never gives with its bare 401.
 *
 * Order (security.md §1.1): size → shape (three canonical base64url parts) → strict header and claims JSON
 * (no repeated names, objects only) → header rules (alg allow-list, no crit/b64/zip/enc) → key by exact `kid`
 * → alg bound to the key → signature (Node's crypto, not WebCrypto: faster here) → time → issuer and tenant
 * binding → audience → policy (applications, principals, tenants, required claims).
 * Verified signatures are cached by token until `exp` (bounded), so a repeated token costs a map lookup and
 * the claim checks, never a signature check; a cached entry counts only for the key source that verified it
 * (one validator may serve policies that trust different issuers) and is dropped when its key is no longer
 * trusted.
 */
import { constants, verify as cryptoVerify } from 'node:crypto';
import type { KeySource, TrustedKey } from './key-sources.ts';
import { parseStrictObject, StrictJsonError } from './strict-json.ts';

export const REASONS = {
  token_missing: 401,
  token_too_large: 401,
  token_malformed: 401,
  alg_not_allowed: 401,
  header_not_allowed: 401,
  key_unknown: 401,
  signature_invalid: 401,
  expired: 401,
  not_yet_valid: 401,
  issued_in_future: 401,
  expiration_missing: 401,
  issuer_mismatch: 401,
  tenant_mismatch: 401,
  audience_mismatch: 401,
  typ_not_allowed: 401,
  application_not_allowed: 403,
  principal_not_allowed: 403,
  tenant_not_allowed: 403,
  role_missing: 403,
  claim_missing: 403,
} as const;

export type FailureReason = keyof typeof REASONS;

export interface RequiredClaim {
  name: string;
  /** `any`: at least one value present; `all`: every value present (APIM's semantics). */
  match: 'any' | 'all';
  values: string[];
}

export interface ValidationPolicy {
  /** Accepted `iss` values, compared exactly. */
  issuers: readonly string[];
  /** Accepted `aud` values (one of them must be in the token's `aud`). */
  audiences: readonly string[];
  keys: KeySource;
  algorithms?: readonly string[] | undefined;
  /** Seconds of clock skew allowed on exp, nbf and iat. Default 300 (Entra and Easy Auth). */
  clockSkewSeconds?: number | undefined;
  /** Bytes; default 16 KiB. */
  maxTokenBytes?: number | undefined;
  requireExpiration?: boolean | undefined;
  /** Accepted `typ` header values (case-insensitive); undefined accepts any (Entra issues `JWT`). */
  types?: readonly string[] | undefined;
  /** `appid` (v1) or `azp` (v2) must be one of these. */
  allowedApplications?: readonly string[] | undefined;
  /** `oid` must be one of these. */
  allowedPrincipals?: readonly string[] | undefined;
  /** `tid` must be one of these. */
  allowedTenants?: readonly string[] | undefined;
  requiredClaims?: readonly RequiredClaim[] | undefined;
  /** Check that `tid` is the tenant in `iss` (Entra issuers carry it). Default true. */
  bindTenant?: boolean | undefined;
}

export type Claims = Record<string, unknown>;

export interface ValidationSuccess {
  ok: true;
  claims: Claims;
  header: Record<string, unknown>;
  kid: string;
  /** Whether the signature check was served from the verified-token cache. */
  cached: boolean;
}

export interface ValidationFailure {
  ok: false;
  reason: FailureReason;
  /** 401 (not authenticated) or 403 (authenticated but not allowed). */
  status: 401 | 403;
  message: string;
  expected?: unknown;
  actual?: unknown;
  hint?: string;
  /** Claims, when the token was readable and correctly signed (for audit and explain). */
  claims?: Claims;
}

export type ValidationResult = ValidationSuccess | ValidationFailure;

const DEFAULT_ALGS = ['RS256'];
const FORBIDDEN_HEADERS = ['crit', 'b64', 'zip', 'enc', 'p2c', 'p2s', 'epk', 'apu', 'apv', 'iv', 'tag'];
const B64URL = /^[A-Za-z0-9_-]+$/;
const WELL_KNOWN_AUDIENCES: Record<string, string> = {
  'https://management.core.windows.net/': 'Azure Resource Manager',
  'https://management.azure.com/': 'Azure Resource Manager',
  'https://management.azure.com': 'Azure Resource Manager',
  'https://vault.azure.net': 'Azure Key Vault',
  'https://graph.microsoft.com': 'Microsoft Graph',
  '797f4846-ba00-4fd7-ba43-dac1f8f63013': 'Azure Resource Manager',
};

function fail(
  reason: FailureReason,
  message: string,
  extra: Omit<ValidationFailure, 'ok' | 'reason' | 'status' | 'message'> = {},
): ValidationFailure {
  return { ok: false, reason, status: REASONS[reason], message, ...extra };
}

const B64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Each base64url character's 6-bit value, by character code (0 for anything else). */
const B64URL_VALUE = Uint8Array.from({ length: 128 }, (_, c) =>
  Math.max(0, B64URL_ALPHABET.indexOf(String.fromCharCode(c))),
);

/**
 * Decodes one base64url part, refusing non-canonical encodings (padding, stray trailing bits). With only
 * alphabet characters and no impossible length, the encoding is canonical exactly when the bits the last
 * character carries beyond the data (4 after 2 characters of a group, 2 after 3) are zero — checked directly
 * rather than by re-encoding the part, which cost a third of the decoding.
 */
function decodePart(part: string): Buffer | undefined {
  if (!B64URL.test(part)) return undefined;
  const rest = part.length % 4;
  if (rest === 1) return undefined;
  if (rest !== 0 && (B64URL_ALPHABET.indexOf(part[part.length - 1]!) & (rest === 2 ? 0x0f : 0x03)) !== 0)
    return undefined;
  return Buffer.from(part, 'base64url');
}

interface Parsed {
  header: Record<string, unknown>;
  claims: Claims;
  signingInput: Buffer;
  signature: Buffer;
}

/** A parsed token whose header passed the checks that need no key. */
interface Checked extends Parsed {
  alg: string;
  kid: string;
}

/** Signature characters the verified-token cache is keyed by. */
const CACHE_KEY_CHARS = 24;

function parse(token: string, maxBytes: number): Parsed | ValidationFailure {
  if (token.length > maxBytes) {
    return fail(
      'token_too_large',
      `The token is ${token.length} bytes, more than the ${maxBytes}-byte limit.`,
      {
        hint: 'Tokens this large are not access tokens Lanyard or Entra issue; check what the client sends.',
      },
    );
  }
  const parts = token.split('.');
  if (parts.length !== 3) {
    return fail(
      'token_malformed',
      `The token has ${parts.length} parts; a signed JWT has exactly 3 (header.payload.signature).`,
      {
        hint:
          parts.length === 5
            ? 'This is an encrypted JWT (JWE); send the access token instead.'
            : 'Send the access_token value from the token response, unchanged.',
      },
    );
  }
  const [h, p, s] = parts as [string, string, string];
  const hb = decodePart(h);
  const pb = decodePart(p);
  const sb = decodePart(s);
  if (!hb || !pb || !sb) {
    return fail(
      'token_malformed',
      'A part of the token is not canonical base64url (padding, whitespace, "+" or "/", or altered trailing bits).',
      {
        hint: 'Send the token exactly as issued.',
      },
    );
  }
  let header: Record<string, unknown>;
  let claims: Claims;
  try {
    header = parseStrictObject(hb.toString('utf8'));
    claims = parseStrictObject(pb.toString('utf8'));
  } catch (err) {
    const why = err instanceof StrictJsonError ? err.message : 'not JSON';
    return fail('token_malformed', `The token's header or claims are not a valid JSON object: ${why}.`);
  }
  // The signing input is the token up to its last dot: one copy of ASCII (checked above) instead of joining the
  // parts into a new string and encoding that as UTF-8.
  return {
    header,
    claims,
    signingInput: Buffer.from(token.slice(0, h.length + 1 + p.length), 'latin1'),
    signature: sb,
  };
}

function verifySignature(alg: string, key: TrustedKey, input: Buffer, signature: Buffer): boolean {
  try {
    switch (alg) {
      case 'RS256':
      case 'RS384':
      case 'RS512':
        return cryptoVerify(`sha${alg.slice(2)}`, input, key.key, signature);
      case 'PS256':
      case 'PS384':
      case 'PS512':
        return cryptoVerify(
          `sha${alg.slice(2)}`,
          input,
          {
            key: key.key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
          },
          signature,
        );
      case 'ES256':
        // JOSE carries ECDSA signatures as r||s (64 bytes), not DER.
        return (
          signature.length === 64 &&
          cryptoVerify('sha256', input, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature)
        );
      default:
        return false;
    }
  } catch {
    return false;
  }
}

const audList = (aud: unknown): string[] =>
  typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a) => typeof a === 'string') : [];

/** The clock checks of `#checkClaims` alone (exp, nbf, iat within the skew), for claims that passed the rest. */
function timesHold(claims: Claims, policy: ValidationPolicy, now: number): boolean {
  const skew = policy.clockSkewSeconds ?? 300;
  const { exp, nbf, iat } = claims;
  if (typeof exp === 'number' ? now - skew >= exp : (policy.requireExpiration ?? true)) return false;
  if (typeof nbf === 'number' && nbf > now + skew) return false;
  if (typeof iat === 'number' && iat > now + skew) return false;
  return true;
}

/** The tenant an Entra-style issuer names: `https://sts.windows.net/{tid}/`, `https://…/{tid}/v2.0`. */
export function tenantOfIssuer(iss: string): string | undefined {
  return /\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\/v2\.0)?\/?$/i
    .exec(iss)?.[1]
    ?.toLowerCase();
}

const ENTRA_V1_ISS = /^https:\/\/sts\.windows\.net\/[0-9a-f-]{36}\/$/i;
const ENTRA_V2_ISS = /^https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}\/v2\.0$/i;

/**
 * A `ver` that contradicts Entra's issuer string (security.md §1.6: v1/v2 confusion): v1 tokens come only from
 * `https://sts.windows.net/{tid}/`, v2 only from `https://login.microsoftonline.com/{tid}/v2.0`. Other issuers
 * (B2C issues `ver` 1.0 under a `/v2.0/` issuer) are not judged.
 */
function entraVersionClash(iss: string, ver: unknown): string | undefined {
  if (ver === undefined) return undefined;
  if (ENTRA_V1_ISS.test(iss) && ver !== '1.0') {
    return `The token has the v1 issuer ${iss} but says ver ${JSON.stringify(ver)}.`;
  }
  if (ENTRA_V2_ISS.test(iss) && ver !== '2.0') {
    return `The token has the v2 issuer ${iss} but says ver ${JSON.stringify(ver)}.`;
  }
  return undefined;
}

interface CacheEntry {
  /** The whole token: entries are found by signature, and only the very same token is a hit. */
  token: string;
  claims: Claims;
  header: Record<string, unknown>;
  kid: string;
  exp: number;
  /** The source whose key verified the signature: a hit under another source proves nothing. */
  source: KeySource;
  /**
   * The last policy every claim check passed under. The claims never change, so a hit under that same policy
   * object only needs the clock checks again (policies are built once per front and never mutated).
   */
  passed?: ValidationPolicy | undefined;
}

/** A cache hit may stand for a verification under `policy`: same key source, not expired, an allowed algorithm. */
function usableHit(hit: CacheEntry, policy: ValidationPolicy, nowSec: number): boolean {
  return (
    hit.source === policy.keys &&
    hit.exp > nowSec &&
    (policy.algorithms ?? DEFAULT_ALGS).includes(hit.header.alg as string)
  );
}

export interface ValidatorOptions {
  /**
   * Entries in the verified-token cache; 0 disables it. Default 10 000. A token enters on its second verification
   * within the last max(cacheSize, 1024) first verifications of other tokens.
   */
  cacheSize?: number | undefined;
  now?: (() => number) | undefined;
}

export class TokenValidator {
  /**
   * Verified tokens by the last 24 characters of their signature. A map lookup hashes its key, and every request
   * brings a new token string: finding the last dot and hashing the whole signature (342 characters for RS256)
   * were ~2 µs of each new token's validation in profiles. 24 base64url characters of a signature (≥ 132 random
   * bits) tell tokens apart as well; a hit must be the very same token, compared in full, and only verified
   * tokens are inserted.
   */
  readonly #cache = new Map<string, CacheEntry>();

  // The key of the last token looked up: a miss is followed by an insert of the same string (and, when keys must
  // be fetched, by validate's lookup), and a reused key object keeps its computed hash.
  #lastToken = '';
  #lastKey = '';

  #keyOf(token: string): string {
    if (token !== this.#lastToken) {
      this.#lastToken = token;
      this.#lastKey = token.length > CACHE_KEY_CHARS ? token.slice(-CACHE_KEY_CHARS) : token;
    }
    return this.#lastKey;
  }

  /**
   * Admission on second sight: a verified token enters the cache the second time it is verified. Tokens seen
   * once — a flood of distinct valid tokens, or a cycle longer than the cache — then cannot evict the tokens
   * callers keep reusing, and leave nothing long-lived behind (entries that would be evicted unused were most
   * of the fresh-token path's garbage-collection time). A reused token pays one extra verification.
   * The doorkeeper remembers a 30-bit fingerprint of each verified signature in a slot chosen by 14 more bits
   * (a signature is random, and only verified tokens get here): no allocation per token, a fixed 64 KiB. A slot
   * overwritten by another token forgets the first sight (that token is admitted a sight later); a fingerprint
   * collision admits a token a sight early. Both only move caching, never a decision.
   * It forgets everything after `#window` first sights (TinyLFU's reset): a token admitted after recurring
   * more slowly than that would be evicted by as many newer entries before its next use, so its entry would
   * only be garbage. Without the reset a 20,000-token cycle still admitted ~30 % of its tokens (slots that no
   * other token had overwritten) and churned the cache for no hit (bench/easyauth's fresh phase).
   */
  readonly #seen = new Uint32Array(1 << 14);
  readonly #window: number;
  #firstSights = 0;

  #admit(token: string): boolean {
    // The 8 signature characters before the last one (which may carry only 2 or 4 bits): base64url, 6 random bits
    // each. Only verified tokens get here, and every accepted algorithm's signature is at least 86 characters.
    const at = token.length - 9;
    if (at < 0) return false;
    let fp = 0;
    for (let i = 0; i < 5; i++) fp = (fp << 6) | B64URL_VALUE[token.charCodeAt(at + i) & 0x7f]!;
    const slot =
      (B64URL_VALUE[token.charCodeAt(at + 5) & 0x7f]! << 8) |
      (B64URL_VALUE[token.charCodeAt(at + 6) & 0x7f]! << 2) |
      (B64URL_VALUE[token.charCodeAt(at + 7) & 0x7f]! & 0x03);
    // +1: a zero slot means empty.
    const mark = fp + 1;
    if (this.#seen[slot] === mark) {
      this.#seen[slot] = 0;
      return true;
    }
    if (++this.#firstSights > this.#window) {
      this.#seen.fill(0);
      this.#firstSights = 1;
    }
    this.#seen[slot] = mark;
    return false;
  }

  #lookup(token: string): CacheEntry | undefined {
    const entry = this.#cache.get(this.#keyOf(token));
    return entry !== undefined && entry.token === token ? entry : undefined;
  }
  readonly #cacheSize: number;
  readonly #now: () => number;

  constructor(options: ValidatorOptions = {}) {
    this.#cacheSize = options.cacheSize ?? 10_000;
    // Small caches (tests, tight memory) still get a window of a thousand sights.
    this.#window = Math.max(this.#cacheSize, 1024);
    this.#now = options.now ?? Date.now;
  }

  /**
   * The answer for `token`, when it can be given without I/O — the key source's keys are fresh and hold the
   * token's key: a token verified before (same key source, an allowed algorithm, the key still trusted, then
   * every claim check at the current time), or a new one (parsed, checked and verified here). Undefined when only
   * `validate` can answer (keys due for a reload, or an unknown `kid` to look up). No promise, no microtask.
   */
  validateNow(token: string, policy: ValidationPolicy): ValidationResult | undefined {
    const attempt = this.#attempt(token, policy);
    return 'wait' in attempt ? undefined : attempt;
  }

  async validate(token: string | undefined, policy: ValidationPolicy): Promise<ValidationResult> {
    if (!token) {
      return fail('token_missing', 'No bearer token was sent.', {
        hint: 'Send Authorization: Bearer <access token> — for a managed identity, the access_token from IDENTITY_ENDPOINT.',
      });
    }
    const attempt = this.#attempt(token, policy);
    if (!('wait' in attempt)) return attempt;
    const { nowSec } = attempt;
    let checked: Checked;
    if (attempt.wait === 'hit') {
      // The key still trusted now (revocation, rotation out of JWKS; `key()` reloads when due).
      if ((await policy.keys.key(attempt.hit.kid)) !== undefined)
        return this.#answerHit(attempt.hit, policy, nowSec);
      const parsed = this.#parseChecked(token, policy, attempt.hit);
      if (!('signingInput' in parsed)) return parsed;
      checked = parsed;
    } else checked = attempt.checked;
    const key = await policy.keys.key(checked.kid);
    if (!key) {
      return fail(
        'key_unknown',
        `The token was signed with key "${checked.kid}", which ${policy.keys.description} does not publish.`,
        {
          actual: checked.kid,
          hint: 'The token comes from another issuer, or from keys that were revoked or reset (a new data folder?). Get a new token from the issuer this app trusts.',
        },
      );
    }
    return this.#verified(token, checked, key, policy, nowSec);
  }

  /**
   * Everything that needs no I/O: the answer, or what `validate` must fetch a key for — a usable cache hit whose
   * key is not at hand, or a parsed and header-checked token (so nothing is looked up or parsed twice).
   */
  #attempt(
    token: string,
    policy: ValidationPolicy,
  ):
    | ValidationResult
    | { wait: 'hit'; hit: CacheEntry; nowSec: number }
    | { wait: 'key'; checked: Checked; nowSec: number } {
    const nowSec = this.#now() / 1000;
    const hit = this.#lookup(token);
    if (hit && usableHit(hit, policy, nowSec)) {
      if (policy.keys.keyNow(hit.kid) === undefined) return { wait: 'hit', hit, nowSec };
      return this.#answerHit(hit, policy, nowSec);
    }
    const checked = this.#parseChecked(token, policy, hit);
    if (!('signingInput' in checked)) return checked;
    const key = policy.keys.keyNow(checked.kid);
    return key === undefined
      ? { wait: 'key', checked, nowSec }
      : this.#verified(token, checked, key, policy, nowSec);
  }

  /** A usable cache hit whose key is still trusted: the claim checks at `nowSec` (only the clock's under a policy it passed). */
  #answerHit(hit: CacheEntry, policy: ValidationPolicy, nowSec: number): ValidationResult {
    if (hit.passed !== policy || !timesHold(hit.claims, policy, nowSec)) {
      const failure = this.#checkClaims(hit.claims, hit.header, policy, nowSec);
      if (failure) return { ...failure, claims: hit.claims };
      hit.passed = policy;
    }
    return { ok: true, claims: hit.claims, header: hit.header, kid: hit.kid, cached: true };
  }

  /** Parses a token the cache cannot answer and checks its header: an allowed algorithm, no forbidden member, a kid. */
  #parseChecked(
    token: string,
    policy: ValidationPolicy,
    hit: CacheEntry | undefined,
  ): Checked | ValidationFailure {
    if (hit && hit.source === policy.keys) this.#cache.delete(this.#keyOf(token));
    const parsed = parse(token, policy.maxTokenBytes ?? 16 * 1024);
    if (!('signingInput' in parsed)) return parsed;
    const { header } = parsed;
    const algs = policy.algorithms ?? DEFAULT_ALGS;
    const alg = header.alg;
    if (typeof alg !== 'string' || !algs.includes(alg)) {
      return fail('alg_not_allowed', `The token's algorithm ${JSON.stringify(alg)} is not accepted.`, {
        expected: algs,
        actual: alg,
        hint: `Tokens must be signed with ${algs.join(' or ')}; "none" and HMAC are never accepted.`,
      });
    }
    const forbidden = FORBIDDEN_HEADERS.filter((name) => name in header);
    if (forbidden.length > 0) {
      return fail(
        'header_not_allowed',
        `The token header carries ${forbidden.join(', ')}, which access tokens must not use.`,
      );
    }
    // `cty: JWT` announces a nested token (security.md §1.1 step 4): the claims would be another token's.
    if (typeof header.cty === 'string' && /^(application\/)?jwt$/i.test(header.cty)) {
      return fail('header_not_allowed', 'The token header says cty "JWT": nested tokens are not accepted.', {
        actual: header.cty,
      });
    }
    if (typeof header.kid !== 'string' || header.kid === '' || header.kid.length > 256) {
      return fail('key_unknown', 'The token header has no usable "kid", so no trusted key can be chosen.');
    }
    return { ...parsed, alg, kid: header.kid };
  }

  /** Verifies a parsed token with `key`, caches it (on second sight), then checks its claims at `nowSec`. */
  #verified(
    token: string,
    c: Checked,
    key: TrustedKey,
    policy: ValidationPolicy,
    nowSec: number,
  ): ValidationResult {
    if (key.alg !== c.alg) {
      return fail('alg_not_allowed', `Key "${c.kid}" verifies ${key.alg}, but the token says ${c.alg}.`, {
        expected: key.alg,
        actual: c.alg,
      });
    }
    if (!verifySignature(c.alg, key, c.signingInput, c.signature)) {
      return fail('signature_invalid', `The signature does not verify with key "${c.kid}".`, {
        hint: 'The token was altered after it was issued, or signed by a different issuer that reuses the kid.',
      });
    }
    const exp = typeof c.claims.exp === 'number' ? c.claims.exp : Number.POSITIVE_INFINITY;
    if (this.#cacheSize > 0 && Number.isFinite(exp) && this.#admit(token)) {
      if (this.#cache.size >= this.#cacheSize) this.#evictOldest();
      this.#cache.set(this.#keyOf(token), {
        token,
        claims: c.claims,
        header: c.header,
        kid: c.kid,
        exp,
        source: policy.keys,
      });
    }
    const failure = this.#checkClaims(c.claims, c.header, policy, nowSec);
    if (failure) return { ...failure, claims: c.claims };
    return { ok: true, claims: c.claims, header: c.header, kid: c.kid, cached: false };
  }

  #checkClaims(
    claims: Claims,
    header: Record<string, unknown>,
    policy: ValidationPolicy,
    now: number,
  ): ValidationFailure | undefined {
    const skew = policy.clockSkewSeconds ?? 300;
    if (policy.types) {
      const typ =
        typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : undefined;
      if (!typ || !policy.types.map((t) => t.toLowerCase()).includes(typ)) {
        return fail('typ_not_allowed', `The token type ${JSON.stringify(header.typ)} is not accepted.`, {
          expected: policy.types,
          actual: header.typ,
        });
      }
    }
    for (const name of ['exp', 'nbf', 'iat'] as const) {
      if (
        claims[name] !== undefined &&
        (typeof claims[name] !== 'number' || !Number.isFinite(claims[name]))
      ) {
        return fail('token_malformed', `The "${name}" claim is not a number.`);
      }
    }
    const exp = claims.exp as number | undefined;
    if (exp === undefined) {
      if (policy.requireExpiration ?? true) {
        return fail(
          'expiration_missing',
          'The token has no "exp" claim; tokens that never expire are not accepted.',
        );
      }
    } else if (now - skew >= exp) {
      return fail(
        'expired',
        `The token expired at ${new Date(exp * 1000).toISOString()} (now ${new Date(now * 1000).toISOString()}, ${skew} s skew allowed).`,
        {
          expected: `exp after ${new Date((now - skew) * 1000).toISOString()}`,
          actual: new Date(exp * 1000).toISOString(),
          hint: 'Get a new token. Azure clients renew 5 minutes before expiry; a cached token past exp means the client ignored expires_on.',
        },
      );
    }
    const nbf = claims.nbf as number | undefined;
    if (nbf !== undefined && nbf > now + skew) {
      return fail('not_yet_valid', `The token is not valid before ${new Date(nbf * 1000).toISOString()}.`, {
        hint: "Check the clocks: the issuer's and this machine's differ by more than the allowed skew.",
      });
    }
    const iat = claims.iat as number | undefined;
    if (iat !== undefined && iat > now + skew) {
      return fail(
        'issued_in_future',
        `The token says it was issued at ${new Date(iat * 1000).toISOString()}, in the future.`,
        {
          hint: "Check the clocks: the issuer's and this machine's differ by more than the allowed skew.",
        },
      );
    }
    const iss = claims.iss;
    if (typeof iss !== 'string' || !policy.issuers.includes(iss)) {
      return fail(
        'issuer_mismatch',
        `The token was issued by ${JSON.stringify(iss)}, which this app does not trust.`,
        {
          expected: policy.issuers,
          actual: iss,
          hint: 'Get the token from the tenant this app belongs to; a v1 token (sts.windows.net) and a v2 token (login.microsoftonline.com/…/v2.0) have different issuers — trust both if both are expected.',
        },
      );
    }
    const versionClash = entraVersionClash(iss, claims.ver);
    if (versionClash) {
      return fail('issuer_mismatch', versionClash, {
        expected: iss.includes('/v2.0') ? '2.0' : '1.0',
        actual: claims.ver,
        hint: 'Entra issues v1 tokens from https://sts.windows.net/{tid}/ and v2 tokens from https://login.microsoftonline.com/{tid}/v2.0; a token mixing them was not issued by Entra or Lanyard.',
      });
    }
    if (policy.bindTenant ?? true) {
      const tenant = tenantOfIssuer(iss);
      if (tenant !== undefined && claims.tid !== undefined && claims.tid !== tenant) {
        return fail(
          'tenant_mismatch',
          `The token's tid ${String(claims.tid)} is not the tenant of its issuer (${tenant}).`,
          {
            expected: tenant,
            actual: claims.tid,
          },
        );
      }
    }
    const auds = audList(claims.aud);
    if (!auds.some((a) => policy.audiences.includes(a))) {
      const actual = auds.length === 1 ? auds[0] : auds;
      const known = auds.map((a) => WELL_KNOWN_AUDIENCES[a]).find((n) => n !== undefined);
      return fail('audience_mismatch', `The token is for ${JSON.stringify(actual)}, not for this app.`, {
        expected: policy.audiences,
        actual,
        hint: `${known ? `That is a token for ${known}. ` : ''}Request a token for ${policy.audiences[0] ?? "this app's appId"} instead (managed identity: resource=${policy.audiences[0] ?? '<appId>'}; client credentials: scope=${policy.audiences[0] ?? '<appId>'}/.default).`,
      });
    }
    if (policy.allowedTenants?.length && !policy.allowedTenants.includes(String(claims.tid))) {
      return fail('tenant_not_allowed', `Tenant ${String(claims.tid)} is not allowed.`, {
        expected: policy.allowedTenants,
        actual: claims.tid,
      });
    }
    const app = (claims.appid ?? claims.azp) as unknown;
    if (policy.allowedApplications?.length && !policy.allowedApplications.includes(String(app))) {
      return fail(
        'application_not_allowed',
        `The calling application ${String(app)} is not in the allowed applications.`,
        {
          expected: policy.allowedApplications,
          actual: app,
          hint: `Add ${String(app)} to allowedApplications, or remove that restriction (a common cause: "allow requests only from this application itself").`,
        },
      );
    }
    if (policy.allowedPrincipals?.length && !policy.allowedPrincipals.includes(String(claims.oid))) {
      return fail(
        'principal_not_allowed',
        `The calling principal ${String(claims.oid)} is not in the allowed identities.`,
        {
          expected: policy.allowedPrincipals,
          actual: claims.oid,
          hint: `Add its object id ${String(claims.oid)} to allowedPrincipals.identities.`,
        },
      );
    }
    for (const req of policy.requiredClaims ?? []) {
      const raw = claims[req.name];
      const present = Array.isArray(raw) ? raw.map(String) : raw === undefined ? [] : [String(raw)];
      const ok =
        req.values.length === 0
          ? raw !== undefined
          : req.match === 'all'
            ? req.values.every((v) => present.includes(v))
            : req.values.some((v) => present.includes(v));
      if (!ok) {
        const reason: FailureReason = req.name === 'roles' ? 'role_missing' : 'claim_missing';
        return fail(
          reason,
          `The token's "${req.name}" claim is ${present.length ? JSON.stringify(present) : 'missing'}; ${req.match === 'all' ? 'all' : 'one'} of ${JSON.stringify(req.values)} is required.`,
          {
            expected: req.values,
            actual: present,
            ...(req.name === 'roles'
              ? {
                  hint: `Assign the caller the role: lanyard role assign --principal ${String(claims.oid)} --app ${auds[0] ?? '<app>'} --role ${req.values[0]}; then get a new token.`,
                }
              : {}),
          },
        );
      }
    }
    return undefined;
  }

  /**
   * Drops the oldest sixteenth of the cache in one pass. One `keys().next()` + `delete` per insert costs O(size)
   * in V8, whose Map keeps deleted entries at its front until it rehashes: ~10 µs per new token on a full
   * 10,000-entry cache (bench/easyauth, docs/performance.md), against well under 1 µs this way.
   */
  #evictOldest(): void {
    let drop = Math.max(1, this.#cacheSize >> 4);
    for (const key of this.#cache.keys()) {
      this.#cache.delete(key);
      if (--drop === 0) break;
    }
  }

  /** Forgets every verified token (e.g. after an emergency key revocation). */
  clear(): void {
    this.#cache.clear();
    this.#seen.fill(0);
    this.#firstSights = 0;
  }
}
