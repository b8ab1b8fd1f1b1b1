/**
 * @module management/cli/commands
 * The management plane's nouns of the `lanyard` CLI (`PlaneEntry.commands`):
 *   lanyard rbac assign|unassign|list|check      Azure RBAC role assignments on ARM scopes
 *   lanyard rbac role list|show|create|delete     role definitions (built-in and custom)
 *   lanyard subscription list|create              the tenant's subscriptions
 *   lanyard group list|create|delete              resource groups
 * Light: each action imports the service it calls.
 */
import fs from 'node:fs';
import { type Command, Option } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, print, printDone, printRecord } from '../../plane/cli-output.ts';
import type { ManagementDeps } from '../deps.ts';
import type { RoleDefinition } from '../rbac/role-definition.ts';
import type { AssignmentView, ResourceGroupView, SubscriptionView } from '../service.ts';

const service = () => import('../service.ts');

const ASSIGNMENT_COLUMNS: readonly Column<AssignmentView>[] = [
  { header: 'NAME', value: (a) => a.name },
  { header: 'PRINCIPAL', value: (a) => a.principalId },
  { header: 'ROLE', value: (a) => a.roleName },
  { header: 'SCOPE', value: (a) => a.scope },
];
const ROLE_COLUMNS: readonly Column<RoleDefinition>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'NAME', value: (r) => r.roleName },
  { header: 'TYPE', value: (r) => r.roleType },
  { header: 'DESCRIPTION', value: (r) => r.description },
];
const SUBSCRIPTION_COLUMNS: readonly Column<SubscriptionView>[] = [
  { header: 'ID', value: (s) => s.subscriptionId },
  { header: 'NAME', value: (s) => s.displayName },
  { header: 'STATE', value: (s) => s.state },
  { header: 'DECLARED', value: (s) => s.declared },
];
const GROUP_COLUMNS: readonly Column<ResourceGroupView>[] = [
  { header: 'NAME', value: (g) => g.name },
  { header: 'LOCATION', value: (g) => g.location },
  { header: 'SUBSCRIPTION', value: (g) => g.subscriptionId },
  { header: 'DECLARED', value: (g) => g.declared },
];

const SCOPE_HELP =
  'an ARM id (/subscriptions/…), or subscription[:<id>], group:<name>, resource:<name>, identity:<name>';
const PRINCIPAL_HELP = 'app:<name>, identity:<name>, resource:<name> (its system identity) or an object id';

interface AssignOptions {
  principal: string;
  role: string;
  scope: string;
  name?: string;
  description?: string;
}

function registerRbac(program: Command, kit: CliKit<ManagementDeps>): void {
  const rbac = program
    .command('rbac')
    .description('Azure RBAC: roles assigned to principals on ARM scopes, inherited down the scope tree.');
  rbac
    .command('assign')
    .description('Assign a role to a principal at a scope.')
    .requiredOption('--principal <ref>', PRINCIPAL_HELP)
    .requiredOption('--role <role>', 'a role name (Key Vault Secrets User) or its GUID')
    .requiredOption('--scope <scope>', SCOPE_HELP)
    .option('--name <guid>', "the assignment's name (a new GUID when left out)")
    .option('--description <text>', 'why it exists')
    .addHelpText(
      'after',
      '\nExample:\n  lanyard rbac assign --principal identity:apim-caller --role "Key Vault Secrets User" --scope resource:flow-credentials',
    )
    .action((o: AssignOptions, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const a = await (await service()).assignRole(deps.directory, tenant, {
          principal: o.principal,
          role: o.role,
          scope: o.scope,
          id: o.name,
          description: o.description,
        });
        printDone(`Assigned ${a.roleName} at ${a.scope} (${a.name}).`, opts.output, a);
      }),
    );
  rbac
    .command('unassign')
    .description('Remove a role assignment, by its name or by principal, role and scope.')
    .argument('[name]', "the assignment's name or id")
    .option('--principal <ref>', PRINCIPAL_HELP)
    .option('--role <role>', 'a role name or GUID')
    .option('--scope <scope>', SCOPE_HELP)
    .action((name: string | undefined, o: Partial<AssignOptions>, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const ref =
          name !== undefined
            ? { id: name }
            : o.principal && o.role && o.scope
              ? { principal: o.principal, role: o.role, scope: o.scope }
              : undefined;
        if (!ref) throw cmd.error('Give the assignment name, or --principal, --role and --scope.');
        const a = await (await service()).unassignRole(deps.directory, tenant, ref);
        printDone(`Removed ${a.roleName} at ${a.scope} (${a.name}).`, opts.output, a);
      }),
    );
  rbac
    .command('list')
    .description('List role assignments (with --scope: those that apply there, inherited ones included).')
    .option('--principal <ref>', PRINCIPAL_HELP)
    .option('--scope <scope>', SCOPE_HELP)
    .action((o: Partial<AssignOptions>, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(
          await (await service()).listRoleAssignments(deps.directory, tenant, {
            principal: o.principal,
            scope: o.scope,
          }),
          opts.output,
          ASSIGNMENT_COLUMNS,
        );
      }),
    );
  rbac
    .command('check')
    .description(
      'May this principal perform this action at this scope? Names the assignment, or the role that would.',
    )
    .requiredOption('--principal <ref>', PRINCIPAL_HELP)
    .requiredOption('--action <operation>', 'e.g. Microsoft.KeyVault/vaults/secrets/getSecret/action')
    .requiredOption('--scope <scope>', SCOPE_HELP)
    .addOption(new Option('--data-action', 'the action is a data action (dataActions, not actions)'))
    .action((o: { principal: string; action: string; scope: string; dataAction?: boolean }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const { checkAccess, describeDecision } = await service();
        const r = await checkAccess(deps.directory, tenant, o);
        printDone(describeDecision(r, o).text, opts.output, r);
        if (!r.decision.allowed) process.exitCode = 3;
      }),
    );

  const role = rbac.command('role').description('Role definitions: the built-in ones and custom roles.');
  role
    .command('list')
    .description('List every role definition.')
    .action((_o: unknown, cmd: Command) =>
      kit.withTenant(cmd, async (deps, _tenant, opts) => {
        print(await (await service()).listRoles(deps.directory), opts.output, ROLE_COLUMNS);
      }),
    );
  role
    .command('show')
    .description('Show a role definition with its permissions.')
    .argument('<role>', 'its name or GUID')
    .action((ref: string, _o: unknown, cmd: Command) =>
      kit.withTenant(cmd, async (deps, _tenant, opts) => {
        const r = await (await service()).findRole(deps.directory, ref);
        if (opts.output === 'json') printRecord(r, opts.output, ROLE_COLUMNS);
        else process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      }),
    );
  role
    .command('create')
    .description("Create or replace a custom role from a JSON file (Azure's roleDefinition shape).")
    .requiredOption(
      '--file <path>',
      '{ "roleName", "description", "assignableScopes", "permissions": [{ "actions", … }] }',
    )
    .action((o: { file: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        // biome-ignore lint/suspicious/noExplicitAny: checked by the role index
        const body = JSON.parse(fs.readFileSync(o.file, 'utf8')) as any;
        const input = body.properties ?? body;
        const { role: r, created } = await (await service()).putRole(deps.directory, tenant, {
          id: body.name ?? input.id,
          roleName: input.roleName,
          description: input.description,
          assignableScopes: input.assignableScopes,
          permissions: input.permissions,
        });
        printDone(`${created ? 'Created' : 'Replaced'} custom role ${r.roleName} (${r.id}).`, opts.output, r);
      }),
    );
  role
    .command('delete')
    .description('Delete a custom role (refused while it is assigned).')
    .argument('<role>', 'its name or GUID')
    .action((ref: string, _o: unknown, cmd: Command) =>
      kit.withTenant(cmd, async (deps, _tenant, opts) => {
        const r = await (await service()).deleteRole(deps.directory, ref);
        printDone(`Deleted custom role ${r.roleName}.`, opts.output, r);
      }),
    );
}

