/**
 * @module test/store/data-at-rest
 * The data folder is private (docs/security.md, "Data at rest"): after openRuntime and after writes every file
 * in it is 0600 and every folder 0700, whatever the umask; a folder left readable by others is tightened at
 * open with one warning naming what changed, and nothing that is not Lanyard's is touched.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureLocalCa } from '../../src/crypto/local-ca.ts';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';
import { resolveAdminToken } from '../../src/host/admin-token.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { tempDir } from '../helpers/stores.ts';

const posix = process.platform !== 'win32';
const roots: string[] = [];
const newRoot = () => {
  const d = tempDir('lanyard-at-rest-');
  roots.push(d);
  return d;
};
after(() => {
  for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
});

const modeOf = (p: string) => fs.lstatSync(p).mode & 0o777;

/** Every path under `dir` (itself included) with its permission bits. */
function modes(dir: string): Map<string, number> {
  const out = new Map<string, number>([['.', modeOf(dir)]]);
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[])
    out.set(rel, modeOf(path.join(dir, rel)));
  return out;
}

function assertPrivate(dir: string, label: string): Map<string, number> {
  const all = modes(dir);
  for (const [rel, mode] of all) {
    assert.equal(mode & 0o077, 0, `${label}: ${rel} is ${mode.toString(8)}, readable by others`);
  }
  return all;
}

/** Writes through every part of the runtime that touches the data folder. */
async function write(runtime: Runtime): Promise<void> {
  const tenant = await runtime.directory.createTenant({ name: `t${Math.random().toString(36).slice(2, 8)}` });
  await runtime.directory.createApp(tenant.id, { name: 'orders' });
  await runtime.keys.ensureReady();
  await runtime.audit.record({ plane: 'admin', action: 'test.write', outcome: 'success' });
  await ensureLocalCa({ dataDir: runtime.dataDir, envelope: runtime.envelope });
  resolveAdminToken({ dataDir: runtime.dataDir, env: {} });
}

