/**
 * @module gateway/cli/api
 * `lanyard gateway api list|show|create|update|delete|import` and `lanyard gateway operation
 * list|show|create|update|delete --api <api>`: a gateway's APIs and their operations. `api import` reads an
 * OpenAPI 3 or Swagger 2 document (JSON or YAML) as `az apim api import` does and prints what it did not carry
 * over.
 */
import { type Command, Option } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, print, printDone, printRecord } from '../../plane/cli-output.ts';
import type { GatewayDeps } from '../deps.ts';
import type { ApiDefinition, OperationDefinition } from '../model.ts';
import { type GatewayOption, gatewayOf, parseBool, readText, service, withGateway } from './common.ts';

const API_COLUMNS: readonly Column<ApiDefinition>[] = [
  { header: 'NAME', value: (a) => a.name },
  { header: 'PATH', value: (a) => `/${a.path}` },
  { header: 'SERVICE URL', value: (a) => a.serviceUrl },
  { header: 'OPERATIONS', value: (a) => a.operations.length },
  { header: 'SUBSCRIPTION', value: (a) => (a.subscriptionRequired ? 'required' : 'none') },
];
const API_FIELDS: readonly Column<ApiDefinition>[] = [
  { header: 'name', value: (a) => a.name },
  { header: 'displayName', value: (a) => a.displayName },
  { header: 'path', value: (a) => `/${a.path}` },
  { header: 'serviceUrl', value: (a) => a.serviceUrl },
  { header: 'protocols', value: (a) => a.protocols },
  { header: 'subscriptionRequired', value: (a) => a.subscriptionRequired },
  { header: 'keyHeader', value: (a) => a.subscriptionKeyHeader },
  { header: 'keyQuery', value: (a) => a.subscriptionKeyQuery },
  { header: 'operations', value: (a) => a.operations.map((o) => `${o.name}  ${o.method} ${o.urlTemplate}`) },
  { header: 'policy', value: (a) => (a.policy ? (a.policy.file ?? 'yes') : undefined) },
];
const OP_COLUMNS: readonly Column<OperationDefinition>[] = [
  { header: 'NAME', value: (o) => o.name },
  { header: 'METHOD', value: (o) => o.method },
  { header: 'URL TEMPLATE', value: (o) => o.urlTemplate },
  { header: 'DISPLAY NAME', value: (o) => o.displayName },
  { header: 'POLICY', value: (o) => (o.policy ? 'yes' : '') },
];

interface ApiOptions extends GatewayOption {
  path?: string;
  serviceUrl?: string;
  displayName?: string;
  protocol?: string[];
  subscriptionRequired?: string;
  keyHeader?: string;
  keyQuery?: string;
}

function apiFields(o: ApiOptions): Record<string, unknown> {
  return {
    path: o.path?.replace(/^\/+|\/+$/g, ''),
    serviceUrl: o.serviceUrl,
    displayName: o.displayName,
    protocols: o.protocol,
    subscriptionRequired: parseBool(o.subscriptionRequired, '--subscription-required'),
    subscriptionKeyHeader: o.keyHeader,
    subscriptionKeyQuery: o.keyQuery,
  };
}

const defined = (f: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined));

function apiOptions(cmd: Command): Command {
  return withGateway(cmd)
    .option('--path <path>', "the API's path suffix on the gateway ('' for the root)")
    .option('--service-url <url>', 'the backend base URL requests go to')
    .option('--display-name <text>', 'the name shown')
    .addOption(
      new Option('--protocol <protocol>', 'http or https (repeatable; default https)')
        .choices(['http', 'https'])
        .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]),
    )
    .option('--subscription-required <bool>', 'whether callers need a subscription key (default true)')
    .option('--key-header <name>', 'the header carrying the key (default Ocp-Apim-Subscription-Key)')
    .option('--key-query <name>', 'the query parameter carrying the key (default subscription-key)');
}

interface OpOptions extends GatewayOption {
  api?: string;
  method?: string;
  urlTemplate?: string;
  displayName?: string;
}

function apiOf(o: { api?: string }): string {
  if (!o.api) throw new LanyardError('ERR_USAGE', 'Name the API with --api.');
  return o.api;
}

function opOptions(cmd: Command): Command {
  return withGateway(cmd)
    .option('--api <api>', 'the API the operation belongs to')
    .option('--method <method>', 'the HTTP method (GET, POST, …), or * for any')
    .option('--url-template <template>', '/orders/{id}: literal segments and {param}s')
    .option('--display-name <text>', 'the name shown');
}

