/**
 * @module gateway/policies/token-checks
 * What `validate-jwt` and `validate-azure-ad-token` share: where the token is read from (a header, a query
 * parameter or an expression, with the `Bearer` scheme), the `audiences`, `issuers` and `required-claims`
 * elements and their checks, the validator's answer turned into APIM's `LastError.Reason` and message, and the
 * refusal — `failed-validation-httpcode` (401 by default) with APIM's JSON body, the custom
 * `failed-validation-error-message` when given, and Lanyard's hint (what was expected and what the token had,
 * never the token itself) in `x-lanyard-hint`.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { ValidationFailure } from '../../validator/result.ts';
import type { ExpressionContext } from '../expressions/index.ts';
import {
  constant,
  type Dynamic,
  int,
  oneOf,
  onlyChildren,
  readAttributes,
  readText,
  resolve,
  str,
} from '../policy/attributes.ts';
import type { CompileContext } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import type { ParsedElement } from '../policy/parse-xml.ts';
import type { GatewayContext } from '../runtime/context.ts';
import { GatewayRefusal } from '../runtime/refusal.ts';

/** A header value or query parameter longer than this is not read as a token (the validator's own bound). */
const MAX_TOKEN_CHARS = 16 * 1024;

/** The attributes both policies take for the token and the failure. */
export const FAILURE_ATTRIBUTES = {
  'header-name': str({ expressions: true }),
  'query-parameter-name': str({ expressions: true }),
  'token-value': str({ expressions: true }),
  'failed-validation-httpcode': int({ min: 100, max: 599, expressions: true }),
  'failed-validation-error-message': str({ expressions: true }),
  'output-token-variable-name': str(),
} as const;

export type TokenLocation =
  | { readonly kind: 'header'; readonly name: Dynamic<string> }
  | { readonly kind: 'query'; readonly name: Dynamic<string> }
  | { readonly kind: 'value'; readonly value: Dynamic<string> };

/**
 * Exactly one of `header-name`, `query-parameter-name`, `token-value`; `fallbackHeader` when none is given and
 * the policy has a default (validate-azure-ad-token reads `Authorization`).
 */
export function tokenLocation(
  element: ParsedElement,
  a: {
    readonly 'header-name'?: Dynamic<string> | undefined;
    readonly 'query-parameter-name'?: Dynamic<string> | undefined;
    readonly 'token-value'?: Dynamic<string> | undefined;
  },
  fallbackHeader?: string,
): TokenLocation {
  const given = (['header-name', 'query-parameter-name', 'token-value'] as const).filter(
    (n) => a[n] !== undefined,
  );
  if (given.length > 1) {
    throw new PolicyLoadError(
      element.valuePositions.get(given[1]!) ?? element.position,
      `<${element.name}> takes one of header-name, query-parameter-name and token-value, not ${given.join(' and ')}`,
    );
  }
  if (a['header-name']) return { kind: 'header', name: a['header-name'] };
  if (a['query-parameter-name']) return { kind: 'query', name: a['query-parameter-name'] };
  if (a['token-value']) return { kind: 'value', value: a['token-value'] };
  if (fallbackHeader !== undefined) return { kind: 'header', name: constant(fallbackHeader) };
  throw new PolicyLoadError(
    element.position,
    `<${element.name}> needs one of header-name, query-parameter-name or token-value`,
    'Copied Entra samples read header-name="Authorization".',
  );
}

/** Why no token could be read, or the token. */
export type TokenRead = { readonly token: string } | { readonly missing: string };

/**
 * The token for this request. From `Authorization`, a `Bearer ` prefix is dropped (with or without
 * `require-scheme`, as APIM does); with `require-scheme` the value must start with that scheme. A custom
 * header ignores `require-scheme`. `token-value` is the token as is.
 */
export function readToken(
  ctx: GatewayContext,
  view: () => ExpressionContext,
  location: TokenLocation,
  scheme: string | undefined,
): TokenRead {
  if (location.kind === 'value') {
    const token = resolve(location.value, view).trim();
    return token ? { token } : { missing: 'The token-value expression gave an empty value.' };
  }
  const name = resolve(location.name, view);
  let raw: string | undefined;
  if (location.kind === 'header') {
    raw = ctx.request.headers.joined(name);
    if (raw === undefined) return { missing: `The request has no ${name} header.` };
  } else {
    const values = ctx.originalUrl.searchParams.getAll(name);
    if (values.length === 0) return { missing: `The request has no query parameter ${name}.` };
    raw = values.join(',');
  }
  if (raw.length > MAX_TOKEN_CHARS) return { token: raw.slice(0, MAX_TOKEN_CHARS + 1) };
  let value = raw.trim();
  const isAuthorization = location.kind === 'header' && name.toLowerCase() === 'authorization';
  if (scheme && isAuthorization) {
    const prefix = `${scheme} `;
    if (value.toLowerCase() === scheme.toLowerCase()) return { missing: `The ${name} value holds no token.` };
    if (value.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) {
      return {
        missing: `The ${name} header does not start with the scheme "${scheme}" this policy requires (it starts with "${value.split(' ')[0]!.slice(0, 20)}").`,
      };
    }
    value = value.slice(prefix.length).trim();
  } else if (/^bearer(\s|$)/i.test(value)) {
    value = value.slice(6).trim();
  }
  return value ? { token: value } : { missing: `The ${name} value holds no token.` };
}

