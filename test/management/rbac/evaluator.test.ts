/**
 * @module test/management/rbac/evaluator
 * The RBAC index: grants inherited down the scope tree and never sideways, the union of a caller's several ids,
 * roles adding up across assignments (NotActions are no deny), data actions apart, would-grant suggestions
 * least privileged first, custom roles within their assignable scopes, the add/remove/replace-all upkeep, and
 * listing assignments at, above and below a scope.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CONTRIBUTOR,
  KEY_VAULT_READER,
  KEY_VAULT_SECRETS_USER,
  OWNER,
  READER,
  USER_ACCESS_ADMINISTRATOR,
} from '../../../src/management/rbac/builtin-roles.ts';
import {
  type Decision,
  RbacIndex,
  type RoleAssignmentInput,
} from '../../../src/management/rbac/evaluator.ts';

const S1 = '0b1f6471-1bf0-4dda-aec3-111122223333';
const S2 = '9c2e7e55-0000-4000-8000-444455556666';
const SUB1 = `/subscriptions/${S1}`;
const SUB2 = `/subscriptions/${S2}`;
const RG_A = `${SUB1}/resourceGroups/rg-a`;
const RG_B = `${SUB1}/resourceGroups/rg-b`;
const VAULT_A = `${RG_A}/providers/Microsoft.KeyVault/vaults/kv-a`;
const VAULT_A2 = `${RG_A}/providers/Microsoft.KeyVault/vaults/kv-a2`;
const VAULT_B = `${RG_B}/providers/Microsoft.KeyVault/vaults/kv-b`;

const ALICE = 'aaaaaaaa-0000-4000-8000-000000000001';
const BOB = 'bbbbbbbb-0000-4000-8000-000000000002';
const GROUP = 'cccccccc-0000-4000-8000-000000000003';

const GET_SECRET = 'Microsoft.KeyVault/vaults/secrets/getSecret/action';
const VAULT_READ = 'Microsoft.KeyVault/vaults/read';
const RG_WRITE = 'Microsoft.Resources/subscriptions/resourceGroups/write';
const RA_WRITE = 'Microsoft.Authorization/roleAssignments/write';
const CONTROL = { dataAction: false };
const DATA = { dataAction: true };

let n = 0;
function assignment(principalId: string, roleDefinitionId: string, scope: string): RoleAssignmentInput {
  n++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    principalId,
    roleDefinitionId,
    scope,
  };
}

function denied(d: Decision): Extract<Decision, { allowed: false }> {
  assert.equal(d.allowed, false, 'expected a refusal');
  return d as Extract<Decision, { allowed: false }>;
}
function granted(d: Decision): Extract<Decision, { allowed: true }> {
  assert.equal(d.allowed, true, 'expected a grant');
  return d as Extract<Decision, { allowed: true }>;
}

describe('check: inheritance and isolation', () => {
  const index = new RbacIndex({
    assignments: [
      assignment(ALICE, READER.id, RG_A),
      assignment(ALICE, KEY_VAULT_SECRETS_USER.id, VAULT_A),
      assignment(BOB, CONTRIBUTOR.id, SUB2),
    ],
  });

  it('grants at the scope assigned and everything below it', () => {
    assert.ok(granted(index.check([ALICE], VAULT_READ, RG_A, CONTROL)));
    assert.ok(granted(index.check([ALICE], VAULT_READ, VAULT_A, CONTROL)));
    assert.ok(
      granted(
        index.check([ALICE], 'Microsoft.KeyVault/vaults/secrets/read', `${VAULT_A}/secrets/s1`, CONTROL),
      ),
    );
    const d = granted(index.check([ALICE], GET_SECRET, `${VAULT_A}/secrets/db-password`, DATA));
    assert.equal(d.grantedBy.length, 1);
    assert.equal(d.grantedBy[0]!.roleName, 'Key Vault Secrets User');
    assert.equal(d.grantedBy[0]!.assignment.scope, VAULT_A);
  });

  it('grants nothing above the scope assigned', () => {
    denied(index.check([ALICE], VAULT_READ, SUB1, CONTROL));
    denied(index.check([ALICE], GET_SECRET, RG_A, DATA));
  });

  it('grants nothing in sibling scopes', () => {
    denied(index.check([ALICE], VAULT_READ, RG_B, CONTROL));
    denied(index.check([ALICE], VAULT_READ, VAULT_B, CONTROL));
    denied(index.check([ALICE], GET_SECRET, VAULT_A2, DATA));
    denied(index.check([BOB], VAULT_READ, VAULT_A, CONTROL));
    assert.ok(granted(index.check([BOB], RG_WRITE, `${SUB2}/resourceGroups/x`, CONTROL)));
  });

  it('ignores case in principal ids, scopes and operations', () => {
    assert.ok(
      granted(
        index.check(
          [ALICE.toUpperCase()],
          GET_SECRET.toLowerCase(),
          VAULT_A.toUpperCase().replace('/SUBSCRIPTIONS', '/subscriptions'),
          DATA,
        ),
      ),
    );
  });

  it('grants nobody who holds no assignment, and nothing for an empty list of ids', () => {
    denied(index.check(['dddddddd-0000-4000-8000-000000000009'], VAULT_READ, VAULT_A, CONTROL));
    denied(index.check([], VAULT_READ, VAULT_A, CONTROL));
  });

  it('refuses a malformed operation or scope', () => {
    assert.throws(() => index.check([ALICE], 'Microsoft.KeyVault/vaults/*', VAULT_A, CONTROL), {
      code: 'ERR_RBAC_ACTION',
    });
    assert.throws(() => index.check([ALICE], VAULT_READ, 'rg-a', CONTROL), { code: 'ERR_RBAC_SCOPE' });
  });
});

describe('check: how roles add up', () => {
  it('unions the ids a caller acts through (its object id and its groups)', () => {
    const index = new RbacIndex({ assignments: [assignment(GROUP, KEY_VAULT_SECRETS_USER.id, RG_A)] });
    denied(index.check([ALICE], GET_SECRET, VAULT_A, DATA));
    const d = granted(index.check([ALICE, GROUP], GET_SECRET, VAULT_A, DATA));
    assert.equal(d.grantedBy[0]!.assignment.principalId, GROUP);
  });

  it('lists every assignment on the path that grants, once per assignment even if an id is named twice', () => {
    const index = new RbacIndex({
      assignments: [assignment(ALICE, READER.id, '/'), assignment(ALICE, KEY_VAULT_READER.id, VAULT_A)],
    });
    const d = granted(index.check([ALICE, ALICE.toUpperCase()], VAULT_READ, VAULT_A, CONTROL));
    assert.deepEqual(
      d.grantedBy.map((g) => g.roleName),
      ['Reader', 'Key Vault Reader'],
    );
  });

  it('treats NotActions as no deny: Contributor plus User Access Administrator writes role assignments', () => {
    const index = new RbacIndex({ assignments: [assignment(ALICE, CONTRIBUTOR.id, SUB1)] });
    denied(index.check([ALICE], RA_WRITE, RG_A, CONTROL));
    index.addAssignment(assignment(ALICE, USER_ACCESS_ADMINISTRATOR.id, RG_A));
    const d = granted(index.check([ALICE], RA_WRITE, RG_A, CONTROL));
    assert.deepEqual(
      d.grantedBy.map((g) => g.roleName),
      ['User Access Administrator'],
    );
    denied(index.check([ALICE], RA_WRITE, RG_B, CONTROL));
  });

  it('keeps data actions apart: Owner at the root reads no secret', () => {
    const index = new RbacIndex({ assignments: [assignment(ALICE, OWNER.id, '/')] });
    assert.ok(granted(index.check([ALICE], 'Microsoft.KeyVault/vaults/write', VAULT_A, CONTROL)));
    denied(index.check([ALICE], GET_SECRET, VAULT_A, DATA));
  });
});

describe('would-grant suggestions', () => {
  const index = new RbacIndex();

  it('name the least privileged role first, with the scope', () => {
    const d = denied(index.check([ALICE], GET_SECRET, `${VAULT_A}/secrets/db`, DATA));
    assert.deepEqual(
      d.wouldGrant.map((r) => r.roleName),
      ['Key Vault Secrets User', 'Key Vault Secrets Officer', 'Key Vault Administrator'],
    );
    assert.equal(d.scope, `${VAULT_A}/secrets/db`);
    assert.equal(d.action, GET_SECRET);
    assert.equal(d.wouldGrant[0]!.roleDefinitionId, KEY_VAULT_SECRETS_USER.id);
  });

  it('order role-assignment writers from the narrowest to Owner', () => {
    const d = denied(index.check([ALICE], RA_WRITE, RG_A, CONTROL));
    assert.deepEqual(
      d.wouldGrant.map((r) => r.roleName),
      ['Role Based Access Control Administrator', 'User Access Administrator', 'Owner'],
    );
  });

  it('put Contributor before Owner for a resource write', () => {
    const d = denied(index.check([ALICE], RG_WRITE, SUB1, CONTROL));
    assert.deepEqual(
      d.wouldGrant.map((r) => r.roleName),
      ['Contributor', 'Owner'],
    );
  });

  it('never suggest a role without the operation, or one not assignable at the scope', () => {
    const custom = new RbacIndex({
      roleDefinitions: [
        {
          id: '11111111-2222-4333-8444-555555555555',
          roleName: 'Sub2 secret reader',
          assignableScopes: [SUB2],
          permissions: [{ dataActions: [GET_SECRET] }],
        },
      ],
    });
    const inSub1 = denied(custom.check([ALICE], GET_SECRET, VAULT_A, DATA));
    assert.ok(!inSub1.wouldGrant.some((r) => r.roleName === 'Sub2 secret reader'));
    assert.ok(!inSub1.wouldGrant.some((r) => r.roleName === 'Owner'));
    const inSub2 = denied(custom.check([ALICE], GET_SECRET, `${SUB2}/resourceGroups/r`, DATA));
    assert.equal(inSub2.wouldGrant[0]!.roleName, 'Sub2 secret reader');
  });

  it('is empty when no role has the operation', () => {
    assert.deepEqual(
      denied(index.check([ALICE], 'Contoso.Widgets/widgets/spin/action', RG_A, DATA)).wouldGrant,
      [],
    );
  });
});

describe('custom roles', () => {
  const CUSTOM = '22222222-3333-4444-8555-666666666666';
  const vaultPeeker = {
    id: CUSTOM,
    roleName: 'Vault Peeker',
    assignableScopes: [RG_A],
    permissions: [{ actions: ['Microsoft.KeyVault/vaults/read'] }],
  };

  it('grant within their assignable scopes and cannot be assigned outside them', () => {
    const index = new RbacIndex({ roleDefinitions: [vaultPeeker] });
    index.addAssignment(
      assignment(
        ALICE,
        `/subscriptions/${S1}/providers/Microsoft.Authorization/roleDefinitions/${CUSTOM}`,
        VAULT_A,
      ),
    );
    assert.equal(
      granted(index.check([ALICE], VAULT_READ, VAULT_A, CONTROL)).grantedBy[0]!.roleName,
      'Vault Peeker',
    );
    assert.throws(
      () => index.addAssignment(assignment(BOB, CUSTOM, RG_B)),
      (e: Error & { code?: string; details?: Record<string, unknown> }) => {
        assert.equal(e.code, 'ERR_RBAC_ASSIGNMENT');
        assert.equal(e.details?.reason, 'not-assignable');
        return true;
      },
    );
  });

  it('take effect for existing assignments when updated, and may not shrink away from them', () => {
    const index = new RbacIndex({
      roleDefinitions: [vaultPeeker],
      assignments: [assignment(ALICE, CUSTOM, VAULT_A)],
    });
    denied(index.check([ALICE], 'Microsoft.KeyVault/vaults/write', VAULT_A, CONTROL));
    index.putRoleDefinition({ ...vaultPeeker, permissions: [{ actions: ['Microsoft.KeyVault/vaults/*'] }] });
    granted(index.check([ALICE], 'Microsoft.KeyVault/vaults/write', VAULT_A, CONTROL));
    assert.throws(() => index.putRoleDefinition({ ...vaultPeeker, assignableScopes: [RG_B] }), {
      code: 'ERR_IN_USE',
    });
    assert.throws(() => index.removeRoleDefinition(CUSTOM), { code: 'ERR_IN_USE' });
  });

  it('cannot replace or remove a built-in role, nor take its name', () => {
    const index = new RbacIndex();
    assert.throws(() => index.putRoleDefinition({ ...vaultPeeker, id: OWNER.id }), { code: 'ERR_READ_ONLY' });
    assert.throws(() => index.removeRoleDefinition(READER.id), { code: 'ERR_READ_ONLY' });
    assert.throws(() => index.putRoleDefinition({ ...vaultPeeker, roleName: 'reader' }), {
      code: 'ERR_RBAC_ROLE_DEFINITION',
    });
    assert.throws(() => index.putRoleDefinition({ ...vaultPeeker, roleType: 'BuiltInRole' }), {
      code: 'ERR_RBAC_ROLE_DEFINITION',
    });
    assert.equal(index.roleDefinitionByName('READER'), READER);
    assert.equal(
      index.roleDefinition(`/providers/Microsoft.Authorization/roleDefinitions/${READER.id.toUpperCase()}`),
      READER,
    );
  });

  it('are removed when unassigned, and their suggestions go with them', () => {
    const index = new RbacIndex({ roleDefinitions: [vaultPeeker] });
    assert.ok(
      denied(index.check([ALICE], VAULT_READ, VAULT_A, CONTROL)).wouldGrant.some(
        (r) => r.roleName === 'Vault Peeker',
      ),
    );
    assert.equal(index.removeRoleDefinition(CUSTOM)?.roleName, 'Vault Peeker');
    assert.ok(
      !denied(index.check([ALICE], VAULT_READ, VAULT_A, CONTROL)).wouldGrant.some(
        (r) => r.roleName === 'Vault Peeker',
      ),
    );
    assert.equal(index.removeRoleDefinition(CUSTOM), undefined);
  });
});

describe('assignment upkeep', () => {
  it('refuses unknown roles, conditions, bad ids and a second assignment of the same role, principal and scope', () => {
    const index = new RbacIndex();
    const reason = (input: RoleAssignmentInput) => {
      try {
        index.addAssignment(input);
      } catch (e) {
        return [(e as { code: string }).code, (e as { details?: { reason?: string } }).details?.reason];
      }
      return undefined;
    };
    assert.deepEqual(reason(assignment(ALICE, '99999999-9999-4999-8999-999999999999', RG_A)), [
      'ERR_RBAC_ASSIGNMENT',
      'unknown-role',
    ]);
    assert.deepEqual(
      reason({
        ...assignment(ALICE, READER.id, RG_A),
        condition: "@Resource[x] StringEquals 'y'",
        conditionVersion: '2.0',
      }),
      ['ERR_RBAC_ASSIGNMENT', 'condition'],
    );
    assert.deepEqual(reason({ ...assignment(ALICE, READER.id, RG_A), id: 'first' }), [
      'ERR_RBAC_ASSIGNMENT',
      'bad-id',
    ]);
    assert.deepEqual(reason({ ...assignment(ALICE, READER.id, RG_A), principalId: '' }), [
      'ERR_RBAC_ASSIGNMENT',
      'bad-principal',
    ]);
    assert.deepEqual(reason(assignment(ALICE, READER.id, 'not/a/scope')), [
      'ERR_RBAC_SCOPE',
      'no-leading-slash',
    ]);
    assert.equal(index.size, 0);

    const first = assignment(ALICE, READER.id, RG_A);
    index.addAssignment(first);
    assert.deepEqual(
      reason(
        assignment(
          ALICE.toUpperCase(),
          READER.id,
          RG_A.toUpperCase().replace('/SUBSCRIPTIONS', '/subscriptions'),
        ),
      ),
      ['ERR_RBAC_ASSIGNMENT_EXISTS', undefined],
    );
    assert.deepEqual(reason({ ...first, scope: RG_B }), ['ERR_CONFLICT', undefined]);
    // The same assignment again is a no-op (ARM's PUT of an existing one).
    assert.equal(index.addAssignment({ ...first, id: first.id.toUpperCase() }).id, first.id);
    assert.equal(index.size, 1);
  });

  it('takes effect at once on add and remove, by name or full id', () => {
    const index = new RbacIndex();
    const a = assignment(ALICE, KEY_VAULT_SECRETS_USER.id, VAULT_A);
    denied(index.check([ALICE], GET_SECRET, VAULT_A, DATA));
    index.addAssignment({ ...a, id: `${VAULT_A}/providers/Microsoft.Authorization/roleAssignments/${a.id}` });
    assert.equal(index.getAssignment(a.id)?.scope, VAULT_A);
    granted(index.check([ALICE], GET_SECRET, VAULT_A, DATA));
    assert.equal(
      index.removeAssignment(
        `${VAULT_A}/providers/Microsoft.Authorization/roleAssignments/${a.id.toUpperCase()}`,
      )?.id,
      a.id,
    );
    denied(index.check([ALICE], GET_SECRET, VAULT_A, DATA));
    assert.equal(index.removeAssignment(a.id), undefined);
    assert.equal(index.size, 0);
    assert.deepEqual(index.assignmentsOf([ALICE]), []);
    // The same triple can be assigned again once removed.
    index.addAssignment(assignment(ALICE, KEY_VAULT_SECRETS_USER.id, VAULT_A));
    assert.equal(index.size, 1);
  });

  it('replaces everything at once, and keeps the old contents when the new ones are refused', () => {
    const index = new RbacIndex({ assignments: [assignment(ALICE, READER.id, SUB1)] });
    index.replaceAll({ assignments: [assignment(BOB, READER.id, SUB1)] });
    denied(index.check([ALICE], VAULT_READ, VAULT_A, CONTROL));
    granted(index.check([BOB], VAULT_READ, VAULT_A, CONTROL));
    assert.throws(
      () =>
        index.replaceAll({
          assignments: [assignment(ALICE, READER.id, SUB1), assignment(ALICE, 'nope', SUB1)],
        }),
      { code: 'ERR_RBAC_ASSIGNMENT' },
    );
    granted(index.check([BOB], VAULT_READ, VAULT_A, CONTROL));
    denied(index.check([ALICE], VAULT_READ, VAULT_A, CONTROL));
    assert.equal(index.size, 1);
  });
});

describe('listing assignments', () => {
  const root = assignment(GROUP, READER.id, '/');
  const sub = assignment(ALICE, CONTRIBUTOR.id, SUB1);
  const rg = assignment(BOB, READER.id, RG_A);
  const vault = assignment(ALICE, KEY_VAULT_SECRETS_USER.id, VAULT_A);
  const sibling = assignment(BOB, READER.id, RG_B);
  const other = assignment(ALICE, READER.id, SUB2);
  const index = new RbacIndex({ assignments: [vault, sibling, other, rg, sub, root] });
  const ids = (list: readonly { id: string }[]) => list.map((a) => a.id);

  it('gives those that apply at a scope, inherited ones first, by default', () => {
    assert.deepEqual(ids(index.listAssignments(RG_A)), [root.id, sub.id, rg.id]);
  });

  it('gives only those exactly at the scope with exactScope', () => {
    assert.deepEqual(ids(index.listAssignments(RG_A, { exactScope: true })), [rg.id]);
    assert.deepEqual(
      ids(
        index.listAssignments(RG_A.toUpperCase().replace('/SUBSCRIPTIONS', '/subscriptions'), {
          exactScope: true,
        }),
      ),
      [rg.id],
    );
  });

  it('adds those below with includeBelow, never siblings', () => {
    assert.deepEqual(ids(index.listAssignments(RG_A, { includeBelow: true })), [
      root.id,
      sub.id,
      rg.id,
      vault.id,
    ]);
    assert.deepEqual(ids(index.listAssignments(RG_A, { exactScope: true, includeBelow: true })), [
      rg.id,
      vault.id,
    ]);
    assert.equal(index.listAssignments('/', { includeBelow: true }).length, 6);
  });

  it('filters by principal', () => {
    assert.deepEqual(
      ids(index.listAssignments(RG_A, { includeBelow: true, principalIds: [ALICE.toUpperCase()] })),
      [sub.id, vault.id],
    );
    assert.deepEqual(ids(index.assignmentsOf([ALICE])).sort(), [sub.id, vault.id, other.id].sort());
  });
});
