/**
 * @module directory/cli/tenant
 * `lanyard tenant list|show|create|update|delete`: the directories everything else lives in. Tenant commands
 * name their tenant as an argument; every other noun works in the tenant chosen by `--tenant`.
 */
import type { Command } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit, GlobalOptions } from '../../plane/cli-kit.ts';
import { type Column, collect, print, printDone, printRecord } from '../../plane/cli-output.ts';
import type { DirectoryDeps } from '../deps.ts';
import type { Tenant } from '../types.ts';

const TENANT_COLUMNS: Column<Tenant>[] = [
  { header: 'NAME', value: (t) => t.name },
  { header: 'ID', value: (t) => t.id },
  { header: 'DISPLAY NAME', value: (t) => t.displayName },
  { header: 'DOMAINS', value: (t) => t.domains },
];

const TENANT_FIELDS: Column<Tenant>[] = [
  { header: 'name', value: (t) => t.name },
  { header: 'id', value: (t) => t.id },
  { header: 'display name', value: (t) => t.displayName },
  { header: 'domains', value: (t) => t.domains },
  { header: 'default subscription', value: (t) => t.defaultSubscriptionId },
  { header: 'default resource group', value: (t) => t.defaultResourceGroup },
  { header: 'created', value: (t) => t.createdAt },
  { header: 'updated', value: (t) => t.updatedAt },
];

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function registerTenantCommands(program: Command, kit: CliKit<DirectoryDeps>): void {
  const tenant = program
    .command('tenant')
    .description('Tenants: the directories that hold apps, identities, resources and role assignments.');

  tenant
    .command('list')
    .description('List tenants.')
    .addHelpText('after', '\nExample:\n  lanyard tenant list -o json')
    .action((_o: object, cmd: Command) =>
      kit.withRuntime(cmd, async (deps, opts) => {
        print(await deps.directory.listTenants(), opts.output, TENANT_COLUMNS);
      }),
    );

  tenant
    .command('show')
    .description('Show a tenant.')
    .argument(
      '[tenant]',
      'id, name or domain (default: the current tenant: --tenant, LANYARD_TENANT or the only one)',
    )
    .addHelpText('after', '\nExample:\n  lanyard tenant show contoso.onmicrosoft.com')
    .action((ref: string | undefined, _o: object, cmd: Command) => {
      const show = async (deps: DirectoryDeps, id: string, opts: GlobalOptions) => {
        printRecord(await deps.directory.getTenant(id), opts.output, TENANT_FIELDS);
      };
      // No argument: the current tenant, as every other noun picks it.
      return ref === undefined
        ? kit.withTenant(cmd, show)
        : kit.withRuntime(cmd, (deps, opts) => show(deps, ref, opts));
    });

  tenant
    .command('create')
    .description(
      'Create a tenant, with the first-party resources (Resource Manager, Key Vault, Graph) in it.',
    )
    .requiredOption('--name <name>', 'stable name the CLI and manifest use (letters, digits, ".", "_", "-")')
    .option('--id <guid>', 'tenant id (default: generated)')
    .option('--display-name <text>', 'display name (default: the name)')
    .option(
      '--domain <domain>',
      'domain name; repeatable, the first is the default (default: <name>.onmicrosoft.com)',
      collect,
    )
    .option('--subscription <guid>', 'default subscription id of its resources and identities')
    .option('--resource-group <name>', 'default resource group of its resources and identities')
    .addHelpText(
      'after',
      '\nExample:\n  lanyard tenant create --name fabrikam --domain fabrikam.onmicrosoft.com --domain fabrikam.com',
    )
    .action(
      (
        o: {
          name: string;
          id?: string;
          displayName?: string;
          domain?: string[];
          subscription?: string;
          resourceGroup?: string;
        },
        cmd: Command,
      ) =>
        kit.withRuntime(
          cmd,
          async (deps, opts) => {
            const created = await deps.directory.createTenant({
              name: o.name,
              id: o.id,
              displayName: o.displayName,
              domains: o.domain,
              defaultSubscriptionId: o.subscription,
              defaultResourceGroup: o.resourceGroup,
            });
            printRecord(created, opts.output, TENANT_FIELDS);
          },
          { create: true },
        ),
    );

  tenant
    .command('update')
    .description('Change a tenant’s display name or domains.')
    .argument('<tenant>', 'id, name or domain')
    .option('--display-name <text>', 'new display name')
    .option(
      '--domain <domain>',
      'domain name; repeatable, replaces the list, the first is the default',
      collect,
    )
    .addHelpText(
      'after',
      '\nExample:\n  lanyard tenant update contoso --domain contoso.onmicrosoft.com --domain contoso.com',
    )
    .action((ref: string, o: { displayName?: string; domain?: string[] }, cmd: Command) =>
      kit.withRuntime(cmd, async (deps, opts) => {
        const updated = await deps.directory.updateTenant(ref, {
          displayName: o.displayName,
          domains: o.domain,
        });
        printRecord(updated, opts.output, TENANT_FIELDS);
      }),
    );

  tenant
    .command('delete')
    .description(
      'Delete a tenant and everything in it (apps, identities, resources, assignments, credentials).',
    )
    .argument('<tenant>', 'id, name or domain')
    .option('--yes', 'confirm: the tenant’s contents are deleted with it')
    .addHelpText('after', '\nExample:\n  lanyard tenant delete contoso --yes')
    .action((ref: string, o: { yes?: boolean }, cmd: Command) =>
      kit.withRuntime(cmd, async (deps, opts) => {
        const d = deps.directory;
        const t = await d.getTenant(ref);
        if (!o.yes) {
          const [apps, identities, resources, assignments] = await Promise.all([
            d.listApps(t.id),
            d.listIdentities(t.id),
            d.listResources(t.id),
            d.listRoleAssignments(t.id),
          ]);
          throw new LanyardError(
            'ERR_USAGE',
            `Deleting tenant "${t.name}" also deletes its ${plural(apps.length, 'app', 'apps')}, ${plural(identities.length, 'user-assigned identity', 'user-assigned identities')}, ${plural(resources.length, 'resource', 'resources')} and ${plural(assignments.length, 'role assignment', 'role assignments')}.`,
            { hint: `Confirm with \`lanyard tenant delete ${t.name} --yes\`.` },
          );
        }
        const deleted = await d.deleteTenant(t.id);
        printDone(`Deleted tenant "${deleted.name}" (${deleted.id}).`, opts.output, deleted);
      }),
    );
}
