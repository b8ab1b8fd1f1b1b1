/**
 * The master keyring: master.key with retired keys after the current one (an old one-line file is a keyring of
 * one), LANYARD_MASTER_KEY_PREVIOUS, openKeyring following a master.key rewritten by another process, and an
 * envelope over it that seals under the new key once seen and opens a record under a key it had not loaded.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterEach, beforeEach, test } from 'node:test';
import { createEnvelope } from '../../src/crypto/envelope.ts';
import {
  generateMasterKey,
  loadKeyring,
  loadMasterKey,
  masterKeyFromBytes,
  masterKeyPath,
  openKeyring,
  writeKeyringFile,
} from '../../src/crypto/master-key.ts';
import { createSecretHasher, deriveHashKey } from '../../src/crypto/secret-hash.ts';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';
import { tempDir } from '../helpers/stores.ts';

let dataDir: string;
beforeEach(() => {
  dataDir = tempDir('lanyard-keyring-');
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const ids = (ring: { current: { id: string }; previous?: readonly { id: string }[] | undefined }) => [
  ring.current.id,
  ...(ring.previous ?? []).map((k) => k.id),
];

test('master.key: the first key is current, later ones retired, comments ignored; one line stays one line', () => {
  const first = loadMasterKey({ dataDir, env: {} });
  assert.equal(fs.readFileSync(masterKeyPath(dataDir), 'utf8').trim().split('\n').length, 1);
  assert.deepEqual(ids(loadKeyring({ dataDir, env: {} })), [first.id]);

  const next = generateMasterKey();
  writeKeyringFile(dataDir, { current: next, previous: [first, next] });
  const text = fs.readFileSync(masterKeyPath(dataDir), 'utf8');
  assert.match(text, /^# Retired master keys/m);
  assert.ok(!text.includes(next.id) && !text.includes(first.id), 'ids are not written, keys are');
  assert.equal(fs.statSync(masterKeyPath(dataDir)).mode & 0o777, 0o600);
  assert.deepEqual(ids(loadKeyring({ dataDir, env: {} })), [next.id, first.id]);
  assert.equal(loadMasterKey({ dataDir, env: {} }).id, next.id);

  writeKeyringFile(dataDir, { current: next });
  assert.equal(fs.readFileSync(masterKeyPath(dataDir), 'utf8'), `${next.key.toString('base64')}\n`);
});

test('a bad retired key in master.key is refused, naming which', () => {
  fs.writeFileSync(
    masterKeyPath(dataDir),
    `${randomBytes(32).toString('base64')}\n# retired\n${randomBytes(12).toString('base64')}\n`,
    { mode: 0o600 },
  );
  assert.throws(
    () => loadKeyring({ dataDir, env: {} }),
    (err: unknown) => isLanyardError(err) && err.code === 'ERR_MASTER_KEY' && /key 2 of 2/.test(err.message),
  );
});

test('LANYARD_MASTER_KEY_PREVIOUS adds retired keys (commas or spaces), with the env key or the file', () => {
  const [a, b, c] = [generateMasterKey(), generateMasterKey(), generateMasterKey()];
  const env = {
    LANYARD_MASTER_KEY: a.key.toString('base64'),
    LANYARD_MASTER_KEY_PREVIOUS: `${b.key.toString('hex')}, ${c.key.toString('base64url')} ${a.key.toString('hex')}`,
  };
  assert.deepEqual(ids(loadKeyring({ dataDir, env })), [a.id, b.id, c.id]);
  assert.equal(fs.existsSync(masterKeyPath(dataDir)), false);
  const fromFile = loadKeyring({ dataDir, env: { LANYARD_MASTER_KEY_PREVIOUS: b.key.toString('base64') } });
  assert.deepEqual(ids(fromFile).slice(1), [b.id]);
  assert.throws(
    () => loadKeyring({ dataDir, env: { ...env, LANYARD_MASTER_KEY_PREVIOUS: 'nope' } }),
    (err: unknown) => isLanyardError(err) && /LANYARD_MASTER_KEY_PREVIOUS/.test(err.message),
  );
});

test('openKeyring follows a rewritten master.key: an envelope seals under the new key, opens old and new', async () => {
  const keyring = openKeyring({ dataDir, env: {}, recheckMs: 50 });
  const old = keyring.get().current;
  const envelope = createEnvelope(keyring);
  const before = envelope.seal('before', 'aad');

  // Another process rotates: a reader that opened before meets a record under the new key at once.
  const next = generateMasterKey();
  writeKeyringFile(dataDir, { current: next, previous: [old] });
  const other = createEnvelope({ current: next, previous: [old] });
  const sealedByOther = other.seal('after', 'aad');
  assert.equal(envelope.open(sealedByOther, 'aad').toString(), 'after');
  assert.equal(envelope.currentKeyId(), next.id, 'the reload that opened it made the new key current');

  await new Promise((r) => setTimeout(r, 60));
  assert.equal(envelope.keyIdOf(envelope.seal('later', 'aad')), next.id);
  assert.equal(envelope.open(before, 'aad').toString(), 'before');

  // Keys once loaded stay: a master.key cut down to the new key does not take the old one away.
  writeKeyringFile(dataDir, { current: next });
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(ids(keyring.get()), [next.id, old.id]);
  assert.equal(envelope.open(before, 'aad').toString(), 'before');

  // A file that cannot be used any more leaves the keys as they were.
  fs.writeFileSync(masterKeyPath(dataDir), 'garbage\n');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(keyring.get().current.id, next.id);
});

test('with LANYARD_MASTER_KEY the keyring is fixed for the life of the process', () => {
  const a = generateMasterKey();
  const keyring = openKeyring({ dataDir, env: { LANYARD_MASTER_KEY: a.key.toString('base64') } });
  assert.equal(keyring.source, 'env');
  writeKeyringFile(dataDir, { current: generateMasterKey() });
  assert.equal(keyring.reload().current.id, a.id);
});

test('a hasher under a stored hash key matches one under the key derived as before', () => {
  const master = masterKeyFromBytes(randomBytes(32));
  const stored = createSecretHasher(deriveHashKey(master));
  const legacy = createSecretHasher(master);
  const hash = legacy.hash('s3cret-value');
  assert.equal(stored.hash('s3cret-value'), hash);
  assert.ok(stored.verify('s3cret-value', hash));
  assert.throws(() => createSecretHasher(randomBytes(16)), /32 bytes/);
});
