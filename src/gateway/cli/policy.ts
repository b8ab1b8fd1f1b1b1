/**
 * @module gateway/cli/policy
 * `lanyard gateway policy show|set|delete --scope global|product|api|operation`: the policy document at a
 * scope (`--product`, `--api`, `--operation` say which). `set --file x.xml` compiles the gateway with it
 * first: a document that does not load is refused with its `file:line:column`, and nothing is stored.
 */
import { type Command, Option } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import { printDone } from '../../plane/cli-output.ts';
import type { GatewayDeps } from '../deps.ts';
import type { PolicyScope } from '../service.ts';
import { type GatewayOption, gatewayOf, readText, service, withGateway } from './common.ts';

interface ScopeOptions extends GatewayOption {
  scope: 'global' | 'product' | 'api' | 'operation';
  product?: string;
  api?: string;
  operation?: string;
}

function scopeOf(o: ScopeOptions): PolicyScope {
  const need = (value: string | undefined, flag: string): string => {
    if (!value) throw new LanyardError('ERR_USAGE', `--scope ${o.scope} needs ${flag}.`);
    return value;
  };
  switch (o.scope) {
    case 'global':
      return { kind: 'global' };
    case 'product':
      return { kind: 'product', product: need(o.product, '--product') };
    case 'api':
      return { kind: 'api', api: need(o.api, '--api') };
    case 'operation':
      return { kind: 'operation', api: need(o.api, '--api'), operation: need(o.operation, '--operation') };
  }
}

function scopeOptions(cmd: Command): Command {
  return withGateway(cmd)
    .addOption(
      new Option('--scope <scope>', 'where the policy applies')
        .choices(['global', 'product', 'api', 'operation'])
        .default('global'),
    )
    .option('--product <product>', 'the product (--scope product)')
    .option('--api <api>', 'the API (--scope api or operation)')
    .option('--operation <operation>', 'the operation (--scope operation)');
}

export function registerPolicyCommands(gateway: Command, kit: CliKit<GatewayDeps>): void {
  const policy = gateway
    .command('policy')
    .description("A gateway's policy documents: global, product, API, operation.");
  scopeOptions(policy.command('show').description('Print the policy document at a scope.')).action(
    (o: ScopeOptions, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const p = await (await service()).showPolicy(deps.directory, tenant, gatewayOf(o), scopeOf(o));
        if (opts.output === 'json') process.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
        else if (p.xml === undefined)
          process.stdout.write(
            `# no policy at ${p.scope}${p.scope === 'global' ? " (APIM's default: forward-request)" : ' (its parent applies)'}\n`,
          );
        else process.stdout.write(p.xml.endsWith('\n') ? p.xml : `${p.xml}\n`);
      }),
  );
  scopeOptions(policy.command('set').description('Set the policy document at a scope from an XML file.'))
    .requiredOption('--file <file>', 'the policy document (APIM policy XML)')
    .addHelpText(
      'after',
      '\nExamples:\n  lanyard gateway policy set --gateway contoso-apim --file global.xml\n  lanyard gateway policy set --gateway contoso-apim --scope operation --api orders --operation get-order --file get-order.xml',
    )
    .action((o: ScopeOptions & { file: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const xml = readText(kit.userPath(o.file), 'the policy document');
        const p = await (await service()).setPolicy(deps.directory, tenant, gatewayOf(o), scopeOf(o), {
          xml,
          file: o.file,
        });
        printDone(`Set the policy at ${p.scope} from ${o.file}.`, opts.output, p);
      }),
    );
  scopeOptions(
    policy
      .command('delete')
      .description("Remove the policy at a scope (the global one goes back to APIM's default)."),
  ).action((o: ScopeOptions, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      const p = await (await service()).setPolicy(
        deps.directory,
        tenant,
        gatewayOf(o),
        scopeOf(o),
        undefined,
      );
      printDone(`Removed the policy at ${p.scope}.`, opts.output, p);
    }),
  );
}
