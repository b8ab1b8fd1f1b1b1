/**
 * @module test/management/rbac/permissions
 * Azure's action matching: exact operations, `*` anywhere (case ignored), a whole-segment `*` that may stand for
 * no segment, NotActions taken away only within their own block, data actions apart from control actions, and
 * the built-in roles' data exactly as published.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BUILTIN_ROLES,
  builtinRoleById,
  builtinRoleByName,
  CONTRIBUTOR,
  KEY_VAULT_ADMINISTRATOR,
  KEY_VAULT_READER,
  KEY_VAULT_SECRETS_OFFICER,
  KEY_VAULT_SECRETS_USER,
  MANAGED_IDENTITY_OPERATOR,
  OWNER,
  READER,
  USER_ACCESS_ADMINISTRATOR,
} from '../../../src/management/rbac/builtin-roles.ts';
import {
  actionMatches,
  checkPattern,
  normaliseOperation,
  permits,
  type RolePermission,
} from '../../../src/management/rbac/permissions.ts';
import type { RoleDefinition } from '../../../src/management/rbac/role-definition.ts';
import { defineRole, roleDefinitionGuid } from '../../../src/management/rbac/role-definition.ts';

const CONTROL = { dataAction: false };
const DATA = { dataAction: true };
const GET_SECRET = 'Microsoft.KeyVault/vaults/secrets/getSecret/action';
const READ_METADATA = 'Microsoft.KeyVault/vaults/secrets/readMetadata/action';

const allows = (role: RoleDefinition, op: string, kind = CONTROL) => permits(role.permissions, op, kind);

describe('actionMatches', () => {
  it('matches a plain operation exactly, ignoring case', () => {
    assert.ok(actionMatches('Microsoft.KeyVault/vaults/read', 'microsoft.keyvault/VAULTS/read'));
    assert.ok(!actionMatches('Microsoft.KeyVault/vaults/read', 'Microsoft.KeyVault/vaults/write'));
    assert.ok(!actionMatches('Microsoft.KeyVault/vaults/read', 'Microsoft.KeyVault/vaults/read/more'));
  });

  it('`*` alone matches every operation', () => {
    assert.ok(actionMatches('*', 'Microsoft.Compute/virtualMachines/start/action'));
  });

  it('a leading `*` then `/read` matches every read, in every provider, and nothing else', () => {
    assert.ok(actionMatches('*/read', 'Microsoft.Resources/subscriptions/resourceGroups/read'));
    assert.ok(actionMatches('*/read', 'Microsoft.KeyVault/vaults/READ'));
    assert.ok(!actionMatches('*/read', 'Microsoft.KeyVault/vaults/write'));
    assert.ok(!actionMatches('*/read', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'));
  });

  it('a trailing `*` matches everything under the prefix, at any depth', () => {
    assert.ok(actionMatches('Microsoft.KeyVault/vaults/*', 'Microsoft.KeyVault/vaults/write'));
    assert.ok(actionMatches('Microsoft.KeyVault/vaults/*', GET_SECRET));
    assert.ok(!actionMatches('Microsoft.KeyVault/vaults/*', 'Microsoft.KeyVault/deletedVaults/read'));
    assert.ok(!actionMatches('Microsoft.KeyVault/vaults/*', 'Microsoft.KeyVaultX/vaults/read'));
  });

  it('a middle `*` matches one or more segments, and no segment', () => {
    const p = 'Microsoft.Authorization/*/Delete';
    assert.ok(actionMatches(p, 'Microsoft.Authorization/roleAssignments/delete'));
    assert.ok(actionMatches(p, 'Microsoft.Authorization/policyAssignments/exemptions/delete'));
    assert.ok(actionMatches(p, 'Microsoft.Authorization/delete'));
    assert.ok(!actionMatches(p, 'Microsoft.Authorization/roleAssignments/write'));
    const q = 'Microsoft.KeyVault/vaults/secrets/*/read';
    assert.ok(actionMatches(q, 'Microsoft.KeyVault/vaults/secrets/versions/read'));
    assert.ok(actionMatches(q, 'Microsoft.KeyVault/vaults/secrets/read'));
    assert.ok(!actionMatches(q, 'Microsoft.KeyVault/vaults/keys/read'));
  });

  it('a `*` inside a segment matches within it and beyond', () => {
    assert.ok(actionMatches('Microsoft.Web/sites/config/list*', 'Microsoft.Web/sites/config/list/action'));
    assert.ok(!actionMatches('Microsoft.Web/sites/config/list*', 'Microsoft.Web/sites/config/read'));
  });

  it('treats `.` literally', () => {
    assert.ok(!actionMatches('Microsoft.Web/*', 'MicrosoftXWeb/sites/read'));
  });

  it('refuses malformed operations and patterns', () => {
    for (const bad of [
      '',
      'read',
      'Microsoft.KeyVault/vaults/*',
      'Microsoft.KeyVault//read',
      'Microsoft.KeyVault/vaults/read ',
    ]) {
      assert.throws(() => normaliseOperation(bad), { code: 'ERR_RBAC_ACTION' }, bad);
    }
    for (const bad of ['', 'vaults', 'Microsoft.KeyVault//read', 'Microsoft.KeyVault/va ults/read', 'a/b?']) {
      assert.throws(() => checkPattern(bad), { code: 'ERR_RBAC_ACTION' }, bad);
    }
    assert.doesNotThrow(() => checkPattern('*'));
  });
});

