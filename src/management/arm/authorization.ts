/**
 * @module management/arm/authorization
 * `Microsoft.Authorization` at any scope: `{scope}/providers/Microsoft.Authorization/roleDefinitions[/{id}]`
 * and `…/roleAssignments[/{name}]` (list, get, put, delete), the calls `az role assignment` (through `az rest`
 * on Debian's az 2.45, whose own commands crash) and `@azure/arm-authorization` make. Lists take ARM's
 * `$filter`s: `atScope()` (assignments at the scope and above), `principalId eq '…'`, `assignedTo('…')`, and
 * `roleName eq '…'` for definitions. Reading needs `Microsoft.Authorization/role…/read`, writing `…/write`
 * and `…/delete`, on the scope — as in Azure, where Owner and User Access Administrator hold them.
 */
import { isLanyardError } from '../../errors/lanyard-error.ts';
import type { RoleAssignment } from '../rbac/evaluator.ts';
import { isGuid } from '../rbac/role-definition.ts';
import { parseScope, type Scope } from '../rbac/scope.ts';
import { assignRole, unassignRole } from '../service.ts';
import { ArmError, invalidRequest } from './errors.ts';
import type { Answer, ArmContext } from './handler.ts';
import { type ArmRequest, authorize, objectBody, page, subscriptionOf } from './request.ts';
import { armErrorOf } from './routes.ts';
import { roleAssignmentJson, roleDefinitionJson } from './shapes.ts';

export interface AuthorizationPath {
  readonly scope: Scope;
  readonly collection: 'roledefinitions' | 'roleassignments';
  readonly name: string | undefined;
}

/** Splits `…/providers/Microsoft.Authorization/{collection}[/{name}]` off the end of the path, if there. */
export function authorizationPath(segments: readonly string[]): AuthorizationPath | undefined {
  const n = segments.length;
  for (const tail of [2, 3]) {
    const at = n - tail - 1;
    if (at < 0) continue;
    if (segments[at]?.toLowerCase() !== 'providers') continue;
    if (segments[at + 1]?.toLowerCase() !== 'microsoft.authorization') continue;
    const collection = segments[at + 2]?.toLowerCase();
    if (collection !== 'roledefinitions' && collection !== 'roleassignments') continue;
    const scopeId = `/${segments.slice(0, at).join('/')}`;
    try {
      return { scope: parseScope(scopeId), collection, name: tail === 3 ? segments[n - 1] : undefined };
    } catch {
      throw new ArmError(400, 'InvalidScope', `The scope '${scopeId}' is not valid.`);
    }
  }
  return undefined;
}

function odataFilter(text: string | null): { atScope: boolean; principalId?: string; roleName?: string } {
  if (!text) return { atScope: false };
  const out: { atScope: boolean; principalId?: string; roleName?: string } = { atScope: false };
  for (const clause of text.split(/\s+and\s+/i)) {
    if (/^\s*atScope\(\)\s*$/i.test(clause)) out.atScope = true;
    else {
      const m =
        /^\s*principalId\s+eq\s+'([^']+)'\s*$/i.exec(clause) ??
        /^\s*assignedTo\('([^']+)'\)\s*$/i.exec(clause);
      const role = /^\s*roleName\s+eq\s+'([^']+)'\s*$/i.exec(clause);
      if (m) out.principalId = m[1]!.toLowerCase();
      else if (role) out.roleName = role[1]!;
      else
        throw new ArmError(
          400,
          'InvalidFilterInQueryString',
          `Invalid $filter '${text}' specified in the query string.`,
          {
            hint: "Lanyard understands atScope(), principalId eq '…', assignedTo('…') and roleName eq '…'.",
          },
        );
    }
  }
  return out;
}

const READ_DEFINITIONS = 'Microsoft.Authorization/roleDefinitions/read';
const READ_ASSIGNMENTS = 'Microsoft.Authorization/roleAssignments/read';

/** The tenant the scope is in (its subscription's), checked against the caller's token. */
function tenantOf(r: ArmRequest, scope: Scope) {
  if (!scope.subscriptionId) {
    throw new ArmError(
      400,
      'InvalidScope',
      `Lanyard serves role definitions and assignments at a subscription or below, not at '${scope.id}'.`,
    );
  }
  return subscriptionOf(r, scope.subscriptionId);
}

