/**
 * @module gateway/cli/subscription
 * `lanyard gateway subscription list|show|create|update|delete|keys|regenerate|suspend|activate`: a gateway's
 * subscriptions. The keys are printed by `create` (once, as they are made), `keys` (asked for) and
 * `regenerate` (the new one); no other command shows them.
 */
import { type Command, Option } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, print, printDone, printRecord } from '../../plane/cli-output.ts';
import type { GatewayDeps } from '../deps.ts';
import type { SubscriptionView } from '../service.ts';
import { type GatewayOption, gatewayOf, parseBool, service, withGateway } from './common.ts';

const COLUMNS: readonly Column<SubscriptionView>[] = [
  { header: 'NAME', value: (s) => s.name },
  { header: 'DISPLAY NAME', value: (s) => s.displayName },
  { header: 'SCOPE', value: (s) => s.scope },
  { header: 'STATE', value: (s) => s.state },
  { header: 'TRACING', value: (s) => s.allowTracing },
];
interface Keys {
  name: string;
  primaryKey: string;
  secondaryKey: string;
}
const KEY_FIELDS: readonly Column<Keys>[] = [
  { header: 'NAME', value: (k) => k.name },
  { header: 'PRIMARY KEY', value: (k) => k.primaryKey },
  { header: 'SECONDARY KEY', value: (k) => k.secondaryKey },
];

interface SubOptions extends GatewayOption {
  displayName?: string;
  scope?: string;
  allowTracing?: string;
}

function subOptions(cmd: Command): Command {
  return withGateway(cmd)
    .option('--display-name <text>', 'the name shown')
    .option('--scope <scope>', 'all (default), product:<name> or api:<name>')
    .option('--allow-tracing <bool>', 'whether its callers may ask for a trace (default false)');
}

export function registerSubscriptionCommands(gateway: Command, kit: CliKit<GatewayDeps>): void {
  const sub = gateway
    .command('subscription')
    .description("A gateway's subscriptions: two keys each, scoped to all APIs, a product or an API.");
  withGateway(sub.command('list').description('List the subscriptions (never their keys).')).action(
    (o: GatewayOption, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(
          await (await service()).listSubscriptions(deps.directory, tenant, gatewayOf(o)),
          opts.output,
          COLUMNS,
        );
      }),
  );
  withGateway(
    sub.command('show').description('Show a subscription (never its keys: see keys).').argument('<name>'),
  ).action((name: string, o: GatewayOption, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      printRecord(
        await (await service()).showSubscription(deps.directory, tenant, gatewayOf(o), name),
        opts.output,
        COLUMNS,
      );
    }),
  );
  subOptions(
    sub.command('create').description('Create a subscription; prints its two new keys.').argument('<name>'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  lanyard gateway subscription create contoso-dev --gateway contoso-apim --scope api:orders',
    )
    .action((name: string, o: SubOptions, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const s = await (await service()).createSubscription(deps.directory, tenant, gatewayOf(o), {
          name,
          ...(o.displayName ? { displayName: o.displayName } : {}),
          ...(o.scope ? { scope: o.scope } : {}),
          ...(o.allowTracing ? { allowTracing: parseBool(o.allowTracing, '--allow-tracing') } : {}),
        });
        printRecord(s, opts.output, [...COLUMNS, ...KEY_FIELDS.slice(1)] as Column<typeof s>[]);
      }),
    );
  subOptions(
    sub.command('update').description('Change a subscription (what is not given stays).').argument('<name>'),
  ).action((name: string, o: SubOptions, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      const s = await (await service()).updateSubscription(deps.directory, tenant, gatewayOf(o), name, {
        displayName: o.displayName,
        scope: o.scope,
        allowTracing: parseBool(o.allowTracing, '--allow-tracing'),
      });
      printRecord(s, opts.output, COLUMNS);
    }),
  );
  for (const [verb, state, what] of [
    ['suspend', 'suspended', 'Suspend a subscription: its keys are refused until it is activated.'],
    ['activate', 'active', 'Activate a suspended subscription.'],
  ] as const) {
    withGateway(sub.command(verb).description(what).argument('<name>')).action(
      (name: string, o: GatewayOption, cmd: Command) =>
        kit.withTenant(cmd, async (deps, tenant, opts) => {
          const s = await (await service()).updateSubscription(deps.directory, tenant, gatewayOf(o), name, {
            state,
          });
          printRecord(s, opts.output, COLUMNS);
        }),
    );
  }
  withGateway(
    sub.command('delete').description('Delete a subscription; its keys stop working.').argument('<name>'),
  ).action((name: string, o: GatewayOption, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      const s = await (await service()).deleteSubscription(deps.directory, tenant, gatewayOf(o), name);
      printDone(`Deleted subscription ${s.name}.`, opts.output, s);
    }),
  );
  withGateway(
    sub.command('keys').description("Show a subscription's primary and secondary keys.").argument('<name>'),
  ).action((name: string, o: GatewayOption, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      printRecord(
        await (await service()).subscriptionKeys(deps.directory, tenant, gatewayOf(o), name),
        opts.output,
        KEY_FIELDS,
      );
    }),
  );
  withGateway(
    sub
      .command('regenerate')
      .description('Replace a key with a new random one; prints it.')
      .argument('<name>'),
  )
    .addOption(
      new Option('--key <which>', 'the key to replace')
        .choices(['primary', 'secondary'])
        .makeOptionMandatory(),
    )
    .action((name: string, o: GatewayOption & { key: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const r = await (await service()).regenerateKey(deps.directory, tenant, gatewayOf(o), name, o.key);
        printRecord(r, opts.output, [
          { header: 'NAME', value: (x) => x.name },
          { header: 'KEY', value: (x) => x.key },
          { header: 'VALUE', value: (x) => x.value },
        ]);
      }),
    );
}
