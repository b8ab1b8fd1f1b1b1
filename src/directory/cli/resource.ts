/**
 * @module directory/cli/resource
 * `lanyard resource …`: the things that carry managed identities (function apps, automation accounts,
 * gateways, vaults, virtual machines). A resource may have one system-assigned identity, created and deleted
 * with it, and any number of user-assigned identities attached. A virtual machine also has a power state and
 * its settings (size, location, OS type, computer name), set here and shown by list and show.
 */
import { type Command, Option } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, collect, print, printDone, printRecord } from '../../plane/cli-output.ts';
import type { DirectoryDeps } from '../deps.ts';
import type { ManagedIdentity, PowerState, Resource, VmOsType } from '../types.ts';
import { POWER_STATES, RESOURCE_KINDS, VM_DEFAULTS, VM_OS_TYPES } from '../types.ts';

const describeIdentity = (i: ManagedIdentity) =>
  `${i.name}  client ${i.clientId}  principal ${i.principalId}`;

const RESOURCE_COLUMNS: Column<Resource>[] = [
  { header: 'NAME', value: (r) => r.name },
  { header: 'KIND', value: (r) => r.kind },
  { header: 'POWER STATE', value: (r) => r.powerState },
  { header: 'SYSTEM IDENTITY (PRINCIPAL ID)', value: (r) => r.systemAssignedIdentity?.principalId },
  { header: 'USER IDENTITIES', value: (r) => r.userAssignedIdentities.map((i) => i.name) },
];

const RESOURCE_FIELDS: Column<Resource>[] = [
  { header: 'name', value: (r) => r.name },
  { header: 'kind', value: (r) => r.kind },
  { header: 'id', value: (r) => r.id },
  { header: 'resource id', value: (r) => r.resourceId },
  { header: 'subscription', value: (r) => r.subscriptionId },
  { header: 'resource group', value: (r) => r.resourceGroup },
  // VMs only: undefined leaves the line out for other kinds.
  { header: 'power state', value: (r) => r.powerState },
  { header: 'vm size', value: (r) => r.vmSize },
  { header: 'location', value: (r) => r.location },
  { header: 'os type', value: (r) => r.osType },
  { header: 'computer name', value: (r) => r.computerName },
  {
    header: 'system identity',
    value: (r) =>
      r.systemAssignedIdentity
        ? `client ${r.systemAssignedIdentity.clientId}  principal ${r.systemAssignedIdentity.principalId}`
        : 'none',
  },
  { header: 'user identities', value: (r) => r.userAssignedIdentities.map(describeIdentity) },
  { header: 'created', value: (r) => r.createdAt },
  { header: 'updated', value: (r) => r.updatedAt },
];

const RESOURCE_REF = 'name, id or Azure resource id';

/** The options only a VM takes, on create and update alike. */
interface VmOptions {
  powerState?: PowerState;
  vmSize?: string;
  location?: string;
  osType?: VmOsType;
  computerName?: string;
}

function addVmOptions(command: Command, defaults: boolean): Command {
  const def = (value: string) => (defaults ? ` (default ${value})` : '');
  return command
    .addOption(
      new Option('--power-state <state>', `kind vm: power state${def(VM_DEFAULTS.powerState)}`).choices(
        POWER_STATES,
      ),
    )
    .option('--vm-size <size>', `kind vm: Azure VM size${def(VM_DEFAULTS.vmSize)}`)
    .option('--location <location>', `kind vm: Azure region${def(VM_DEFAULTS.location)}`)
    .addOption(
      new Option('--os-type <type>', `kind vm: operating system${def(VM_DEFAULTS.osType)}`).choices(
        VM_OS_TYPES,
      ),
    )
    .option('--computer-name <name>', `kind vm: host name inside the VM${def('the name')}`);
}

/** Only the VM options given: the directory refuses any of them on a resource of another kind. */
const vmInput = (o: VmOptions) => ({
  ...(o.powerState === undefined ? {} : { powerState: o.powerState }),
  ...(o.vmSize === undefined ? {} : { vmSize: o.vmSize }),
  ...(o.location === undefined ? {} : { location: o.location }),
  ...(o.osType === undefined ? {} : { osType: o.osType }),
  ...(o.computerName === undefined ? {} : { computerName: o.computerName }),
});

