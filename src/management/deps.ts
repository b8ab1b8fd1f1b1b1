/**
 * @module management/deps
 * What the management plane takes from the host: the directory (tenants, principals, resources) and, through
 * it, the store its own rows live in. Declared here, as the plane needs it; the host's runtime satisfies it.
 */
import type { Directory } from '../directory/directory.ts';

export interface ManagementDeps {
  readonly directory: Directory;
}
