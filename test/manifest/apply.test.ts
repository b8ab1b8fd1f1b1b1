/**
 * @module test/manifest/apply
 * Plan and apply against real stores (SQLite and PostgreSQL): the seed manifest creates every object, a
 * second apply changes nothing, edits become field-level updates, undeclared objects are "not managed" until
 * --prune deletes them, pinned ids cannot change, and a refusal midway leaves the store exactly as it was.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type Document, isMap, parseDocument, type YAMLSeq } from 'yaml';
import type { Directory } from '../../src/directory/directory.ts';
import type { LanyardError } from '../../src/errors/lanyard-error.ts';
import {
  applyManifest,
  formatPlan,
  type Manifest,
  parseManifest,
  planManifest,
} from '../../src/host/manifest.ts';
import type { Runtime } from '../../src/host/runtime.ts';
import { openTestRuntime } from '../helpers/runtime.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

/** Named by its path: the files it names (a gateway's `policyFile`) are relative to its folder. */
const SEED_FILE = path.resolve(import.meta.dirname, '../../examples/seeds/lanyard.yaml');
const SEED_TEXT = fs.readFileSync(SEED_FILE, 'utf8');
const SEED = parseManifest(SEED_TEXT, SEED_FILE);

/** The seed manifest with an edit made to its YAML, parsed as the seed file. */
function seedWith(edit: (doc: Document, at: (list: string, name: string) => number) => void): Manifest {
  const doc = parseDocument(SEED_TEXT);
  const at = (list: string, name: string): number => {
    const seq = doc.getIn(['tenants', 0, list]) as YAMLSeq;
    const i = seq.items.findIndex((item) => isMap(item) && item.get('name') === name);
    assert.ok(i >= 0, `${list} ${name} is in the seed manifest`);
    return i;
  };
  edit(doc, at);
  return parseManifest(doc.toString(), SEED_FILE);
}

function removeRunbook(doc: Document, name: string): void {
  const seq = doc.getIn(['tenants', 0, 'runbooks']) as YAMLSeq;
  const i = seq.items.findIndex((item) => isMap(item) && item.get('name') === name);
  assert.ok(i >= 0, `runbook ${name} is in the seed manifest`);
  seq.items.splice(i, 1);
}

function removeAssignment(doc: Document, principal: string): void {
  const seq = doc.getIn(['tenants', 0, 'roleAssignments']) as YAMLSeq;
  const i = seq.items.findIndex((item) => isMap(item) && item.get('principal') === principal);
  assert.ok(i >= 0);
  seq.items.splice(i, 1);
}

/** Ids the store generated, by name: they must never change across applies. */
async function generatedIds(d: Directory): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const t of await d.listTenants()) {
    ids[`tenant ${t.name}`] = t.id;
    for (const a of await d.listApps(t.id)) {
      ids[`app ${a.name}`] = `${a.appId} ${a.objectId} ${a.servicePrincipalId}`;
      for (const r of a.appRoles) ids[`role ${a.name}/${r.value}`] = r.id;
    }
    for (const x of await d.listIdentities(t.id, { includeSystem: true })) {
      ids[`identity ${x.kind} ${x.name}`] = `${x.clientId} ${x.principalId}`;
    }
    for (const r of await d.listResources(t.id)) ids[`resource ${r.name}`] = r.id;
    for (const a of await d.listRoleAssignments(t.id)) ids[`assignment ${a.id}`] = a.appRoleId;
  }
  return ids;
}

