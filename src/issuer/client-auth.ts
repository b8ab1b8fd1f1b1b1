/**
 * @module issuer/client-auth
 * Who is asking for a token, and how they prove it (RFC 6749 §2.3, RFC 7523): a client secret (in the body or
 * HTTP Basic, not both), or a `client_assertion` JWT — signed by one of the app's registered certificates
 * (`iss` = `sub` = client_id; RS256 with `x5t`, or PS256 with `x5t#S256` as MSAL sends), or issued by an
 * external OIDC issuer that a federated identity credential trusts.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import type { ClientPrincipal } from '../directory/lookups.ts';
import type { Tenant } from '../directory/types.ts';
import { parseStrictObject, StrictJsonError } from '../encoding/strict-json.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { AadstsError } from './aadsts.ts';
import type { ClientAuthStrength } from './claims.ts';
import type { ClientLookups } from './directory-cache.ts';
import type { FederationVerifier } from './federation.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface ClientCredentials {
  clientId: string | undefined;
  clientSecret: string | undefined;
  clientAssertion: string | undefined;
  clientAssertionType: string | undefined;
}

export interface AuthenticatedClient {
  client: ClientPrincipal;
  acr: ClientAuthStrength;
  method: 'client_secret' | 'certificate' | 'federated';
}

export interface ClientAuthContext {
  /** The directory, or the issuer's cache of it. */
  directory: ClientLookups;
  federation: FederationVerifier;
  /** Token endpoint URLs a certificate assertion's `aud` may name. */
  audiences: readonly string[];
  now: Date;
  /** The longest lifetimes accepted; the defaults below unless configured (`assertionLimitsFromEnv`). */
  limits?: AssertionLimits | undefined;
}

export interface AssertionLimits {
  /** Seconds a certificate assertion may live (`LANYARD_ASSERTION_MAX_SECONDS`, default 3600). */
  readonly certificateSeconds: number;
  /** Seconds a federated token may live (`LANYARD_FEDERATED_ASSERTION_MAX_SECONDS`, default 86400). */
  readonly federatedSeconds: number;
}

const MAX_ASSERTION = 16 * 1024;

/**
 * The longest lifetime (`exp` − `nbf`, else − `iat`, else − now) of a certificate assertion: MSAL signs them for
 * 10 minutes and other SDKs for 10 minutes to an hour. A longer-lived assertion is a reusable credential if it
 * leaks (MSAL reuses one for several requests, so `jti` is not a replay guard).
 */
export const MAX_CERTIFICATE_ASSERTION_SECONDS = 3600;
/**
 * The longest lifetime of a federated token: Kubernetes service-account tokens (workload identity) last an hour
 * by default and may be set up to a day; GitHub Actions tokens last minutes.
 */
export const MAX_FEDERATED_ASSERTION_SECONDS = 86_400;

function lifetimeSetting(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  // A week bounds it: an assertion that lives longer is a long-lived credential, whatever the setting.
  if (!Number.isInteger(n) || n < 60 || n > 7 * 86_400) {
    throw new LanyardError('ERR_VALIDATION', `${name} must be a whole number of seconds from 60 to 604800`, {
      hint: 'Unset it for the default (docs/security.md, "Client assertions").',
    });
  }
  return n;
}

/** The assertion lifetime bounds from the environment; what is unset keeps its default. */
export function assertionLimitsFromEnv(env: Readonly<Record<string, string | undefined>>): AssertionLimits {
  return {
    certificateSeconds: lifetimeSetting(
      env,
      'LANYARD_ASSERTION_MAX_SECONDS',
      MAX_CERTIFICATE_ASSERTION_SECONDS,
    ),
    federatedSeconds: lifetimeSetting(
      env,
      'LANYARD_FEDERATED_ASSERTION_MAX_SECONDS',
      MAX_FEDERATED_ASSERTION_SECONDS,
    ),
  };
}

