/**
 * @module test/management/rbac/scope
 * ARM scope ids: each supported kind parsed with its parts and chain, case kept for display but ignored for
 * comparison, ancestors root first, `isWithin` at segment boundaries only, and every malformed or unsupported
 * form refused with ERR_RBAC_SCOPE and its reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ancestorScopes,
  isWithin,
  parentScope,
  parseScope,
  ROOT_SCOPE,
  ScopeError,
  sameScope,
  scopeKey,
} from '../../../src/management/rbac/scope.ts';

const SUB = '0b1f6471-1bf0-4dda-aec3-111122223333';
const RG = `/subscriptions/${SUB}/resourceGroups/Payments-RG`;
const VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/kv-Prod`;

function refused(raw: string, reason: string): void {
  assert.throws(
    () => parseScope(raw),
    (e: unknown) => {
      assert.ok(e instanceof ScopeError, `a ScopeError for ${raw}`);
      assert.equal(e.code, 'ERR_RBAC_SCOPE');
      assert.equal(e.status, 400);
      assert.equal(e.reason, reason, `reason for ${raw}`);
      assert.equal(e.details?.reason, reason);
      return true;
    },
  );
}

describe('parseScope', () => {
  it('parses the root', () => {
    const s = parseScope('/');
    assert.equal(s.kind, 'root');
    assert.equal(s.key, '/');
    assert.deepEqual(s.chain, ['/']);
    assert.equal(s, ROOT_SCOPE);
  });

  it('parses a subscription, a resource group and a resource with their parts', () => {
    const sub = parseScope(`/subscriptions/${SUB}`);
    assert.equal(sub.kind, 'subscription');
    assert.equal(sub.subscriptionId, SUB);
    assert.equal(sub.resourceGroup, undefined);

    const rg = parseScope(RG);
    assert.equal(rg.kind, 'resourceGroup');
    assert.equal(rg.resourceGroup, 'Payments-RG');
    assert.equal(rg.id, RG);

    const vault = parseScope(VAULT);
    assert.equal(vault.kind, 'resource');
    assert.equal(vault.namespace, 'Microsoft.KeyVault');
    assert.deepEqual(vault.resources, [{ type: 'vaults', name: 'kv-Prod' }]);
    assert.deepEqual(vault.chain, ['/', `/subscriptions/${SUB}`, RG.toLowerCase(), VAULT.toLowerCase()]);
  });

  it('parses child resources, one chain step per child', () => {
    const db = parseScope(`${RG}/providers/Microsoft.Sql/servers/sql1/databases/db1`);
    assert.deepEqual(db.resources, [
      { type: 'servers', name: 'sql1' },
      { type: 'databases', name: 'db1' },
    ]);
    assert.equal(db.chain.length, 5);
    assert.equal(db.chain[3], `${RG}/providers/Microsoft.Sql/servers/sql1`.toLowerCase());
  });

  it("keeps the caller's spelling of names, normalises ARM's keywords, and keys on lower case", () => {
    const s = parseScope(
      `/SUBSCRIPTIONS/${SUB.toUpperCase()}/resourcegroups/Payments-RG/PROVIDERS/microsoft.keyvault/Vaults/KV-PROD`,
    );
    assert.equal(
      s.id,
      `/subscriptions/${SUB.toUpperCase()}/resourceGroups/Payments-RG/providers/microsoft.keyvault/Vaults/KV-PROD`,
    );
    assert.equal(s.key, VAULT.toLowerCase());
    assert.ok(sameScope(s, VAULT));
    assert.equal(scopeKey(VAULT), scopeKey(s));
    assert.ok(!sameScope(VAULT, `${RG}/providers/Microsoft.KeyVault/vaults/kv-other`));
  });

  it('tolerates one trailing slash', () => {
    assert.equal(parseScope(`${RG}/`).id, RG);
  });

  it('refuses malformed ids with a reason', () => {
    refused('', 'empty');
    refused(`subscriptions/${SUB}`, 'no-leading-slash');
    refused(`/subscriptions//resourceGroups/x`, 'empty-segment');
    refused(`${RG}//`, 'empty-segment');
    refused('/subscriptions/not-a-guid', 'bad-subscription-id');
    refused('/subscriptions', 'incomplete');
    refused(`/subscriptions/${SUB}/resourceGroups`, 'incomplete');
    refused(`/subscriptions/${SUB}/resourceGroups/ends-with-dot.`, 'bad-resource-group');
    refused(`/subscriptions/${SUB}/resourceGroups/${'x'.repeat(91)}`, 'bad-resource-group');
    refused(`/subscriptions/${SUB}/resourceGroups/has space`, 'bad-resource-group');
    refused(`${RG}/providers`, 'incomplete');
    refused(`${RG}/providers/KeyVault/vaults/kv`, 'bad-namespace');
    refused(`${RG}/providers/Microsoft.KeyVault`, 'incomplete');
    refused(`${RG}/providers/Microsoft.KeyVault/vaults`, 'incomplete');
    refused(`${RG}/providers/Microsoft.KeyVault/vaults/kv/secrets`, 'incomplete');
    refused(`${RG}/providers/Microsoft.KeyVault/va$ults/kv`, 'bad-resource-type');
    refused(`${RG}/providers/Microsoft.KeyVault/vaults/k\u0001v`, 'bad-resource-name');
  });

  it('refuses kinds the model does not have', () => {
    refused('/providers/Microsoft.Management/managementGroups/mg1', 'unsupported');
    refused('/tenants/x', 'unsupported');
    refused(`/subscriptions/${SUB}/providers/Microsoft.Features/features/f1`, 'unsupported');
    refused(`/subscriptions/${SUB}/locations/westeurope`, 'unsupported');
    refused(`${RG}/vaults/kv`, 'unsupported');
    refused(`${VAULT}/providers/Microsoft.Insights/diagnosticSettings/d1`, 'unsupported');
  });

  it('names the scope in the message', () => {
    assert.throws(
      () => parseScope('/subscriptions/nope'),
      /"\/subscriptions\/nope" is not valid: "nope" is not a GUID/,
    );
  });
});

describe('ancestors', () => {
  it('lists the scope and every scope above it, root first, scope itself last', () => {
    const chain = ancestorScopes(`${VAULT}/secrets/s1`);
    assert.deepEqual(
      chain.map((s) => s.kind),
      ['root', 'subscription', 'resourceGroup', 'resource', 'resource'],
    );
    assert.equal(chain[2]!.id, RG);
    assert.equal(chain.at(-1)!.id, `${VAULT}/secrets/s1`);
  });

  it('gives the parent, and none above the root', () => {
    assert.equal(parentScope(VAULT)?.id, RG);
    assert.equal(parentScope(`/subscriptions/${SUB}`)?.id, '/');
    assert.equal(parentScope('/'), undefined);
  });
});

describe('isWithin', () => {
  it('holds for the scope itself and everything below, across spellings', () => {
    assert.ok(isWithin(VAULT, RG));
    assert.ok(isWithin(VAULT, '/'));
    assert.ok(isWithin(VAULT, VAULT.toUpperCase().replace('/SUBSCRIPTIONS', '/subscriptions')));
    assert.ok(isWithin(`${VAULT}/secrets/s1`, VAULT));
    assert.ok(isWithin(RG, `/subscriptions/${SUB}`));
  });

  it('does not hold upwards, sideways, or for a name that only shares a prefix', () => {
    assert.ok(!isWithin(RG, VAULT));
    assert.ok(!isWithin('/', RG));
    assert.ok(!isWithin(`/subscriptions/${SUB}/resourceGroups/Payments-RG2`, RG));
    assert.ok(!isWithin(`${RG}/providers/Microsoft.KeyVault/vaults/kv-Prod2`, VAULT));
    assert.ok(!isWithin(`/subscriptions/1b1f6471-1bf0-4dda-aec3-111122223333`, `/subscriptions/${SUB}`));
  });
});
