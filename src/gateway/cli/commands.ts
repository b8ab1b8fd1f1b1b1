/**
 * @module gateway/cli/commands
 * The gateway plane's nouns of the `lanyard` CLI (`PlaneEntry.commands`): `lanyard gateway …` — the gateways
 * themselves, then `api`, `operation`, `product`, `subscription`, `named-value`, `backend`, `policy` and
 * `trace`, in that order in `--help`. Light: each action imports the service it calls.
 */
import type { Command } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import type { GatewayDeps } from '../deps.ts';
import { registerApiCommands } from './api.ts';
import { registerGatewayCommands } from './gateway.ts';
import { registerNamedValueCommands } from './named-value.ts';
import { registerPolicyCommands } from './policy.ts';
import { registerProductCommands } from './product.ts';
import { registerSubscriptionCommands } from './subscription.ts';

export function gatewayCommands(program: Command, kit: CliKit<GatewayDeps>): void {
  const gateway = program
    .command('gateway')
    .description(
      'API Management gateways: APIs, operations, products, subscriptions, named values, policies.',
    );
  registerGatewayCommands(gateway, kit);
  registerApiCommands(gateway, kit);
  registerProductCommands(gateway, kit);
  registerSubscriptionCommands(gateway, kit);
  registerNamedValueCommands(gateway, kit);
  registerPolicyCommands(gateway, kit);
}
