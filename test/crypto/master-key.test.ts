import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { loadMasterKey, masterKeyFromBytes, masterKeyPath } from '../../src/crypto/master-key.ts';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';

const posix = process.platform !== 'win32';
let root: string;
let dataDir: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-'));
  dataDir = path.join(root, 'data');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function masterKeyError(messagePart: RegExp) {
  return (err: unknown) => {
    assert.ok(isLanyardError(err));
    assert.equal(err.code, 'ERR_MASTER_KEY');
    assert.match(err.message, messagePart);
    assert.ok(err.hint);
    return true;
  };
}

test('creates master.key (0600) in a new 0700 data folder, then reuses it', () => {
  const first = loadMasterKey({ dataDir, env: {} });
  const file = masterKeyPath(dataDir);
  assert.equal(first.key.length, 32);
  assert.match(first.id, /^mk_[0-9a-f]{16}$/);
  assert.deepEqual(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64'), first.key);
  if (posix) {
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dataDir).mode & 0o777, 0o700);
  }
  const second = loadMasterKey({ dataDir, env: {} });
  assert.deepEqual(second.key, first.key);
  assert.equal(second.id, first.id);
});

test('the id is stable, differs per key, and is not a plain hash of the key', () => {
  const key = randomBytes(32);
  const a = masterKeyFromBytes(key);
  assert.equal(masterKeyFromBytes(Buffer.from(key)).id, a.id);
  assert.notEqual(masterKeyFromBytes(randomBytes(32)).id, a.id);
  assert.notEqual(a.id, `mk_${createHash('sha256').update(key).digest('hex').slice(0, 16)}`);
});

test('LANYARD_MASTER_KEY as base64 (std, url, unpadded) or hex wins over the file, which is not created', () => {
  const key = randomBytes(32);
  for (const value of [
    key.toString('base64'),
    key.toString('base64url'),
    key.toString('base64').replace(/=$/, ''),
    key.toString('hex'),
    ` ${key.toString('hex').toUpperCase()}\n`,
  ]) {
    const loaded = loadMasterKey({ dataDir, env: { LANYARD_MASTER_KEY: value } });
    assert.deepEqual(loaded.key, key, value);
    assert.equal(loaded.id, masterKeyFromBytes(key).id);
  }
  assert.equal(fs.existsSync(dataDir), false);
});

test('refuses a LANYARD_MASTER_KEY that is not exactly 32 bytes, without echoing it', () => {
  for (const value of [
    '',
    'not-a-key',
    randomBytes(16).toString('base64'),
    randomBytes(33).toString('hex'),
  ]) {
    assert.throws(
      () => loadMasterKey({ dataDir, env: { LANYARD_MASTER_KEY: value } }),
      (err: unknown) => {
        assert.ok(masterKeyError(/LANYARD_MASTER_KEY/)(err) && isLanyardError(err));
        assert.match(err.hint ?? '', /openssl rand -base64 32/);
        if (value) assert.ok(!err.message.includes(value) && !(err.hint ?? '').includes(value));
        return true;
      },
    );
  }
});

test('refuses a key file that group or others can read, naming the file and the chmod fix', {
  skip: !posix,
}, () => {
  loadMasterKey({ dataDir, env: {} });
  const file = masterKeyPath(dataDir);
  fs.chmodSync(file, 0o644);
  assert.throws(
    () => loadMasterKey({ dataDir, env: {} }),
    (err: unknown) => {
      assert.ok(masterKeyError(/0644/)(err) && isLanyardError(err));
      assert.ok(err.message.includes(file));
      assert.ok(err.hint?.includes(`chmod 600 ${file}`));
      return true;
    },
  );
});

test('refuses a key file of the wrong length without replacing it', () => {
  fs.mkdirSync(dataDir, { mode: 0o700 });
  const file = masterKeyPath(dataDir);
  const content = `${randomBytes(31).toString('base64')}\n`;
  fs.writeFileSync(file, content, { mode: 0o600 });
  assert.throws(() => loadMasterKey({ dataDir, env: {} }), masterKeyError(/does not hold a 32-byte/));
  assert.equal(fs.readFileSync(file, 'utf8'), content);
});