export function registerResourceCommands(program: Command, kit: CliKit<DirectoryDeps>): void {
  const resource = program
    .command('resource')
    .description(
      'Resources that carry managed identities: apps, automation accounts, gateways, vaults, virtual machines.',
    );

  resource
    .command('list')
    .description('List resources.')
    .addHelpText('after', '\nExample:\n  lanyard resource list')
    .action((_o: object, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(await deps.directory.listResources(tenant), opts.output, RESOURCE_COLUMNS);
      }),
    );

  resource
    .command('show')
    .description('Show a resource with its identities.')
    .argument('<resource>', RESOURCE_REF)
    .addHelpText('after', '\nExample:\n  lanyard resource show somefunction')
    .action((ref: string, _o: object, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        printRecord(await deps.directory.getResource(tenant, ref), opts.output, RESOURCE_FIELDS);
      }),
    );

  const create = resource
    .command('create')
    .description('Create a resource.')
    .requiredOption('--name <name>', 'DNS label: 1-60 letters, digits or "-" (it becomes <name>.localhost)')
    .addOption(new Option('--kind <kind>', 'what it is').choices(RESOURCE_KINDS).makeOptionMandatory())
    .option('--system-identity', 'give it a system-assigned identity')
    .option('--user-identity <identity>', 'attach a user-assigned identity (repeatable)', collect);
  addVmOptions(create, true)
    .addHelpText(
      'after',
      '\nExamples:\n  lanyard resource create --name orders-func --kind app --system-identity --user-identity apim-caller\n  lanyard resource create --name build-vm --kind vm --vm-size Standard_D2s_v3 --location westeurope --system-identity',
    )
    .action(
      (
        o: {
          name: string;
          kind: Resource['kind'];
          systemIdentity?: boolean;
          userIdentity?: string[];
        } & VmOptions,
        cmd: Command,
      ) =>
        kit.withTenant(cmd, async (deps, tenant, opts) => {
          const created = await deps.directory.createResource(tenant, {
            name: o.name,
            kind: o.kind,
            systemAssignedIdentity: o.systemIdentity,
            userAssignedIdentities: o.userIdentity,
            ...vmInput(o),
          });
          printRecord(created, opts.output, RESOURCE_FIELDS);
        }),
    );

  const update = resource
    .command('update')
    .description(
      'Turn the system-assigned identity on or off, replace the attached user-assigned identities, or change ' +
        'a virtual machine’s power state and settings.',
    )
    .argument('<resource>', RESOURCE_REF)
    .option('--system-identity', 'give it a system-assigned identity')
    .option(
      '--no-system-identity',
      'delete its system-assigned identity (and that identity’s role assignments)',
    )
    .option('--user-identity <identity>', 'user-assigned identity (repeatable; replaces the list)', collect)
    .option('--no-user-identity', 'detach every user-assigned identity');
  addVmOptions(update, false)
    .addHelpText(
      'after',
      '\nExamples:\n  lanyard resource update orders-func --no-system-identity --user-identity apim-caller\n  lanyard resource update build-vm --power-state deallocated',
    )
    .action(
      (
        ref: string,
        o: { systemIdentity?: boolean; userIdentity?: string[] | false } & VmOptions,
        cmd: Command,
      ) =>
        kit.withTenant(cmd, async (deps, tenant, opts) => {
          const updated = await deps.directory.updateResource(tenant, ref, {
            systemAssignedIdentity: o.systemIdentity,
            userAssignedIdentities: o.userIdentity === false ? [] : o.userIdentity,
            ...vmInput(o),
          });
          printRecord(updated, opts.output, RESOURCE_FIELDS);
        }),
    );

  resource
    .command('delete')
    .description(
      'Delete a resource; its system-assigned identity and that identity’s assignments go with it.',
    )
    .argument('<resource>', RESOURCE_REF)
    .addHelpText('after', '\nExample:\n  lanyard resource delete orders-func')
    .action((ref: string, _o: object, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const deleted = await deps.directory.deleteResource(tenant, ref);
        printDone(`Deleted resource "${deleted.name}" (${deleted.kind}).`, opts.output, deleted);
      }),
    );

  const identity = resource
    .command('identity')
    .description('Attach or detach user-assigned identities one at a time.');
  const bind = (verb: 'attach' | 'detach') =>
    identity
      .command(verb)
      .description(
        verb === 'attach'
          ? 'Attach a user-assigned identity to a resource.'
          : 'Detach a user-assigned identity from a resource.',
      )
      .requiredOption('--resource <resource>', RESOURCE_REF)
      .requiredOption('--identity <identity>', 'name, client id, principal id or resource id')
      .addHelpText(
        'after',
        `\nExample:\n  lanyard resource identity ${verb} --resource somefunction --identity apim-caller`,
      )
      .action((o: { resource: string; identity: string }, cmd: Command) =>
        kit.withTenant(cmd, async (deps, tenant, opts) => {
          const d = deps.directory;
          const updated =
            verb === 'attach'
              ? await d.attachIdentity(tenant, o.resource, o.identity)
              : await d.detachIdentity(tenant, o.resource, o.identity);
          printRecord(updated, opts.output, RESOURCE_FIELDS);
        }),
      );
  bind('attach');
  bind('detach');
}
