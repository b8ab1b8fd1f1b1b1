/**
 * @module directory/cli/role
 * `lanyard role list|assign|unassign`: app role assignments, the "who may call what" of the directory. A
 * principal (an app's service principal or a managed identity) is assigned a role of a resource app; tokens
 * that principal gets for the app carry the role's value in `roles`.
 */
import { type Command, Option } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, print, printDone, printRecord } from '../../plane/cli-output.ts';
import type { DirectoryDeps } from '../deps.ts';
import type { AppRoleAssignment } from '../types.ts';

const roleOf = (a: AppRoleAssignment) => a.appRoleValue ?? '(default)';

const ROLE_COLUMNS: Column<AppRoleAssignment>[] = [
  { header: 'PRINCIPAL', value: (a) => a.principalDisplayName },
  { header: 'TYPE', value: (a) => a.principalType },
  { header: 'APP', value: (a) => a.resourceAppName },
  { header: 'ROLE', value: roleOf },
  { header: 'ID', value: (a) => a.id },
];

const ROLE_FIELDS: Column<AppRoleAssignment>[] = [
  { header: 'id', value: (a) => a.id },
  { header: 'principal', value: (a) => a.principalDisplayName },
  { header: 'principal type', value: (a) => a.principalType },
  { header: 'principal id', value: (a) => a.principalId },
  { header: 'app', value: (a) => a.resourceAppName },
  { header: 'app service principal', value: (a) => a.resourceId },
  { header: 'role', value: roleOf },
  { header: 'role id', value: (a) => a.appRoleId },
  { header: 'created', value: (a) => a.createdAt },
];

const REFERENCES = `
Principals (--principal):
  app:<name>        the service principal of an app registration (it calls with its own credentials)
  identity:<name>   a user-assigned managed identity (name, client id or principal id after the colon)
  resource:<name>   the system-assigned identity of a resource
  <object id>       any service principal by object id (see \`lanyard sp list\`)
Apps (--app): name, appId, object id or an identifier URI of the app being called.
Roles (--role): the role's value or id; leave it out for an app that defines no roles (the default role).`;

const PRINCIPAL_HELP = 'who gets the role: app:<name>, identity:<name>, resource:<name> or an object id';
const APP_HELP = 'the app being called: name, appId, object id or identifier URI';

export function registerRoleCommands(program: Command, kit: CliKit<DirectoryDeps>): void {
  const role = program
    .command('role')
    .description('App role assignments: which principals may call which apps, with which roles.')
    .addHelpText('after', REFERENCES);

  role
    .command('list')
    .description('List role assignments, optionally of one principal or to one app.')
    .option('--principal <principal>', PRINCIPAL_HELP)
    .option('--app <app>', APP_HELP)
    .addHelpText('after', `${REFERENCES}\n\nExample:\n  lanyard role list --app exclusive-function -o json`)
    .action((o: { principal?: string; app?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const list = await deps.directory.listRoleAssignments(tenant, {
          principal: o.principal,
          app: o.app,
        });
        print(list, opts.output, ROLE_COLUMNS);
      }),
    );

  role
    .command('assign')
    .description('Assign a principal a role of an app.')
    .requiredOption('--principal <principal>', PRINCIPAL_HELP)
    .requiredOption('--app <app>', APP_HELP)
    .option('--role <role>', 'role value or id (omit for an app without roles)')
    .addHelpText(
      'after',
      `${REFERENCES}\n\nExamples:\n  lanyard role assign --principal resource:get-creds --app exclusive-function --role Invoke\n  lanyard role assign --principal identity:apim-caller --app api://exclusive-function --role Invoke`,
    )
    .action((o: { principal: string; app: string; role?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const assignment = await deps.directory.assignRole(tenant, {
          principal: o.principal,
          app: o.app,
          role: o.role,
        });
        printRecord(assignment, opts.output, ROLE_FIELDS);
      }),
    );

  role
    .command('unassign')
    .description('Remove a role assignment, named by id or by principal, app and role.')
    .addOption(
      new Option('--id <id>', 'the assignment id (see `lanyard role list`)').conflicts([
        'principal',
        'app',
        'role',
      ]),
    )
    .option('--principal <principal>', PRINCIPAL_HELP)
    .option('--app <app>', APP_HELP)
    .option('--role <role>', 'role value or id (omit for the default role)')
    .addHelpText(
      'after',
      `${REFERENCES}\n\nExamples:\n  lanyard role unassign --principal resource:get-creds --app exclusive-function --role Invoke\n  lanyard role unassign --id 0f8e…`,
    )
    .action((o: { id?: string; principal?: string; app?: string; role?: string }, cmd: Command) => {
      if (o.id === undefined && (o.principal === undefined || o.app === undefined)) {
        cmd.error('error: name the assignment with --id, or with --principal and --app (and --role)');
      }
      return kit.withTenant(cmd, async (deps, tenant, opts) => {
        const removed = await deps.directory.unassignRole(
          tenant,
          o.id ?? { principal: o.principal!, app: o.app!, role: o.role },
        );
        printDone(
          `Removed ${removed.appRoleValue ? `role "${removed.appRoleValue}"` : 'the default role'} of app "${removed.resourceAppName}" from "${removed.principalDisplayName}" (${removed.id}).`,
          opts.output,
          removed,
        );
      });
    });
}
