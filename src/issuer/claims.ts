/**
 * @module issuer/claims
 * The claims of an app-only access token, as Entra issues them (docs/protocols.md, "Access token claims"). The token's
 * version follows the *resource* app's `accessTokenAcceptedVersion`, whatever endpoint was called: v1 carries
 * `appid`/`appidacr` and `aud` exactly as requested; v2 carries `azp`/`azpacr` and `aud` = the appId.
 * `idp` is in v1 tokens only (equal to `iss`: Entra's v2 app-only tokens leave it out). The resource app's
 * optional claims (directory/optional-claims.ts) add `idtyp`, a GUID `aud` in v1, and, for some Microsoft
 * resources, `xms_tcdt`; nothing is added that the resource did not ask for.
 */
import { randomBytes } from 'node:crypto';
import type { ClientPrincipal, ResourceApp } from '../directory/lookups.ts';
import type { OptionalClaim } from '../directory/types.ts';

/** How the client proved itself: Entra's `appidacr`/`azpacr` ("0" public, "1" secret, "2" certificate / MI). */
export type ClientAuthStrength = '0' | '1' | '2';

export interface IssuerNames {
  /** `iss` of v1 tokens for a tenant. */
  v1(tenantId: string): string;
  /** `iss` of v2 tokens for a tenant. */
  v2(tenantId: string): string;
}

/**
 * Entra's own issuer strings, the default. Copied validators (`<issuer>https://sts.windows.net/{tid}/</issuer>`)
 * then work unchanged, and MSAL accepts a Microsoft-host issuer from any authority.
 */
export const ENTRA_ISSUERS: IssuerNames = {
  v1: (tid) => `https://sts.windows.net/${tid}/`,
  v2: (tid) => `https://login.microsoftonline.com/${tid}/v2.0`,
};

/** Issuers on Lanyard's own origin, for validators that must not see Microsoft's names. */
export function selfIssuers(origin: string): IssuerNames {
  return { v1: (tid) => `${origin}/${tid}/`, v2: (tid) => `${origin}/${tid}/v2.0` };
}

export interface TokenRequestFacts {
  client: ClientPrincipal;
  resource: ResourceApp;
  /** When the resource's tenant was created (ISO 8601): `xms_tcdt`, for the resources that ask for it. */
  tenantCreatedAt: string;
  /** The identifier exactly as the client named the resource (v1 `aud`). */
  requestedAs: string;
  roles: string[];
  acr: ClientAuthStrength;
  issuers: IssuerNames;
  now: Date;
  lifetimeSeconds: number;
}

export interface AccessTokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  aio: string;
  idp?: string;
  idtyp?: 'app';
  oid: string;
  rh: string;
  roles?: string[];
  sub: string;
  tid: string;
  uti: string;
  ver: '1.0' | '2.0';
  appid?: string;
  appidacr?: ClientAuthStrength;
  azp?: string;
  azpacr?: ClientAuthStrength;
  xms_mirid?: string;
  xms_tcdt?: number;
  [claim: string]: unknown;
}

// Random claim values come from a pool filled 8 KiB at a time: one CSPRNG call per ~80 tokens instead of
// three per token (each call has a fixed cost that showed in the token endpoint's profile).
const POOL_SIZE = 8192;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;
function opaque(n: number): string {
  if (poolOffset + n > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const text = pool.toString('base64url', poolOffset, poolOffset + n);
  poolOffset += n;
  return text;
}

/** Entra back-dates `iat`/`nbf` by five minutes so that slightly slow clocks accept a fresh token. */
export const BACKDATE_SECONDS = 300;

function asked(claims: readonly OptionalClaim[], name: string): OptionalClaim | undefined {
  for (const claim of claims) if (claim.name === name) return claim;
  return undefined;
}

export function buildClaims(f: TokenRequestFacts): AccessTokenClaims {
  const now = Math.floor(f.now.getTime() / 1000);
  const version = f.resource.accessTokenAcceptedVersion;
  const tid = f.resource.tenantId;
  const iss = version === 2 ? f.issuers.v2(tid) : f.issuers.v1(tid);
  const optional = f.resource.accessTokenClaims;
  // v1 `aud` is the identifier as requested, unless the resource asked for its appId (aud + use_guid).
  const audAsGuid =
    version === 2 || asked(optional, 'aud')?.additionalProperties.includes('use_guid') === true;
  // Filled in Entra's order (a payload's members are serialised in insertion order); the rest follow.
  const claims = {
    aud: audAsGuid ? f.resource.appId : f.requestedAs,
    iss,
    iat: now - BACKDATE_SECONDS,
    nbf: now - BACKDATE_SECONDS,
    exp: now + f.lifetimeSeconds,
    aio: opaque(36),
  } as AccessTokenClaims;
  if (version === 1) claims.idp = iss;
  if (asked(optional, 'idtyp')) claims.idtyp = 'app';
  claims.oid = f.client.principalId;
  claims.rh = `0.${opaque(48)}.`;
  claims.sub = f.client.principalId;
  claims.tid = tid;
  claims.uti = opaque(16);
  claims.ver = version === 2 ? '2.0' : '1.0';
  if (f.roles.length > 0) claims.roles = f.roles;
  if (version === 2) {
    claims.azp = f.client.clientId;
    claims.azpacr = f.acr;
  } else {
    claims.appid = f.client.clientId;
    claims.appidacr = f.acr;
  }
  if (f.client.miResourceId) claims.xms_mirid = f.client.miResourceId;
  if (asked(optional, 'xms_tcdt')) claims.xms_tcdt = Math.floor(Date.parse(f.tenantCreatedAt) / 1000);
  return claims;
}
