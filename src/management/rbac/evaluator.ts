/**
 * @module management/rbac/evaluator
 * Role assignments and role definitions in memory, answering "may these principals perform this operation at
 * this scope?" the way Azure RBAC does: the union, over every assignment held by one of the principals at the
 * scope or any scope above it, of what its role allows. Assignments are indexed by principal, then by canonical
 * scope, and a decision looks only at the requested scope's chain (root, subscription, resource group, resource,
 * children), so its cost depends on the caller's own assignments on that path, never on how many others exist.
 * A refusal names the roles that would have granted the operation, least privileged first, and the scope, for
 * the error message. The index knows no store: a plane fills it with `replaceAll` and keeps it current with the
 * add and remove calls. ABAC conditions are refused, not ignored: ignoring one would grant more than Azure does.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import { BUILTIN_ROLES } from './builtin-roles.ts';
import {
  type ActionKind,
  type CompiledPermissions,
  compilePermissions,
  normaliseOperation,
  permissionsBreadth,
} from './permissions.ts';
import {
  defineRole,
  isGuid,
  type RoleDefinition,
  type RoleDefinitionInput,
  roleDefinitionGuid,
} from './role-definition.ts';
import { isWithin, parseScope, type Scope, toScope } from './scope.ts';

/** An assignment as given: ids in any ARM form. */
export interface RoleAssignmentInput {
  /** The assignment's name (a GUID), or its full id ending `/providers/Microsoft.Authorization/roleAssignments/{guid}`. */
  readonly id: string;
  readonly principalId: string;
  /** The role's GUID, or its id with or without a subscription prefix. */
  readonly roleDefinitionId: string;
  readonly scope: string;
  readonly principalType?: string;
  /** Refused unless null or absent: Lanyard does not evaluate ABAC conditions. */
  readonly condition?: string | null;
  readonly conditionVersion?: string | null;
}

/** An assignment as the index holds it, frozen. */
export interface RoleAssignment {
  /** The assignment's name, lower case. */
  readonly id: string;
  readonly principalId: string;
  /** The role definition's GUID, lower case. */
  readonly roleDefinitionId: string;
  /** The scope id, normalised (docs/management.md, "Scopes"). */
  readonly scope: string;
  readonly principalType?: string;
}

/** One assignment that allowed an operation, with its role's name for messages and logs. */
export interface Grant {
  readonly assignment: RoleAssignment;
  readonly roleName: string;
}

/** A role that would allow a refused operation at the scope. */
export interface RoleSuggestion {
  readonly roleDefinitionId: string;
  readonly roleName: string;
  readonly roleType: RoleDefinition['roleType'];
}

export type Decision =
  | { readonly allowed: true; readonly grantedBy: readonly Grant[] }
  | {
      readonly allowed: false;
      readonly action: string;
      /** The requested scope, normalised. */
      readonly scope: string;
      /** Roles assignable here that allow the operation, least privileged first; empty when none does. */
      readonly wouldGrant: readonly RoleSuggestion[];
    };

export interface ListOptions {
  /** Only assignments exactly at the scope, not those inherited from above. */
  readonly exactScope?: boolean;
  /** Also assignments below the scope (ARM's list without `$filter`). Costs a pass over every assigned scope. */
  readonly includeBelow?: boolean;
  /** Only assignments held by these principals (ARM's `principalId eq` and `assignedTo()`). */
  readonly principalIds?: readonly string[];
}

export interface IndexContents {
  /** Custom role definitions; the built-in ones are always there. */
  readonly roleDefinitions?: Iterable<RoleDefinitionInput>;
  readonly assignments?: Iterable<RoleAssignmentInput>;
}

interface RoleEntry {
  readonly definition: RoleDefinition;
  readonly compiled: CompiledPermissions;
  /** Parsed assignable scopes, for the within check. */
  readonly assignable: readonly Scope[];
  readonly reach: number;
  readonly removed: number;
}

interface Stored {
  readonly assignment: RoleAssignment;
  readonly principalKey: string;
  readonly scopeKey: string;
  readonly scope: Scope;
}

