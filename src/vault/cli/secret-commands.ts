import type { Command } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import type { VaultDeps } from '../deps.ts';

export function registerSecretCommands(_vault: Command, _kit: CliKit<VaultDeps>): void {}
