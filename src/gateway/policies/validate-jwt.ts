/**
 * @module gateway/policies/validate-jwt
 * `<validate-jwt>`: the token from a header, a query parameter or an expression, checked by Lanyard's one
 * validator (validator/) against the keys of the `openid-config` documents (shared key sources, from
 * `cc.services.tokens`) and the `issuer-signing-keys` (HMAC keys as base64 text, RSA keys as `n`/`e`; each
 * tried in turn when the token's kid matches none), then — in APIM's order — lifetime (`clock-skew` 0 by
 * default, `exp` required unless `require-expiration-time="false"`), `audiences`, `issuers` (those listed plus
 * each discovery document's), `required-claims`. On success `output-token-variable-name` gets the `Jwt`; on
 * failure the request is refused with APIM's reason and message (token-checks.ts).
 *
 * Not supported, refused at load: `decryption-keys` (encrypted tokens), `certificate-id` keys (there is no
 * certificate store yet), `require-signed-tokens="false"` (Lanyard never accepts an unsigned token).
 * The Entra-only rules of the validator (lifetime bound, `sub` present…) are off: APIM checks any issuer's JWT.
 */
import { CombinedKeySource, rsaKey, symmetricKey, type TrustedKey } from '../../validator/key-sources.ts';
import type { ValidationPolicy } from '../../validator/policy.ts';
import { jwtFromParts } from '../expressions/jwt.ts';
import {
  bool,
  int,
  onlyChildren,
  readAttributes,
  readText,
  readValue,
  resolve,
  str,
} from '../policy/attributes.ts';
import type { CompileContext } from '../policy/contract.ts';
import { definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import type { ParsedElement } from '../policy/parse-xml.ts';
import type { OpenIdConfigKeys } from '../policy/token-keys.ts';
import { traceStep } from '../runtime/context.ts';
import {
  checkAudiences,
  checkIssuers,
  checkRequiredClaims,
  FAILURE_ATTRIBUTES,
  outputVariable,
  problemOf,
  readList,
  readRequiredClaims,
  readToken,
  refuse,
  runtimeError,
  single,
  tokenLocation,
} from './token-checks.ts';

/** Every algorithm APIM verifies; a key verifies only its own kind (HMAC keys never come from a JWKS). */
export const JWT_ALGORITHMS: readonly string[] = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'HS256',
  'HS384',
  'HS512',
]);

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** `<issuer-signing-keys><key id? n? e?>base64?</key>+</issuer-signing-keys>`. */
function readSigningKeys(element: ParsedElement | undefined, cc: CompileContext): TrustedKey[] {
  if (!element) return [];
  readAttributes(element, {}, cc);
  onlyChildren(element, ['key']);
  if (element.children.length === 0) {
    throw new PolicyLoadError(element.position, '<issuer-signing-keys> needs at least one <key>');
  }
  return element.children.map((k) => {
    onlyChildren(k, []);
    const a = readAttributes(k, { id: str(), 'certificate-id': str(), n: str(), e: str() }, cc);
    // `id` is the key's kid here (readAttributes passes over it: on a policy it names the policy).
    const rawId = k.attributes.get('id');
    const id =
      rawId === undefined
        ? ''
        : (
            readValue(rawId, str(), k.valuePositions.get('id') ?? k.position, '<key> id', cc) as {
              value: string;
            }
          ).value;
    if (a['certificate-id']) {
      throw new PolicyLoadError(
        k.valuePositions.get('certificate-id') ?? k.position,
        '<key certificate-id> is not supported by Lanyard: there is no certificate store yet',
        'Give the certificate\'s public key as <key n="…" e="…"/> (base64url modulus and exponent).',
      );
    }
    const text = readText(k, str(), cc);
    const at = k.valuePositions.get('#text') ?? k.position;
    if (a.n || a.e) {
      if (!a.n || !a.e) throw new PolicyLoadError(k.position, '<key> needs both n and e for an RSA key');
      if (text && text.kind === 'constant' && text.value.trim() !== '') {
        throw new PolicyLoadError(at, '<key> has n and e and a symmetric key text; give one of them');
      }
      try {
        return rsaKey(id, (a.n as { value: string }).value.trim(), (a.e as { value: string }).value.trim());
      } catch (err) {
        throw new PolicyLoadError(
          k.position,
          `<key n e> is not a usable RSA public key: ${(err as Error).message}`,
        );
      }
    }
    if (text?.kind !== 'constant' || text.value.trim() === '') {
      throw new PolicyLoadError(k.position, '<key> needs a base64 symmetric key as its text, or n and e');
    }
    const b64 = text.value.replace(/\s+/g, '');
    const shown = text.secret ? 'the secret value' : 'its text';
    if (!BASE64.test(b64)) throw new PolicyLoadError(at, `<key>: ${shown} is not base64`);
    try {
      return symmetricKey(
        id,
        Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64'),
      );
    } catch (err) {
      throw new PolicyLoadError(at, `<key>: ${(err as Error).message}`);
    }
  });
}

/** The `openid-config` key sources, their URLs read now (named values only). */
function readOpenIdConfigs(element: ParsedElement, cc: CompileContext): OpenIdConfigKeys[] {
  return element.children
    .filter((c) => c.name === 'openid-config')
    .map((c) => {
      onlyChildren(c, []);
      const a = readAttributes(c, { url: str({ required: true }) }, cc);
      const url = (a.url as { value: string }).value.trim();
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new PolicyLoadError(
          c.valuePositions.get('url') ?? c.position,
          `<openid-config url> is not a URL`,
        );
      }
      if (parsed.protocol !== 'https:') {
        throw new PolicyLoadError(
          c.valuePositions.get('url') ?? c.position,
          '<openid-config url> must be https',
        );
      }
      return cc.services.tokens.openIdConfig(url);
    });
}