function registerSubscriptions(program: Command, kit: CliKit<ManagementDeps>): void {
  const sub = program.command('subscription').description("The tenant's Azure subscriptions (ARM scopes).");
  sub
    .command('list')
    .description('List them: the default one, those resources live in, and declared ones.')
    .action((_o: unknown, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(
          await (await service()).listSubscriptions(deps.directory, tenant),
          opts.output,
          SUBSCRIPTION_COLUMNS,
        );
      }),
    );
  sub
    .command('create')
    .description('Declare a subscription (or rename one).')
    .argument('<display-name>')
    .option('--id <guid>', 'its id (a new GUID when left out)')
    .option('--state <state>', 'Enabled (default), Warned, PastDue, Disabled or Deleted')
    .action((displayName: string, o: { id?: string; state?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const s = await (await service()).createSubscription(deps.directory, tenant, {
          displayName,
          id: o.id,
          state: o.state,
        });
        printDone(`Subscription ${s.displayName} (${s.subscriptionId}).`, opts.output, s);
      }),
    );
}

function registerGroups(program: Command, kit: CliKit<ManagementDeps>): void {
  const group = program.command('group').description('Resource groups of a subscription.');
  const withSub = (c: Command) =>
    c.option('--subscription <id>', "the subscription (the tenant's default when left out)");
  withSub(group.command('list').description('List resource groups.')).action(
    (o: { subscription?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(
          await (await service()).listResourceGroups(deps.directory, tenant, o.subscription),
          opts.output,
          GROUP_COLUMNS,
        );
      }),
  );
  withSub(
    group
      .command('create')
      .description('Create a resource group (or set its tags).')
      .argument('<name>')
      .option('--location <location>', 'e.g. westeurope (default eastus)'),
  ).action((name: string, o: { subscription?: string; location?: string }, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      const { group: g, created } = await (await service()).createResourceGroup(deps.directory, tenant, {
        name,
        subscriptionId: o.subscription,
        location: o.location,
      });
      printDone(
        `${created ? 'Created' : 'Updated'} resource group ${g.name} (${g.location}).`,
        opts.output,
        g,
      );
    }),
  );
  withSub(
    group
      .command('delete')
      .description('Delete an empty resource group and the role assignments in it.')
      .argument('<name>'),
  ).action((name: string, o: { subscription?: string }, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      const r = await (await service()).deleteResourceGroup(deps.directory, tenant, {
        name,
        subscriptionId: o.subscription,
      });
      printDone(
        `Deleted resource group ${name} (${r.assignmentsRemoved} role assignments with it).`,
        opts.output,
        r,
      );
    }),
  );
}

export function managementCommands(program: Command, kit: CliKit<ManagementDeps>): void {
  registerRbac(program, kit);
  registerSubscriptions(program, kit);
  registerGroups(program, kit);
}
