import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { writeFileAtomic } from '../../src/crypto/atomic-file.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('writes the content with the exact mode and leaves no temporary file', () => {
  const file = path.join(dir, 'k');
  writeFileAtomic(file, 'first', { mode: 0o600 });
  writeFileAtomic(file, Buffer.from('second'), { mode: 0o640 });
  assert.equal(fs.readFileSync(file, 'utf8'), 'second');
  if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o640);
  assert.deepEqual(fs.readdirSync(dir), ['k']);
});

test('exclusive refuses to replace an existing file and keeps it intact', () => {
  const file = path.join(dir, 'k');
  writeFileAtomic(file, 'original', { exclusive: true });
  assert.throws(() => writeFileAtomic(file, 'intruder', { exclusive: true }), { code: 'EEXIST' });
  assert.equal(fs.readFileSync(file, 'utf8'), 'original');
  assert.deepEqual(fs.readdirSync(dir), ['k']);
});