/** AADSTS700024 when the verified assertion was made to live longer than `max` seconds. */
function checkLifetime(payload: JWTPayload, max: number, now: Date): void {
  if (typeof payload.exp !== 'number') return; // required and checked by verification
  const start =
    typeof payload.nbf === 'number'
      ? payload.nbf
      : typeof payload.iat === 'number'
        ? payload.iat
        : Math.floor(now.getTime() / 1000);
  const lifetime = payload.exp - start;
  if (lifetime > max) {
    throw new AadstsError(
      700024,
      `Client assertion is not within its valid time range: it is valid for ${lifetime} s (exp − ${typeof payload.nbf === 'number' ? 'nbf' : typeof payload.iat === 'number' ? 'iat' : 'now'}), more than the ${max} s allowed.`,
      'Lanyard: sign assertions that expire within minutes of their nbf (MSAL uses 10 minutes).',
    );
  }
}

/**
 * A thumbprint header (`x5t`, `x5t#S256`) as upper-case hex. base64url with or without `=` padding: RFC 7515
 * says unpadded, but Python MSAL pads it (`base64.urlsafe_b64encode`). Undefined unless it decodes to `bytes`.
 */
function thumbprintHex(s: string, bytes: number): string | undefined {
  const m = /^([A-Za-z0-9_-]+)(={0,2})$/.exec(s);
  if (!m || (m[2] !== '' && s.length % 4 !== 0)) return undefined;
  const raw = Buffer.from(m[1]!, 'base64url');
  return raw.length === bytes ? raw.toString('hex').toUpperCase() : undefined;
}

/** A header value as the client sent it, for an error description: printable ASCII, at most 64 characters. */
function shown(v: unknown): string {
  if (v === undefined) return '(none)';
  const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
}

/**
 * Refuses an assertion whose header or claims repeat a member name: `"aud":"https://evil","aud":<endpoint>`
 * would be read as the last value by one parser and the first by another (the validator's strict parser).
 */
function assertStrictJson(token: string): void {
  const parts = token.split('.');
  if (parts.length !== 3) return; // not a JWS: decoding refuses it
  for (const [i, what] of [
    [0, 'header'],
    [1, 'claims'],
  ] as const) {
    try {
      parseStrictObject(Buffer.from(parts[i]!, 'base64url').toString('utf8'));
    } catch (err) {
      throw new AadstsError(
        50027,
        `JWT token is invalid or malformed (client_assertion): its ${what} is not strict JSON (${err instanceof StrictJsonError ? err.message : 'not JSON'}).`,
        'Lanyard: each header parameter and claim must appear once.',
      );
    }
  }
}

function notFound(clientId: string, tenant: Tenant): AadstsError {
  return new AadstsError(
    700016,
    `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    'Lanyard: check the client id (`lanyard app list`, `lanyard identity list`) and the tenant in the token URL.',
  );
}

export async function authenticateClient(
  tenant: Tenant,
  creds: ClientCredentials,
  ctx: ClientAuthContext,
): Promise<AuthenticatedClient> {
  if (!creds.clientId) {
    throw new AadstsError(900144, "The request body must contain the following parameter: 'client_id'.");
  }
  const client = await ctx.directory.findClient(tenant.id, creds.clientId);
  if (!client) throw notFound(creds.clientId, tenant);

  if (creds.clientSecret !== undefined && creds.clientAssertion !== undefined) {
    throw new AadstsError(
      90014,
      'Only one client authentication method may be used: client_secret or client_assertion.',
    );
  }
  if (creds.clientSecret !== undefined) {
    if (!client.appObjectId) {
      throw new AadstsError(
        7000215,
        `Invalid client secret provided. '${client.clientId}' is a managed identity and has no client secrets.`,
        'Lanyard: managed identities get tokens from the managed-identity endpoint (`lanyard run --as <resource>`).',
      );
    }
    const check = await ctx.directory.verifyClientSecret(client.appObjectId, creds.clientSecret);
    if (check.ok) return { client, acr: '1', method: 'client_secret' };
    if (check.reason === 'expired') {
      throw new AadstsError(
        7000222,
        `The provided client secret keys for app '${client.clientId}' are expired.`,
        `Lanyard: create a new one with \`lanyard app secret add --app ${client.clientId}\`.`,
      );
    }
    throw new AadstsError(
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
    );
  }
  if (creds.clientAssertion !== undefined) {
    if (creds.clientAssertionType !== JWT_BEARER) {
      throw new AadstsError(
        900144,
        `The request body must contain the following parameter: 'client_assertion_type' with the value '${JWT_BEARER}'.`,
      );
    }
    return assertion(client, creds.clientAssertion, ctx);
  }
  throw new AadstsError(
    7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  );
}