export async function handleAuthorization(
  c: ArmContext,
  r: ArmRequest,
  a: AuthorizationPath,
  body: () => Promise<unknown>,
): Promise<Answer> {
  const method = r.http.method;
  const t = tenantOf(r, a.scope);
  const index = r.view.index;
  const sub = a.scope.subscriptionId;
  if (a.collection === 'roledefinitions') {
    if (method !== 'GET')
      throw new ArmError(
        405,
        'MethodNotAllowed',
        'Lanyard serves role definitions read-only over ARM; use `lanyard rbac role create`.',
      );
    authorize(r, READ_DEFINITIONS, a.scope);
    if (a.name) {
      const d = index.roleDefinition(a.name);
      if (!d)
        throw new ArmError(
          404,
          'RoleDefinitionDoesNotExist',
          `The specified role definition with ID '${a.name}' does not exist.`,
        );
      return { status: 200, body: roleDefinitionJson(d, sub) };
    }
    const f = odataFilter(r.http.query.get('$filter'));
    const all = index
      .roleDefinitions()
      .filter((d) => d.assignableScopes.some((s) => s === '/' || a.scope.key.startsWith(s.toLowerCase())))
      .filter((d) => !f.roleName || d.roleName.toLowerCase() === f.roleName.toLowerCase());
    return {
      status: 200,
      body: page(
        r,
        all.map((d) => roleDefinitionJson(d, sub)),
      ),
    };
  }

  // role assignments
  const show = (x: RoleAssignment) => roleAssignmentJson(x, { scope: x.scope });
  if (method === 'GET' && !a.name) {
    authorize(r, READ_ASSIGNMENTS, a.scope);
    const f = odataFilter(r.http.query.get('$filter'));
    const list = index.listAssignments(a.scope, {
      includeBelow: !f.atScope,
      ...(f.principalId ? { principalIds: [f.principalId] } : {}),
    });
    return { status: 200, body: page(r, list.map(show)) };
  }
  const name = a.name!;
  if (!isGuid(name))
    throw invalidRequest(
      'InvalidRoleAssignmentId',
      `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`,
    );
  const existing = index.getAssignment(name);
  const here = existing && parseScope(existing.scope).key === a.scope.key ? existing : undefined;
  if (method === 'GET') {
    authorize(r, READ_ASSIGNMENTS, a.scope);
    if (!here)
      throw new ArmError(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);
    return { status: 200, body: show(here) };
  }
  if (method === 'DELETE') {
    authorize(r, 'Microsoft.Authorization/roleAssignments/delete', a.scope);
    if (!here) return { status: 204 };
    try {
      const removed = await unassignRole(c.directory, t.tenant.id, { id: name });
      return {
        status: 200,
        body: roleAssignmentJson(here, {
          scope: removed.scope,
          description: removed.description,
          createdOn: removed.createdOn,
        }),
      };
    } catch (err) {
      throw armErrorOf(err);
    }
  }
  if (method === 'PUT') {
    authorize(r, 'Microsoft.Authorization/roleAssignments/write', a.scope);
    const b = objectBody(await body());
    const p = objectBody(b.properties);
    const roleDefinitionId = typeof p.roleDefinitionId === 'string' ? p.roleDefinitionId : '';
    const principalId = typeof p.principalId === 'string' ? p.principalId.toLowerCase() : '';
    if (!roleDefinitionId || !principalId) {
      throw invalidRequest(
        'InvalidRoleAssignmentRequest',
        'The request needs properties.roleDefinitionId and properties.principalId.',
      );
    }
    if (p.condition !== undefined && p.condition !== null) {
      throw invalidRequest(
        'InvalidRoleAssignmentRequest',
        'Lanyard does not evaluate role assignment conditions.',
        'Assign without a condition, at a narrower scope.',
      );
    }
    if (existing) {
      const same =
        here !== undefined &&
        here.principalId === principalId &&
        index.roleDefinition(roleDefinitionId)?.id === here.roleDefinitionId;
      if (same) return { status: 200, body: show(here) };
      throw new ArmError(
        409,
        'RoleAssignmentUpdateNotPermitted',
        'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.',
      );
    }
    if (!index.roleDefinition(roleDefinitionId)) {
      throw new ArmError(
        400,
        'RoleDefinitionDoesNotExist',
        `The specified role definition with ID '${roleDefinitionId.split('/').at(-1)}' does not exist.`,
      );
    }
    try {
      const made = await assignRole(c.directory, t.tenant.id, {
        principal: principalId,
        role: roleDefinitionId,
        scope: a.scope.id,
        id: name,
        description: typeof p.description === 'string' ? p.description : undefined,
      });
      return {
        status: 201,
        body: roleAssignmentJson(
          {
            id: made.name,
            principalId: made.principalId,
            roleDefinitionId: made.roleDefinitionId.split('/').at(-1)!,
            scope: made.scope,
            principalType: made.principalType,
          },
          { scope: made.scope, description: made.description, createdOn: made.createdOn },
        ),
      };
    } catch (err) {
      // The directory's not-found names what it looked for (directory/context.ts `notFound`).
      if (isLanyardError(err) && err.code === 'ERR_NOT_FOUND' && err.details?.kind === 'Principal') {
        throw new ArmError(
          400,
          'PrincipalNotFound',
          `Principal ${principalId.replace(/-/g, '')} does not exist in the directory ${t.tenant.id}. Check that you have the correct principal ID.`,
        );
      }
      throw armErrorOf(err);
    }
  }
  throw new ArmError(405, 'MethodNotAllowed', `The method ${method} is not allowed here.`);
}
