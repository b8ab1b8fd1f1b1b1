/**
 * @module test/directory/cli-vm
 * `lanyard resource … --kind vm` through the real binary, on each store: create with VM options and with
 * none (the defaults), `update --power-state`, the POWER STATE column of `list` and the VM lines of `show`, and
 * a power state on another kind exiting non-zero with ERR_VALIDATION and the hint.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Resource } from '../../src/directory/types.ts';
import { type Cli, openCli } from '../cli/lanyard.ts';
import { STORE_KINDS, tempDir, testLocation } from '../helpers/stores.ts';

for (const kind of STORE_KINDS) {
  describe(`lanyard resource --kind vm (${kind})`, () => {
    let cli: Cli;
    let drop: () => Promise<void>;
    before(() => {
      const dataDir = tempDir('lanyard-cli-');
      const loc = testLocation(kind, dataDir);
      drop = loc.drop;
      cli = openCli({ dataDir, store: loc.location });
      cli.json('tenant', 'create', '--name', 'contoso');
    });
    after(async () => {
      cli.cleanup();
      await drop();
    });

    test('create with VM options and with none, update the power state, list and show it', () => {
      const vm = cli.json<Resource>(
        'resource',
        'create',
        '--name',
        'build-vm',
        '--kind',
        'vm',
        '--vm-size',
        'Standard_D2s_v3',
        '--location',
        'westeurope',
        '--os-type',
        'Windows',
      );
      assert.match(vm.resourceId, /\/providers\/Microsoft\.Compute\/virtualMachines\/build-vm$/);
      assert.deepEqual(
        [vm.powerState, vm.vmSize, vm.location, vm.osType, vm.computerName],
        ['running', 'Standard_D2s_v3', 'westeurope', 'Windows', 'build-vm'],
      );
      const plain = cli.json<Resource>('resource', 'create', '--name', 'plain-vm', '--kind', 'vm');
      assert.deepEqual(
        [plain.powerState, plain.vmSize, plain.location, plain.osType],
        ['running', 'Standard_B1s', 'eastus', 'Linux'],
      );

      const stopped = cli.json<Resource>('resource', 'update', 'build-vm', '--power-state', 'deallocated');
      assert.equal(stopped.powerState, 'deallocated');
      assert.equal(stopped.vmSize, 'Standard_D2s_v3', 'an update keeps the settings it does not name');

      cli.json('resource', 'create', '--name', 'orders-func', '--kind', 'app');
      const list = cli.run('resource', 'list');
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, /^NAME\s+KIND\s+POWER STATE\s+SYSTEM IDENTITY/);
      assert.match(list.stdout, /^build-vm\s+vm\s+deallocated\s*$/m);
      assert.match(list.stdout, /^plain-vm\s+vm\s+running\s*$/m);
      assert.match(list.stdout, /^orders-func\s+app\s*$/m, 'an app has no power state');

      const shown = cli.run('resource', 'show', 'build-vm');
      assert.equal(shown.status, 0, shown.stderr);
      assert.match(shown.stdout, /^power state\s+deallocated$/m);
      assert.match(shown.stdout, /^vm size\s+Standard_D2s_v3$/m);
      assert.match(shown.stdout, /^os type\s+Windows$/m);
      const app = cli.run('resource', 'show', 'orders-func');
      assert.doesNotMatch(app.stdout, /power state|vm size/);
    });

    test('a power state on another kind, or an unknown one, exits non-zero', () => {
      const r = cli.run('resource', 'update', 'orders-func', '--power-state', 'stopped', '-o', 'json');
      assert.notEqual(r.status, 0);
      const body = JSON.parse(r.stderr) as { error: { code: string; message: string; hint: string } };
      assert.equal(body.error.code, 'ERR_VALIDATION');
      assert.match(body.error.message, /kind app: powerState/);
      assert.match(body.error.hint, /--kind vm/);

      const bad = cli.run('resource', 'update', 'build-vm', '--power-state', 'paused');
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /Allowed choices are running, stopped, deallocated/);
      assert.equal(cli.json<Resource>('resource', 'show', 'build-vm').powerState, 'deallocated');
    });
  });
}
