/**
 * @module management/tables
 * The management plane's tables, as Kysely sees them (migration `0008-management`). Only `store.ts` reads and
 * writes them; tenants, resources and principals come from the directory.
 */
import type { Selectable } from 'kysely';

export interface ArmSubscriptionsTable {
  id: string;
  tenant_id: string;
  display_name: string;
  /** `Enabled`, `Warned`, `PastDue`, `Disabled` or `Deleted`. */
  state: string;
  created_at: string;
  updated_at: string;
}

export interface ArmResourceGroupsTable {
  subscription_id: string;
  /** The name lower-cased: resource group names are case-insensitive. */
  name_key: string;
  name: string;
  tenant_id: string;
  location: string;
  /** JSON object of tag name → value. */
  tags: string;
  created_at: string;
  updated_at: string;
}

export interface RbacRoleDefinitionsTable {
  id: string;
  tenant_id: string;
  role_name: string;
  description: string;
  /** JSON: [{ actions, notActions, dataActions, notDataActions }]. */
  permissions: string;
  /** JSON list of ARM scopes. */
  assignable_scopes: string;
  created_at: string;
  updated_at: string;
}

export interface RbacRoleAssignmentsTable {
  /** The assignment's name: a GUID, as in Azure. */
  id: string;
  tenant_id: string;
  /** The principal's object id (a service principal's). */
  principal_id: string;
  /** `ServicePrincipal` (apps and managed identities), `User` or `Group`. */
  principal_type: string;
  role_definition_id: string;
  /** The ARM scope as written. */
  scope: string;
  /** The scope in its canonical lower-case form (rbac/scope.ts). */
  scope_key: string;
  description: string;
  created_at: string;
  updated_at: string;
}

export interface ManagementTables {
  arm_subscriptions: ArmSubscriptionsTable;
  arm_resource_groups: ArmResourceGroupsTable;
  rbac_role_definitions: RbacRoleDefinitionsTable;
  rbac_role_assignments: RbacRoleAssignmentsTable;
}

export type ArmSubscriptionRow = Selectable<ArmSubscriptionsTable>;
export type ArmResourceGroupRow = Selectable<ArmResourceGroupsTable>;
export type RoleDefinitionRow = Selectable<RbacRoleDefinitionsTable>;
export type RoleAssignmentRow = Selectable<RbacRoleAssignmentsTable>;
