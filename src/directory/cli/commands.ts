/**
 * @module directory/cli/commands
 * The directory's nouns of the `lanyard` CLI (`PlaneEntry.commands`): `lanyard tenant|app|sp|identity|resource|role
 * …`. Each noun lives in its own module; this one only fixes their order in `lanyard --help`.
 */
import type { Command } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import type { DirectoryDeps } from '../deps.ts';
import { registerAppCommands } from './app.ts';
import { registerIdentityCommands } from './identity.ts';
import { registerResourceCommands } from './resource.ts';
import { registerRoleCommands } from './role.ts';
import { registerServicePrincipalCommands } from './sp.ts';
import { registerTenantCommands } from './tenant.ts';

export function directoryCommands(program: Command, kit: CliKit<DirectoryDeps>): void {
  registerTenantCommands(program, kit);
  registerAppCommands(program, kit);
  registerServicePrincipalCommands(program, kit);
  registerIdentityCommands(program, kit);
  registerResourceCommands(program, kit);
  registerRoleCommands(program, kit);
}
