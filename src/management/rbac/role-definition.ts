/**
 * @module management/rbac/role-definition
 * A role definition as RBAC evaluates it (built-in or custom), checked and deep-frozen: its GUID, name,
 * description, type, assignable scopes and permission blocks. ARM names a definition by several ids — the bare
 * GUID, `/providers/Microsoft.Authorization/roleDefinitions/{guid}`, and the same under a subscription when read
 * through one — so definitions are told apart by their trailing GUID alone, in lower case.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import { checkPattern, type RolePermission } from './permissions.ts';
import { parseScope } from './scope.ts';

export type RoleType = 'BuiltInRole' | 'CustomRole';

export interface RoleDefinition {
  /** The definition's GUID (ARM's `name`), lower case. */
  readonly id: string;
  readonly roleName: string;
  readonly description: string;
  readonly roleType: RoleType;
  /** Scope ids where the role may be assigned; built-in roles have `/`. */
  readonly assignableScopes: readonly string[];
  readonly permissions: readonly RolePermission[];
}

/** A definition as given: ids in any ARM form, any empty permission list may be left out. */
export interface RoleDefinitionInput {
  readonly id: string;
  readonly roleName: string;
  readonly description?: string;
  readonly roleType?: RoleType;
  readonly assignableScopes: readonly string[];
  readonly permissions: readonly {
    readonly actions?: readonly string[];
    readonly notActions?: readonly string[];
    readonly dataActions?: readonly string[];
    readonly notDataActions?: readonly string[];
    /** ABAC conditions on a definition are refused: Lanyard does not evaluate them. */
    readonly condition?: string | null;
    readonly conditionVersion?: string | null;
  }[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFINITION_ID =
  /^(?:\/subscriptions\/[^/]+)?\/providers\/microsoft\.authorization\/roledefinitions\/([^/]+)$/i;

/** Whether the text is a GUID (any case). */
export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/**
 * The lower-case GUID of a role definition named by its GUID or by either ARM id form; undefined when it is none
 * of those.
 */
export function roleDefinitionGuid(idOrGuid: string): string | undefined {
  if (typeof idOrGuid !== 'string') return undefined;
  const guid = GUID.test(idOrGuid) ? idOrGuid : DEFINITION_ID.exec(idOrGuid)?.[1];
  return guid !== undefined && GUID.test(guid) ? guid.toLowerCase() : undefined;
}

/** The definition's ARM id, at the tenant root or under a subscription (as ARM answers through one). */
export function roleDefinitionResourceId(guid: string, subscriptionId?: string): string {
  const base = `/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
  return subscriptionId === undefined ? base : `/subscriptions/${subscriptionId}${base}`;
}

function definitionError(problem: string, details: Record<string, unknown>): LanyardError {
  return new LanyardError('ERR_RBAC_ROLE_DEFINITION', `The role definition is not valid: ${problem}`, {
    details,
  });
}

function strings(list: readonly string[] | undefined, field: string, role: string): readonly string[] {
  if (list === undefined) return Object.freeze([]);
  if (!Array.isArray(list)) throw definitionError(`${field} must be a list`, { roleName: role, field });
  for (const p of list) checkPattern(p);
  return Object.freeze([...list]);
}

/** Checks a definition and returns it normalised and deep-frozen; throws ERR_RBAC_ROLE_DEFINITION / ERR_RBAC_ACTION. */
export function defineRole(input: RoleDefinitionInput): RoleDefinition {
  const id = roleDefinitionGuid(input.id);
  if (id === undefined) {
    throw definitionError(`its id ${JSON.stringify(String(input.id).slice(0, 200))} is not a GUID`, {
      id: String(input.id).slice(0, 200),
    });
  }
  const roleName = typeof input.roleName === 'string' ? input.roleName.trim() : '';
  if (roleName === '' || roleName.length > 512) {
    throw definitionError('its roleName must be 1–512 characters', { id });
  }
  if (!Array.isArray(input.assignableScopes) || input.assignableScopes.length === 0) {
    throw definitionError(`${roleName} has no assignable scope`, { id, roleName });
  }
  // Normalised spelling; a bad scope throws ERR_RBAC_SCOPE naming it.
  const assignableScopes = Object.freeze(input.assignableScopes.map((s) => parseScope(s).id));
  if (!Array.isArray(input.permissions) || input.permissions.length === 0) {
    throw definitionError(`${roleName} has no permission block`, { id, roleName });
  }
  const permissions = Object.freeze(
    input.permissions.map((p) => {
      if ((p.condition ?? null) !== null || (p.conditionVersion ?? null) !== null) {
        throw definitionError(`${roleName} has a condition, which Lanyard does not evaluate`, {
          id,
          roleName,
        });
      }
      return Object.freeze({
        actions: strings(p.actions, 'actions', roleName),
        notActions: strings(p.notActions, 'notActions', roleName),
        dataActions: strings(p.dataActions, 'dataActions', roleName),
        notDataActions: strings(p.notDataActions, 'notDataActions', roleName),
      });
    }),
  );
  return Object.freeze({
    id,
    roleName,
    description: typeof input.description === 'string' ? input.description : '',
    roleType: input.roleType ?? 'CustomRole',
    assignableScopes,
    permissions,
  });
}
