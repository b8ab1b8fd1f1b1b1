/**
 * @module test/directory/vm-resources
 * Resources of kind vm on each store: a VM's ARM id under Microsoft.Compute/virtualMachines, its default power
 * state and settings, updates of both, the refusal of a power state or VM setting on any other kind (nothing
 * stored), a store migrated before 0009 whose resources read as before, and the admin routes passing the new
 * fields through to the directory.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { masterKeyFromBytes } from '../../src/crypto/master-key.ts';
import { generateClientSecret } from '../../src/crypto/random.ts';
import { createSecretHasher } from '../../src/crypto/secret-hash.ts';
import { directoryAdminRoutes } from '../../src/directory/admin-routes.ts';
import { Directory } from '../../src/directory/directory.ts';
import type { DirectoryTables } from '../../src/directory/tables.ts';
import { PROVIDER_OF_KIND, RESOURCE_KINDS, type Resource } from '../../src/directory/types.ts';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';
import { MIGRATIONS } from '../../src/host/planes.ts';
import { createLogger } from '../../src/http/logger.ts';
import type { AdminCall, AdminReply } from '../../src/plane/admin-kit.ts';
import { tablesOf } from '../../src/store/handle.ts';
import { openStore } from '../../src/store/open-store.ts';
import { openTestDirectory, type TestDirectory } from '../helpers/directory.ts';
import { STORE_KINDS, tempDir, testLocation } from '../helpers/stores.ts';

const SUB = '11111111-2222-3333-4444-555555555555';
const VM_KEYS = ['powerState', 'vmSize', 'location', 'osType', 'computerName'] as const;

for (const kind of STORE_KINDS) {
  describe(`directory: virtual machines (${kind})`, () => {
    let t: TestDirectory;
    before(async () => {
      t = await openTestDirectory(kind);
      await t.directory.createTenant({ name: 'contoso', defaultSubscriptionId: SUB });
    });
    after(() => t.cleanup());

    test('every kind maps to its provider; a vm is a Microsoft.Compute virtual machine', () => {
      assert.deepEqual(Object.keys(PROVIDER_OF_KIND).sort(), [...RESOURCE_KINDS].sort());
      assert.equal(PROVIDER_OF_KIND.vm, 'Microsoft.Compute/virtualMachines');
    });

    test('a new VM is running, Standard_B1s, eastus, Linux, its computer name its own', async () => {
      const vm = await t.directory.createResource('contoso', { name: 'build-vm', kind: 'vm' });
      assert.equal(
        vm.resourceId,
        `/subscriptions/${SUB}/resourceGroups/lanyard/providers/Microsoft.Compute/virtualMachines/build-vm`,
      );
      assert.equal(vm.kind, 'vm');
      assert.deepEqual(
        VM_KEYS.map((k) => vm[k]),
        ['running', 'Standard_B1s', 'eastus', 'Linux', 'build-vm'],
      );
      // Read back from the store, not just echoed.
      const read = await t.directory.getResource('contoso', vm.resourceId);
      assert.deepEqual(
        VM_KEYS.map((k) => read[k]),
        VM_KEYS.map((k) => vm[k]),
      );
    });

    test('a VM created with settings keeps them; the location is kept lower case', async () => {
      const vm = await t.directory.createResource('contoso', {
        name: 'win-vm',
        kind: 'vm',
        powerState: 'deallocated',
        vmSize: 'Standard_D2s_v3',
        location: 'WestEurope',
        osType: 'Windows',
        computerName: 'winbox',
        systemAssignedIdentity: true,
      });
      assert.deepEqual(
        VM_KEYS.map((k) => vm[k]),
        ['deallocated', 'Standard_D2s_v3', 'westeurope', 'Windows', 'winbox'],
      );
      assert.equal(vm.systemAssignedIdentity?.resourceId, vm.resourceId);
    });

    test('update changes the power state and the settings given, and keeps the rest', async () => {
      const d = t.directory;
      const before = await d.version();
      const stopped = await d.updateResource('contoso', 'build-vm', { powerState: 'stopped' });
      assert.equal(stopped.powerState, 'stopped');
      assert.equal(stopped.vmSize, 'Standard_B1s');
      assert.ok((await d.version()) > before, 'the directory version moves, so caches see the change');
      const resized = await d.updateResource('contoso', 'build-vm', {
        vmSize: 'Standard_D4s_v5',
        osType: 'Windows',
      });
      assert.deepEqual(
        VM_KEYS.map((k) => resized[k]),
        ['stopped', 'Standard_D4s_v5', 'eastus', 'Windows', 'build-vm'],
      );
      // An identity-only update leaves the VM's fields alone.
      const withIdentity = await d.updateResource('contoso', 'build-vm', { systemAssignedIdentity: true });
      assert.ok(withIdentity.systemAssignedIdentity);
      assert.equal(withIdentity.powerState, 'stopped');
      assert.equal(withIdentity.vmSize, 'Standard_D4s_v5');
      const listed = (await d.listResources('contoso')).find((r) => r.name === 'build-vm');
      assert.equal(listed?.powerState, 'stopped');
    });

    test('an unknown power state or a malformed setting is ERR_VALIDATION', async () => {
      const d = t.directory;
      await assert.rejects(d.updateResource('contoso', 'build-vm', { powerState: 'paused' as never }), {
        code: 'ERR_VALIDATION',
        message: /powerState/,
      });
      await assert.rejects(d.updateResource('contoso', 'build-vm', { vmSize: 'B 1' }), {
        code: 'ERR_VALIDATION',
        message: /vmSize/,
      });
      await assert.rejects(
        d.createResource('contoso', { name: 'x-vm', kind: 'vm', osType: 'BSD' as never }),
        {
          code: 'ERR_VALIDATION',
        },
      );
      assert.equal((await d.getResource('contoso', 'build-vm')).powerState, 'stopped');
    });

    test('another kind has no power state nor VM settings, and refuses them with a hint', async () => {
      const d = t.directory;
      const app = await d.createResource('contoso', { name: 'orders-func', kind: 'app' });
      for (const key of VM_KEYS) assert.ok(!(key in app), `an app has no ${key}`);
      await assert.rejects(
        d.updateResource('contoso', 'orders-func', { powerState: 'stopped' }),
        (err: unknown) => {
          assert.ok(isLanyardError(err));
          assert.equal(err.code, 'ERR_VALIDATION');
          assert.match(err.message, /"orders-func" is of kind app: powerState apply to .*kind vm/);
          assert.match(err.hint ?? '', /--kind vm/);
          assert.deepEqual(err.details?.fields, ['powerState']);
          return true;
        },
      );
      await assert.rejects(
        d.createResource('contoso', {
          name: 'vault-1',
          kind: 'vault',
          vmSize: 'Standard_B1s',
          location: 'eastus',
        }),
        { code: 'ERR_VALIDATION', message: /vmSize, location apply to/ },
      );
      assert.equal(
        (await d.listResources('contoso')).some((r) => r.name === 'vault-1'),
        false,
        'the refused create stored nothing',
      );
      const after = await d.getResource('contoso', 'orders-func');
      assert.equal(after.updatedAt, app.updatedAt, 'the refused update changed nothing');
    });

    test('the admin routes take the new fields on POST and PATCH', async () => {
      const routes = new Map<string, (call: AdminCall<{ directory: Directory }>) => Promise<AdminReply>>();
      directoryAdminRoutes({ add: (method, pattern, run) => routes.set(`${method} ${pattern}`, run) });
      const call = (route: string, params: Record<string, string>, body: unknown) =>
        routes.get(route)!({
          params: { tenant: 'contoso', ...params },
          query: {},
          deps: { directory: t.directory },
          logger: createLogger({ level: 'silent' }),
          body: async <T>() => body as T,
        });
      const createdVm = await call(
        'POST /admin/tenants/:tenant/resources',
        {},
        {
          name: 'api-vm',
          kind: 'vm',
          location: 'northeurope',
        },
      );
      assert.equal(createdVm.status, 201);
      assert.equal((createdVm.body as Resource).location, 'northeurope');
      const patched = await call(
        'PATCH /admin/tenants/:tenant/resources/:resource',
        { resource: 'api-vm' },
        { powerState: 'deallocating' },
      );
      assert.equal(patched.status, 200);
      assert.equal((patched.body as Resource).powerState, 'deallocating');
      await assert.rejects(
        call(
          'PATCH /admin/tenants/:tenant/resources/:resource',
          { resource: 'orders-func' },
          { powerState: 'running' },
        ),
        { code: 'ERR_VALIDATION' },
      );
    });
  });

  describe(`migration 0009-resource-settings on a store that has resources (${kind})`, () => {
    const dataDir = tempDir();
    const { location, drop } = testLocation(kind, dataDir);
    after(async () => {
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test('resources stored before it read as before, and a VM can be added after it', async () => {
      assert.ok(MIGRATIONS['0009-resource-settings'], 'the directory declares the migration');
      // The store as a build before 0009 left it: every migration named before it (later ones come after).
      const older = Object.fromEntries(
        Object.entries(MIGRATIONS).filter(([name]) => name < '0009-resource-settings'),
      );
      const old = await openStore({ location, dataDir, migrations: older });
      const directory = (db: typeof old.db) =>
        new Directory(db, {
          hasher: createSecretHasher(masterKeyFromBytes(randomBytes(32))),
          generateSecret: generateClientSecret,
          now: () => new Date(),
        });
      const tenant = await directory(old.db).createTenant({ name: 'contoso', defaultSubscriptionId: SUB });
      // Written as a build before 0009 wrote it: the columns of 0001 only.
      await tablesOf<Pick<DirectoryTables, 'resources'>>(old.db)
        .insertInto('resources')
        .values({
          id: 'aaaaaaaa-0000-4000-8000-000000000001',
          tenant_id: tenant.id,
          name: 'legacy-func',
          kind: 'app',
          subscription_id: SUB,
          resource_group: 'lanyard',
          arm_id: `/subscriptions/${SUB}/resourceGroups/lanyard/providers/Microsoft.Web/sites/legacy-func`,
          system_identity_id: null,
          created_at: '2026-01-01T00:00:00.000Z',
          updated_at: '2026-01-01T00:00:00.000Z',
        } as never)
        .execute();
      await old.close();

      const store = await openStore({ location, dataDir, migrations: MIGRATIONS });
      try {
        assert.equal([...store.migrated][0], '0009-resource-settings');
        const d = directory(store.db);
        const legacy = await d.getResource('contoso', 'legacy-func');
        assert.equal(legacy.kind, 'app');
        for (const key of VM_KEYS) assert.ok(!(key in legacy), `a resource from before has no ${key}`);
        const row = await tablesOf<DirectoryTables>(store.db)
          .selectFrom('resources')
          .select(['power_state', 'settings'])
          .where('name', '=', 'legacy-func')
          .executeTakeFirstOrThrow();
        assert.deepEqual({ ...row }, { power_state: null, settings: '{}' });
        const vm = await d.createResource('contoso', { name: 'new-vm', kind: 'vm', powerState: 'stopped' });
        assert.equal(vm.powerState, 'stopped');
      } finally {
        await store.close();
      }
    });
  });
}