interface State {
  readonly roles: Map<string, RoleEntry>;
  readonly roleNames: Map<string, string>;
  readonly assignments: Map<string, Stored>;
  /** principal (lower case) → scope key → assignments there. */
  readonly byPrincipal: Map<string, Map<string, Stored[]>>;
  /** scope key → assignments there, for listing. */
  readonly byScope: Map<string, Stored[]>;
  /** role GUID → its assignments, for in-use checks. */
  readonly byRole: Map<string, Set<Stored>>;
  /** principal, role and scope → assignment id: one assignment per triple, as ARM allows. */
  readonly triples: Map<string, string>;
  /** operation and kind → every role that allows it, ordered; cleared whenever a definition changes. */
  readonly suggestions: Map<string, readonly RoleEntry[]>;
}

const ASSIGNMENT_ID = /\/providers\/microsoft\.authorization\/roleassignments\/([^/]+)$/i;
const MAX_SUGGESTION_CACHE = 1024;

function assignmentError(
  reason: 'bad-id' | 'bad-principal' | 'unknown-role' | 'not-assignable' | 'condition',
  message: string,
  details: Record<string, unknown>,
  hint?: string,
): LanyardError {
  return new LanyardError('ERR_RBAC_ASSIGNMENT', message, { hint, details: { reason, ...details } });
}

function entryOf(definition: RoleDefinition): RoleEntry {
  return {
    definition,
    compiled: compilePermissions(definition.permissions),
    assignable: definition.assignableScopes.map(parseScope),
    ...permissionsBreadth(definition.permissions),
  };
}

function emptyState(): State {
  const state: State = {
    roles: new Map(),
    roleNames: new Map(),
    assignments: new Map(),
    byPrincipal: new Map(),
    byScope: new Map(),
    byRole: new Map(),
    triples: new Map(),
    suggestions: new Map(),
  };
  for (const r of BUILTIN_ROLES) {
    state.roles.set(r.id, entryOf(r));
    state.roleNames.set(r.roleName.toLowerCase(), r.id);
  }
  return state;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function dropFrom<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (!list) return;
  const i = list.indexOf(value);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) map.delete(key);
}

/** Least privileged first: the role reaching least, then the one taking more away, then by name. */
function byPrivilege(a: RoleEntry, b: RoleEntry): number {
  return (
    a.reach - b.reach ||
    b.removed - a.removed ||
    a.definition.roleName.localeCompare(b.definition.roleName, 'en')
  );
}

export class RbacIndex {
  #state: State;

  constructor(contents: IndexContents = {}) {
    this.#state = emptyState();
    for (const d of contents.roleDefinitions ?? []) this.putRoleDefinition(d);
    for (const a of contents.assignments ?? []) this.addAssignment(a);
  }

  /**
   * Replaces every custom definition and every assignment at once. Everything is checked first: on an error
   * the index is left as it was.
   */
  replaceAll(contents: IndexContents): void {
    this.#state = new RbacIndex(contents).#state;
  }

  /** The number of assignments held. */
  get size(): number {
    return this.#state.assignments.size;
  }

  // ---- decisions ----------------------------------------------------------------------------------------

  /**
   * Whether any of `principalIds` (an object id and, say, its groups) may perform `action` at `scope`: a
   * control-plane operation, or with `{ dataAction: true }` a data operation. Looks only at the principals'
   * assignments on the scope's chain. Throws ERR_RBAC_ACTION for a malformed operation, ERR_RBAC_SCOPE for a bad
   * scope.
   */
  check(principalIds: readonly string[], action: string, scope: string | Scope, kind: ActionKind): Decision {
    const op = normaliseOperation(action);
    const s = toScope(scope);
    const st = this.#state;
    const grants: Grant[] = [];
    for (let i = 0; i < principalIds.length; i++) {
      const key = principalIds[i]!.toLowerCase();
      if (principalIds.findIndex((p) => p.toLowerCase() === key) < i) continue; // named twice
      const byScope = st.byPrincipal.get(key);
      if (!byScope) continue;
      for (const scopeKey of s.chain) {
        const here = byScope.get(scopeKey);
        if (!here) continue;
        for (const stored of here) {
          const role = st.roles.get(stored.assignment.roleDefinitionId)!;
          if (role.compiled.allows(op, kind)) {
            grants.push({ assignment: stored.assignment, roleName: role.definition.roleName });
          }
        }
      }
    }
    if (grants.length > 0) return { allowed: true, grantedBy: grants };
    return { allowed: false, action, scope: s.id, wouldGrant: this.wouldGrant(action, s, kind) };
  }

