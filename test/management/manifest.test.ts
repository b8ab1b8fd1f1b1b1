/**
 * The `management:` key of lanyard.yaml: subscriptions, resource groups, custom roles and RBAC role
 * assignments applied from the manifest, a second plan empty, a changed assignment replaced, undeclared ones
 * pruned — on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LanyardError } from '../../src/errors/lanyard-error.ts';
import { applyManifest, formatPlan, parseManifest, planManifest } from '../../src/host/manifest.ts';
import type { Runtime } from '../../src/host/runtime.ts';
import {
  checkAccess,
  listResourceGroups,
  listRoleAssignments,
  listSubscriptions,
} from '../../src/management/service.ts';
import { openTestRuntime } from '../helpers/runtime.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const SUB = '6d1f0a52-3b0e-4d1f-9a3c-0c5e1b2a7f10';

const manifest = (assignments: string, extra = '') => `apiVersion: lanyard/v1
tenants:
  - name: contoso
    identities:
      - name: orders-uami
    resources:
      - name: kv1
        kind: vault
      - name: fn1
        kind: app
        systemAssignedIdentity: true
    management:
      subscriptions:
        - id: ${SUB}
          displayName: Contoso Dev
      resourceGroups:
        - name: team-rg
          location: westeurope
          tags: { team: a }
        - name: dev-rg
          subscription: ${SUB}
      roles:
        - name: Secret Peeker
          description: reads secrets
          assignableScopes: [subscription]
          permissions:
            - dataActions: [Microsoft.KeyVault/vaults/secrets/getSecret/action]
      roleAssignments:
${assignments}${extra}
`;

const TWO = `        - principal: identity:orders-uami
          role: Key Vault Secrets User
          scope: resource:kv1
        - principal: resource:fn1
          role: Secret Peeker
          scope: group:team-rg
`;

for (const kind of STORE_KINDS) {
  describe(`management manifest (${kind})`, () => {
    let runtime: Runtime;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ runtime, cleanup } = await openTestRuntime(kind));
    });
    after(async () => cleanup?.());

    it('applies subscriptions, groups, roles and assignments after the principals they name; a second plan is empty', async () => {
      const d = runtime.directory;
      const plan = await applyManifest(d, parseManifest(manifest(TWO), 'lanyard.yaml'));
      const kinds = plan.changes.map((c) => `${c.action} ${c.kind}`);
      for (const k of [
        'create subscription',
        'create resourceGroup',
        'create role',
        'create rbacAssignment',
      ]) {
        assert.ok(kinds.includes(k), `${k} in ${kinds.join(', ')}`);
      }
      assert.ok(
        (await listSubscriptions(d, 'contoso')).some(
          (s) => s.subscriptionId === SUB && s.displayName === 'Contoso Dev',
        ),
      );
      const groups = await listResourceGroups(d, 'contoso');
      assert.equal(groups.find((g) => g.name === 'team-rg')?.location, 'westeurope');
      assert.ok((await listResourceGroups(d, 'contoso', SUB)).some((g) => g.name === 'dev-rg'));
      const allowed = await checkAccess(d, 'contoso', {
        principal: 'identity:orders-uami',
        action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
        scope: 'resource:kv1',
        dataAction: true,
      });
      assert.equal(allowed.decision.allowed, true);
      const again = await planManifest(d, parseManifest(manifest(TWO), 'lanyard.yaml'));
      assert.deepEqual(again.changes, [], formatPlan(again));
    });

    it('replaces a changed assignment, keeps an undeclared one unless pruning', async () => {
      const d = runtime.directory;
      const changed = TWO.replace('Key Vault Secrets User', 'Key Vault Secrets Officer');
      const plan = await planManifest(d, parseManifest(manifest(changed), 'lanyard.yaml'));
      assert.deepEqual(
        plan.changes.map((c) => `${c.action} ${c.kind}`),
        ['create rbacAssignment'],
        formatPlan(plan),
      );
      assert.equal(plan.notManaged.filter((o) => o.kind === 'rbacAssignment').length, 1);
      await applyManifest(d, parseManifest(manifest(changed), 'lanyard.yaml'), { prune: true });
      const held = await listRoleAssignments(d, 'contoso', { principal: 'identity:orders-uami' });
      assert.deepEqual(
        held.map((a) => a.roleName),
        ['Key Vault Secrets Officer'],
      );
    });

    it('refuses moving a resource group and a custom role named as a built-in', async () => {
      const d = runtime.directory;
      const moved = manifest(TWO).replace('location: westeurope', 'location: eastus');
      await assert.rejects(planManifest(d, parseManifest(moved, 'lanyard.yaml')), (err: unknown) => {
        assert.ok(err instanceof LanyardError);
        assert.match(err.message, /location cannot change/);
        return true;
      });
      const builtin = manifest(TWO).replace('name: Secret Peeker', 'name: Owner');
      assert.throws(() => parseManifest(builtin, 'lanyard.yaml'), /built-in role/);
    });
  });
}
