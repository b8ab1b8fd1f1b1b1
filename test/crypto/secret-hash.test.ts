import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { masterKeyFromBytes } from '../../src/crypto/master-key.ts';
import { generateClientSecret, generateOpaqueToken, newGuid, secretHint } from '../../src/crypto/random.ts';
import { constantTimeEqual, createSecretHasher } from '../../src/crypto/secret-hash.ts';

test('hash verifies the right secret only', () => {
  const hasher = createSecretHasher(masterKeyFromBytes(randomBytes(32)));
  const secret = generateClientSecret();
  const stored = hasher.hash(secret);
  assert.match(stored, /^sh1\$[A-Za-z0-9_-]{43}$/);
  assert.ok(!stored.includes(secret));
  assert.equal(hasher.hash(secret), stored);
  assert.equal(hasher.verify(secret, stored), true);
  assert.equal(hasher.verify(`${secret}x`, stored), false);
  assert.equal(hasher.verify(secret.slice(0, -1), stored), false);
  assert.equal(hasher.verify('', stored), false);
  assert.equal(hasher.verify(secret, stored.slice(0, -2)), false);
  assert.equal(hasher.verify(secret, stored.replace('sh1$', 'sh2$')), false);
  assert.equal(hasher.verify(secret, ''), false);
});

test('different master keys give different hashes', () => {
  const secret = generateClientSecret();
  const a = createSecretHasher(masterKeyFromBytes(randomBytes(32)));
  const b = createSecretHasher(masterKeyFromBytes(randomBytes(32)));
  assert.notEqual(a.hash(secret), b.hash(secret));
  assert.equal(b.verify(secret, a.hash(secret)), false);
});

test('client secrets look like Entra secrets and differ', () => {
  const secrets = Array.from({ length: 200 }, generateClientSecret);
  for (const s of secrets) {
    assert.equal(s.length, 40);
    assert.match(s, /^[A-Za-z0-9]{3}8Q~[A-Za-z0-9~._-]{34}$/);
    assert.equal(secretHint(s), s.slice(0, 3));
  }
  assert.equal(new Set(secrets).size, secrets.length);
  // Every character of the alphabet shows up across 200 × 34 draws (a biased or truncated alphabet would not).
  assert.equal(new Set(secrets.flatMap((s) => [...s.slice(6)])).size, 66);
});

test('opaque tokens, GUIDs and constant-time comparison', () => {
  assert.match(generateOpaqueToken(), /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(generateOpaqueToken(48), 'base64url').length, 48);
  assert.notEqual(generateOpaqueToken(), generateOpaqueToken());
  assert.match(newGuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(constantTimeEqual('abc', 'abc'), true);
  assert.equal(constantTimeEqual('abc', 'abd'), false);
  assert.equal(constantTimeEqual('abc', 'abcd'), false);
  assert.equal(constantTimeEqual('', ''), true);
});
