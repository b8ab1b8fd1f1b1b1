/**
 * @module validator/token-parse
 * The first rules a token meets, before any key: present, not oversized (checked before any decoding), three
 * canonical base64url parts, and a header and claims that are strict JSON objects (no repeated member names).
 */

import { parseStrictObject, StrictJsonError } from '../encoding/strict-json.ts';
import { decodeCanonical } from './base64url.ts';
import { type Claims, fail, type ValidationFailure } from './result.ts';

export interface Parsed {
  header: Record<string, unknown>;
  claims: Claims;
  signingInput: Buffer;
  signature: Buffer;
}

export function tokenMissing(): ValidationFailure {
  return fail('token_missing', 'No bearer token was sent.', {
    hint: 'Send Authorization: Bearer <access token> — for a managed identity, the access_token from IDENTITY_ENDPOINT.',
  });
}

export function parseToken(token: string, maxBytes: number): Parsed | ValidationFailure {
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
  const hb = decodeCanonical(h);
  const pb = decodeCanonical(p);
  const sb = decodeCanonical(s);
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
