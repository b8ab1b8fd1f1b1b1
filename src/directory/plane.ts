/**
 * @module directory/plane
 * The directory plane owns tenants, applications (app roles, identifier URIs), service principals, managed
 * identities (system- and user-assigned), resources, app role assignments and credentials (client secrets
 * hashed, certificates, federated credentials), and the directory version every cache keys on. Every other
 * plane reads it through `Directory`; none writes its tables. Its manifest section (manifest/) is the base of
 * `lanyard.yaml` that the other planes' sections extend.
 */
import type { Plane } from '../plane/contract.ts';
import { directoryAdminRoutes } from './admin-routes.ts';
import type { DirectoryDeps } from './deps.ts';
import type { Directory } from './directory.ts';
import { directoryManifest } from './manifest/section.ts';
import * as m0001 from './migrations/0001-directory.ts';
import * as m0006 from './migrations/0006-app-optional-claims.ts';
import * as m0009 from './migrations/0009-resource-settings.ts';
import * as m0011 from './migrations/0011-key-vault-local-audience.ts';

export const directoryPlane: Plane<DirectoryDeps, Directory> = {
  name: 'directory',
  owns: 'tenants, apps, roles, identities, resources, assignments, credentials',
  migrations: {
    '0001-directory': m0001,
    '0006-app-optional-claims': m0006,
    '0009-resource-settings': m0009,
    '0011-key-vault-local-audience': m0011,
  },
  admin: directoryAdminRoutes,
  manifest: directoryManifest,
};
