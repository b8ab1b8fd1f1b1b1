/**
 * @module test/server/admin-token.test
 * Where the admin token comes from (environment, then the 0600 file made on first start) and how a presented
 * bearer token is checked.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';
import { adminTokenPath, bearerMatches, resolveAdminToken } from '../../src/host/admin-token.ts';
import { tempDir } from '../helpers/stores.ts';

describe('admin token', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir('lanyard-token-');
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('creates lya_<random> in <dataDir>/admin.token with mode 0600, then reuses it', () => {
    const dataDir = dir();
    const first = resolveAdminToken({ dataDir, env: {} });
    assert.equal(first.source, 'file');
    assert.equal(first.created, true);
    assert.equal(first.path, path.join(dataDir, 'admin.token'));
    assert.match(first.token, /^lya_[A-Za-z0-9_-]{43}$/);
    assert.equal(fs.statSync(adminTokenPath(dataDir)).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(adminTokenPath(dataDir), 'utf8').trim(), first.token);

    const second = resolveAdminToken({ dataDir, env: {} });
    assert.equal(second.created, false);
    assert.equal(second.token, first.token);
    assert.notEqual(resolveAdminToken({ dataDir: dir(), env: {} }).token, first.token);
  });

  it('prefers LANYARD_ADMIN_TOKEN and creates no file', () => {
    const dataDir = dir();
    const token = 'z'.repeat(32);
    const got = resolveAdminToken({ dataDir, env: { LANYARD_ADMIN_TOKEN: token } });
    assert.deepEqual(got, { token, source: 'env', path: undefined, created: false });
    assert.equal(fs.existsSync(adminTokenPath(dataDir)), false);
  });

  it('refuses a short environment token without echoing it', () => {
    assert.throws(
      () => resolveAdminToken({ dataDir: dir(), env: { LANYARD_ADMIN_TOKEN: 'hunter2' } }),
      (err: unknown) =>
        isLanyardError(err) &&
        err.code === 'ERR_ADMIN_TOKEN' &&
        !JSON.stringify(err.toJSON()).includes('hunter2'),
    );
  });

  it('refuses a token file that others can read', { skip: process.platform === 'win32' }, () => {
    const dataDir = dir();
    resolveAdminToken({ dataDir, env: {} });
    fs.chmodSync(adminTokenPath(dataDir), 0o644);
    assert.throws(
      () => resolveAdminToken({ dataDir, env: {} }),
      (err: unknown) =>
        isLanyardError(err) && err.code === 'ERR_ADMIN_TOKEN' && /chmod 600/.test(err.hint ?? ''),
    );
  });

  it('matches only a single Bearer header carrying exactly the token', () => {
    const token = `lya_${'a'.repeat(43)}`;
    assert.equal(bearerMatches([`Bearer ${token}`], token), true);
    assert.equal(bearerMatches([`bearer ${token}`], token), true);
    assert.equal(bearerMatches(undefined, token), false);
    assert.equal(bearerMatches([], token), false);
    assert.equal(bearerMatches([`Bearer ${token}`, `Bearer ${token}`], token), false);
    assert.equal(bearerMatches([token], token), false);
    assert.equal(bearerMatches([`Basic ${token}`], token), false);
    assert.equal(bearerMatches([`Bearer ${token}x`], token), false);
    assert.equal(bearerMatches([`Bearer ${token.slice(0, -1)}`], token), false);
    assert.equal(bearerMatches([`Bearer ${token} extra`], token), false);
    assert.equal(bearerMatches(['Bearer '], token), false);
  });
});
