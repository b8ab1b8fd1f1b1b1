/**
 * @module management/graph/permissions
 * Which of Graph's application permissions (the `roles` of the caller's Graph token, granted as app roles of
 * the first-party Microsoft Graph app) allow which call, as Graph's permission tables list them: reading
 * applications and service principals takes Application.Read.All or broader; writing them,
 * Application.ReadWrite.All; granting or removing an app role, AppRoleAssignment.ReadWrite.All together with a
 * permission to read the service principals involved (Graph refuses the first alone). A refusal is Graph's 403
 * and names, in Lanyard's hint, the least permission that would grant it and how to assign it.
 */
import type { Caller } from '../arm/auth.ts';
import { denied } from './errors.ts';

/** Any one of these allows the read (the narrowest first: it is the one a refusal names). */
export const READ_DIRECTORY: readonly string[] = [
  'Application.Read.All',
  'Application.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];
export const WRITE_APPLICATIONS: readonly string[] = ['Application.ReadWrite.All'];
export const READ_ASSIGNMENTS: readonly string[] = [...READ_DIRECTORY, 'AppRoleAssignment.ReadWrite.All'];
export const WRITE_ASSIGNMENTS: readonly string[] = ['AppRoleAssignment.ReadWrite.All'];
export const READ_USERS: readonly string[] = [
  'User.Read.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];

/** The caller's application permissions on Graph (its token's `roles`). */
export function rolesOf(caller: Caller): readonly string[] {
  const roles = caller.claims.roles;
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
}

/** Throws Graph's 403 unless the caller holds one of `anyOf` (for each list given). */
export function requirePermission(caller: Caller, what: string, ...needs: (readonly string[])[]): void {
  const held = new Set(rolesOf(caller));
  for (const anyOf of needs) {
    if (anyOf.some((p) => held.has(p))) continue;
    const least = anyOf[0]!;
    const others = anyOf.slice(1);
    throw denied(
      `${what} needs the Microsoft Graph application permission ${least}${others.length > 0 ? ` (or ${others.join(', ')})` : ''}; the token's roles: ${[...held].join(', ') || 'none'}. Grant it: lanyard role assign --principal ${caller.objectId} --app microsoft-graph --role ${least}, then get a new token.`,
    );
  }
}
