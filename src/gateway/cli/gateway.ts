/**
 * @module gateway/cli/gateway
 * `lanyard gateway list|show|create|delete`: the gateway on a resource of kind gateway (its objects are the
 * nouns below it), and `lanyard gateway trace <id>`: a trace the running gateway kept for a request that asked
 * for one (`Ocp-Apim-Trace: true`, answered with `Apim-Trace-Id`). Traces live in the memory of the running
 * `lanyard up`, so `trace` asks its admin API (found through server.json).
 */
import type { Command } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, print, printDone, printRecord } from '../../plane/cli-output.ts';
import type { GatewayDeps } from '../deps.ts';
import type { RequestTrace } from '../runtime/traces.ts';
import type { GatewaySummary } from '../service.ts';
import { type GatewayOption, gatewayOf, parsePort, service, withGateway } from './common.ts';

const COLUMNS: readonly Column<GatewaySummary>[] = [
  { header: 'NAME', value: (g) => g.name },
  { header: 'PORT', value: (g) => (g.port === 0 ? 'any' : g.port) },
  { header: 'APIS', value: (g) => g.apis },
  { header: 'PRODUCTS', value: (g) => g.products },
  { header: 'SUBSCRIPTIONS', value: (g) => g.subscriptions },
  { header: 'UPDATED', value: (g) => g.updatedAt },
];

const TRACING_FIELDS: readonly Column<Record<string, unknown>>[] = [
  { header: 'gateway', value: (t) => t.gateway },
  { header: 'tracingUntil', value: (t) => t.tracingUntil ?? 'off' },
];

const TRACE_FIELDS: readonly Column<RequestTrace>[] = [
  { header: 'id', value: (t) => t.id },
  { header: 'gateway', value: (t) => t.gateway },
  { header: 'at', value: (t) => t.at },
  { header: 'request', value: (t) => `${t.method} ${t.path}` },
  { header: 'api', value: (t) => t.api },
  { header: 'operation', value: (t) => t.operation },
  { header: 'status', value: (t) => t.status },
  { header: 'steps', value: (t) => t.steps },
  { header: 'entries', value: (t) => t.entries.map((e) => JSON.stringify(e)) },
  { header: 'lastError', value: (t) => (t.lastError ? JSON.stringify(t.lastError) : undefined) },
];

export function registerGatewayCommands(gateway: Command, kit: CliKit<GatewayDeps>): void {
  gateway
    .command('list')
    .description('List the gateways of the tenant.')
    .action((_o: unknown, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(await (await service()).listGatewaySummaries(deps.directory, tenant), opts.output, COLUMNS);
      }),
    );
  withGateway(
    gateway.command('show').description('Show a gateway: its port and how many objects it has.'),
  ).action((o: GatewayOption, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      const g = await (await service()).showGatewaySummary(deps.directory, tenant, gatewayOf(o));
      printRecord(g, opts.output, COLUMNS);
    }),
  );
  withGateway(
    gateway
      .command('create')
      .description(
        "Give a resource of kind gateway a gateway: APIM's default global policy, nothing else yet.",
      ),
  )
    .option('--port <port>', 'where its front listens (default 0: a free port at start)')
    .addHelpText(
      'after',
      '\nExample:\n  lanyard resource create --name orders-apim --kind gateway\n  lanyard gateway create --gateway orders-apim --port 8600',
    )
    .action((o: GatewayOption & { port?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const g = await (await service()).createGateway(deps.directory, tenant, gatewayOf(o), {
          port: parsePort(o.port),
        });
        printRecord(g, opts.output, COLUMNS);
      }),
    );
  withGateway(
    gateway.command('delete').description('Delete a gateway and everything in it (the resource stays).'),
  ).action((o: GatewayOption, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      const g = await (await service()).deleteGateway(deps.directory, tenant, gatewayOf(o));
      printDone(`Deleted the gateway of ${g.name}.`, opts.output, g);
    }),
  );
  withGateway(
    gateway
      .command('trace')
      .description(
        'Show a trace the running gateway kept (the Apim-Trace-Id of a request sent with Ocp-Apim-Trace: true), or trace every request for a while (--on).',
      )
      .argument('[id]', 'the trace id')
      .option('--on', 'trace every request of the running gateway (each answer carries Apim-Trace-Id)')
      .option('--minutes <n>', 'with --on: for how long (default 60, at most 1440)', '60')
      .option('--off', 'stop tracing every request'),
  ).action(
    (
      id: string | undefined,
      o: GatewayOption & { on?: boolean; off?: boolean; minutes: string },
      cmd: Command,
    ) =>
      kit.withTenant(cmd, async (_deps, tenant, opts) => {
        const base = `/admin/tenants/${encodeURIComponent(tenant)}/gateways/${encodeURIComponent(gatewayOf(o))}`;
        if (o.on || o.off) {
          if (id !== undefined || (o.on && o.off)) {
            throw new LanyardError('ERR_USAGE', 'Give a trace id, or --on, or --off.');
          }
          const answer = o.on
            ? await kit.adminApi(cmd, 'PUT', `${base}/tracing/${encodeURIComponent(o.minutes)}`)
            : await kit.adminApi(cmd, 'DELETE', `${base}/tracing`);
          printRecord(answer as Record<string, unknown>, opts.output, TRACING_FIELDS);
          return;
        }
        if (id === undefined) throw new LanyardError('ERR_USAGE', 'Give a trace id, or --on, or --off.');
        const trace = (await kit.adminApi(
          cmd,
          'GET',
          `${base}/traces/${encodeURIComponent(id)}`,
        )) as RequestTrace;
        printRecord(trace, opts.output, TRACE_FIELDS);
      }),
  );
}
