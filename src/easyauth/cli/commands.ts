/**
 * @module easyauth/cli/commands
 * The Easy Auth plane's nouns of the `lanyard` CLI (`PlaneEntry.commands`): `lanyard easyauth …` and `lanyard
 * explain`, in that order in `lanyard --help`.
 */
import type { Command } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import type { EasyAuthDeps } from '../deps.ts';
import { registerEasyAuthCommands } from './easyauth.ts';
import { registerExplainCommand } from './explain.ts';

export function easyAuthCommands(program: Command, kit: CliKit<EasyAuthDeps>): void {
  registerEasyAuthCommands(program, kit);
  registerExplainCommand(program, kit);
}