/** A list element's entries (`<audiences><audience>…`), each a value; refused when the list is empty. */
export function readList(
  element: ParsedElement | undefined,
  child: string,
  cc: CompileContext,
): Dynamic<string>[] | undefined {
  if (!element) return undefined;
  readAttributes(element, {}, cc);
  onlyChildren(element, [child]);
  if (element.children.length === 0) {
    throw new PolicyLoadError(element.position, `<${element.name}> needs at least one <${child}>`);
  }
  return element.children.map((c) => {
    readAttributes(c, {}, cc);
    onlyChildren(c, []);
    const v = readText(c, str({ expressions: true }), cc);
    if (v === undefined || (v.kind === 'constant' && v.value.trim() === '')) {
      throw new PolicyLoadError(c.position, `<${child}> is empty`);
    }
    return v.kind === 'constant' ? { ...v, value: v.value.trim() } : v;
  });
}

/** The one child of this name, or undefined; refused when repeated. */
export function single(element: ParsedElement, name: string): ParsedElement | undefined {
  const found = element.children.filter((c) => c.name === name);
  if (found.length > 1) throw new PolicyLoadError(found[1]!.position, `<${name}> appears twice`);
  return found[0];
}

export interface ClaimRule {
  readonly name: string;
  readonly match: 'all' | 'any';
  readonly separator: string | undefined;
  readonly values: readonly Dynamic<string>[];
}

/** `<required-claims><claim name match separator><value>…</value>*</claim>+</required-claims>`. */
export function readRequiredClaims(element: ParsedElement | undefined, cc: CompileContext): ClaimRule[] {
  if (!element) return [];
  readAttributes(element, {}, cc);
  onlyChildren(element, ['claim']);
  return element.children.map((c) => {
    const a = readAttributes(
      c,
      {
        name: str({ required: true }),
        match: oneOf(['all', 'any'] as const),
        separator: str(),
      },
      cc,
    );
    onlyChildren(c, ['value']);
    const name = (a.name as { value: string }).value;
    if (name.trim() === '') throw new PolicyLoadError(c.position, '<claim> has an empty name');
    const separator = a.separator ? (a.separator as { value: string }).value : undefined;
    return {
      name,
      match: a.match ? (a.match as { value: 'all' | 'any' }).value : 'all',
      separator: separator === '' ? undefined : separator,
      values: c.children.map((v) => {
        readAttributes(v, {}, cc);
        onlyChildren(v, []);
        return readText(v, str({ expressions: true }), cc) ?? constant('');
      }),
    };
  });
}

/** A failed check: APIM's reason and message, Lanyard's hint. */
export interface TokenProblem {
  readonly reason: string;
  readonly message: string;
  readonly hint: string;
}

const values = (v: unknown): string[] =>
  v === undefined || v === null
    ? []
    : (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));

/** Every required claim present, then every rule's values (APIM: missing claims are listed together). */
export function checkRequiredClaims(
  claims: Readonly<Record<string, unknown>>,
  rules: readonly ClaimRule[],
  view: () => ExpressionContext,
): TokenProblem | undefined {
  const missing = rules.filter((r) => claims[r.name] === undefined).map((r) => r.name);
  if (missing.length) {
    return {
      reason: 'TokenClaimNotFound',
      message: `JWT token is missing the following claims: ${missing.join(', ')}. Access denied.`,
      hint: `The token has no ${missing.map((m) => JSON.stringify(m)).join(', ')} claim; its claims are ${Object.keys(claims).join(', ')}.`,
    };
  }
  for (const r of rules) {
    if (r.values.length === 0) continue;
    let present = values(claims[r.name]);
    if (r.separator !== undefined) present = present.flatMap((p) => p.split(r.separator!));
    const wanted = r.values.map((v) => resolve(v, view));
    const ok =
      r.match === 'all' ? wanted.every((w) => present.includes(w)) : wanted.some((w) => present.includes(w));
    if (!ok) {
      const shown = present.join(r.separator ?? ',');
      return {
        reason: 'TokenClaimValueNotAllowed',
        message: `Claim ${r.name} value of ${shown} is not allowed. Access denied.`,
        hint: `The token's "${r.name}" is ${JSON.stringify(present)}${r.separator !== undefined ? ` (split on ${JSON.stringify(r.separator)})` : ''}; this policy needs ${r.match === 'all' ? 'every one' : 'one'} of ${JSON.stringify(wanted)}.`,
      };
    }
  }
  return undefined;
}