  /** The roles assignable at `scope` that allow the operation, least privileged first. */
  wouldGrant(action: string, scope: string | Scope, kind: ActionKind): RoleSuggestion[] {
    const op = normaliseOperation(action);
    const s = toScope(scope);
    const st = this.#state;
    const cacheKey = `${kind.dataAction ? 'data' : 'control'} ${op}`;
    let ordered = st.suggestions.get(cacheKey);
    if (!ordered) {
      ordered = [...st.roles.values()].filter((r) => r.compiled.allows(op, kind)).sort(byPrivilege);
      if (st.suggestions.size >= MAX_SUGGESTION_CACHE) st.suggestions.clear();
      st.suggestions.set(cacheKey, ordered);
    }
    return ordered
      .filter((r) => r.assignable.some((a) => isWithin(s, a)))
      .map((r) => ({
        roleDefinitionId: r.definition.id,
        roleName: r.definition.roleName,
        roleType: r.definition.roleType,
      }));
  }

  // ---- assignments --------------------------------------------------------------------------------------

  /**
   * Adds an assignment. Adding the same one again (same id, principal, role and scope) changes nothing and
   * returns it. Throws ERR_RBAC_ASSIGNMENT (unknown role, scope outside its assignable scopes, a condition, a bad
   * id), ERR_RBAC_ASSIGNMENT_EXISTS (the principal holds that role there under another id), ERR_CONFLICT (the id
   * is taken by a different assignment) or ERR_RBAC_SCOPE.
   */
  addAssignment(input: RoleAssignmentInput): RoleAssignment {
    const st = this.#state;
    const idText = String(input.id);
    const id = (isGuid(idText) ? idText : ASSIGNMENT_ID.exec(idText)?.[1])?.toLowerCase();
    if (id === undefined || !isGuid(id)) {
      throw assignmentError(
        'bad-id',
        `The role assignment id ${JSON.stringify(idText.slice(0, 200))} is not a GUID`,
        {
          id: idText.slice(0, 200),
        },
      );
    }
    if (typeof input.principalId !== 'string' || input.principalId.trim() === '') {
      throw assignmentError('bad-principal', `The role assignment ${id} has no principalId`, { id });
    }
    if ((input.condition ?? null) !== null || (input.conditionVersion ?? null) !== null) {
      throw assignmentError(
        'condition',
        `The role assignment ${id} has a condition; Lanyard does not evaluate conditions, so it cannot grant what the condition would limit`,
        { id },
        'Assign the role without a condition, at a narrower scope.',
      );
    }
    const roleId = roleDefinitionGuid(input.roleDefinitionId);
    const role = roleId === undefined ? undefined : st.roles.get(roleId);
    if (roleId === undefined || role === undefined) {
      throw assignmentError(
        'unknown-role',
        `The role definition ${JSON.stringify(String(input.roleDefinitionId).slice(0, 200))} does not exist`,
        { id, roleDefinitionId: String(input.roleDefinitionId).slice(0, 200) },
      );
    }
    const scope = parseScope(input.scope);
    if (!role.assignable.some((a) => isWithin(scope, a))) {
      throw assignmentError(
        'not-assignable',
        `The role ${role.definition.roleName} cannot be assigned at ${scope.id}: it is assignable only within ${role.definition.assignableScopes.join(', ')}`,
        { id, roleDefinitionId: roleId, scope: scope.id },
      );
    }
    const principalKey = input.principalId.toLowerCase();
    const existing = st.assignments.get(id);
    if (existing) {
      const e = existing.assignment;
      if (
        existing.principalKey === principalKey &&
        e.roleDefinitionId === roleId &&
        existing.scopeKey === scope.key
      ) {
        return e;
      }
      throw new LanyardError(
        'ERR_CONFLICT',
        `The role assignment ${id} exists with another principal, role or scope`,
        {
          hint: 'An assignment cannot be changed: delete it and create a new one.',
          details: { id },
        },
      );
    }
    const triple = `${principalKey}\n${roleId}\n${scope.key}`;
    const holder = st.triples.get(triple);
    if (holder !== undefined) {
      throw new LanyardError('ERR_RBAC_ASSIGNMENT_EXISTS', 'The role assignment already exists.', {
        details: { id, existingId: holder, roleName: role.definition.roleName, scope: scope.id },
      });
    }
    const assignment: RoleAssignment = Object.freeze({
      id,
      principalId: input.principalId,
      roleDefinitionId: roleId,
      scope: scope.id,
      ...(input.principalType === undefined ? {} : { principalType: input.principalType }),
    });
    const stored: Stored = { assignment, principalKey, scopeKey: scope.key, scope };
    st.assignments.set(id, stored);
    st.triples.set(triple, id);
    const byScope = st.byPrincipal.get(principalKey) ?? new Map<string, Stored[]>();
    st.byPrincipal.set(principalKey, byScope);
    pushTo(byScope, scope.key, stored);
    pushTo(st.byScope, scope.key, stored);
    const ofRole = st.byRole.get(roleId) ?? new Set<Stored>();
    st.byRole.set(roleId, ofRole);
    ofRole.add(stored);
    return assignment;
  }

