/**
 * @module directory/plane
 * The directory plane owns tenants, applications (app roles, identifier URIs), service principals, managed
 * identities (system- and user-assigned), resources, app role assignments and credentials (client secrets
 * hashed, certificates, federated credentials), and the directory version every cache keys on. Every other
 * plane reads it through `Directory`; none writes its tables.
 */
import type { Plane } from '../plane/contract.ts';
import { type DirectoryDeps, directoryAdminRoutes } from './admin-routes.ts';
import * as m0001 from './migrations/0001-directory.ts';

export const directoryPlane: Plane<DirectoryDeps> = {
  name: 'directory',
  owns: 'tenants, apps, roles, identities, resources, assignments, credentials',
  migrations: { '0001-directory': m0001 },
  admin: directoryAdminRoutes,
};
