/**
 * @module test/manifest/cli
 * `lanyard plan` and `lanyard apply` run as the real binary in a fresh data folder (SQLite): the seed
 * manifest plans, applies, applies again with no changes; `--detailed-exitcode` and `-o json` behave as
 * documented; a bad manifest exits 1 with `file:line:column` on stderr and touches nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers/stores.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SEED = 'examples/seeds/lanyard.yaml';

describe('lanyard plan | apply', () => {
  const tmp = tempDir('lanyard-cli-manifest-');
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const run = (dataDir: string, ...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LANYARD_DATA_DIR: dataDir };
    delete env.LANYARD_STORE;
    delete env.LANYARD_TENANT;
    delete env.LANYARD_MASTER_KEY;
    const r = spawnSync(process.execPath, ['bin/lanyard.js', ...args], { cwd: ROOT, env, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('plans, applies, and applies again with no changes', () => {
    const data = path.join(tmp, 'seed');
    const plan = run(data, 'plan', '-f', SEED);
    assert.equal(plan.status, 0, plan.stderr);
    assert.match(plan.stdout, /^\+ create tenant contoso$/m);
    assert.match(plan.stdout, /^\+ create app contoso\/somefunction$/m);
    assert.match(plan.stdout, /^Plan: \d+ to create, 0 to update, 0 to delete\.$/m);

    const detailed = run(data, 'plan', '-f', SEED, '--detailed-exitcode');
    assert.equal(detailed.status, 2, detailed.stderr);

    const apply = run(data, 'apply', '-f', SEED);
    assert.equal(apply.status, 0, apply.stderr);
    assert.match(apply.stdout, /^Apply complete: \d+ created, 0 updated, 0 deleted\.$/m);

    const again = run(data, 'apply', '-f', SEED);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, 'No changes. The directory matches the manifest.\n');

    const clean = run(data, 'plan', '-f', SEED, '--detailed-exitcode');
    assert.equal(clean.status, 0, clean.stderr);
    assert.match(clean.stdout, /^No changes\./);
  });

  it('prints the plan as JSON with -o json', () => {
    const data = path.join(tmp, 'json');
    const apply = run(data, '-o', 'json', 'apply', '-f', SEED);
    assert.equal(apply.status, 0, apply.stderr);
    const plan = JSON.parse(apply.stdout) as {
      applied: boolean;
      changes: { action: string; kind: string; name: string }[];
    };
    assert.equal(plan.applied, true);
    assert.ok(
      plan.changes.some((c) => c.action === 'create' && c.kind === 'app' && c.name === 'exclusive-function'),
    );
    const again = run(data, 'plan', '-f', SEED, '-o', 'json');
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).changes, []);
  });

  it('exits 1 with file:line:column on stderr for a bad manifest, before opening the data folder', () => {
    const data = path.join(tmp, 'bad');
    const file = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(
      file,
      [
        'apiVersion: lanyard/v1',
        'tenants:',
        '  - name: contoso',
        '    apps:',
        '      - name: a',
        '        colour: blue',
        '',
      ].join('\n'),
    );
    for (const command of ['plan', 'apply']) {
      const r = run(data, command, '-f', file);
      assert.equal(r.status, 1);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        new RegExp(
          `^error ERR_MANIFEST_SCHEMA: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:9 tenants\\[0\\]\\.apps\\[0\\]\\.colour: unknown key "colour"`,
        ),
      );
    }
    assert.equal(fs.existsSync(data), false);

    const missing = run(data, 'apply', '-f', path.join(tmp, 'missing.yaml'));
    assert.equal(missing.status, 1);
    assert.match(
      missing.stderr,
      /^error ERR_MANIFEST_FILE: .*missing\.yaml: cannot read the manifest: no such file\./,
    );
  });
});
