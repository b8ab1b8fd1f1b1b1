/**
 * @module directory/cli/identity
 * `lanyard identity …`: user-assigned managed identities (own lifecycle, attached to many resources, picked
 * by client id) and their federated credentials. System-assigned identities live and die with their
 * resource (`lanyard resource … --system-identity`) and are listed here only with --include-system.
 */
import type { Command } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, print, printDone, printRecord } from '../../plane/cli-output.ts';
import type { DirectoryDeps } from '../deps.ts';
import type { ManagedIdentity } from '../types.ts';
import { registerFederatedCommands } from './federated.ts';

const IDENTITY_COLUMNS: Column<ManagedIdentity>[] = [
  { header: 'NAME', value: (i) => i.name },
  { header: 'KIND', value: (i) => i.kind },
  { header: 'CLIENT ID', value: (i) => i.clientId },
  { header: 'PRINCIPAL ID', value: (i) => i.principalId },
  { header: 'ATTACHED TO', value: (i) => i.attachedTo },
];

const IDENTITY_FIELDS: Column<ManagedIdentity>[] = [
  { header: 'name', value: (i) => i.name },
  { header: 'kind', value: (i) => i.kind },
  { header: 'id', value: (i) => i.id },
  { header: 'client id', value: (i) => i.clientId },
  { header: 'principal id', value: (i) => i.principalId },
  { header: 'subscription', value: (i) => i.subscriptionId },
  { header: 'resource group', value: (i) => i.resourceGroup },
  { header: 'resource id', value: (i) => i.resourceId },
  { header: 'owner resource', value: (i) => i.ownerResource },
  { header: 'attached to', value: (i) => i.attachedTo },
  { header: 'created', value: (i) => i.createdAt },
];

const IDENTITY_REF = 'name, client id, principal id or resource id';

export function registerIdentityCommands(program: Command, kit: CliKit<DirectoryDeps>): void {
  const identity = program
    .command('identity')
    .description('User-assigned managed identities: attach them to resources, assign them roles.');

  identity
    .command('list')
    .description('List user-assigned identities.')
    .option('--include-system', 'also list the system-assigned identities of resources')
    .addHelpText('after', '\nExample:\n  lanyard identity list --include-system')
    .action((o: { includeSystem?: boolean }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const list = await deps.directory.listIdentities(tenant, {
          includeSystem: o.includeSystem === true,
        });
        print(list, opts.output, IDENTITY_COLUMNS);
      }),
    );

  identity
    .command('show')
    .description('Show a user-assigned identity and the resources it is attached to.')
    .argument('<identity>', IDENTITY_REF)
    .addHelpText('after', '\nExample:\n  lanyard identity show apim-caller')
    .action((ref: string, _o: object, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        printRecord(await deps.directory.getIdentity(tenant, ref), opts.output, IDENTITY_FIELDS);
      }),
    );

  identity
    .command('create')
    .description('Create a user-assigned identity (and its service principal).')
    .requiredOption('--name <name>', '3-128 letters, digits, "-" or "_"')
    .option('--client-id <guid>', 'client id (default: generated)')
    .option('--principal-id <guid>', 'principal (object) id (default: generated)')
    .option('--subscription <guid>', 'subscription id (default: the tenant’s)')
    .option('--resource-group <name>', 'resource group (default: the tenant’s)')
    .addHelpText(
      'after',
      '\nExample:\n  lanyard identity create --name orders-caller --resource-group rg-orders',
    )
    .action(
      (
        o: {
          name: string;
          clientId?: string;
          principalId?: string;
          subscription?: string;
          resourceGroup?: string;
        },
        cmd: Command,
      ) =>
        kit.withTenant(cmd, async (deps, tenant, opts) => {
          const created = await deps.directory.createIdentity(tenant, {
            name: o.name,
            clientId: o.clientId,
            principalId: o.principalId,
            subscriptionId: o.subscription,
            resourceGroup: o.resourceGroup,
          });
          printRecord(created, opts.output, IDENTITY_FIELDS);
        }),
    );

  identity
    .command('delete')
    .description('Delete a user-assigned identity: it is detached everywhere and its role assignments go.')
    .argument('<identity>', IDENTITY_REF)
    .addHelpText('after', '\nExample:\n  lanyard identity delete orders-caller')
    .action((ref: string, _o: object, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const deleted = await deps.directory.deleteIdentity(tenant, ref);
        printDone(
          `Deleted identity "${deleted.name}" (client id ${deleted.clientId}).`,
          opts.output,
          deleted,
        );
      }),
    );

  registerFederatedCommands(identity, 'identity', kit);
}
