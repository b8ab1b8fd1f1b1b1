/**
 * @module easyauth/principal
 * The identity headers an app behind Easy Auth reads, built exactly as App Service builds them
 * (docs/protocols.md, "Easy Auth identity headers"): `X-MS-CLIENT-PRINCIPAL` is standard base64 (not base64url, no BOM) of UTF-8 JSON
 * `{auth_typ, claims:[{typ,val}], name_typ, role_typ}` — the field names of the Functions host's
 * `ClaimsIdentitySlim` — with Entra's default claim-name mapping (`oid` → …/objectidentifier, `tid` →
 * …/tenantid, …), one entry per value of a multi-valued claim, every `val` a string; `roles` keeps its short
 * name (legacy mapping, `role_typ: "roles"`). Also `/.auth/me`'s body for a bearer caller.
 */
import type { Claims } from '../validator/validator.ts';

export const NAME_TYPE = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';
export const ROLE_TYPE = 'roles';

/** Entra's default inbound claim mapping (as System.IdentityModel maps JWT names). */
export const CLAIM_TYPE_MAP: Readonly<Record<string, string>> = {
  oid: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  tid: 'http://schemas.microsoft.com/identity/claims/tenantid',
  scp: 'http://schemas.microsoft.com/identity/claims/scope',
  idp: 'http://schemas.microsoft.com/identity/claims/identityprovider',
  amr: 'http://schemas.microsoft.com/claims/authnmethodsreferences',
  sub: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  unique_name: NAME_TYPE,
  given_name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  family_name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
};

export interface ClaimSlim {
  typ: string;
  val: string;
}

export interface ClientPrincipal {
  auth_typ: 'aad';
  claims: ClaimSlim[];
  name_typ: string;
  role_typ: string;
}

function values(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap(values);
  return [typeof value === 'object' ? JSON.stringify(value) : String(value)];
}

/** The token's claims as App Service lists them, in token order. */
export function principalClaims(claims: Claims): ClaimSlim[] {
  const out: ClaimSlim[] = [];
  for (const [name, value] of Object.entries(claims)) {
    const typ = CLAIM_TYPE_MAP[name] ?? name;
    for (const val of values(value)) out.push({ typ, val });
  }
  return out;
}

export function clientPrincipal(claims: Claims): ClientPrincipal {
  return { auth_typ: 'aad', claims: principalClaims(claims), name_typ: NAME_TYPE, role_typ: ROLE_TYPE };
}

/** `{"typ":"<mapped name>","val":` per claim name, built once (bounded: names come from verified tokens). */
const claimPrefixes = new Map<string, string>();
function claimPrefix(name: string): string {
  let prefix = claimPrefixes.get(name);
  if (prefix === undefined) {
    prefix = `{"typ":${JSON.stringify(CLAIM_TYPE_MAP[name] ?? name)},"val":`;
    if (claimPrefixes.size < 512) claimPrefixes.set(name, prefix);
  }
  return prefix;
}
const PRINCIPAL_TAIL = `],"name_typ":${JSON.stringify(NAME_TYPE)},"role_typ":${JSON.stringify(ROLE_TYPE)}}`;

/** One claim value as the JSON string App Service writes (objects as their JSON text). */
function valueJson(value: unknown): string {
  return JSON.stringify(
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value),
  );
}

/**
 * `JSON.stringify(clientPrincipal(claims))`, written directly: no object or array per claim, each claim's
 * `typ` quoted once per name (this runs for every new token a front sees). Tested to give the same text.
 */
export function clientPrincipalJson(claims: Claims): string {
  let out = '{"auth_typ":"aad","claims":[';
  let sep = '';
  for (const name of Object.keys(claims)) {
    const value = claims[name];
    if (value === undefined || value === null) continue;
    const prefix = claimPrefix(name);
    if (Array.isArray(value)) {
      for (const v of value.flat(Number.POSITIVE_INFINITY)) {
        if (v === undefined || v === null) continue;
        out += `${sep}${prefix}${valueJson(v)}}`;
        sep = ',';
      }
    } else {
      out += `${sep}${prefix}${valueJson(value)}}`;
      sep = ',';
    }
  }
  return out + PRINCIPAL_TAIL;
}

/** The caller's id: the object id, as App Service uses for Entra (`sub` when a token has none). */
export function principalId(claims: Claims): string {
  return String(claims.oid ?? claims.sub ?? '');
}

/**
 * A readable name: a user's sign-in name, else (app-only tokens carry none) the object id. What App Service
 * sends for app-only tokens is not documented (docs/protocols.md, "Open questions").
 */
export function principalName(claims: Claims): string {
  for (const name of ['preferred_username', 'upn', 'unique_name', 'email', 'name']) {
    if (typeof claims[name] === 'string' && claims[name] !== '') return claims[name] as string;
  }
  return principalId(claims);
}

export interface PrincipalHeaders {
  principal: string;
  id: string;
  name: string;
}

const cache = new WeakMap<Claims, PrincipalHeaders>();

/**
 * A claim as a header value: control characters (a signed claim may hold CR/LF) become spaces, and text beyond
 * Latin-1 is sent as its UTF-8 bytes, which is what servers read from the wire.
 */
function headerValue(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return /^[\x20-\x7e]*$/.test(clean) ? clean : Buffer.from(clean, 'utf8').toString('latin1');
}

/**
 * The header values for verified claims. `remember`: the validator hands back the same claims object for a token
 * it serves from its cache, so for those the values are kept (a repeated token encodes nothing again); a token
 * verified afresh is not kept — most are seen once, and a WeakMap entry per request only made work for the GC.
 */
export function principalHeaders(claims: Claims, remember = true): PrincipalHeaders {
  let hit = cache.get(claims);
  if (!hit) {
    hit = {
      principal: Buffer.from(clientPrincipalJson(claims), 'utf8').toString('base64'),
      id: headerValue(principalId(claims)),
      name: headerValue(principalName(claims)),
    };
    if (remember) cache.set(claims, hit);
  }
  return hit;
}

/**
 * Appends the identity headers App Service sends an app for a bearer caller (name, value, …) to a flat header
 * list: `X-MS-CLIENT-PRINCIPAL`, `-ID`, `-NAME`, `-IDP` and `X-MS-TOKEN-AAD-ACCESS-TOKEN`. `remember` as for
 * `principalHeaders`.
 */
export function pushIdentityHeaders(
  headers: string[],
  claims: Claims,
  accessToken: string,
  remember = true,
): void {
  const p = principalHeaders(claims, remember);
  headers.push(
    'x-ms-client-principal',
    p.principal,
    'x-ms-client-principal-id',
    p.id,
    'x-ms-client-principal-name',
    p.name,
    'x-ms-client-principal-idp',
    'aad',
    'x-ms-token-aad-access-token',
    accessToken,
  );
}

/** `expires_on` as App Service writes it: ISO 8601 with seven fractional digits. */
function iso7(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

/** `/.auth/me` for a bearer caller: an array with one provider entry (the token store's shape). */
export function authMeBody(claims: Claims, accessToken: string): unknown[] {
  return [
    {
      access_token: accessToken,
      ...(typeof claims.exp === 'number' ? { expires_on: iso7(claims.exp) } : {}),
      provider_name: 'aad',
      user_claims: principalClaims(claims),
      user_id: principalName(claims),
    },
  ];
}
