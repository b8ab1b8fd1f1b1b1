/**
 * @module test/manifest/vm
 * Resources of kind vm in `lanyard.yaml`, against real stores: created with the declared power state and
 * settings (defaults for the rest), a second plan finds nothing to do, an edit is one field-level update that
 * plan prints, a VM whose entry names no power state keeps the one it has; and VM fields on another kind are
 * refused at load, at their line.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Directory } from '../../src/directory/directory.ts';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';
import { applyManifest, formatPlan, parseManifest, planManifest } from '../../src/host/manifest.ts';
import { openTestRuntime } from '../helpers/runtime.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const lines = (...l: string[]) => `${l.join('\n')}\n`;

/** A tenant with one resource; `fields` are the YAML lines of the resource after its name. */
function manifest(fields: string[]) {
  return parseManifest(
    lines(
      'apiVersion: lanyard/v1',
      'tenants:',
      '  - name: fabrikam',
      '    resources:',
      '      - name: build-vm',
      ...fields.map((f) => `        ${f}`),
    ),
    'lanyard.yaml',
  );
}

describe('vm resources in lanyard.yaml: load', () => {
  it('refuses VM fields on another kind, each at its line', () => {
    try {
      manifest(['kind: app', 'powerState: stopped', 'vmSize: Standard_B1s']);
      assert.fail('not refused');
    } catch (err) {
      assert.ok(isLanyardError(err));
      assert.equal(err.code, 'ERR_MANIFEST_SCHEMA');
      assert.match(
        err.message,
        /lanyard\.yaml:7:\d+ tenants\[0\]\.resources\[0\]\.powerState: powerState is for resources of kind vm only \(this one is of kind app\)/,
      );
      assert.match(err.message, /lanyard\.yaml:8:\d+ tenants\[0\]\.resources\[0\]\.vmSize: /);
    }
  });

  it('refuses an unknown power state and OS type', () => {
    assert.throws(() => manifest(['kind: vm', 'powerState: paused']), {
      code: 'ERR_MANIFEST_SCHEMA',
      message: /resources\[0\]\.powerState/,
    });
    assert.throws(() => manifest(['kind: vm', 'osType: BSD']), {
      code: 'ERR_MANIFEST_SCHEMA',
      message: /resources\[0\]\.osType/,
    });
  });
});

for (const kind of STORE_KINDS) {
  describe(`vm resources in lanyard.yaml: plan and apply (${kind})`, () => {
    let dir: Directory;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      let runtime: { directory: Directory };
      ({ runtime, cleanup } = await openTestRuntime(kind));
      dir = runtime.directory;
    });
    afterEach(() => cleanup());

    it('creates the VM as declared, plans nothing again, and applies an edit as one update', async () => {
      const declared = manifest(['kind: vm', 'powerState: stopped', 'location: WestEurope']);
      await applyManifest(dir, declared);
      const vm = await dir.getResource('fabrikam', 'build-vm');
      assert.match(vm.resourceId, /\/providers\/Microsoft\.Compute\/virtualMachines\/build-vm$/);
      assert.deepEqual(
        [vm.powerState, vm.vmSize, vm.location, vm.osType, vm.computerName],
        ['stopped', 'Standard_B1s', 'westeurope', 'Linux', 'build-vm'],
      );
      assert.deepEqual((await planManifest(dir, declared)).changes, []);

      const edited = manifest([
        'kind: vm',
        'powerState: running',
        'location: westeurope',
        'vmSize: Standard_D2s_v3',
        'osType: Windows',
      ]);
      const plan = await planManifest(dir, edited);
      assert.deepEqual(plan.changes, [
        {
          action: 'update',
          kind: 'resource',
          tenant: 'fabrikam',
          name: 'build-vm',
          changes: [
            'powerState: stopped → running',
            'osType: Linux → Windows',
            'vmSize: "Standard_B1s" → "Standard_D2s_v3"',
          ],
        },
      ]);
      assert.match(
        formatPlan(plan),
        /^~ update resource fabrikam\/build-vm\n {4}powerState: stopped → running\n {4}osType: Linux → Windows\n/m,
      );
      const version = await dir.version();
      await applyManifest(dir, edited);
      assert.ok((await dir.version()) > version, 'the change moved the directory version');
      const after = await dir.getResource('fabrikam', 'build-vm');
      assert.deepEqual(
        [after.powerState, after.vmSize, after.osType, after.id],
        ['running', 'Standard_D2s_v3', 'Windows', vm.id],
      );
      assert.deepEqual((await planManifest(dir, edited)).changes, []);

      // A setting taken out goes back to its default: the entry is the whole declaration.
      const reverted = await planManifest(dir, manifest(['kind: vm', 'powerState: running']));
      assert.deepEqual(reverted.changes[0]?.changes, [
        'osType: Windows → Linux',
        'vmSize: "Standard_D2s_v3" → "Standard_B1s"',
        'location: "westeurope" → "eastus"',
      ]);
    });

    it('leaves the power state alone when the entry names none', async () => {
      await applyManifest(dir, manifest(['kind: vm']));
      assert.equal((await dir.getResource('fabrikam', 'build-vm')).powerState, 'running');
      await dir.updateResource('fabrikam', 'build-vm', { powerState: 'deallocated' });
      assert.deepEqual((await planManifest(dir, manifest(['kind: vm']))).changes, []);
      const plan = await planManifest(dir, manifest(['kind: vm', 'powerState: running']));
      assert.deepEqual(plan.changes[0]?.changes, ['powerState: deallocated → running']);
    });
  });
}
