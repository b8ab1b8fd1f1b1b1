import assert from 'node:assert/strict';
import { createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createEnvelope } from '../../src/crypto/envelope.ts';
import { masterKeyFromBytes } from '../../src/crypto/master-key.ts';
import { keptSecretKey, secretKeyOf } from '../../src/crypto/secret-keys.ts';

test('a kept key is made once per holder and holds the same bytes', () => {
  const a = masterKeyFromBytes(randomBytes(32));
  const b = masterKeyFromBytes(randomBytes(32));
  const ka = keptSecretKey(a);
  assert.equal(keptSecretKey(a), ka);
  assert.notEqual(keptSecretKey(b), ka);
  assert.deepEqual(ka.export(), a.key);
  assert.equal(ka.type, 'secret');
  const bytes = randomBytes(32);
  assert.deepEqual(secretKeyOf(bytes).export(), bytes);
});

test('the same MAC and plaintext as with the bytes themselves', () => {
  const bytes = randomBytes(32);
  const key = secretKeyOf(bytes);
  assert.deepEqual(
    createHmac('sha256', key).update('x').digest(),
    createHmac('sha256', bytes).update('x').digest(),
  );
});

test('envelope records keep their format: opened by hand with Buffer keys', () => {
  // What the envelope writes with KeyObjects must be what it wrote with Buffers (the format in envelope.ts).
  const mk = masterKeyFromBytes(randomBytes(32));
  const env = createEnvelope({ current: mk });
  const aad = 'tenant|vault|name|version';
  const sealed = env.seal('the value', aad);
  const [, keyId, ...rest] = sealed.split('.');
  const [wrappedDek, dekIv, dekTag, check, iv, ciphertext, tag] = rest.map((f) =>
    Buffer.from(f, 'base64url'),
  );
  const open = (key: Buffer, ivb: Buffer, ct: Buffer, t: Buffer, a: string) => {
    const d = createDecipheriv('aes-256-gcm', key, ivb, { authTagLength: 16 });
    d.setAAD(Buffer.from(a, 'utf8'));
    d.setAuthTag(t);
    return Buffer.concat([d.update(ct), d.final()]);
  };
  const dek = open(mk.key, dekIv!, wrappedDek!, dekTag!, `lk1.${keyId}`);
  const mac = createHmac('sha256', dek)
    .update('lanyard/envelope/aad/v1\0')
    .update(aad, 'utf8')
    .digest()
    .subarray(0, 16);
  assert.deepEqual(mac, check);
  assert.equal(open(dek, iv!, ciphertext!, tag!, aad).toString('utf8'), 'the value');
  // And a record opens many times under the kept master key.
  for (let i = 0; i < 3; i++) assert.equal(env.open(sealed, aad).toString('utf8'), 'the value');
});