/** `aud` (a string or a list) holds one of `allowed`. */
export function checkAudiences(
  claims: Readonly<Record<string, unknown>>,
  allowed: readonly string[],
): TokenProblem | undefined {
  const auds = values(claims.aud);
  if (auds.some((a) => allowed.includes(a))) return undefined;
  return {
    reason: 'TokenAudienceNotAllowed',
    message: 'IDX10214: Audience validation failed. Access denied.',
    hint: `The token is for ${auds.length ? auds.map((a) => JSON.stringify(a)).join(', ') : 'no audience'}; this policy accepts ${allowed.map((a) => JSON.stringify(a)).join(', ')}. Request the token for one of those (managed identity: resource=…; client credentials: scope=…/.default).`,
  };
}

/** `iss` is one of `allowed`. */
export function checkIssuers(
  claims: Readonly<Record<string, unknown>>,
  allowed: readonly string[],
): TokenProblem | undefined {
  const iss = claims.iss;
  if (typeof iss === 'string' && allowed.includes(iss)) return undefined;
  return {
    reason: 'TokenIssuerNotAllowed',
    message: 'IDX10205: Issuer validation failed. Access denied.',
    hint: `The token was issued by ${iss === undefined ? 'no issuer' : JSON.stringify(iss)}; this policy accepts ${allowed.map((a) => JSON.stringify(a)).join(', ')}. A v1 token (https://sts.windows.net/{tenant}/) and a v2 token (https://login.microsoftonline.com/{tenant}/v2.0) have different issuers.`,
  };
}

/** The validator's refusal as APIM names it (LastError.Reason and the JWT library's message). */
export function problemOf(f: ValidationFailure, token?: string): TokenProblem {
  const hint = `${f.message}${f.hint ? ` ${f.hint}` : ''}`;
  const is = (reason: string, message: string): TokenProblem => ({ reason, message, hint });
  // An unsigned token (`alg: none`, empty signature) is a signature failure to APIM, not a malformed token.
  if (token?.endsWith('.') && token.split('.').length === 3) {
    return {
      reason: 'TokenSignatureInvalid',
      message: 'IDX10504: Unable to validate signature, token does not have a signature. Access denied.',
      hint: 'The token is unsigned (alg "none"); Lanyard accepts only signed tokens.',
    };
  }
  switch (f.reason) {
    case 'token_missing':
      return is('TokenNotPresent', 'JWT not present.');
    case 'alg_not_allowed':
      return f.actual === 'none' || f.actual === undefined
        ? is(
            'TokenSignatureInvalid',
            'IDX10504: Unable to validate signature, token does not have a signature. Access denied.',
          )
        : is('TokenSignatureInvalid', 'IDX10511: Signature validation failed. Access denied.');
    case 'signature_invalid':
      return is('TokenSignatureInvalid', 'IDX10511: Signature validation failed. Access denied.');
    case 'key_unknown':
      return is(
        'TokenSignatureKeyNotFound',
        'IDX10501: Signature validation failed. Unable to match key. Access denied.',
      );
    case 'expired':
      return is('TokenExpired', 'IDX10223: Lifetime validation failed. The token is expired. Access denied.');
    case 'expiration_missing':
      return is(
        'JwtInvalid',
        'IDX10225: Lifetime validation failed. The token is missing an Expiration Time.',
      );
    case 'not_yet_valid':
    case 'issued_in_future':
      return is('JwtInvalid', 'IDX10222: Lifetime validation failed. The token is not yet valid.');
    case 'issuer_mismatch':
    case 'tenant_mismatch':
    case 'tenant_missing':
      return is('TokenIssuerNotAllowed', 'IDX10205: Issuer validation failed. Access denied.');
    case 'audience_mismatch':
      return is('TokenAudienceNotAllowed', 'IDX10214: Audience validation failed. Access denied.');
    case 'token_malformed':
    case 'token_too_large':
      return is('JwtInvalid', 'IDX12741: JWT is not well formed.');
    default:
      return is('JwtInvalid', 'Invalid JWT.');
  }
}

export interface FailureSettings {
  readonly source: string;
  readonly status: Dynamic<number> | undefined;
  readonly message: Dynamic<string> | undefined;
}

/** The refusal for `problem`: the policy's status (401 unless set) and message (APIM's unless set). */
export function refuse(
  s: FailureSettings,
  problem: TokenProblem,
  view: () => ExpressionContext,
): GatewayRefusal {
  const status = s.status ? resolve(s.status, view) : 401;
  const custom = s.message ? resolve(s.message, view) : undefined;
  return new GatewayRefusal({
    status,
    source: s.source,
    reason: problem.reason,
    message: custom !== undefined && custom !== '' ? custom : problem.message,
    hint: problem.hint,
  });
}

/** `output-token-variable-name`: a plain name (no expressions, as in APIM). */
export function outputVariable(element: ParsedElement, d: Dynamic<string> | undefined): string | undefined {
  if (!d) return undefined;
  const name = (d as { value: string }).value.trim();
  if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name)) {
    throw new PolicyLoadError(
      element.valuePositions.get('output-token-variable-name') ?? element.position,
      `output-token-variable-name ${JSON.stringify(name.slice(0, 80))} is not a variable name`,
    );
  }
  return name;
}

/** A run-time value that makes the policy unusable (a 500, as APIM answers a policy error). */
export function runtimeError(message: string): LanyardError {
  return new LanyardError('ERR_GATEWAY_POLICY_RUNTIME', message);
}