describe('data at rest: the data folder is private', { skip: !posix }, () => {
  it('a fresh data folder is 0700 and every file 0600 after openRuntime and after writes, even with umask 000', async () => {
    const dataDir = path.join(newRoot(), 'nested', 'data');
    const warnings: string[] = [];
    const umask = process.umask(0);
    let runtime: Runtime;
    try {
      runtime = await openRuntime({ dataDir, env: {}, signingThreads: 0, warn: (l) => warnings.push(l) });
    } finally {
      process.umask(umask);
    }
    try {
      const opened = assertPrivate(dataDir, 'after open');
      assert.equal(opened.get('.'), 0o700);
      assert.ok(opened.has('lanyard.db') && opened.has('master.key'), [...opened.keys()].join(' '));
      for (const [rel, mode] of opened) if (rel !== '.') assert.equal(mode, 0o600, rel);

      const before = process.umask(0);
      try {
        await write(runtime);
      } finally {
        process.umask(before);
      }
      const written = assertPrivate(dataDir, 'after writes');
      for (const name of [
        'lanyard.db',
        'lanyard.db-wal',
        'lanyard.db-shm',
        'admin.token',
        'ca/ca.pem',
        'ca/ca.key',
      ]) {
        assert.ok(written.has(name), `${name} exists: ${[...written.keys()].join(' ')}`);
      }
      assert.equal(written.get('ca'), 0o700);
      assert.deepEqual(warnings, [], 'nothing to warn about in a folder Lanyard made');
    } finally {
      await runtime.close();
    }
    assertPrivate(dataDir, 'after close');
  });

  it('a data folder left readable by others is tightened at open, with one warning naming what changed', async () => {
    const dataDir = path.join(newRoot(), 'data');
    const first = await openRuntime({ dataDir, env: {}, signingThreads: 0, warn: () => {} });
    const warnings: string[] = [];
    let second: Runtime | undefined;
    try {
      await write(first);
      // As an older Lanyard under umask 022 left it, plus a file of the user's own.
      fs.chmodSync(dataDir, 0o755);
      for (const name of ['lanyard.db', 'lanyard.db-wal', 'lanyard.db-shm', 'ca/ca.pem']) {
        fs.chmodSync(path.join(dataDir, name), 0o644);
      }
      fs.chmodSync(path.join(dataDir, 'ca'), 0o755);
      fs.writeFileSync(path.join(dataDir, 'lanyard.log'), '{}\n', { mode: 0o644 });
      fs.chmodSync(path.join(dataDir, 'lanyard.log'), 0o644);
      fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'mine\n');
      fs.chmodSync(path.join(dataDir, 'notes.txt'), 0o644);

      second = await openRuntime({ dataDir, env: {}, signingThreads: 0, warn: (l) => warnings.push(l) });
      assert.equal(warnings.length, 1, warnings.join(''));
      const warning = warnings[0]!;
      assert.match(warning, /^warning: the data folder .* was readable by other users; tightened /);
      assert.ok(warning.endsWith('\n') && warning.indexOf('\n') === warning.length - 1, 'one line');
      for (const part of [
        `${dataDir} 0755 → 0700`,
        'lanyard.db 0644 → 0600',
        'lanyard.db-wal 0644 → 0600',
        'lanyard.db-shm 0644 → 0600',
        'lanyard.log 0644 → 0600',
        'ca 0755 → 0700',
        'ca/ca.pem 0644 → 0600',
      ]) {
        assert.ok(warning.includes(part), `names ${part}: ${warning}`);
      }
      assert.ok(!warning.includes('notes.txt'), 'the user’s own file is not named');
      assert.equal(modeOf(path.join(dataDir, 'notes.txt')), 0o644, 'the user’s own file is left alone');
      fs.rmSync(path.join(dataDir, 'notes.txt'));
      assertPrivate(dataDir, 'after the tightening open');
      await write(second);
      assertPrivate(dataDir, 'after writes');
    } finally {
      await second?.close();
      await first.close();
    }
    const again: string[] = [];
    const third = await openRuntime({ dataDir, env: {}, signingThreads: 0, warn: (l) => again.push(l) });
    await third.close();
    assert.deepEqual(again, [], 'a second open has nothing to tighten');
  });

  it('a SQLite store outside the data folder is tightened too, in the same one warning', async () => {
    const root = newRoot();
    const dataDir = path.join(root, 'data');
    const dbFile = path.join(root, 'elsewhere', 'store.db');
    const first = await openRuntime({ dataDir, store: `sqlite:${dbFile}`, env: {}, signingThreads: 0 });
    await first.close();
    assert.equal(modeOf(dbFile), 0o600, 'created 0600');
    fs.chmodSync(dbFile, 0o644);
    fs.chmodSync(dataDir, 0o750);
    const warnings: string[] = [];
    const second = await openRuntime({
      dataDir,
      store: `sqlite:${dbFile}`,
      env: {},
      signingThreads: 0,
      warn: (l) => warnings.push(l),
    });
    try {
      await write(second);
      assert.equal(warnings.length, 1, warnings.join(''));
      assert.ok(warnings[0]!.includes(`${dataDir} 0750 → 0700`), warnings[0]);
      assert.ok(warnings[0]!.includes(`${dbFile} 0644 → 0600`), warnings[0]);
      for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) assert.equal(modeOf(f), 0o600, f);
    } finally {
      await second.close();
    }
  });

  it('a master key readable by others is still refused (replace it), not silently fixed; the folder is still tightened and warned about', async () => {
    const dataDir = path.join(newRoot(), 'data');
    const first = await openRuntime({ dataDir, env: {}, signingThreads: 0 });
    await first.close();
    fs.chmodSync(dataDir, 0o755);
    fs.chmodSync(path.join(dataDir, 'master.key'), 0o644);
    const warnings: string[] = [];
    await assert.rejects(
      openRuntime({ dataDir, env: {}, signingThreads: 0, warn: (l) => warnings.push(l) }),
      (err: unknown) => isLanyardError(err) && err.code === 'ERR_MASTER_KEY',
    );
    assert.equal(modeOf(path.join(dataDir, 'master.key')), 0o644);
    assert.equal(modeOf(dataDir), 0o700);
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0]!.includes(`${dataDir} 0755 → 0700`), warnings[0]);
  });
});