for (const kind of STORE_KINDS) {
  describe(`manifest plan and apply (${kind})`, () => {
    let runtime: Runtime;
    let dir: Directory;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ runtime, cleanup } = await openTestRuntime(kind));
      dir = runtime.directory;
    });
    afterEach(() => cleanup());

    it('plans only creates on an empty store, and planning writes nothing', async () => {
      const before = await dir.version();
      const plan = await planManifest(dir, SEED);
      assert.equal(await dir.version(), before);
      assert.ok(plan.changes.length > 0);
      assert.ok(plan.changes.every((c) => c.action === 'create'));
      assert.deepEqual(plan.summary, { create: plan.changes.length, update: 0, delete: 0 });
      assert.deepEqual(plan.notManaged, []);
      assert.equal(plan.applied, false);
      // Dependencies first: the tenant, then identities, apps, resources, and assignments last.
      const kinds = plan.changes.map((c) => c.kind);
      assert.equal(kinds[0], 'tenant');
      assert.ok(kinds.lastIndexOf('identity') < kinds.indexOf('app'));
      assert.ok(kinds.lastIndexOf('app') < kinds.indexOf('resource'));
      assert.ok(kinds.lastIndexOf('resource') < kinds.indexOf('roleAssignment'));
      const text = formatPlan(plan);
      assert.match(text, /^\+ create tenant contoso$/m);
      assert.match(text, /^\+ create app contoso\/exclusive-function$/m);
      assert.match(
        text,
        /^\+ create roleAssignment contoso\/resource:auto-trigger-function → exclusive-function\/Invoke$/m,
      );
      assert.match(
        text,
        new RegExp(`^Plan: ${plan.changes.length} to create, 0 to update, 0 to delete\\.$`, 'm'),
      );
    });

    it('applies the seed manifest, and a second apply changes nothing', async () => {
      const applied = await applyManifest(dir, SEED);
      assert.equal(applied.applied, true);
      assert.match(formatPlan(applied), /^Apply complete: \d+ created, 0 updated, 0 deleted\.$/m);

      const tenant = await dir.getTenant('contoso');
      assert.equal(tenant.displayName, 'Contoso');
      assert.deepEqual(tenant.domains, ['contoso.onmicrosoft.com']);
      const somefunction = await dir.getApp('contoso', 'somefunction');
      assert.equal(somefunction.appId, 'cc334b87-fdbe-4996-aa3f-5bad192a18a6');
      assert.deepEqual(somefunction.identifierUris, ['api://somefunction']);
      assert.equal(somefunction.appRoleAssignmentRequired, true);
      const exclusive = await dir.getApp('contoso', 'exclusive-function');
      assert.equal(exclusive.displayName, 'ExclusiveFunction');
      assert.deepEqual(
        exclusive.appRoles.map((r) => [r.value, r.allowedMemberTypes, r.isEnabled]),
        [['Invoke', ['Application'], true]],
      );
      const caller = await dir.getResource('contoso', 'apim-client-function');
      assert.deepEqual(
        caller.userAssignedIdentities.map((x) => x.name),
        ['apim-caller'],
      );
      assert.equal(caller.systemAssignedIdentity, null);
      assert.ok((await dir.getResource('contoso', 'functions-apim')).systemAssignedIdentity);
      assert.equal((await dir.getResource('contoso', 'flow-credentials')).kind, 'vault');
      const assignments = await dir.listRoleAssignments('contoso');
      assert.deepEqual(
        assignments
          .map((a) => `${a.principalDisplayName} → ${a.resourceAppName}/${a.appRoleValue ?? '(default)'}`)
          .sort(),
        [
          'apim-caller → apim-protected-api/API.Call',
          'auto-trigger-function → exclusive-function/Invoke',
          'functions-apim → apim-backend-function/(default)',
          'runbook-automation → somefunction/(default)',
          'vm-report-flow → get-creds/(default)',
          'vm-report-flow → get-vm-status/(default)',
          'vm-report-flow-msi → get-vm-status/(default)',
        ],
      );

      const version = await dir.version();
      const ids = await generatedIds(dir);
      const again = await planManifest(dir, SEED);
      assert.deepEqual(again.changes, []);
      assert.deepEqual(again.notManaged, []);
      assert.equal(formatPlan(again), 'No changes. The directory matches the manifest.');
      const second = await applyManifest(dir, SEED);
      assert.deepEqual(second.changes, []);
      assert.equal(await dir.version(), version);
      assert.deepEqual(await generatedIds(dir), ids);
    });

    it('turns edited fields into an update with the field diff, and applies it', async () => {
      await applyManifest(dir, SEED);
      const ids = await generatedIds(dir);
      const edited = seedWith((doc, at) => {
        const app = ['tenants', 0, 'apps', at('apps', 'exclusive-function')];
        doc.setIn(
          [...app, 'identifierUris'],
          doc.createNode(['api://exclusive-function', 'api://exclusive']),
        );
        doc.setIn([...app, 'appRoleAssignmentRequired'], false);
        doc.setIn([...app, 'displayName'], 'Exclusive Function');
        doc.setIn([...app, 'appRoles', 0, 'description'], 'Trigger it.');
        doc.setIn(
          ['tenants', 0, 'resources', at('resources', 'contoso-apim'), 'systemAssignedIdentity'],
          true,
        );
      });
      const plan = await planManifest(dir, edited);
      assert.deepEqual(plan.summary, { create: 0, update: 2, delete: 0 });
      const app = plan.changes.find((c) => c.kind === 'app');
      assert.deepEqual(app, {
        action: 'update',
        kind: 'app',
        tenant: 'contoso',
        name: 'exclusive-function',
        changes: [
          'displayName: "ExclusiveFunction" → "Exclusive Function"',
          'identifierUris: [api://exclusive-function] → [api://exclusive-function, api://exclusive]',
          'appRoleAssignmentRequired: true → false',
          'appRoles[Invoke].description: "Lets a registered caller trigger ExclusiveFunction over HTTP." → "Trigger it."',
        ],
      });
      const text = formatPlan(plan);
      assert.match(
        text,
        /^~ update app contoso\/exclusive-function\n {4}displayName: "ExclusiveFunction" → "Exclusive Function"$/m,
      );
      assert.match(
        text,
        /^~ update resource contoso\/contoso-apim\n {4}systemAssignedIdentity: false → true$/m,
      );
      assert.match(text, /^Plan: 0 to create, 2 to update, 0 to delete\.$/m);

      await applyManifest(dir, edited);
      const after = await dir.getApp('contoso', 'exclusive-function');
      assert.deepEqual(after.identifierUris, ['api://exclusive-function', 'api://exclusive']);
      assert.equal(after.appRoleAssignmentRequired, false);
      assert.equal(after.displayName, 'Exclusive Function');
      assert.equal(after.appRoles[0]?.description, 'Trigger it.');
      // The role kept its id (its assignment still points at it) and the app kept its appId.
      const now = await generatedIds(dir);
      assert.equal(now['role exclusive-function/Invoke'], ids['role exclusive-function/Invoke']);
      assert.equal(now['app exclusive-function'], ids['app exclusive-function']);
      assert.ok((await dir.getResource('contoso', 'contoso-apim')).systemAssignedIdentity);
      assert.deepEqual((await planManifest(dir, edited)).changes, []);
    });

    it('lists an undeclared resource as not managed, and deletes it only with prune', async () => {
      await applyManifest(dir, SEED);
      const without = seedWith((doc, at) => {
        doc.deleteIn(['tenants', 0, 'resources', at('resources', 'auto-trigger-function')]);
        removeAssignment(doc, 'resource:auto-trigger-function');
        removeRunbook(doc, 'AutoTriggerFunction');
      });
      const assignmentName = 'resource:auto-trigger-function → exclusive-function/Invoke';

      const plan = await planManifest(dir, without);
      assert.deepEqual(plan.changes, []);
      assert.deepEqual(plan.notManaged, [
        { kind: 'resource', tenant: 'contoso', name: 'auto-trigger-function' },
        { kind: 'roleAssignment', tenant: 'contoso', name: assignmentName },
        { kind: 'runbook', tenant: 'contoso', name: 'auto-trigger-function/AutoTriggerFunction' },
      ]);
      const text = formatPlan(plan);
      assert.match(
        text,
        /^Not managed \(in the store but not in the manifest; apply with --prune to delete them\):$/m,
      );
      assert.match(text, /^ {2}resource contoso\/auto-trigger-function$/m);
      assert.match(text, /No changes\. The directory matches the manifest\.$/);
      const version = await dir.version();
      await applyManifest(dir, without);
      assert.equal(await dir.version(), version);
      assert.ok(await dir.getResource('contoso', 'auto-trigger-function'));

      const pruned = await planManifest(dir, without, { prune: true });
      assert.deepEqual(pruned.notManaged, []);
      assert.deepEqual(
        pruned.changes.map((c) => `${c.action} ${c.kind} ${c.name}`),
        [
          `delete roleAssignment ${assignmentName}`,
          // Its timer goes before it.
          'delete runbook auto-trigger-function/AutoTriggerFunction',
          'delete resource auto-trigger-function',
        ],
      );
      assert.match(formatPlan(pruned), /^- delete resource contoso\/auto-trigger-function$/m);
      assert.match(formatPlan(pruned), /^Plan: 0 to create, 0 to update, 3 to delete\.$/m);
      await applyManifest(dir, without, { prune: true });
      await assert.rejects(dir.getResource('contoso', 'auto-trigger-function'), { code: 'ERR_NOT_FOUND' });
      const identities = await dir.listIdentities('contoso', { includeSystem: true });
      assert.ok(!identities.some((x) => x.name === 'auto-trigger-function'));
      const left = await dir.listRoleAssignments('contoso', { app: 'exclusive-function' });
      assert.deepEqual(left, []);
      assert.deepEqual((await planManifest(dir, without, { prune: true })).changes, []);
    });

    it('never prunes first-party apps, and prunes undeclared tenants', async () => {
      await applyManifest(dir, SEED);
      await dir.createTenant({ name: 'fabrikam' });
      const plan = await planManifest(dir, SEED);
      assert.deepEqual(plan.notManaged, [{ kind: 'tenant', tenant: 'fabrikam', name: 'fabrikam' }]);
      const pruned = await applyManifest(dir, SEED, { prune: true });
      assert.deepEqual(
        pruned.changes.map((c) => `${c.action} ${c.kind} ${c.name}`),
        ['delete tenant fabrikam'],
      );
      assert.deepEqual(
        (await dir.listTenants()).map((t) => t.name),
        ['contoso'],
      );
      const firstParty = (await dir.listApps('contoso', { includeFirstParty: true })).filter(
        (a) => a.firstParty,
      );
      assert.equal(firstParty.length, 3);
    });

    it("assigns Graph's permissions (roles of a first-party app) and sees them applied on the next plan", async () => {
      const withGraph = seedWith((doc) => {
        const assignments = doc.getIn(['tenants', 0, 'roleAssignments']) as YAMLSeq;
        assignments.add(
          doc.createNode({
            principal: 'identity:apim-caller',
            app: 'microsoft-graph',
            role: 'Application.Read.All',
          }),
        );
        assignments.add(
          doc.createNode({
            principal: 'identity:apim-caller',
            app: 'microsoft-graph',
            role: '06b708a9-e830-4db3-a914-8e69da51d44f',
          }),
        );
      });
      await applyManifest(dir, withGraph);
      const held = await dir.listRoleAssignments('contoso', {
        principal: 'identity:apim-caller',
        app: 'microsoft-graph',
      });
      assert.deepEqual(held.map((a) => a.appRoleValue).sort(), [
        'AppRoleAssignment.ReadWrite.All',
        'Application.Read.All',
      ]);
      const again = await planManifest(dir, withGraph);
      assert.deepEqual(again.changes, []);
      assert.deepEqual(again.notManaged, []);
    });

    it('changes nothing when a step fails midway: one transaction', async () => {
      const failing = seedWith((doc) => {
        const apps = doc.getIn(['tenants', 0, 'apps']) as YAMLSeq;
        apps.add(
          doc.createNode({
            name: 'portal',
            appRoles: [{ value: 'Portal.User', allowedMemberTypes: ['User'] }],
          }),
        );
        const assignments = doc.getIn(['tenants', 0, 'roleAssignments']) as YAMLSeq;
        assignments.add(
          doc.createNode({ principal: 'resource:get-creds', app: 'portal', role: 'Portal.User' }),
        );
      });
      // On an empty store: everything before the last assignment would have been created.
      const version = await dir.version();
      await assert.rejects(applyManifest(dir, failing), (err: LanyardError) => {
        assert.equal(err.code, 'ERR_VALIDATION');
        assert.match(
          err.message,
          /^Could not create roleAssignment contoso\/resource:get-creds → portal\/Portal\.User: Role "Portal\.User" of app "portal" does not allow Application members\. Nothing was applied\.$/,
        );
        assert.ok(err.hint);
        return true;
      });
      assert.equal(await dir.version(), version);
      assert.deepEqual(await dir.listTenants(), []);

      // On a store that holds the seed: the edits before the failing step are rolled back too.
      await applyManifest(dir, SEED);
      const seeded = await dir.version();
      const tenants = await dir.listTenants();
      const ids = await generatedIds(dir);
      await assert.rejects(applyManifest(dir, failing, { prune: true }), { code: 'ERR_VALIDATION' });
      assert.equal(await dir.version(), seeded);
      assert.deepEqual(await dir.listTenants(), tenants);
      assert.deepEqual(await generatedIds(dir), ids);
      await assert.rejects(dir.getApp('contoso', 'portal'), { code: 'ERR_NOT_FOUND' });
    });

    it('refuses a pinned appId that differs from the stored app', async () => {
      await applyManifest(dir, SEED);
      const version = await dir.version();
      const repinned = seedWith((doc, at) => {
        doc.setIn(
          ['tenants', 0, 'apps', at('apps', 'somefunction'), 'appId'],
          '22222222-2222-2222-2222-222222222222',
        );
      });
      const line = SEED_TEXT.split('\n').findIndex((l) => l.includes('appId: cc334b87')) + 1;
      for (const attempt of [() => planManifest(dir, repinned), () => applyManifest(dir, repinned)]) {
        await assert.rejects(attempt(), (err: LanyardError) => {
          assert.equal(err.code, 'ERR_CONFLICT');
          assert.match(
            err.message,
            new RegExp(
              `^.*\\blanyard\\.yaml:${line}:16 tenants\\[0\\]\\.apps\\[0\\]\\.appId: app contoso/somefunction has appId cc334b87-fdbe-4996-aa3f-5bad192a18a6, but the manifest declares 22222222-2222-2222-2222-222222222222\\. appId cannot change\\.$`,
            ),
          );
          assert.match(err.hint ?? '', /--prune/);
          return true;
        });
      }
      assert.equal(await dir.version(), version);
      assert.equal(
        (await dir.getApp('contoso', 'somefunction')).appId,
        'cc334b87-fdbe-4996-aa3f-5bad192a18a6',
      );
    });

    it('refuses to change a resource kind', async () => {
      await applyManifest(dir, SEED);
      const changed = seedWith((doc, at) => {
        doc.setIn(['tenants', 0, 'resources', at('resources', 'runbook-automation'), 'kind'], 'app');
      });
      await assert.rejects(planManifest(dir, changed), (err: LanyardError) => {
        assert.equal(err.code, 'ERR_CONFLICT');
        assert.match(
          err.message,
          /resource contoso\/runbook-automation has kind automation, but the manifest declares app/,
        );
        return true;
      });
    });

    it('removes a role still assigned only when prune removes the assignment first', async () => {
      await applyManifest(dir, SEED);
      const noRole = seedWith((doc, at) => {
        doc.setIn(['tenants', 0, 'apps', at('apps', 'exclusive-function'), 'appRoles'], doc.createNode([]));
        removeAssignment(doc, 'resource:auto-trigger-function');
      });
      const version = await dir.version();
      await assert.rejects(applyManifest(dir, noRole), (err: LanyardError) => {
        assert.equal(err.code, 'ERR_IN_USE');
        assert.match(
          err.message,
          /^Could not update app contoso\/exclusive-function: App role "Invoke" cannot be removed/,
        );
        assert.match(err.hint ?? '', /Remove those assignments first/);
        return true;
      });
      assert.equal(await dir.version(), version);

      const plan = await applyManifest(dir, noRole, { prune: true });
      assert.deepEqual(
        plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`),
        [
          'delete roleAssignment resource:auto-trigger-function → exclusive-function/Invoke',
          'update app exclusive-function',
        ],
      );
      assert.deepEqual(plan.changes[1]?.changes, ['appRoles: - Invoke']);
      assert.deepEqual((await dir.getApp('contoso', 'exclusive-function')).appRoles, []);
    });

    it('manages federated credentials: create, update in place of replace, prune', async () => {
      const fic = {
        name: 'github-main',
        issuer: 'https://token.actions.githubusercontent.com',
        subject: 'repo:contoso/orders:ref:refs/heads/main',
      };
      const withFic = (subject: string) =>
        seedWith((doc) => {
          doc.setIn(
            ['tenants', 0, 'identities', 0, 'federatedCredentials'],
            doc.createNode([{ ...fic, subject }]),
          );
        });
      const created = await applyManifest(dir, withFic(fic.subject));
      assert.ok(
        created.changes.some(
          (c) =>
            c.action === 'create' &&
            c.kind === 'federatedCredential' &&
            c.name === 'identity:apim-caller/github-main',
        ),
      );
      const [stored] = await dir.listFederatedCredentials('contoso', {
        kind: 'identity',
        name: 'apim-caller',
      });
      assert.deepEqual(stored?.audiences, ['api://AzureADTokenExchange']);
      assert.deepEqual((await planManifest(dir, withFic(fic.subject))).changes, []);

      const updated = await applyManifest(dir, withFic('repo:contoso/orders:environment:prod'));
      assert.deepEqual(updated.changes, [
        {
          action: 'update',
          kind: 'federatedCredential',
          tenant: 'contoso',
          name: 'identity:apim-caller/github-main',
          changes: [
            'subject: "repo:contoso/orders:ref:refs/heads/main" → "repo:contoso/orders:environment:prod"',
          ],
        },
      ]);
      const [after] = await dir.listFederatedCredentials('contoso', {
        kind: 'identity',
        name: 'apim-caller',
      });
      assert.equal(after?.subject, 'repo:contoso/orders:environment:prod');

      assert.deepEqual((await planManifest(dir, SEED)).notManaged, [
        { kind: 'federatedCredential', tenant: 'contoso', name: 'identity:apim-caller/github-main' },
      ]);
      await applyManifest(dir, SEED, { prune: true });
      assert.deepEqual(
        await dir.listFederatedCredentials('contoso', { kind: 'identity', name: 'apim-caller' }),
        [],
      );
    });

    it('keeps assignments when a pinned role id renames the role value', async () => {
      const pinned = (value: string) =>
        parseManifest(
          [
            'apiVersion: lanyard/v1',
            'tenants:',
            '  - name: contoso',
            '    apps:',
            '      - name: orders',
            '        appRoles:',
            `          - { value: ${value}, id: 33333333-3333-3333-3333-333333333333 }`,
            '    resources: [{ name: worker, kind: app, systemAssignedIdentity: true }]',
            `    roleAssignments: [{ principal: "resource:worker", app: orders, role: ${value} }]`,
            '',
          ].join('\n'),
        );
      await applyManifest(dir, pinned('Orders.Read'));
      const [before] = await dir.listRoleAssignments('contoso');
      const plan = await applyManifest(dir, pinned('Orders.ReadAll'));
      assert.deepEqual(
        plan.changes.map((c) => [c.kind, c.action, c.changes]),
        [
          [
            'app',
            'update',
            [
              'appRoles[Orders.Read].value: "Orders.Read" → "Orders.ReadAll"',
              // displayName defaults to the value, so it follows.
              'appRoles[Orders.Read].displayName: "Orders.Read" → "Orders.ReadAll"',
            ],
          ],
        ],
      );
      const [after] = await dir.listRoleAssignments('contoso');
      assert.equal(after?.id, before?.id);
      assert.equal(after?.appRoleValue, 'Orders.ReadAll');
    });
  });
}