  /** Removes an assignment by its name or full id; returns it, or undefined when there was none. */
  removeAssignment(idOrResourceId: string): RoleAssignment | undefined {
    const st = this.#state;
    const id = (ASSIGNMENT_ID.exec(idOrResourceId)?.[1] ?? idOrResourceId).toLowerCase();
    const stored = st.assignments.get(id);
    if (!stored) return undefined;
    const a = stored.assignment;
    st.assignments.delete(id);
    st.triples.delete(`${stored.principalKey}\n${a.roleDefinitionId}\n${stored.scopeKey}`);
    const byScope = st.byPrincipal.get(stored.principalKey)!;
    dropFrom(byScope, stored.scopeKey, stored);
    if (byScope.size === 0) st.byPrincipal.delete(stored.principalKey);
    dropFrom(st.byScope, stored.scopeKey, stored);
    st.byRole.get(a.roleDefinitionId)?.delete(stored);
    return a;
  }

  /** An assignment by its name or full id. */
  getAssignment(idOrResourceId: string): RoleAssignment | undefined {
    const id = (ASSIGNMENT_ID.exec(idOrResourceId)?.[1] ?? idOrResourceId).toLowerCase();
    return this.#state.assignments.get(id)?.assignment;
  }

  /**
   * The assignments that apply at `scope`: those at it and, unless `exactScope`, those above it (inherited), in
   * chain order from the root; with `includeBelow`, then those below it, by scope. ARM's `$filter=atScope()` is
   * the default (at or above); its unfiltered list is `includeBelow`.
   */
  listAssignments(scope: string | Scope, options: ListOptions = {}): RoleAssignment[] {
    const s = toScope(scope);
    const st = this.#state;
    const only = options.principalIds && new Set(options.principalIds.map((p) => p.toLowerCase()));
    const out: RoleAssignment[] = [];
    const take = (list: readonly Stored[] | undefined) => {
      for (const stored of list ?? []) {
        if (!only || only.has(stored.principalKey)) out.push(stored.assignment);
      }
    };
    for (const key of options.exactScope ? [s.key] : s.chain) take(st.byScope.get(key));
    if (options.includeBelow) {
      const prefix = s.key === '/' ? '/' : `${s.key}/`;
      const below = [...st.byScope.keys()].filter((k) => k !== s.key && k.startsWith(prefix)).sort();
      for (const key of below) take(st.byScope.get(key));
    }
    return out;
  }

  /** Every assignment held by these principals, at any scope (which subscriptions a caller can see, say). */
  assignmentsOf(principalIds: readonly string[]): RoleAssignment[] {
    const out: RoleAssignment[] = [];
    for (const key of new Set(principalIds.map((p) => p.toLowerCase()))) {
      for (const list of this.#state.byPrincipal.get(key)?.values() ?? []) {
        for (const stored of list) out.push(stored.assignment);
      }
    }
    return out;
  }

  // ---- role definitions ---------------------------------------------------------------------------------