describe('a role permits an operation', () => {
  it('takes NotActions away from Actions: Contributor writes resources, not role assignments', () => {
    assert.ok(allows(CONTRIBUTOR, 'Microsoft.Resources/subscriptions/resourceGroups/write'));
    assert.ok(allows(CONTRIBUTOR, 'Microsoft.Authorization/roleAssignments/read'));
    assert.ok(!allows(CONTRIBUTOR, 'Microsoft.Authorization/roleAssignments/write'));
    assert.ok(!allows(CONTRIBUTOR, 'microsoft.authorization/roleassignments/DELETE'));
    assert.ok(!allows(CONTRIBUTOR, 'Microsoft.Authorization/elevateAccess/action'));
    assert.ok(allows(OWNER, 'Microsoft.Authorization/roleAssignments/write'));
  });

  it('takes NotActions away only within their own block', () => {
    const blocks: RolePermission[] = [
      {
        actions: ['*'],
        notActions: ['Microsoft.Authorization/*/Write'],
        dataActions: [],
        notDataActions: [],
      },
      {
        actions: ['Microsoft.Authorization/roleAssignments/write'],
        notActions: [],
        dataActions: [],
        notDataActions: [],
      },
    ];
    assert.ok(permits(blocks, 'Microsoft.Authorization/roleAssignments/write', CONTROL));
    assert.ok(!permits(blocks, 'Microsoft.Authorization/roleDefinitions/write', CONTROL));
  });

  it('keeps data actions apart: Owner reads no secret, Key Vault Secrets User does', () => {
    assert.ok(!allows(OWNER, GET_SECRET, DATA));
    assert.ok(!allows(CONTRIBUTOR, GET_SECRET, DATA));
    assert.ok(allows(KEY_VAULT_SECRETS_USER, GET_SECRET, DATA));
    assert.ok(allows(KEY_VAULT_SECRETS_USER, READ_METADATA, DATA));
    // …and the same string asked as a control action is not what Secrets User grants.
    assert.ok(!allows(KEY_VAULT_SECRETS_USER, GET_SECRET, CONTROL));
    assert.ok(!allows(KEY_VAULT_SECRETS_USER, 'Microsoft.KeyVault/vaults/read', CONTROL));
    assert.ok(!allows(KEY_VAULT_SECRETS_USER, 'Microsoft.KeyVault/vaults/secrets/setSecret/action', DATA));
  });

  it('subtracts NotDataActions from DataActions', () => {
    const blocks: RolePermission[] = [
      {
        actions: [],
        notActions: [],
        dataActions: ['Microsoft.KeyVault/vaults/secrets/*'],
        notDataActions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action'],
      },
    ];
    assert.ok(permits(blocks, READ_METADATA, DATA));
    assert.ok(!permits(blocks, GET_SECRET, DATA));
  });

  it('Key Vault Reader reads metadata and the vault, never a value', () => {
    assert.ok(allows(KEY_VAULT_READER, READ_METADATA, DATA));
    assert.ok(allows(KEY_VAULT_READER, 'Microsoft.KeyVault/vaults/secrets/versions/read', DATA));
    assert.ok(!allows(KEY_VAULT_READER, GET_SECRET, DATA));
    assert.ok(allows(KEY_VAULT_READER, 'Microsoft.KeyVault/vaults/read', CONTROL));
    assert.ok(!allows(KEY_VAULT_READER, 'Microsoft.KeyVault/vaults/write', CONTROL));
  });

  it('Secrets Officer sets secrets, not keys; Administrator does both', () => {
    const setSecret = 'Microsoft.KeyVault/vaults/secrets/setSecret/action';
    const signKey = 'Microsoft.KeyVault/vaults/keys/sign/action';
    assert.ok(allows(KEY_VAULT_SECRETS_OFFICER, setSecret, DATA));
    assert.ok(!allows(KEY_VAULT_SECRETS_OFFICER, signKey, DATA));
    assert.ok(allows(KEY_VAULT_ADMINISTRATOR, signKey, DATA));
  });

  it('Reader reads everything and writes nothing; User Access Administrator writes role assignments', () => {
    assert.ok(allows(READER, 'Microsoft.Compute/virtualMachines/read'));
    assert.ok(!allows(READER, 'Microsoft.Compute/virtualMachines/write'));
    assert.ok(allows(USER_ACCESS_ADMINISTRATOR, 'Microsoft.Authorization/roleAssignments/write'));
    assert.ok(!allows(USER_ACCESS_ADMINISTRATOR, 'Microsoft.Compute/virtualMachines/write'));
  });

  it('Managed Identity Operator reads and assigns a user-assigned identity', () => {
    const uami = 'Microsoft.ManagedIdentity/userAssignedIdentities';
    assert.ok(allows(MANAGED_IDENTITY_OPERATOR, `${uami}/assign/action`));
    assert.ok(allows(MANAGED_IDENTITY_OPERATOR, `${uami}/read`));
    assert.ok(!allows(MANAGED_IDENTITY_OPERATOR, `${uami}/write`));
  });
});

