/**
 * @module validator/header-rules
 * What a token's header may say. Before a key is chosen: an algorithm the policy allows (the key's own
 * algorithm is checked with the signature), none of the members that change how a JWS is processed or belong to
 * JWE, no nested token, a usable `kid`. With the claims: the `typ`, when a policy restricts it.
 */
import { DEFAULT_ALGS, DEFAULT_TYPES, type ValidationPolicy } from './policy.ts';
import { fail, type ValidationFailure } from './result.ts';
import type { Parsed } from './token-parse.ts';

/** A parsed token whose header passed the checks that need no key. */
export interface Checked extends Parsed {
  alg: string;
  kid: string;
}

const FORBIDDEN_HEADERS = ['crit', 'b64', 'zip', 'enc', 'p2c', 'p2s', 'epk', 'apu', 'apv', 'iv', 'tag'];

export function checkHeader(parsed: Parsed, policy: ValidationPolicy): Checked | ValidationFailure {
  const { header } = parsed;
  const algs = policy.algorithms ?? DEFAULT_ALGS;
  const alg = header.alg;
  if (typeof alg !== 'string' || !algs.includes(alg)) {
    return fail('alg_not_allowed', `The token's algorithm ${JSON.stringify(alg)} is not accepted.`, {
      expected: algs,
      actual: alg,
      hint: `Tokens must be signed with ${algs.join(' or ')}; "none" is never accepted${algs.some((a) => a.startsWith('HS')) ? '' : ', nor HMAC'}.`,
    });
  }
  const forbidden = FORBIDDEN_HEADERS.filter((name) => name in header);
  if (forbidden.length > 0) {
    return fail(
      'header_not_allowed',
      `The token header carries ${forbidden.join(', ')}, which access tokens must not use.`,
    );
  }
  // `cty: JWT` announces a nested token: the claims would be another token's, whose signature nobody checked.
  if (typeof header.cty === 'string' && /^(application\/)?jwt$/i.test(header.cty)) {
    return fail('header_not_allowed', 'The token header says cty "JWT": nested tokens are not accepted.', {
      actual: header.cty,
    });
  }
  // Without a kid, only keys configured to be tried one by one can verify it (APIM's issuer-signing-keys).
  if (header.kid === undefined && policy.keys.tryAll?.length) return { ...parsed, alg, kid: '' };
  if (typeof header.kid !== 'string' || header.kid === '' || header.kid.length > 256) {
    return fail('key_unknown', 'The token header has no usable "kid", so no trusted key can be chosen.');
  }
  return { ...parsed, alg, kid: header.kid };
}

/**
 * The `typ` rule (case-insensitive, `application/` optional): one of the policy's types, which is then
 * required; without a list, absent or one of DEFAULT_TYPES — an ID token, a logout token or any other JWT that
 * says what it is is not an access token.
 */
export function checkType(
  header: Record<string, unknown>,
  policy: ValidationPolicy,
): ValidationFailure | undefined {
  const raw = header.typ;
  if (raw === undefined && !policy.types) return undefined;
  const typ = typeof raw === 'string' ? raw.toLowerCase().replace(/^application\//, '') : undefined;
  const types = policy.types ?? DEFAULT_TYPES;
  if (typ === undefined || typ === '' || !types.some((t) => t.toLowerCase() === typ)) {
    return fail('typ_not_allowed', `The token type ${JSON.stringify(raw)} is not accepted.`, {
      expected: types,
      actual: raw,
      hint: policy.types
        ? `This app accepts only tokens whose typ header is ${types.join(' or ')}.`
        : 'Access tokens from Entra and Lanyard say typ "JWT" (RFC 9068: "at+jwt"); this is another kind of JWT (an ID token, a logout token, …). Send the access_token from the token response.',
    });
  }
  return undefined;
}
