import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createEnvelope, type DecryptFailure } from '../../src/crypto/envelope.ts';
import { masterKeyFromBytes } from '../../src/crypto/master-key.ts';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';

const AAD = 'tenant-1|app-1|secret-1';
const newKey = () => masterKeyFromBytes(randomBytes(32));

function decryptError(reason: DecryptFailure) {
  return (err: unknown) => {
    assert.ok(isLanyardError(err));
    assert.equal(err.code, 'ERR_DECRYPT');
    assert.equal(err.details?.reason, reason);
    return true;
  };
}

/** Flips one bit of the decoded bytes of field `index` (so base64 padding bits cannot hide the change). */
function flipBit(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0] = bytes[0]! ^ 1;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

test('round trip of strings, bytes and empty values; every seal is different', () => {
  const mk = newKey();
  const env = createEnvelope({ current: mk });
  const sealed = env.seal('s3cret value ✓', AAD);
  assert.match(sealed, /^lk1\.mk_[0-9a-f]{16}(\.[A-Za-z0-9_-]*){7}$/);
  assert.ok(!sealed.includes('s3cret'));
  assert.equal(env.open(sealed, AAD).toString('utf8'), 's3cret value ✓');
  assert.equal(env.keyIdOf(sealed), mk.id);
  assert.notEqual(env.seal('s3cret value ✓', AAD), sealed);
  const bytes = randomBytes(100);
  assert.deepEqual(env.open(env.seal(bytes, AAD), AAD), bytes);
  assert.equal(env.open(env.seal('', AAD), AAD).length, 0);
});

test('a wrong AAD is refused as an AAD mismatch', () => {
  const env = createEnvelope({ current: newKey() });
  const sealed = env.seal('value', AAD);
  assert.throws(() => env.open(sealed, 'tenant-1|app-2|secret-1'), decryptError('aad-mismatch'));
});

test('a flipped bit anywhere is refused', () => {
  const env = createEnvelope({ current: newKey() });
  const sealed = env.seal('value', AAD);
  // Fields: 2 wrapped DEK, 3 DEK IV, 4 DEK tag, 5 AAD check, 6 IV, 7 ciphertext, 8 tag.
  for (const index of [2, 3, 4, 6, 7, 8])
    assert.throws(() => env.open(flipBit(sealed, index), AAD), decryptError('tampered'));
  assert.throws(() => env.open(flipBit(sealed, 5), AAD), decryptError('aad-mismatch'));
});

test('unknown key ids and malformed strings are refused, saying which', () => {
  const env = createEnvelope({ current: newKey() });
  const other = createEnvelope({ current: newKey() });
  const sealed = other.seal('value', AAD);
  assert.throws(
    () => env.open(sealed, AAD),
    (err: unknown) => {
      assert.ok(decryptError('unknown-key')(err) && isLanyardError(err));
      assert.ok(err.message.includes(other.keyIdOf(sealed)));
      return true;
    },
  );
  const good = env.seal('value', AAD);
  for (const bad of [
    '',
    'hello',
    good.slice(0, -3),
    `${good}.x`,
    good.replace('lk1.', 'lk9.'),
    good.replace(/\.([^.]+)$/, '.!!'),
  ]) {
    assert.throws(() => env.open(bad, AAD), decryptError('malformed'), bad);
  }
  assert.throws(() => env.keyIdOf('junk'), decryptError('malformed'));
  assert.throws(() => env.open(good.replace('lk1.', 'lk2.'), AAD), /format lk2/);
});

test('after rotation, records under the previous key open, and rewrap moves them to the current key', () => {
  const oldKey = newKey();
  const newer = newKey();
  const sealed = createEnvelope({ current: oldKey }).seal('value', AAD);
  const rotated = createEnvelope({ current: newer, previous: [oldKey] });
  assert.equal(rotated.open(sealed, AAD).toString(), 'value');

  const rewrapped = rotated.rewrap(sealed);
  assert.equal(rotated.keyIdOf(rewrapped), newer.id);
  assert.equal(rotated.rewrap(rewrapped), rewrapped);
  // The payload is untouched; only the DEK wrapping changed.
  assert.equal(rewrapped.split('.').slice(5).join('.'), sealed.split('.').slice(5).join('.'));
  assert.equal(createEnvelope({ current: newer }).open(rewrapped, AAD).toString(), 'value');
  assert.throws(() => createEnvelope({ current: newer }).open(sealed, AAD), decryptError('unknown-key'));
});
