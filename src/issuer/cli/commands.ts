/**
 * @module issuer/cli/commands
 * The issuer's nouns of the `lanyard` CLI (`PlaneEntry.commands`): `lanyard keys …`.
 */
import type { Command } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import type { IssuerDeps } from '../deps.ts';
import { registerKeysCommands } from './keys.ts';

export function issuerCommands(program: Command, kit: CliKit<IssuerDeps>): void {
  registerKeysCommands(program, kit);
}