  /** A definition by GUID or either ARM id form. */
  roleDefinition(idOrGuid: string): RoleDefinition | undefined {
    const guid = roleDefinitionGuid(idOrGuid);
    return guid === undefined ? undefined : this.#state.roles.get(guid)?.definition;
  }

  /** A definition by roleName, ignoring case (`az role assignment create --role "Key Vault Secrets User"`). */
  roleDefinitionByName(roleName: string): RoleDefinition | undefined {
    const id = this.#state.roleNames.get(roleName.trim().toLowerCase());
    return id === undefined ? undefined : this.#state.roles.get(id)?.definition;
  }

  /** Every definition, built-in ones first. */
  roleDefinitions(): RoleDefinition[] {
    return [...this.#state.roles.values()].map((r) => r.definition);
  }

  /**
   * Adds or replaces a custom role definition. Refuses to touch a built-in role (ERR_READ_ONLY), a name another
   * role has (ERR_RBAC_ROLE_DEFINITION), and assignable scopes that would leave one of its assignments outside
   * them (ERR_IN_USE).
   */
  putRoleDefinition(input: RoleDefinitionInput): RoleDefinition {
    const st = this.#state;
    if (input.roleType !== undefined && input.roleType !== 'CustomRole') {
      throw new LanyardError('ERR_RBAC_ROLE_DEFINITION', 'Only custom role definitions can be added', {
        details: { roleName: input.roleName, roleType: input.roleType },
      });
    }
    const definition = defineRole({ ...input, roleType: 'CustomRole' });
    const current = st.roles.get(definition.id);
    if (current?.definition.roleType === 'BuiltInRole') {
      throw new LanyardError(
        'ERR_READ_ONLY',
        `${current.definition.roleName} is a built-in role and cannot be changed`,
        {
          hint: 'Make a custom role with another GUID instead.',
          details: { roleDefinitionId: definition.id },
        },
      );
    }
    const nameKey = definition.roleName.toLowerCase();
    const owner = st.roleNames.get(nameKey);
    if (owner !== undefined && owner !== definition.id) {
      throw new LanyardError(
        'ERR_RBAC_ROLE_DEFINITION',
        `A role named ${definition.roleName} already exists`,
        {
          details: { roleName: definition.roleName, existingId: owner },
        },
      );
    }
    const entry = entryOf(definition);
    for (const stored of st.byRole.get(definition.id) ?? []) {
      if (!entry.assignable.some((a) => isWithin(stored.scope, a))) {
        throw new LanyardError(
          'ERR_IN_USE',
          `${definition.roleName} is assigned at ${stored.assignment.scope}, outside the new assignable scopes`,
          { details: { roleDefinitionId: definition.id, assignmentId: stored.assignment.id } },
        );
      }
    }
    if (current) st.roleNames.delete(current.definition.roleName.toLowerCase());
    st.roles.set(definition.id, entry);
    st.roleNames.set(nameKey, definition.id);
    st.suggestions.clear();
    return definition;
  }

  /** Removes a custom role; returns it, or undefined when there was none. ERR_IN_USE while it is assigned. */
  removeRoleDefinition(idOrGuid: string): RoleDefinition | undefined {
    const st = this.#state;
    const guid = roleDefinitionGuid(idOrGuid);
    const entry = guid === undefined ? undefined : st.roles.get(guid);
    if (guid === undefined || !entry) return undefined;
    if (entry.definition.roleType === 'BuiltInRole') {
      throw new LanyardError(
        'ERR_READ_ONLY',
        `${entry.definition.roleName} is a built-in role and cannot be removed`,
        {
          details: { roleDefinitionId: guid },
        },
      );
    }
    const uses = st.byRole.get(guid)?.size ?? 0;
    if (uses > 0) {
      throw new LanyardError('ERR_IN_USE', `${entry.definition.roleName} still has ${uses} assignment(s)`, {
        hint: 'Delete its role assignments first.',
        details: { roleDefinitionId: guid, assignments: uses },
      });
    }
    st.roles.delete(guid);
    st.roleNames.delete(entry.definition.roleName.toLowerCase());
    st.byRole.delete(guid);
    st.suggestions.clear();
    return entry.definition;
  }
}