describe('built-in roles', () => {
  it('carry the published GUIDs, names and permissions', () => {
    const expected: Record<string, string> = {
      Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
      Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
      Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
      'User Access Administrator': '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
      'Role Based Access Control Administrator': 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
      'Key Vault Administrator': '00482a5a-887f-4fb3-b363-3b7fe8e74483',
      'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
      'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
      'Key Vault Reader': '21090545-7ca7-4776-b22c-e363652d74d2',
      'Managed Identity Operator': 'f1a07417-d97a-45cb-824c-7a7467783830',
      'API Management Service Contributor': '312a565d-c81f-4fd8-895a-4e21e48d571c',
      'API Management Service Reader Role': '71522526-b88f-4d52-b57f-d31fc3546d0d',
      'API Management Service Operator Role': 'e022efe7-f5ba-4159-bbe4-b44f577e9b61',
    };
    assert.deepEqual(Object.fromEntries(BUILTIN_ROLES.map((r) => [r.roleName, r.id])), expected);
    for (const r of BUILTIN_ROLES) {
      assert.equal(r.roleType, 'BuiltInRole');
      assert.deepEqual(r.assignableScopes, ['/']);
      assert.ok(r.description.length > 0, `${r.roleName} has a description`);
    }
    assert.equal(CONTRIBUTOR.permissions[0]!.notActions.length, 11);
    assert.deepEqual(KEY_VAULT_SECRETS_USER.permissions, [
      { actions: [], notActions: [], dataActions: [GET_SECRET, READ_METADATA], notDataActions: [] },
    ]);
    assert.deepEqual(
      KEY_VAULT_READER.permissions[0]!.actions,
      KEY_VAULT_ADMINISTRATOR.permissions[0]!.actions,
    );
  });

  it('are deep-frozen', () => {
    assert.ok(Object.isFrozen(BUILTIN_ROLES));
    assert.ok(Object.isFrozen(OWNER));
    assert.ok(Object.isFrozen(OWNER.permissions[0]));
    assert.ok(Object.isFrozen(OWNER.permissions[0]!.actions));
    assert.ok(Object.isFrozen(OWNER.assignableScopes));
    assert.throws(() => (CONTRIBUTOR.permissions[0]!.notActions as string[]).push('x'), TypeError);
  });

  it('are found by GUID in any ARM id form, and by name ignoring case', () => {
    const g = KEY_VAULT_SECRETS_USER.id;
    assert.equal(builtinRoleById(g.toUpperCase()), KEY_VAULT_SECRETS_USER);
    assert.equal(
      builtinRoleById(`/providers/Microsoft.Authorization/roleDefinitions/${g}`),
      KEY_VAULT_SECRETS_USER,
    );
    assert.equal(
      builtinRoleById(
        `/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/providers/Microsoft.Authorization/roleDefinitions/${g}`,
      ),
      KEY_VAULT_SECRETS_USER,
    );
    assert.equal(builtinRoleById(`/providers/Microsoft.Authorization/roleAssignments/${g}`), undefined);
    assert.equal(builtinRoleByName('key vault secrets user'), KEY_VAULT_SECRETS_USER);
    assert.equal(builtinRoleByName('Key Vault Secrets'), undefined);
  });
});

