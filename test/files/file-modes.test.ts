/**
 * @module test/files/file-modes
 * The data folder's modes (docs/security.md, "Data at rest"): what `tighten` changes and what it leaves alone,
 * `secureDataDir` on Lanyard's own entries only, `createPrivateFile` whatever the umask, and the one warning.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  createPrivateFile,
  describeModeChanges,
  OWNED_FILES,
  secureDataDir,
  tighten,
} from '../../src/files/file-modes.ts';

const posix = process.platform !== 'win32';
const dirs: string[] = [];
const newDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-modes-'));
  dirs.push(d);
  return d;
};
const modeOf = (p: string) => fs.lstatSync(p).mode & 0o777;
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('file modes', { skip: !posix }, () => {
  it('tighten removes group and other bits, keeps the owner’s, and reports the change', () => {
    const d = newDir();
    const file = path.join(d, 'f');
    fs.writeFileSync(file, 'x');
    fs.chmodSync(file, 0o664);
    assert.deepEqual(tighten(file, 'file'), { path: file, from: 0o664, to: 0o600 });
    assert.equal(modeOf(file), 0o600);
    assert.equal(tighten(file, 'file'), undefined, 'already private: nothing to do');
    fs.chmodSync(d, 0o755);
    assert.deepEqual(tighten(d, 'dir'), { path: d, from: 0o755, to: 0o700 });
    assert.equal(modeOf(d), 0o700);
  });

  it('tighten leaves absent paths, links, and things of another kind alone', () => {
    const d = newDir();
    assert.equal(tighten(path.join(d, 'absent'), 'file'), undefined);
    const target = path.join(d, 'target');
    fs.writeFileSync(target, 'x');
    fs.chmodSync(target, 0o644);
    const link = path.join(d, 'link');
    fs.symlinkSync(target, link);
    assert.equal(tighten(link, 'file'), undefined);
    assert.equal(modeOf(target), 0o644, 'the link’s target is untouched');
    const sub = path.join(d, 'sub');
    fs.mkdirSync(sub, { mode: 0o755 });
    fs.chmodSync(sub, 0o755);
    assert.equal(tighten(sub, 'file'), undefined, 'a folder where a file is expected');
    assert.equal(modeOf(sub), 0o755);
  });

  it('secureDataDir tightens the folder and Lanyard’s own entries, nothing else', () => {
    const d = newDir();
    fs.chmodSync(d, 0o755);
    for (const name of ['lanyard.db', 'lanyard.db-wal', 'lanyard.db-shm', 'lanyard.log', 'server.json']) {
      fs.writeFileSync(path.join(d, name), 'x', { mode: 0o644 });
      fs.chmodSync(path.join(d, name), 0o644);
    }
    fs.mkdirSync(path.join(d, 'ca'));
    fs.chmodSync(path.join(d, 'ca'), 0o755);
    fs.writeFileSync(path.join(d, 'ca', 'ca.pem'), 'x');
    fs.chmodSync(path.join(d, 'ca', 'ca.pem'), 0o644);
    // Not Lanyard's: a user's notes, and the secrets that are refused (not fixed) when others can read them.
    for (const name of ['notes.txt', 'master.key', 'admin.token']) {
      fs.writeFileSync(path.join(d, name), 'x');
      fs.chmodSync(path.join(d, name), 0o644);
    }
    fs.writeFileSync(path.join(d, 'ca', 'ca.key'), 'x');
    fs.chmodSync(path.join(d, 'ca', 'ca.key'), 0o644);

    const changes = secureDataDir(d);
    assert.deepEqual(
      changes.map((c) => path.relative(d, c.path)).sort(),
      [
        '',
        'ca',
        'ca/ca.pem',
        'lanyard.db',
        'lanyard.db-shm',
        'lanyard.db-wal',
        'lanyard.log',
        'server.json',
      ].sort(),
    );
    assert.equal(modeOf(d), 0o700);
    assert.equal(modeOf(path.join(d, 'ca')), 0o700);
    for (const entry of OWNED_FILES.filter((e) => !e.endsWith('/'))) {
      const p = path.join(d, entry);
      if (fs.existsSync(p)) assert.equal(modeOf(p), 0o600, entry);
    }
    for (const other of ['notes.txt', 'master.key', 'admin.token', 'ca/ca.key']) {
      assert.equal(modeOf(path.join(d, other)), 0o644, `${other} is left alone`);
    }
    assert.deepEqual(secureDataDir(d), [], 'a second open changes nothing');

    const warning = describeModeChanges(d, changes);
    assert.equal(warning.split('\n').filter(Boolean).length, 1, 'one line');
    assert.match(warning, /^warning: /);
    assert.ok(warning.includes(`${d} 0755 → 0700`), warning);
    assert.ok(warning.includes('lanyard.db 0644 → 0600'), warning);
    assert.ok(warning.includes('ca/ca.pem 0644 → 0600'), warning);
    assert.ok(!warning.includes('notes.txt') && !warning.includes('master.key'), warning);
    assert.equal(describeModeChanges(d, []), '');
  });

  it('createPrivateFile makes a 0600 file whatever the umask, and leaves an existing one as it is', () => {
    const d = newDir();
    const file = path.join(d, 'db');
    const umask = process.umask(0);
    try {
      assert.equal(createPrivateFile(file), true);
    } finally {
      process.umask(umask);
    }
    assert.equal(modeOf(file), 0o600);
    fs.writeFileSync(file, 'kept');
    assert.equal(createPrivateFile(file), false);
    assert.equal(fs.readFileSync(file, 'utf8'), 'kept');
    const narrow = process.umask(0o277);
    try {
      assert.equal(createPrivateFile(path.join(d, 'db2')), true);
    } finally {
      process.umask(narrow);
    }
    assert.equal(modeOf(path.join(d, 'db2')), 0o600, 'not narrowed to 0400 by the umask');
  });
});