export function registerApiCommands(gateway: Command, kit: CliKit<GatewayDeps>): void {
  const api = gateway
    .command('api')
    .description("A gateway's APIs: a path on the gateway, a backend and operations.");
  withGateway(api.command('list').description('List the APIs.')).action((o: GatewayOption, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      print(await (await service()).listApis(deps.directory, tenant, gatewayOf(o)), opts.output, API_COLUMNS);
    }),
  );
  withGateway(api.command('show').description('Show an API and its operations.').argument('<name>')).action(
    (name: string, o: GatewayOption, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        printRecord(
          await (await service()).showApi(deps.directory, tenant, gatewayOf(o), name),
          opts.output,
          API_FIELDS,
        );
      }),
  );
  apiOptions(
    api
      .command('create')
      .description('Create an API (no operations: add them, or use api import).')
      .argument('<name>'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  lanyard gateway api create orders --gateway contoso-apim --path orders --service-url http://127.0.0.1:7071',
    )
    .action((name: string, o: ApiOptions, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        if (o.path === undefined || o.serviceUrl === undefined)
          throw new LanyardError('ERR_USAGE', 'An API needs --path and --service-url.');
        const a = await (await service()).createApi(deps.directory, tenant, gatewayOf(o), {
          name,
          ...defined(apiFields(o)),
        });
        printRecord(a, opts.output, API_FIELDS);
      }),
    );
  apiOptions(
    api.command('update').description('Change an API (what is not given stays).').argument('<name>'),
  ).action((name: string, o: ApiOptions, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      const a = await (await service()).updateApi(deps.directory, tenant, gatewayOf(o), name, apiFields(o));
      printRecord(a, opts.output, API_FIELDS);
    }),
  );
  withGateway(
    api
      .command('delete')
      .description('Delete an API (refused while a product or subscription names it).')
      .argument('<name>'),
  ).action((name: string, o: GatewayOption, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      const a = await (await service()).deleteApi(deps.directory, tenant, gatewayOf(o), name);
      printDone(`Deleted API ${a.name}.`, opts.output, a);
    }),
  );
  withGateway(
    api
      .command('import')
      .description('Create (or replace) an API from an OpenAPI 3 or Swagger 2 document, JSON or YAML.'),
  )
    .requiredOption('--file <path>', 'the document')
    .requiredOption('--name <name>', "the API's name")
    .requiredOption('--path <path>', "the API's path suffix on the gateway")
    .option('--service-url <url>', "the backend base URL (default: the document's server)")
    .option('--display-name <text>', "the name shown (default: the document's title)")
    .addHelpText(
      'after',
      '\nExample:\n  lanyard gateway api import --gateway contoso-apim --file openapi.yaml --name orders --path orders',
    )
    .action(
      (
        o: GatewayOption & {
          file: string;
          name: string;
          path: string;
          serviceUrl?: string;
          displayName?: string;
        },
        cmd: Command,
      ) =>
        kit.withTenant(cmd, async (deps, tenant, opts) => {
          const text = readText(kit.userPath(o.file), 'the OpenAPI document');
          const result = await (await service()).importApi(deps.directory, tenant, gatewayOf(o), text, {
            name: o.name,
            path: o.path,
            serviceUrl: o.serviceUrl,
            displayName: o.displayName,
          });
          if (opts.output === 'json') {
            process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
            return;
          }
          printRecord(result.api, opts.output, API_FIELDS);
          for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
        }),
    );

  const op = gateway
    .command('operation')
    .description("An API's operations: a method and URL template, and a policy.");
  withGateway(op.command('list').description("List an API's operations."))
    .option('--api <api>', 'the API')
    .action((o: OpOptions, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(
          await (await service()).listOperations(deps.directory, tenant, gatewayOf(o), apiOf(o)),
          opts.output,
          OP_COLUMNS,
        );
      }),
    );
  withGateway(op.command('show').description('Show an operation.').argument('<name>'))
    .option('--api <api>', 'the API')
    .action((name: string, o: OpOptions, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const x = await (await service()).showOperation(deps.directory, tenant, gatewayOf(o), apiOf(o), name);
        printRecord(x, opts.output, OP_COLUMNS);
      }),
    );
  opOptions(op.command('create').description('Add an operation to an API.').argument('<name>'))
    .addHelpText(
      'after',
      "\nExample:\n  lanyard gateway operation create get-order --gateway contoso-apim --api orders --method GET --url-template '/orders/{id}'",
    )
    .action((name: string, o: OpOptions, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        if (!o.method || !o.urlTemplate)
          throw new LanyardError('ERR_USAGE', 'An operation needs --method and --url-template.');
        const x = await (await service()).createOperation(deps.directory, tenant, gatewayOf(o), apiOf(o), {
          name,
          method: o.method.toUpperCase(),
          urlTemplate: o.urlTemplate,
          ...(o.displayName ? { displayName: o.displayName } : {}),
        });
        printRecord(x, opts.output, OP_COLUMNS);
      }),
    );
  opOptions(
    op.command('update').description('Change an operation (what is not given stays).').argument('<name>'),
  ).action((name: string, o: OpOptions, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      const x = await (await service()).updateOperation(
        deps.directory,
        tenant,
        gatewayOf(o),
        apiOf(o),
        name,
        {
          method: o.method?.toUpperCase(),
          urlTemplate: o.urlTemplate,
          displayName: o.displayName,
        },
      );
      printRecord(x, opts.output, OP_COLUMNS);
    }),
  );
  withGateway(op.command('delete').description('Delete an operation.').argument('<name>'))
    .option('--api <api>', 'the API')
    .action((name: string, o: OpOptions, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const x = await (await service()).deleteOperation(
          deps.directory,
          tenant,
          gatewayOf(o),
          apiOf(o),
          name,
        );
        printDone(`Deleted operation ${x.name} of API ${apiOf(o)}.`, opts.output, x);
      }),
    );
}
