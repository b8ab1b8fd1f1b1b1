/**
 * @module store/migrations/0001-directory
 * The directory's tables. Frozen in time: this file must never import application types or change once
 * released; later changes come as new migrations. Types are chosen to mean the same on SQLite and PostgreSQL:
 * GUIDs and timestamps (ISO 8601 UTC) are text, booleans are integers 0/1, lists are JSON text.
 */
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('default_subscription_id', 'text', (c) => c.notNull())
    .addColumn('default_resource_group', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tenant_domains')
    .addColumn('domain', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('tenant_domains_tenant').on('tenant_domains').column('tenant_id').execute();

  await db.schema
    .createTable('applications')
    .addColumn('object_id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('app_role_assignment_required', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('access_token_accepted_version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('first_party', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('applications_tenant_name', ['tenant_id', 'name'])
    .addUniqueConstraint('applications_tenant_app_id', ['tenant_id', 'app_id'])
    .execute();

  await db.schema
    .createTable('identifier_uris')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('uri_key', 'text', (c) => c.notNull())
    .addColumn('uri', 'text', (c) => c.notNull())
    .addColumn('app_object_id', 'text', (c) =>
      c.notNull().references('applications.object_id').onDelete('cascade'),
    )
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('identifier_uris_pk', ['tenant_id', 'uri_key'])
    .execute();
  await db.schema.createIndex('identifier_uris_app').on('identifier_uris').column('app_object_id').execute();

  await db.schema
    .createTable('app_roles')
    .addColumn('app_object_id', 'text', (c) =>
      c.notNull().references('applications.object_id').onDelete('cascade'),
    )
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('allowed_member_types', 'text', (c) => c.notNull())
    .addColumn('is_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('app_roles_pk', ['app_object_id', 'id'])
    .addUniqueConstraint('app_roles_value', ['app_object_id', 'value'])
    .execute();

  await db.schema
    .createTable('managed_identities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull().unique())
    .addColumn('principal_id', 'text', (c) => c.notNull().unique())
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('resource_group', 'text', (c) => c.notNull())
    .addColumn('arm_id', 'text', (c) => c.notNull())
    .addColumn('owner_resource_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('managed_identities_user_name')
    .on('managed_identities')
    .columns(['tenant_id', 'name'])
    .unique()
    .where(sql.ref('kind'), '=', 'user')
    .execute();
  await db.schema
    .createIndex('managed_identities_arm_id')
    .on('managed_identities')
    .expression(db.fn('lower', ['arm_id']))
    .execute();

  await db.schema
    .createTable('resources')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('resource_group', 'text', (c) => c.notNull())
    .addColumn('arm_id', 'text', (c) => c.notNull())
    .addColumn('system_identity_id', 'text', (c) =>
      c.references('managed_identities.id').onDelete('set null'),
    )
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('resources_tenant_name', ['tenant_id', 'name'])
    .execute();

  await db.schema
    .createTable('resource_identities')
    .addColumn('resource_id', 'text', (c) => c.notNull().references('resources.id').onDelete('cascade'))
    .addColumn('identity_id', 'text', (c) =>
      c.notNull().references('managed_identities.id').onDelete('cascade'),
    )
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('resource_identities_pk', ['resource_id', 'identity_id'])
    .execute();
  await db.schema
    .createIndex('resource_identities_identity')
    .on('resource_identities')
    .column('identity_id')
    .execute();

  await db.schema
    .createTable('service_principals')
    .addColumn('object_id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('app_object_id', 'text', (c) => c.references('applications.object_id').onDelete('cascade'))
    .addColumn('identity_id', 'text', (c) => c.references('managed_identities.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('service_principals_tenant_app_id', ['tenant_id', 'app_id'])
    .execute();

  await db.schema
    .createTable('app_role_assignments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('principal_id', 'text', (c) =>
      c.notNull().references('service_principals.object_id').onDelete('cascade'),
    )
    .addColumn('resource_sp_id', 'text', (c) =>
      c.notNull().references('service_principals.object_id').onDelete('cascade'),
    )
    .addColumn('app_role_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('app_role_assignments_unique', ['principal_id', 'resource_sp_id', 'app_role_id'])
    .execute();
  await db.schema
    .createIndex('app_role_assignments_resource')
    .on('app_role_assignments')
    .column('resource_sp_id')
    .execute();

  await db.schema
    .createTable('client_secrets')
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('app_object_id', 'text', (c) =>
      c.notNull().references('applications.object_id').onDelete('cascade'),
    )
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('hint', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('start_at', 'text', (c) => c.notNull())
    .addColumn('end_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('client_secrets_app').on('client_secrets').column('app_object_id').execute();

  await db.schema
    .createTable('certificate_credentials')
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('app_object_id', 'text', (c) =>
      c.notNull().references('applications.object_id').onDelete('cascade'),
    )
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('thumbprint_sha1', 'text', (c) => c.notNull())
    .addColumn('thumbprint_sha256', 'text', (c) => c.notNull())
    .addColumn('certificate_pem', 'text', (c) => c.notNull())
    .addColumn('start_at', 'text', (c) => c.notNull())
    .addColumn('end_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('certificate_credentials_thumb', ['app_object_id', 'thumbprint_sha1'])
    .execute();

  await db.schema
    .createTable('federated_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('app_object_id', 'text', (c) => c.references('applications.object_id').onDelete('cascade'))
    .addColumn('identity_id', 'text', (c) => c.references('managed_identities.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('audiences', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('federated_credentials_owner_name')
    .on('federated_credentials')
    .columns(['tenant_id', 'app_object_id', 'identity_id', 'name'])
    .execute();
  await db.schema
    .createIndex('federated_credentials_match')
    .on('federated_credentials')
    .columns(['issuer', 'subject'])
    .execute();

  // One row, bumped by every directory write: lets other processes on the same store notice changes.
  await db.schema
    .createTable('directory_version')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();
  await db.insertInto('directory_version').values({ id: 1, version: 0 }).execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'directory_version',
    'federated_credentials',
    'certificate_credentials',
    'client_secrets',
    'app_role_assignments',
    'service_principals',
    'resource_identities',
    'resources',
    'managed_identities',
    'app_roles',
    'identifier_uris',
    'applications',
    'tenant_domains',
    'tenants',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
