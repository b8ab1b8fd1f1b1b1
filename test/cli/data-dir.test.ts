/**
 * The data folder through the real binary: a command that only reads refuses a folder that holds no Lanyard
 * state (a mistyped --data-dir) and creates nothing; the commands that create (`tenant create`, `apply`,
 * `ca path`) make it; `plan` compares with an empty directory without creating one; a path through a file
 * fails at once with the reason.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { type Cli, openCli } from './lanyard.ts';

describe('lanyard --data-dir', () => {
  const cli: Cli = openCli();
  after(() => cli.cleanup());
  const at = (name: string) => path.join(cli.dataDir, name);

  test('a read-only command refuses a folder that is not there, and creates nothing', () => {
    const typo = at('typo');
    for (const args of [
      ['tenant', 'list'],
      ['app', 'list'],
      ['keys', 'list'],
      ['ca', 'show'],
    ]) {
      const r = cli.run('--data-dir', typo, ...args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.split('\n')[0], `error ERR_USAGE: There is no Lanyard data folder at ${typo}.`);
      assert.match(
        r.stderr,
        /^hint: Create one with `lanyard up`, `lanyard apply` or `lanyard tenant create`, or fix --data-dir/m,
      );
      assert.ok(!fs.existsSync(typo), `${args.join(' ')} created ${typo}`);
    }
    const json = cli.run('--data-dir', typo, '-o', 'json', 'tenant', 'list');
    assert.equal(JSON.parse(json.stderr).error.code, 'ERR_USAGE');
  });

  test('an empty folder is not a data folder either', () => {
    const empty = at('empty');
    fs.mkdirSync(empty);
    const r = cli.run('--data-dir', empty, 'tenant', 'list');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /There is no Lanyard data folder at/);
    assert.deepEqual(fs.readdirSync(empty), []);
  });

  test('plan compares with an empty directory and creates nothing', () => {
    const fresh = at('fresh-plan');
    const r = cli.run('--data-dir', fresh, 'plan', '-f', 'examples/seeds/lanyard.yaml');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\+ create tenant contoso$/m);
    assert.match(r.stderr, /^note: there is no Lanyard data folder at .*fresh-plan yet/m);
    assert.ok(!fs.existsSync(fresh));
  });

  test('tenant create, apply and ca path create the folder; then it reads', () => {
    const made = at('made/deeper');
    const created = cli.run('--data-dir', made, 'tenant', 'create', '--name', 'contoso');
    assert.equal(created.status, 0, created.stderr);
    assert.ok(fs.existsSync(path.join(made, 'master.key')));
    assert.equal(cli.run('--data-dir', made, 'tenant', 'list').status, 0);

    const applied = at('applied');
    const apply = cli.run('--data-dir', applied, 'apply', '-f', 'examples/seeds/lanyard.yaml');
    assert.equal(apply.status, 0, apply.stderr);
    assert.equal(cli.run('--data-dir', applied, 'app', 'list').status, 0);

    const trusted = at('trusted');
    const ca = cli.run('--data-dir', trusted, 'ca', 'path');
    assert.equal(ca.status, 0, ca.stderr);
    assert.equal(cli.run('--data-dir', trusted, 'ca', 'show').status, 0);
  });

  test('a read-only command refuses a SQLite store named outright that is not there, and creates nothing', () => {
    const folder = at('with-store');
    assert.equal(cli.run('--data-dir', folder, 'tenant', 'create', '--name', 'contoso').status, 0);
    const missing = at('with-store/typo.db');
    for (const store of [`sqlite:${missing}`, missing]) {
      const r = cli.run('--data-dir', folder, '--store', store, 'tenant', 'list');
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stderr.split('\n')[0], `error ERR_USAGE: There is no Lanyard store at ${missing}.`);
      assert.ok(!fs.existsSync(missing), `${store} was created`);
    }
    // The store that is there still reads, named outright.
    const real = cli.run(
      '--data-dir',
      folder,
      '--store',
      `sqlite:${path.join(folder, 'lanyard.db')}`,
      'tenant',
      'list',
    );
    assert.equal(real.status, 0, real.stderr);
  });

  test('a folder that is a file, or lies under one, fails at once with the reason', () => {
    const file = at('a-file');
    fs.writeFileSync(file, 'not a folder');
    const isFile = cli.run('--data-dir', file, 'tenant', 'create', '--name', 'x');
    assert.equal(isFile.status, 1);
    assert.equal(
      isFile.stderr.split('\n')[0],
      `error ERR_USAGE: Cannot use the data folder ${file}: it is a file, not a folder.`,
    );
    const under = path.join(file, 'data');
    for (const args of [
      ['tenant', 'create', '--name', 'x'],
      ['tenant', 'list'],
      ['ca', 'path'],
    ]) {
      const r = cli.run('--data-dir', under, ...args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(
        r.stderr.split('\n')[0],
        `error ERR_USAGE: Cannot use the data folder ${under}: a part of its path is a file, not a folder.`,
      );
    }
  });
});
