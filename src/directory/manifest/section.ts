/**
 * @module directory/manifest/section
 * The directory's section of `lanyard.yaml`, the base the others extend: what a tenant is (its fields, apps,
 * user-assigned identities, resources, role assignments, federated credentials), what a resource is, which
 * tenants the store holds, and what becomes of one the manifest does not name. The directory plane sets it as
 * its `manifest`; the host composes it with the other planes' sections.
 */
import type { BaseSection } from '../../manifest/section.ts';
import type { Directory } from '../directory.ts';
import { checkDirectory } from './checks.ts';
import { type DirectoryState, planDirectory, planUndeclaredTenant, readDirectory } from './plan.ts';
import { resourceSchema, tenantSchema } from './schema.ts';

export const directoryManifest: BaseSection<Directory, DirectoryState> = {
  place: 'base',
  tenant: tenantSchema,
  resource: resourceSchema,
  check: checkDirectory,
  tenants: (d) => d.listTenants(),
  read: readDirectory,
  plan: planDirectory,
  undeclaredTenant: planUndeclaredTenant,
};