export const validateJwt = definePolicy({
  name: 'validate-jwt',
  sections: ['inbound'],
  compile(element, cc) {
    const a = readAttributes(
      element,
      {
        ...FAILURE_ATTRIBUTES,
        'require-scheme': str({ expressions: true }),
        'require-expiration-time': bool({ expressions: true }),
        'require-signed-tokens': bool({ expressions: true }),
        'clock-skew': int({ min: 0, max: 86_400, expressions: true }),
      },
      cc,
    );
    onlyChildren(element, [
      'openid-config',
      'issuer-signing-keys',
      'decryption-keys',
      'audiences',
      'issuers',
      'required-claims',
    ]);
    const location = tokenLocation(element, a);
    const decryption = single(element, 'decryption-keys');
    if (decryption) {
      throw new PolicyLoadError(
        decryption.position,
        '<decryption-keys> is not supported by Lanyard: encrypted tokens (JWE) are not accepted',
        'Send signed tokens (JWS); Entra and Lanyard issue those.',
      );
    }
    const signed = a['require-signed-tokens'];
    if (signed?.kind === 'constant' && signed.value === false) {
      throw new PolicyLoadError(
        element.valuePositions.get('require-signed-tokens') ?? element.position,
        'require-signed-tokens="false" is not supported by Lanyard: it never accepts an unsigned token',
      );
    }
    const staticKeys = readSigningKeys(single(element, 'issuer-signing-keys'), cc);
    const openIdConfigs = readOpenIdConfigs(element, cc);
    if (staticKeys.length === 0 && openIdConfigs.length === 0) {
      throw new PolicyLoadError(
        element.position,
        '<validate-jwt> has no key to verify a token with',
        'Add <openid-config url="…"/> or <issuer-signing-keys>.',
      );
    }
    const audiences = readList(single(element, 'audiences'), 'audience', cc);
    const issuers = readList(single(element, 'issuers'), 'issuer', cc);
    const claims = readRequiredClaims(single(element, 'required-claims'), cc);
    const output = outputVariable(element, a['output-token-variable-name']);
    const failure = {
      source: 'validate-jwt',
      status: a['failed-validation-httpcode'],
      message: a['failed-validation-error-message'],
    };
    const keys = new CombinedKeySource(openIdConfigs, staticKeys);
    // One frozen policy per (skew, exp required): the validator remembers which policy a cached token passed.
    const policies = new Map<string, ValidationPolicy>();
    const policyFor = (skew: number, requireExp: boolean): ValidationPolicy => {
      const key = `${skew}|${requireExp}`;
      let p = policies.get(key);
      if (!p) {
        p = {
          issuers: [],
          audiences: [],
          keys,
          algorithms: JWT_ALGORITHMS,
          clockSkewSeconds: skew,
          requireExpiration: requireExp,
          entraRules: false,
          bindTenant: false,
          validateIssuer: false,
          validateAudience: false,
        };
        if (policies.size < 16) policies.set(key, p);
      }
      return p;
    };
    return {
      async run(ctx) {
        const view = () => cc.expressions(ctx);
        if (signed?.kind === 'expression' && resolve(signed, view) === false) {
          throw runtimeError(
            'validate-jwt: require-signed-tokens evaluated to false, which Lanyard does not support',
          );
        }
        const scheme = a['require-scheme'] ? resolve(a['require-scheme'], view).trim() : undefined;
        const read = readToken(ctx, view, location, scheme || undefined);
        if ('missing' in read) {
          throw refuse(
            failure,
            { reason: 'TokenNotPresent', message: 'JWT not present.', hint: read.missing },
            view,
          );
        }
        const skew = a['clock-skew'] ? resolve(a['clock-skew'], view) : 0;
        const requireExp = a['require-expiration-time'] ? resolve(a['require-expiration-time'], view) : true;
        const result = await cc.services.tokens.validator.validate(read.token, policyFor(skew, requireExp));
        if (!result.ok) {
          const problem = problemOf(result, read.token);
          // Keys that could not be fetched explain a TokenSignatureKeyNotFound better than the kid does.
          const fetchErrors = openIdConfigs
            .filter((src) => src.lastError !== undefined)
            .map((src) => `${src.description}: ${src.lastError}`);
          throw refuse(
            failure,
            fetchErrors.length && result.reason === 'key_unknown'
              ? { ...problem, hint: `${problem.hint} Fetching keys failed: ${fetchErrors.join('; ')}` }
              : problem,
            view,
          );
        }
        const c = result.claims;
        if (audiences) {
          const bad = checkAudiences(
            c,
            audiences.map((d) => resolve(d, view)),
          );
          if (bad) throw refuse(failure, bad, view);
        }
        if (issuers || openIdConfigs.length) {
          const allowed = (issuers ?? []).map((d) => resolve(d, view));
          for (const source of openIdConfigs) {
            const iss = await source.issuer();
            if (iss !== undefined) allowed.push(iss);
          }
          const bad = checkIssuers(c, allowed);
          if (bad) throw refuse(failure, bad, view);
        }
        const missing = checkRequiredClaims(c, claims, view);
        if (missing) throw refuse(failure, missing, view);
        if (output) ctx.variables.set(output, jwtFromParts(result.header, c));
        // The trace names the token by its claims, never by its text.
        traceStep(ctx, 'validate-jwt', 'JWT validation succeeded.', {
          issuer: c.iss,
          audience: c.aud,
          subject: c.sub,
          kid: result.kid,
          cached: result.cached,
        });
      },
    };
  },
});
