/**
 * @module management/plane
 * The management plane: Azure RBAC (custom role definitions, role assignments on ARM scopes, one evaluator) and
 * the subscriptions and resource groups those scopes name. Its rows are in migration `0008-management`; its
 * nouns of the CLI are `lanyard rbac`, `lanyard subscription` and `lanyard group` (cli/commands.ts).
 */
import type { Plane } from '../plane/contract.ts';
import type { ManagementDeps } from './deps.ts';
import * as m0008 from './migrations/0008-management.ts';

export const managementPlane: Plane<ManagementDeps> = {
  name: 'management',
  owns: 'Azure RBAC (role definitions and scoped role assignments), subscriptions and resource groups',
  migrations: { '0008-management': m0008 },
};
