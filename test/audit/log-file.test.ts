/**
 * @module test/audit/log-file.test
 * The data folder's log file (http/logger-file.ts, audit/server-log.ts): appended to across opens, 0600 even
 * when it existed looser, rotated at the size bound keeping N old files, followed by a second writer after the
 * first rotated it, and its bounds read from the environment (a bad value refused).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { logFileOptions, openServerLog } from '../../src/audit/server-log.ts';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';
import { LogFile } from '../../src/http/logger-file.ts';
import { tempDir } from '../helpers/stores.ts';

const dirs: string[] = [];
const freshDir = () => {
  const dir = tempDir('lanyard-logfile-');
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const read = (file: string) => fs.readFileSync(file, 'utf8');
const lineOf = (n: number) => `${JSON.stringify({ n, pad: 'x'.repeat(40 - String(n).length) })}\n`;

describe('LogFile', () => {
  it('appends: a second open keeps what the first wrote', () => {
    const file = path.join(freshDir(), 'lanyard.log');
    const first = new LogFile(file, { maxBytes: 0, maxFiles: 0 });
    first.write('one\n');
    first.end();
    const second = new LogFile(file, { maxBytes: 0, maxFiles: 0 });
    second.write('two\n');
    second.end();
    assert.equal(read(file), 'one\ntwo\n');
  });

  it('creates the file 0600, and tightens an older looser one', {
    skip: process.platform === 'win32',
  }, () => {
    const dir = freshDir();
    const created = path.join(dir, 'new.log');
    const old = process.umask(0o022);
    try {
      new LogFile(created, { maxBytes: 0, maxFiles: 0 }).end();
    } finally {
      process.umask(old);
    }
    assert.equal(fs.statSync(created).mode & 0o777, 0o600);
    const loose = path.join(dir, 'loose.log');
    fs.writeFileSync(loose, 'kept\n', { mode: 0o644 });
    fs.chmodSync(loose, 0o644);
    const log = new LogFile(loose, { maxBytes: 0, maxFiles: 0 });
    log.write('more\n');
    log.end();
    assert.equal(fs.statSync(loose).mode & 0o777, 0o600);
    assert.equal(read(loose), 'kept\nmore\n');
  });

  it('rotates before a line would pass the bound, keeping maxFiles old files', () => {
    const file = path.join(freshDir(), 'lanyard.log');
    const size = Buffer.byteLength(lineOf(0));
    // Three lines a file; 20 lines make 7 files, of which the current and 3 old ones are kept.
    const log = new LogFile(file, { maxBytes: size * 3, maxFiles: 3 });
    for (let n = 0; n < 20; n++) log.write(lineOf(n));
    log.end();
    const names = fs.readdirSync(path.dirname(file)).sort();
    assert.deepEqual(names, ['lanyard.log', 'lanyard.log.1', 'lanyard.log.2', 'lanyard.log.3']);
    const numbers = (name: string) =>
      read(path.join(path.dirname(file), name))
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { n: number }).n);
    assert.deepEqual(numbers('lanyard.log'), [18, 19]);
    assert.deepEqual(numbers('lanyard.log.1'), [15, 16, 17]);
    assert.deepEqual(numbers('lanyard.log.3'), [9, 10, 11]);
    for (const name of names) assert.ok(fs.statSync(path.join(path.dirname(file), name)).size <= size * 3);
    for (const name of names) assert.equal(fs.statSync(path.join(path.dirname(file), name)).mode & 0o077, 0);
  });

  it('a second writer follows the file after the first rotated it; whole lines, none lost', () => {
    const dir = freshDir();
    const file = path.join(dir, 'lanyard.log');
    const size = Buffer.byteLength(lineOf(0));
    const a = new LogFile(file, { maxBytes: size * 4, maxFiles: 50 });
    const b = new LogFile(file, { maxBytes: size * 4, maxFiles: 50 });
    for (let n = 0; n < 60; n++) (n % 3 === 0 ? b : a).write(lineOf(n));
    a.end();
    b.end();
    const lines = fs
      .readdirSync(dir)
      .flatMap((name) => read(path.join(dir, name)).trimEnd().split('\n'))
      .map((l) => (JSON.parse(l) as { n: number }).n)
      .sort((x, y) => x - y);
    assert.deepEqual(
      lines,
      Array.from({ length: 60 }, (_, n) => n),
    );
    assert.ok(fs.statSync(file).size <= size * 4, 'b wrote into the current file, not a rotated one');
  });
});

describe('openServerLog', () => {
  it('writes JSON lines with pid and cmd to <dataDir>/lanyard.log, appending', () => {
    const dir = freshDir();
    for (const cmd of ['demo', 'run']) {
      const log = openServerLog(dir, { cmd, env: {} });
      log.logger.info({ audit: { action: 'token.issue' } }, 'issuer token.issue success');
      log.close();
    }
    const lines = read(path.join(dir, 'lanyard.log'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => [l.cmd, l.pid, (l.audit as { action: string }).action]),
      [
        ['demo', process.pid, 'token.issue'],
        ['run', process.pid, 'token.issue'],
      ],
    );
  });

  it('reads its bounds from LANYARD_LOG_MAX_BYTES and LANYARD_LOG_MAX_FILES, and refuses bad ones', () => {
    assert.deepEqual(logFileOptions({}), { maxBytes: 10 * 1024 * 1024, maxFiles: 5 });
    assert.deepEqual(logFileOptions({ LANYARD_LOG_MAX_BYTES: '4096', LANYARD_LOG_MAX_FILES: '0' }), {
      maxBytes: 4096,
      maxFiles: 0,
    });
    for (const env of [
      { LANYARD_LOG_MAX_BYTES: '10MB' },
      { LANYARD_LOG_MAX_BYTES: '-1' },
      { LANYARD_LOG_MAX_FILES: '101' },
    ]) {
      assert.throws(
        () => logFileOptions(env),
        (err) => isLanyardError(err) && err.code === 'ERR_USAGE',
      );
    }
  });
});
