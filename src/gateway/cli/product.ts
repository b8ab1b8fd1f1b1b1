/**
 * @module gateway/cli/product
 * `lanyard gateway product list|show|create|update|delete|add-api|remove-api`: a gateway's products, the
 * groups of APIs subscriptions can be scoped to.
 */
import type { Command } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, collect, print, printDone, printRecord } from '../../plane/cli-output.ts';
import type { GatewayDeps } from '../deps.ts';
import type { ProductDefinition } from '../model.ts';
import { type GatewayOption, gatewayOf, parseBool, service, withGateway } from './common.ts';

const COLUMNS: readonly Column<ProductDefinition>[] = [
  { header: 'NAME', value: (p) => p.name },
  { header: 'DISPLAY NAME', value: (p) => p.displayName },
  { header: 'APIS', value: (p) => p.apis },
  { header: 'SUBSCRIPTION', value: (p) => (p.subscriptionRequired ? 'required' : 'none') },
  { header: 'PUBLISHED', value: (p) => p.published },
  { header: 'POLICY', value: (p) => (p.policy ? 'yes' : '') },
];

interface ProductOptions extends GatewayOption {
  displayName?: string;
  api?: string[];
  subscriptionRequired?: string;
  published?: string;
}

function productOptions(cmd: Command): Command {
  return withGateway(cmd)
    .option('--display-name <text>', 'the name shown')
    .option('--api <api>', 'an API of the product (repeatable; replaces the list)', collect)
    .option('--subscription-required <bool>', 'whether callers need a subscription key (default true)')
    .option('--published <bool>', 'an unpublished product gives no access (default true)');
}

const fields = (o: ProductOptions) => ({
  displayName: o.displayName,
  apis: o.api,
  subscriptionRequired: parseBool(o.subscriptionRequired, '--subscription-required'),
  published: parseBool(o.published, '--published'),
});

export function registerProductCommands(gateway: Command, kit: CliKit<GatewayDeps>): void {
  const product = gateway
    .command('product')
    .description("A gateway's products: APIs grouped for subscriptions.");
  withGateway(product.command('list').description('List the products.')).action(
    (o: GatewayOption, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(
          await (await service()).listProducts(deps.directory, tenant, gatewayOf(o)),
          opts.output,
          COLUMNS,
        );
      }),
  );
  withGateway(product.command('show').description('Show a product.').argument('<name>')).action(
    (name: string, o: GatewayOption, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        printRecord(
          await (await service()).showProduct(deps.directory, tenant, gatewayOf(o), name),
          opts.output,
          COLUMNS,
        );
      }),
  );
  productOptions(product.command('create').description('Create a product.').argument('<name>'))
    .addHelpText(
      'after',
      '\nExample:\n  lanyard gateway product create starter --gateway contoso-apim --api orders',
    )
    .action((name: string, o: ProductOptions, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const f = Object.fromEntries(Object.entries(fields(o)).filter(([, v]) => v !== undefined));
        const p = await (await service()).createProduct(deps.directory, tenant, gatewayOf(o), { name, ...f });
        printRecord(p, opts.output, COLUMNS);
      }),
    );
  productOptions(
    product.command('update').description('Change a product (what is not given stays).').argument('<name>'),
  ).action((name: string, o: ProductOptions, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      printRecord(
        await (await service()).updateProduct(deps.directory, tenant, gatewayOf(o), name, fields(o)),
        opts.output,
        COLUMNS,
      );
    }),
  );
  withGateway(
    product
      .command('delete')
      .description('Delete a product (refused while a subscription is scoped to it).')
      .argument('<name>'),
  ).action((name: string, o: GatewayOption, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      const p = await (await service()).deleteProduct(deps.directory, tenant, gatewayOf(o), name);
      printDone(`Deleted product ${p.name}.`, opts.output, p);
    }),
  );
  for (const [verb, action, what] of [
    ['add-api', 'add', 'Add an API to a product.'],
    ['remove-api', 'remove', 'Remove an API from a product.'],
  ] as const) {
    withGateway(product.command(verb).description(what).argument('<product>'))
      .requiredOption('--api <api>', 'the API')
      .action((name: string, o: GatewayOption & { api: string }, cmd: Command) =>
        kit.withTenant(cmd, async (deps, tenant, opts) => {
          const p = await (await service()).productApi(
            deps.directory,
            tenant,
            gatewayOf(o),
            name,
            o.api,
            action,
          );
          printRecord(p, opts.output, COLUMNS);
        }),
      );
  }
}
