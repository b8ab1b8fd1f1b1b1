/**
 * @module directory/tables
 * The directory's tables, as Kysely sees them (migrations `0001-directory`, `0006-app-optional-claims`,
 * `0009-resource-settings`). Booleans are 0/1 integers and lists are JSON text on both dialects, so a row reads
 * the same from SQLite and PostgreSQL. Only the directory's own modules name these tables in a query; other
 * planes call `Directory` (or the functions it exports for them, like `resourceNames` and `bumpVersion`).
 */
import type { Selectable } from 'kysely';
import type { PowerState } from './types.ts';

export interface TenantsTable {
  id: string;
  name: string;
  display_name: string;
  default_subscription_id: string;
  default_resource_group: string;
  created_at: string;
  updated_at: string;
}

export interface TenantDomainsTable {
  domain: string;
  tenant_id: string;
  is_default: number;
}

export interface ApplicationsTable {
  object_id: string;
  tenant_id: string;
  app_id: string;
  name: string;
  display_name: string;
  app_role_assignment_required: number;
  access_token_accepted_version: number;
  /** JSON list of the access-token optional claims (migration 0006); '[]' for none and for first-party apps. */
  access_token_claims: string;
  first_party: number;
  created_at: string;
  updated_at: string;
}

export interface IdentifierUrisTable {
  tenant_id: string;
  /** Lower-cased, trailing slash removed: Entra treats URIs differing only so as the same. */
  uri_key: string;
  uri: string;
  app_object_id: string;
  position: number;
}

export interface AppRolesTable {
  app_object_id: string;
  id: string;
  value: string;
  display_name: string;
  description: string;
  allowed_member_types: string;
  is_enabled: number;
  position: number;
}

export interface ManagedIdentitiesTable {
  id: string;
  tenant_id: string;
  kind: 'system' | 'user';
  name: string;
  client_id: string;
  principal_id: string;
  subscription_id: string;
  resource_group: string;
  arm_id: string;
  owner_resource_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface ResourcesTable {
  id: string;
  tenant_id: string;
  name: string;
  kind: 'app' | 'automation' | 'gateway' | 'vault' | 'vm' | 'workflow';
  subscription_id: string;
  resource_group: string;
  arm_id: string;
  system_identity_id: string | null;
  /** Kind vm: its power state (migration 0009); null for every other kind. */
  power_state: PowerState | null;
  /** JSON object (migration 0009): a VM's vmSize, location, osType, computerName; '{}' for other kinds. */
  settings: string;
  created_at: string;
  updated_at: string;
}

export interface ResourceIdentitiesTable {
  resource_id: string;
  identity_id: string;
  created_at: string;
}

export interface ServicePrincipalsTable {
  object_id: string;
  tenant_id: string;
  app_id: string;
  display_name: string;
  type: 'Application' | 'ManagedIdentity';
  app_object_id: string | null;
  identity_id: string | null;
  created_at: string;
}

export interface AppRoleAssignmentsTable {
  id: string;
  tenant_id: string;
  principal_id: string;
  resource_sp_id: string;
  app_role_id: string;
  created_at: string;
}

export interface ClientSecretsTable {
  key_id: string;
  app_object_id: string;
  display_name: string;
  hint: string;
  secret_hash: string;
  start_at: string;
  end_at: string;
  created_at: string;
}

export interface CertificateCredentialsTable {
  key_id: string;
  app_object_id: string;
  display_name: string;
  thumbprint_sha1: string;
  thumbprint_sha256: string;
  certificate_pem: string;
  start_at: string;
  end_at: string;
  created_at: string;
}

export interface FederatedCredentialsTable {
  id: string;
  tenant_id: string;
  app_object_id: string | null;
  identity_id: string | null;
  name: string;
  issuer: string;
  subject: string;
  audiences: string;
  description: string;
  created_at: string;
}

export interface DirectoryVersionTable {
  id: number;
  version: number;
}

export interface DirectoryTables {
  tenants: TenantsTable;
  tenant_domains: TenantDomainsTable;
  applications: ApplicationsTable;
  identifier_uris: IdentifierUrisTable;
  app_roles: AppRolesTable;
  managed_identities: ManagedIdentitiesTable;
  resources: ResourcesTable;
  resource_identities: ResourceIdentitiesTable;
  service_principals: ServicePrincipalsTable;
  app_role_assignments: AppRoleAssignmentsTable;
  client_secrets: ClientSecretsTable;
  certificate_credentials: CertificateCredentialsTable;
  federated_credentials: FederatedCredentialsTable;
  directory_version: DirectoryVersionTable;
}

export type TenantRow = Selectable<TenantsTable>;
export type ApplicationRow = Selectable<ApplicationsTable>;
export type ManagedIdentityRow = Selectable<ManagedIdentitiesTable>;
export type ResourceRow = Selectable<ResourcesTable>;
export type ServicePrincipalRow = Selectable<ServicePrincipalsTable>;
export type FederatedCredentialRow = Selectable<FederatedCredentialsTable>;
