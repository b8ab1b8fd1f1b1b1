/**
 * @module directory/cli/sp
 * `lanyard sp list|show`: service principals, the tenant-local principals of apps and managed identities.
 * They are created and deleted with their app or identity, so the CLI only reads them; their object ids are
 * what role assignments and tokens (`oid`) name.
 */
import type { Command } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, print, printRecord } from '../../plane/cli-output.ts';
import type { DirectoryDeps } from '../deps.ts';
import type { ServicePrincipal } from '../types.ts';

const owner = (sp: ServicePrincipal) =>
  sp.appName !== undefined ? `app:${sp.appName}` : sp.identityId !== undefined ? 'managed identity' : '';

const SP_COLUMNS: Column<ServicePrincipal>[] = [
  { header: 'DISPLAY NAME', value: (sp) => sp.displayName },
  { header: 'TYPE', value: (sp) => sp.servicePrincipalType },
  { header: 'APP ID', value: (sp) => sp.appId },
  { header: 'OBJECT ID', value: (sp) => sp.objectId },
  { header: 'OWNER', value: owner },
];

const SP_FIELDS: Column<ServicePrincipal>[] = [
  { header: 'display name', value: (sp) => sp.displayName },
  { header: 'type', value: (sp) => sp.servicePrincipalType },
  { header: 'object id', value: (sp) => sp.objectId },
  { header: 'app id', value: (sp) => sp.appId },
  { header: 'app', value: (sp) => sp.appName },
  { header: 'identity id', value: (sp) => sp.identityId },
  { header: 'tenant id', value: (sp) => sp.tenantId },
];

export function registerServicePrincipalCommands(program: Command, kit: CliKit<DirectoryDeps>): void {
  const sp = program
    .command('sp')
    .description('Service principals of apps and managed identities (read-only: they follow their owner).');

  sp.command('list')
    .description('List service principals, first-party resources included.')
    .addHelpText('after', '\nExample:\n  lanyard sp list -o json')
    .action((_o: object, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(await deps.directory.listServicePrincipals(tenant), opts.output, SP_COLUMNS);
      }),
    );

  sp.command('show')
    .description('Show a service principal.')
    .argument('<sp>', 'object id, app id (client id), or the name of an app')
    .addHelpText('after', '\nExample:\n  lanyard sp show somefunction')
    .action((ref: string, _o: object, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        printRecord(await deps.directory.getServicePrincipal(tenant, ref), opts.output, SP_FIELDS);
      }),
    );
}
