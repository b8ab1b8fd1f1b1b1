/**
 * Relative paths through the README's alias (`npm run --silent lanyard -- …`): npm runs the script in the
 * package folder and says where the user was in INIT_CWD, so `-f`, `--data-dir`, `--store` and the program
 * `lanyard run` starts are taken from there. The real binary runs in the repository (as npm runs
 * it) with INIT_CWD naming another folder, which holds the manifest.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { tempDir } from '../helpers/stores.ts';
import { openCli } from './lanyard.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('lanyard through npm run, from another folder', () => {
  const elsewhere = fs.realpathSync(tempDir('lanyard-user-cwd-'));
  after(() => fs.rmSync(elsewhere, { recursive: true, force: true }));
  fs.copyFileSync(path.join(ROOT, 'examples/seeds/lanyard.yaml'), path.join(elsewhere, 'lanyard.yaml'));
  // The workflows it declares, in files next to it.
  fs.cpSync(path.join(ROOT, 'examples/seeds/workflows'), path.join(elsewhere, 'workflows'), {
    recursive: true,
  });
  const npm = { INIT_CWD: elsewhere, npm_lifecycle_event: 'lanyard', npm_package_name: 'lanyard' };
  const cli = openCli({ env: npm });
  after(() => cli.cleanup());

  test('-f, --data-dir and --store are relative to the folder npm was run in', () => {
    assert.ok(
      !fs.existsSync(path.join(ROOT, 'lanyard.yaml')),
      'the repository has no lanyard.yaml of its own',
    );
    const plan = cli.run('plan', '-f', 'lanyard.yaml');
    assert.equal(plan.status, 0, plan.stderr);
    assert.match(plan.stdout, /^\+ create tenant contoso$/m);
    // The default file name too.
    assert.equal(cli.run('plan').status, 0);

    const apply = cli.run('--data-dir', 'data', 'apply');
    assert.equal(apply.status, 0, apply.stderr);
    assert.ok(fs.existsSync(path.join(elsewhere, 'data', 'master.key')));
    assert.ok(!fs.existsSync(path.join(ROOT, 'data')));
    assert.equal(cli.run('--data-dir', 'data', 'app', 'show', 'somefunction').status, 0);

    const store = cli.run('--store', 'sqlite:own.db', 'tenant', 'create', '--name', 'fabrikam');
    assert.equal(store.status, 0, store.stderr);
    assert.ok(fs.existsSync(path.join(elsewhere, 'own.db')));
    assert.ok(!fs.existsSync(path.join(ROOT, 'own.db')));
  });

  // (--env-file is resolved there too, but Node itself reads a script's `--env-file <file>` argument
  // relative to the process's folder first and exits 9 when it is missing: nodejs/node#54232.)
  test('lanyard run starts the program there', () => {
    const r = cli.run(
      '--data-dir',
      'data',
      'run',
      '--as',
      'runbook-automation',
      '--',
      process.execPath,
      '-p',
      'process.cwd()',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), elsewhere);
  });

  test("another npm script's INIT_CWD is not taken: its paths are its own folder's", () => {
    const other = openCli({ env: { ...npm, npm_lifecycle_event: 'test' } });
    after(() => other.cleanup());
    const plan = other.run('plan', '-f', 'examples/seeds/lanyard.yaml');
    assert.equal(plan.status, 0, plan.stderr);
    assert.equal(other.run('plan', '-f', 'lanyard.yaml').status, 1);
  });
});
