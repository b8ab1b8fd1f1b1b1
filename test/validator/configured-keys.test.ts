/**
 * @module test/validator/configured-keys
 * Keys given in configuration (APIM's issuer-signing-keys): HMAC keys and RSA n/e keys, tried in turn for a
 * token without a kid, combined with other sources — and that none of it opens a door: an HMAC token keyed with
 * a published public key, a key too short, a kid-less token where no keys are configured (Easy Auth's case).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  CombinedKeySource,
  importJwks,
  type KeySource,
  rsaKey,
  symmetricKey,
} from '../../src/validator/key-sources.ts';
import type { ValidationPolicy } from '../../src/validator/policy.ts';
import { TokenValidator } from '../../src/validator/validator.ts';
import { signJwt } from '../adversarial/forge.ts';

const now = Math.floor(Date.now() / 1000);
const claims = { iss: 'https://issuer.example', aud: 'api', sub: 's', iat: now - 10, exp: now + 600 };
const ALL = ['RS256', 'PS256', 'HS256', 'HS384', 'HS512'];

/** A source of published keys (a JWKS), answered without I/O. */
function published(jwks: unknown): KeySource {
  const map = importJwks(jwks);
  return { description: 'test JWKS', key: async (kid) => map.get(kid), keyNow: (kid) => map.get(kid) };
}

const policy = (keys: KeySource, extra: Partial<ValidationPolicy> = {}): ValidationPolicy => ({
  issuers: ['https://issuer.example'],
  audiences: ['api'],
  keys,
  algorithms: ALL,
  ...extra,
});

describe('configured keys', () => {
  const secret = randomBytes(32);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = rsa.publicKey.export({ format: 'jwk' }) as { n: string; e: string };

  it('an HMAC key verifies a token without a kid, by id, or after an unknown kid; another secret fails', async () => {
    const v = new TokenValidator({ cacheSize: 0 });
    const p = policy(new CombinedKeySource([], [symmetricKey('hmac', secret)]));
    for (const header of [
      { alg: 'HS256' },
      { alg: 'HS256', kid: 'hmac' },
      { alg: 'HS256', kid: 'unknown' },
    ]) {
      const r = await v.validate(signJwt(header, claims, secret), p);
      assert.equal(r.ok, true, JSON.stringify(r));
    }
    const other = await v.validate(signJwt({ alg: 'HS256' }, claims, randomBytes(32)), p);
    assert.equal(other.ok, false);
    assert.equal(!other.ok && other.reason, 'signature_invalid');
  });

  it('an RSA key from n and e verifies RS256 and PS256', async () => {
    const v = new TokenValidator({ cacheSize: 0 });
    const p = policy(new CombinedKeySource([], [rsaKey('r', jwk.n, jwk.e)]));
    for (const alg of ['RS256', 'PS256'] as const) {
      const r = await v.validate(signJwt({ alg }, claims, rsa.privateKey), p);
      assert.equal(r.ok, true, JSON.stringify(r));
    }
  });

  it('an HMAC token keyed with a published RSA public key never verifies', async () => {
    const v = new TokenValidator({ cacheSize: 0 });
    const pem = rsa.publicKey.export({ format: 'pem', type: 'spki' });
    const source = new CombinedKeySource(
      [published({ keys: [{ ...jwk, kty: 'RSA', kid: 'pub', alg: 'RS256', use: 'sig' }] })],
      [rsaKey('', jwk.n, jwk.e), symmetricKey('hmac', secret)],
    );
    for (const header of [{ alg: 'HS256', kid: 'pub' }, { alg: 'HS256' }]) {
      const r = await v.validate(signJwt(header, claims, pem), policy(source));
      assert.equal(r.ok, false);
    }
  });

  it('refuses short HMAC keys and small RSA keys', () => {
    assert.throws(() => symmetricKey('k', randomBytes(16)), /at least 256 bits/);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    assert.throws(() => rsaKey('k', small.n as string, small.e as string), /2048/);
  });

  it('without configured keys a token without a kid is still key_unknown (Easy Auth)', async () => {
    const v = new TokenValidator({ cacheSize: 0 });
    const source = published({ keys: [{ ...jwk, kty: 'RSA', kid: 'pub', alg: 'RS256', use: 'sig' }] });
    const r = await v.validate(signJwt({ alg: 'RS256' }, claims, rsa.privateKey), policy(source));
    assert.equal(!r.ok && r.reason, 'key_unknown');
    const ok = await v.validate(
      signJwt({ alg: 'RS256', kid: 'pub' }, claims, rsa.privateKey),
      policy(source),
    );
    assert.equal(ok.ok, true);
  });

  it('entraRules, validateIssuer and validateAudience default on and can be turned off', async () => {
    const v = new TokenValidator({ cacheSize: 0 });
    const keys = new CombinedKeySource([], [symmetricKey('h', secret)]);
    const odd = signJwt({ alg: 'HS256' }, { iss: 'x', aud: 'y', exp: now + 600 }, secret);
    const strict = await v.validate(odd, policy(keys));
    assert.equal(!strict.ok && strict.reason, 'issuer_mismatch');
    const loose = await v.validate(
      odd,
      policy(keys, { entraRules: false, validateIssuer: false, validateAudience: false }),
    );
    assert.equal(loose.ok, true, JSON.stringify(loose));
    const noSub = await v.validate(odd, policy(keys, { validateIssuer: false, validateAudience: false }));
    assert.equal(!noSub.ok && noSub.reason, 'subject_missing');
  });
});
