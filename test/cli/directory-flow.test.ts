/**
 * The directory commands end to end through the real binary, on each store: a tenant, an app with roles and
 * URIs, a resource with a system-assigned identity, a user-assigned identity attached, role assignments
 * listed, removed, and everything deleted again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type {
  Application,
  AppRoleAssignment,
  ManagedIdentity,
  Resource,
  Tenant,
} from '../../src/directory/types.ts';
import { STORE_KINDS, tempDir, testLocation } from '../helpers/stores.ts';
import { type Cli, CREATE_ORDERS_APP, openCli } from './lanyard.ts';

for (const kind of STORE_KINDS) {
  describe(`lanyard directory commands, full flow (${kind})`, () => {
    let cli: Cli;
    let drop: () => Promise<void>;
    before(() => {
      const dataDir = tempDir('lanyard-cli-');
      const loc = testLocation(kind, dataDir);
      drop = loc.drop;
      cli = openCli({ dataDir, store: loc.location });
    });
    after(async () => {
      cli.cleanup();
      await drop();
    });

    test('create a tenant, an app with roles and URIs, identities and a resource', () => {
      const tenant = cli.json<Tenant>('tenant', 'create', '--name', 'contoso', '--domain', 'contoso.com');
      assert.deepEqual(tenant.domains, ['contoso.com']);

      const app = cli.json<Application>(
        ...CREATE_ORDERS_APP,
        '--identifier-uri',
        'https://orders.contoso.com',
        '--role',
        'Orders.Read',
        '--role',
        'Orders.Admin:Both',
        '--assignment-required',
        '--token-version',
        '2',
      );
      assert.equal(app.tenantId, tenant.id);
      assert.deepEqual(app.identifierUris, ['api://orders', 'https://orders.contoso.com']);
      assert.deepEqual(
        app.appRoles.map((r) => [r.value, r.allowedMemberTypes]),
        [
          ['Orders.Read', ['Application']],
          ['Orders.Admin', ['Application', 'User']],
        ],
      );
      assert.equal(app.appRoleAssignmentRequired, true);
      assert.equal(app.accessTokenAcceptedVersion, 2);

      // The table form of `show` is label/value lines, one per URI and role; found by identifier URI.
      const shown = cli.run('app', 'show', 'https://orders.contoso.com');
      assert.equal(shown.status, 0, shown.stderr);
      assert.match(shown.stdout, new RegExp(`^app id\\s+${app.appId}$`, 'm'));
      assert.match(shown.stdout, /^identifier uris\s+api:\/\/orders\n\s+https:\/\/orders\.contoso\.com$/m);
      assert.match(shown.stdout, /^\s+Orders\.Admin {2}\[Application, User\]/m);

      const resource = cli.json<Resource>(
        'resource',
        'create',
        '--name',
        'runbooks',
        '--kind',
        'automation',
        '--system-identity',
      );
      assert.equal(resource.kind, 'automation');
      assert.equal(resource.systemAssignedIdentity?.kind, 'system');
      assert.match(resource.resourceId, /\/providers\/Microsoft\.Automation\/automationAccounts\/runbooks$/);

      const identity = cli.json<ManagedIdentity>('identity', 'create', '--name', 'orders-caller');
      const attached = cli.json<Resource>(
        'resource',
        'identity',
        'attach',
        '--resource',
        'runbooks',
        '--identity',
        'orders-caller',
      );
      assert.deepEqual(
        attached.userAssignedIdentities.map((i) => i.clientId),
        [identity.clientId],
      );

      const list = cli.run('identity', 'list', '--include-system');
      assert.equal(list.status, 0, list.stderr);
      const [header, , ...rows] = list.stdout.trimEnd().split('\n');
      assert.match(header!, /^NAME\s+KIND\s+CLIENT ID\s+PRINCIPAL ID\s+ATTACHED TO$/);
      assert.equal(rows.length, 2);
      assert.match(
        list.stdout,
        new RegExp(`^orders-caller\\s+user\\s+${identity.clientId}\\s+\\S+\\s+runbooks$`, 'm'),
      );
    });

    test('assign roles, list them as JSON and as a table, unassign them', () => {
      const byResource = cli.json<AppRoleAssignment>(
        'role',
        'assign',
        '--principal',
        'resource:runbooks',
        '--app',
        'orders',
        '--role',
        'Orders.Read',
      );
      assert.equal(byResource.principalType, 'ManagedIdentity');
      const byIdentity = cli.json<AppRoleAssignment>(
        'role',
        'assign',
        '--principal',
        'identity:orders-caller',
        '--app',
        'api://orders',
        '--role',
        'Orders.Admin',
      );

      const all = cli.json<AppRoleAssignment[]>('role', 'list', '--app', 'orders');
      assert.deepEqual(all.map((a) => [a.principalDisplayName, a.resourceAppName, a.appRoleValue]).sort(), [
        ['orders-caller', 'orders', 'Orders.Admin'],
        ['runbooks', 'orders', 'Orders.Read'],
      ]);
      const mine = cli.json<AppRoleAssignment[]>('role', 'list', '--principal', 'identity:orders-caller');
      assert.deepEqual(
        mine.map((a) => a.id),
        [byIdentity.id],
      );

      const table = cli.run('role', 'list');
      assert.equal(table.status, 0, table.stderr);
      assert.match(table.stdout, /^PRINCIPAL\s+TYPE\s+APP\s+ROLE\s+ID$/m);
      assert.match(
        table.stdout,
        new RegExp(`^runbooks\\s+ManagedIdentity\\s+orders\\s+Orders\\.Read\\s+${byResource.id}$`, 'm'),
      );

      const removed = cli.run(
        'role',
        'unassign',
        '--principal',
        'resource:runbooks',
        '--app',
        'orders',
        '--role',
        'Orders.Read',
      );
      assert.equal(removed.status, 0, removed.stderr);
      assert.match(removed.stdout, /Removed role "Orders\.Read" of app "orders" from "runbooks"/);
      assert.equal(cli.json<AppRoleAssignment>('role', 'unassign', '--id', byIdentity.id).id, byIdentity.id);
      assert.deepEqual(cli.json('role', 'list'), []);
    });

    test('delete the resource, identity, app and, with --yes, the tenant', () => {
      assert.equal(cli.run('resource', 'delete', 'runbooks').status, 0);
      assert.equal(cli.run('identity', 'delete', 'orders-caller').status, 0);
      assert.equal(cli.json<Application>('app', 'delete', 'orders').name, 'orders');
      assert.deepEqual(cli.json('identity', 'list', '--include-system'), []);

      const refused = cli.run('tenant', 'delete', 'contoso');
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /^error ERR_USAGE: Deleting tenant "contoso" also deletes/m);
      assert.match(refused.stderr, /^hint: Confirm with `lanyard tenant delete contoso --yes`\.$/m);

      // Still there after the refusal, found by its domain, and now deleted.
      const deleted = cli.run('tenant', 'delete', 'contoso.com', '--yes');
      assert.equal(deleted.status, 0, deleted.stderr);
      assert.match(deleted.stdout, /^Deleted tenant "contoso"/);
      assert.deepEqual(cli.json('tenant', 'list'), []);
    });
  });
}