describe('defineRole', () => {
  const base = {
    id: '11111111-2222-3333-4444-555555555555',
    roleName: 'Vault Peeker',
    assignableScopes: ['/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333'],
    permissions: [{ dataActions: [READ_METADATA] }],
  };

  it('normalises a custom role: GUID lower case, missing lists empty, CustomRole', () => {
    const r = defineRole({
      ...base,
      id: `/providers/Microsoft.Authorization/roleDefinitions/${base.id.toUpperCase()}`,
    });
    assert.equal(r.id, base.id);
    assert.equal(r.roleType, 'CustomRole');
    assert.deepEqual(r.permissions, [
      { actions: [], notActions: [], dataActions: [READ_METADATA], notDataActions: [] },
    ]);
    assert.equal(roleDefinitionGuid('not-a-guid'), undefined);
  });

  it('refuses bad ids, names, scopes, patterns and conditions', () => {
    assert.throws(() => defineRole({ ...base, id: 'x' }), { code: 'ERR_RBAC_ROLE_DEFINITION' });
    assert.throws(() => defineRole({ ...base, roleName: ' ' }), { code: 'ERR_RBAC_ROLE_DEFINITION' });
    assert.throws(() => defineRole({ ...base, assignableScopes: [] }), { code: 'ERR_RBAC_ROLE_DEFINITION' });
    assert.throws(() => defineRole({ ...base, assignableScopes: ['/nope'] }), { code: 'ERR_RBAC_SCOPE' });
    assert.throws(() => defineRole({ ...base, permissions: [] }), { code: 'ERR_RBAC_ROLE_DEFINITION' });
    assert.throws(() => defineRole({ ...base, permissions: [{ actions: ['bad pattern'] }] }), {
      code: 'ERR_RBAC_ACTION',
    });
    assert.throws(
      () =>
        defineRole({
          ...base,
          permissions: [{ dataActions: [READ_METADATA], condition: '@Resource[x] == 1' }],
        }),
      { code: 'ERR_RBAC_ROLE_DEFINITION' },
    );
  });
});