async function assertion(
  client: ClientPrincipal,
  token: string,
  ctx: ClientAuthContext,
): Promise<AuthenticatedClient> {
  let payload: JWTPayload;
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    if (token.length > MAX_ASSERTION) throw new Error('too large');
    header = decodeProtectedHeader(token);
    payload = decodeJwt(token);
  } catch {
    throw new AadstsError(50027, 'JWT token is invalid or malformed (client_assertion).');
  }
  assertStrictJson(token);
  // A certificate assertion is issued by the client itself; anything else is a federated token.
  if (payload.iss === client.clientId && payload.sub === client.clientId) {
    const auth = await certificateAssertion(client, token, header, ctx);
    checkLifetime(payload, ctx.limits?.certificateSeconds ?? MAX_CERTIFICATE_ASSERTION_SECONDS, ctx.now);
    return auth;
  }
  const credentials = await ctx.directory.federatedCredentialsOf(client);
  await ctx.federation.verify(token, payload, credentials);
  checkLifetime(payload, ctx.limits?.federatedSeconds ?? MAX_FEDERATED_ASSERTION_SECONDS, ctx.now);
  return { client, acr: '2', method: 'federated' };
}

async function certificateAssertion(
  client: ClientPrincipal,
  token: string,
  header: ReturnType<typeof decodeProtectedHeader>,
  ctx: ClientAuthContext,
): Promise<AuthenticatedClient> {
  if (!client.appObjectId) {
    throw new AadstsError(
      700027,
      `Client assertion contains an invalid signature. [Reason - '${client.clientId}' is a managed identity and has no certificates.]`,
    );
  }
  const sha256 = typeof header['x5t#S256'] === 'string' ? thumbprintHex(header['x5t#S256'], 32) : undefined;
  const sha1 = typeof header.x5t === 'string' ? thumbprintHex(header.x5t, 20) : undefined;
  const cert = await ctx.directory.certificateOf(client.appObjectId, { sha1, sha256 });
  if (!cert) {
    throw new AadstsError(
      700027,
      `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${sha256 ?? sha1 ?? '(none)'}']. Header x5t#S256: '${shown(header['x5t#S256'])}', x5t: '${shown(header.x5t)}'.`,
      `Lanyard: register the certificate with \`lanyard app cert add --app ${client.clientId} --file cert.pem\`; the assertion header must carry x5t or x5t#S256.`,
    );
  }
  const now = ctx.now.getTime();
  if (now < Date.parse(cert.startDateTime) || now >= Date.parse(cert.endDateTime)) {
    throw new AadstsError(
      700027,
      `Client assertion contains an invalid signature. [Reason - The certificate ${cert.thumbprint} is not within its validity period.]`,
    );
  }
  const key = createPublicKey(
    new X509Certificate(cert.certificatePem).publicKey.export({ type: 'spki', format: 'pem' }),
  );
  // No jti replay check: MSAL reuses one assertion for up to ten minutes across token requests (Python MSAL's
  // AutoRefresher keeps it for 9 of its 10 minutes), as Entra allows; the lifetime bound limits the reuse.
  try {
    await jwtVerify(token, key, {
      algorithms: ['RS256', 'PS256', 'ES256'],
      audience: [...ctx.audiences],
      issuer: client.clientId,
      subject: client.clientId,
      clockTolerance: 300,
      requiredClaims: ['exp', 'aud'],
      currentDate: ctx.now,
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    // Only time and claim checks are AADSTS700024; anything else (bad signature, an algorithm that does not
    // fit the certificate's key, a malformed JWS) means the signature was not proved.
    if (code !== 'ERR_JWT_EXPIRED' && code !== 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
      throw new AadstsError(
        700027,
        `Client assertion failed signature validation. [Reason - ${(err as Error).message}]`,
      );
    }
    const audHint =
      (err as { claim?: string }).claim === 'aud'
        ? ` Its aud must be the token endpoint URL, e.g. ${ctx.audiences[0]}.`
        : '';
    throw new AadstsError(
      700024,
      `Client assertion is not within its valid time range or has invalid claims: ${(err as Error).message}.${audHint}`,
    );
  }
  return { client, acr: '2', method: 'certificate' };
}
