/**
 * @module identity/cli/commands
 * The managed-identity plane's nouns of the `lanyard` CLI (`PlaneEntry.commands`): `lanyard run`, `lanyard
 * workload …` and `lanyard token`, in that order in `lanyard --help`.
 */
import type { Command } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import type { IdentityDeps } from '../deps.ts';
import { registerRunCommand } from './run.ts';
import { registerWorkloadCommands } from './workload.ts';

export function identityCommands(program: Command, kit: CliKit<IdentityDeps>): void {
  registerRunCommand(program, kit);
  registerWorkloadCommands(program, kit);
}
