/**
 * @module gateway/cli/named-value
 * `lanyard gateway named-value list|show|set|delete` and `lanyard gateway backend
 * list|show|create|update|delete`: the `{{name}}` values policies use, and the backends
 * `set-backend-service backend-id` names. A secret named value is read from `--value-file` or stdin (never the
 * command line, where it would stay in the shell's history), sealed at rest, and never printed.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, print, printDone, printRecord } from '../../plane/cli-output.ts';
import type { GatewayDeps } from '../deps.ts';
import type { BackendDefinition } from '../model.ts';
import type { NamedValueView } from '../service.ts';
import { type GatewayOption, gatewayOf, readText, service, withGateway } from './common.ts';

const VALUE_COLUMNS: readonly Column<NamedValueView>[] = [
  { header: 'NAME', value: (v) => v.name },
  { header: 'SECRET', value: (v) => v.secret },
  { header: 'VALUE', value: (v) => (v.secret ? '(secret)' : v.value) },
];
const BACKEND_COLUMNS: readonly Column<BackendDefinition>[] = [
  { header: 'NAME', value: (b) => b.name },
  { header: 'URL', value: (b) => b.url },
  { header: 'DESCRIPTION', value: (b) => b.description },
];

interface SetOptions extends GatewayOption {
  value?: string;
  valueFile?: string;
  secret?: boolean;
}

/** The value to set: --value, else --value-file, else stdin (one trailing newline dropped from either). */
function valueFrom(o: SetOptions, kit: CliKit<GatewayDeps>): string {
  if (o.value !== undefined && o.valueFile !== undefined)
    throw new LanyardError('ERR_USAGE', 'Give --value or --value-file, not both.');
  if (o.value !== undefined) {
    if (o.secret)
      throw new LanyardError('ERR_USAGE', 'A secret value is not taken from the command line.', {
        hint: 'Use --value-file <file>, or pipe it on stdin.',
      });
    return o.value;
  }
  const text =
    o.valueFile !== undefined
      ? readText(kit.userPath(o.valueFile), 'the value file')
      : fs.readFileSync(0, 'utf8');
  return text.replace(/\r?\n$/, '');
}

export function registerNamedValueCommands(gateway: Command, kit: CliKit<GatewayDeps>): void {
  const nv = gateway
    .command('named-value')
    .description("A gateway's named values: {{name}} in its policies.");
  withGateway(
    nv.command('list').description('List the named values (secret ones without their value).'),
  ).action((o: GatewayOption, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      print(
        await (await service()).listNamedValues(deps.directory, tenant, gatewayOf(o)),
        opts.output,
        VALUE_COLUMNS,
      );
    }),
  );
  withGateway(
    nv.command('show').description('Show a named value (a secret one without its value).').argument('<name>'),
  ).action((name: string, o: GatewayOption, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      printRecord(
        await (await service()).showNamedValue(deps.directory, tenant, gatewayOf(o), name),
        opts.output,
        VALUE_COLUMNS,
      );
    }),
  );
  withGateway(
    nv
      .command('set')
      .description('Create or replace a named value (from --value, --value-file or stdin).')
      .argument('<name>'),
  )
    .option('--value <text>', 'the value (not for a secret one)')
    .option('--value-file <file>', 'read the value from a file')
    .option('--secret', 'sealed at rest and never shown; read from --value-file or stdin')
    .addHelpText(
      'after',
      '\nExamples:\n  lanyard gateway named-value set backend-audience --gateway contoso-apim --value api://orders\n  printf %s "$PARTNER_KEY" | lanyard gateway named-value set partner-key --gateway contoso-apim --secret',
    )
    .action((name: string, o: SetOptions, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const value = valueFrom(o, kit);
        const { created, ...view } = await (await service()).setNamedValue(
          deps.directory,
          tenant,
          gatewayOf(o),
          name,
          {
            value,
            secret: o.secret === true,
          },
        );
        printDone(
          `${created ? 'Created' : 'Replaced'} named value ${view.name}${view.secret ? ' (secret)' : ''}.`,
          opts.output,
          view,
        );
      }),
    );
  withGateway(nv.command('delete').description('Delete a named value.').argument('<name>')).action(
    (name: string, o: GatewayOption, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const v = await (await service()).deleteNamedValue(deps.directory, tenant, gatewayOf(o), name);
        printDone(`Deleted named value ${v.name}.`, opts.output, v);
      }),
  );

  const backend = gateway
    .command('backend')
    .description("A gateway's backends: URLs set-backend-service names.");
  withGateway(backend.command('list').description('List the backends.')).action(
    (o: GatewayOption, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(
          await (await service()).listBackends(deps.directory, tenant, gatewayOf(o)),
          opts.output,
          BACKEND_COLUMNS,
        );
      }),
  );
  withGateway(backend.command('show').description('Show a backend.').argument('<name>')).action(
    (name: string, o: GatewayOption, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        printRecord(
          await (await service()).showBackend(deps.directory, tenant, gatewayOf(o), name),
          opts.output,
          BACKEND_COLUMNS,
        );
      }),
  );
  for (const verb of ['create', 'update'] as const) {
    withGateway(
      backend
        .command(verb)
        .description(verb === 'create' ? 'Create a backend.' : 'Change a backend (what is not given stays).')
        .argument('<name>'),
    )
      .option('--url <url>', 'its base URL')
      .option('--description <text>', 'what it is')
      .action((name: string, o: GatewayOption & { url?: string; description?: string }, cmd: Command) =>
        kit.withTenant(cmd, async (deps, tenant, opts) => {
          const s = await service();
          const fields = { url: o.url, description: o.description };
          let b: BackendDefinition;
          if (verb === 'create') {
            if (!o.url) throw new LanyardError('ERR_USAGE', 'A backend needs --url.');
            b = await s.createBackend(deps.directory, tenant, gatewayOf(o), {
              name,
              url: o.url,
              ...(o.description ? { description: o.description } : {}),
            });
          } else b = await s.updateBackend(deps.directory, tenant, gatewayOf(o), name, fields);
          printRecord(b, opts.output, BACKEND_COLUMNS);
        }),
      );
  }
  withGateway(backend.command('delete').description('Delete a backend.').argument('<name>')).action(
    (name: string, o: GatewayOption, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const b = await (await service()).deleteBackend(deps.directory, tenant, gatewayOf(o), name);
        printDone(`Deleted backend ${b.name}.`, opts.output, b);
      }),
  );
}
