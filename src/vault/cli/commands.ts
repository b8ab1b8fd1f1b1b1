/**
 * @module vault/cli/commands
 * The vault plane's noun of the `lanyard` CLI (`PlaneEntry.commands`):
 *   lanyard vault secret …           Key Vault secrets (secret-commands.ts)
 *   lanyard vault rotate-master-key  re-wraps everything sealed under the master key (rotate-master-key.ts)
 * Light: each action imports the service it calls.
 */
import type { Command } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import type { VaultDeps } from '../deps.ts';
import { registerRotateMasterKey } from './rotate-master-key.ts';
import { registerSecretCommands } from './secret-commands.ts';

export function vaultCommands(program: Command, kit: CliKit<VaultDeps>): void {
  const vault = program
    .command('vault')
    .description(
      'Key Vault: secrets sealed at rest, soft delete, backup; the master key they are sealed under.',
    );
  registerSecretCommands(vault, kit);
  registerRotateMasterKey(vault, kit);
}
