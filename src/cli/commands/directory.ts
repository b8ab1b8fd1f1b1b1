/**
 * @module cli/commands/directory
 * Registers the directory nouns: `lanyard tenant|app|sp|identity|resource|role …`. Each noun lives in its
 * own module; this one only fixes their order in `lanyard --help`.
 */
import type { Command } from 'commander';
import { registerAppCommands } from './app.ts';
import { registerIdentityCommands } from './identity.ts';
import { registerResourceCommands } from './resource.ts';
import { registerRoleCommands } from './role.ts';
import { registerServicePrincipalCommands } from './sp.ts';
import { registerTenantCommands } from './tenant.ts';

export function registerDirectoryCommands(program: Command): void {
  registerTenantCommands(program);
  registerAppCommands(program);
  registerServicePrincipalCommands(program);
  registerIdentityCommands(program);
  registerResourceCommands(program);
  registerRoleCommands(program);
}
