/**
 * @module flows/cli/workflow-commands
 * The `lanyard workflow` noun (registered by cli/commands.ts with `runbook`):
 *   lanyard workflow set|list|show|enable|disable|callback-url|regenerate-key|runs|run show|delete
 * A workflow belongs to a resource of kind workflow and is named by it. `set` reads a workflow as Azure exports
 * it (`--file`; any form the loader reads) and optional parameter values (`--parameters-file`: Standard's
 * parameters.json or an ARM deployment parameters file). `callback-url` prints a Request trigger's URL, signed
 * with the workflow's key, on the origin of the server running on the data folder. Light: each action imports
 * the store it calls. Running a workflow is the runtime's (`lanyard workflow trigger`).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, print, printDone, printRecord, renderTable } from '../../plane/cli-output.ts';
import type { FlowsDeps } from '../deps.ts';
import type { RunRecord, RunSummary } from '../workflows/records.ts';
import type { WorkflowView } from '../workflows/store.ts';
import { workflowTriggerCommand } from './workflow-trigger.ts';

const store = () => import('../workflows/store.ts');

const WORKFLOW_HELP = 'the workflow resource (a resource of kind workflow), by name or id';
/** What `set` reads at most: the loader's own bound on a definition. */
const MAX_FILE_BYTES = 1024 * 1024;

const WORKFLOW_COLUMNS: readonly Column<WorkflowView>[] = [
  { header: 'NAME', value: (w) => w.name },
  { header: 'STATE', value: (w) => w.state },
  { header: 'TRIGGERS', value: (w) => w.triggers.map((t) => `${t.name} (${t.type})`) },
  { header: 'VERSION', value: (w) => w.version },
  { header: 'CHANGED', value: (w) => w.changedAt },
];
const WORKFLOW_FIELDS: readonly Column<WorkflowView>[] = [
  { header: 'NAME', value: (w) => w.name },
  { header: 'WORKFLOW ID', value: (w) => w.workflowId },
  { header: 'STATE', value: (w) => w.state },
  { header: 'VERSION', value: (w) => w.version },
  { header: 'TRIGGERS', value: (w) => w.triggers.map((t) => `${t.name} (${t.type})`) },
  { header: 'ACTIONS', value: (w) => w.definition.actions.map((a) => `${a.name} (${a.type})`) },
  { header: 'PARAMETERS', value: (w) => w.definition.parameters.map((p) => `${p.name} (${p.type})`) },
  { header: 'CREATED', value: (w) => w.createdAt },
  { header: 'CHANGED', value: (w) => w.changedAt },
];
const RUN_COLUMNS: readonly Column<RunSummary>[] = [
  { header: 'RUN', value: (r) => r.name },
  { header: 'STATUS', value: (r) => r.status },
  { header: 'TRIGGER', value: (r) => r.trigger.name },
  { header: 'START', value: (r) => r.startTime },
  { header: 'END', value: (r) => r.endTime },
  { header: 'ERROR', value: (r) => r.error?.code },
];
const RUN_FIELDS: readonly Column<RunRecord>[] = [
  { header: 'RUN', value: (r) => r.name },
  { header: 'WORKFLOW', value: (r) => r.workflow },
  { header: 'VERSION', value: (r) => r.version },
  { header: 'STATUS', value: (r) => r.status },
  { header: 'CODE', value: (r) => r.code },
  { header: 'ERROR', value: (r) => (r.error ? `${r.error.code}: ${r.error.message}` : undefined) },
  { header: 'TRIGGER', value: (r) => `${r.trigger.name} (${r.trigger.type}) ${r.trigger.status}` },
  { header: 'START', value: (r) => r.startTime },
  { header: 'END', value: (r) => r.endTime },
  { header: 'TRACKING ID', value: (r) => r.correlation.clientTrackingId },
];
type ActionRow = RunRecord['actions'][number];
const ACTION_COLUMNS: readonly Column<ActionRow>[] = [
  { header: 'ACTION', value: (a) => a.path.replace(/^actions\./, '').replace(/\.actions\./g, '/') },
  { header: 'TYPE', value: (a) => a.type },
  {
    header: 'ITERATION',
    value: (a) => a.repetitionIndexes?.map((i) => `${i.scopeName}[${i.itemIndex}]`).join(' '),
  },
  { header: 'STATUS', value: (a) => a.status },
  { header: 'CODE', value: (a) => a.code },
  { header: 'ERROR', value: (a) => a.error?.message },
];

function readFile(file: string, what: string): string {
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_FILE_BYTES)
      throw new LanyardError('ERR_USAGE', `${what} ${file} is larger than ${MAX_FILE_BYTES} bytes.`);
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof LanyardError) throw err;
    throw new LanyardError(
      'ERR_USAGE',
      `Cannot read ${what} ${file} (${(err as NodeJS.ErrnoException).code}).`,
      {
        cause: err,
      },
    );
  }
}

/** Standard's parameters.json (`{ name: { value } }`) or an ARM deployment parameters file (`{ parameters }`). */
function parametersOf(text: string, file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new LanyardError('ERR_USAGE', `The parameters file ${file} is not JSON: ${(err as Error).message}`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(parsed))
    throw new LanyardError('ERR_USAGE', `The parameters file ${file} is not a JSON object.`);
  if (isObject(parsed.parameters) && ('$schema' in parsed || 'contentVersion' in parsed))
    return parsed.parameters;
  return parsed;
}

function keyTypeOf(value: string): 'Primary' | 'Secondary' {
  const found = (['Primary', 'Secondary'] as const).find((k) => k.toLowerCase() === value.toLowerCase());
  if (!found) throw new LanyardError('ERR_USAGE', `--key-type takes Primary or Secondary, not "${value}".`);
  return found;
}

export function workflowCommands(program: Command, kit: CliKit<FlowsDeps>): void {
  const workflow = program
    .command('workflow')
    .description(
      'Logic Apps workflows: definitions as Azure exports them, their state, callback URLs and runs.',
    );

  workflow
    .command('set')
    .description(
      'Create or replace the workflow of a resource of kind workflow from a file as Azure exports it (a new version).',
    )
    .argument('<workflow>', WORKFLOW_HELP)
    .requiredOption(
      '--file <workflow.json>',
      'the definition, code view, ARM template or Standard workflow.json',
    )
    .option('--parameters-file <file>', 'parameter values: { "name": { "value": … } } or ARM parameters')
    .option('--disabled', 'save it Disabled (its triggers do not fire)')
    .addHelpText(
      'after',
      `
Examples:
  lanyard resource create --name hello-flow --kind workflow --system-identity
  lanyard workflow set hello-flow --file workflow.json`,
    )
    .action((name: string, o: { file: string; parametersFile?: string; disabled?: boolean }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const definition = readFile(kit.userPath(o.file), 'the workflow file');
        const parameters =
          o.parametersFile === undefined
            ? undefined
            : parametersOf(readFile(kit.userPath(o.parametersFile), 'the parameters file'), o.parametersFile);
        const s = await store();
        const saved = await s.putWorkflow(
          deps.directory,
          tenant,
          name,
          { definition, parameters, ...(o.disabled ? { state: 'Disabled' as const } : {}) },
          deps.envelope,
        );
        printDone(
          `Saved workflow ${saved.name} (version ${saved.version}, ${saved.state}).`,
          opts.output,
          s.workflowView(saved),
        );
      }),
    );

  workflow
    .command('list')
    .description('List the tenant’s workflows.')
    .addHelpText('after', '\nExample:\n  lanyard workflow list')
    .action((_o: object, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const s = await store();
        print(
          (await s.listWorkflows(deps.directory, tenant)).map(s.workflowView),
          opts.output,
          WORKFLOW_COLUMNS,
        );
      }),
    );

  workflow
    .command('show')
    .description('Show a workflow (without its secure parameter values; -o json: the normalized definition).')
    .argument('<workflow>', WORKFLOW_HELP)
    .addHelpText('after', '\nExample:\n  lanyard workflow show hello-flow')
    .action((name: string, _o: object, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const s = await store();
        printRecord(
          s.workflowView(await s.getWorkflow(deps.directory, tenant, name)),
          opts.output,
          WORKFLOW_FIELDS,
        );
      }),
    );

  for (const [verb, state, what] of [
    ['disable', 'Disabled', 'Disable a workflow: its triggers do not fire until it is enabled.'],
    ['enable', 'Enabled', 'Enable a workflow.'],
  ] as const) {
    workflow
      .command(verb)
      .description(what)
      .argument('<workflow>', WORKFLOW_HELP)
      .addHelpText('after', `\nExample:\n  lanyard workflow ${verb} hello-flow`)
      .action((name: string, _o: object, cmd: Command) =>
        kit.withTenant(cmd, async (deps, tenant, opts) => {
          const s = await store();
          const w = await s.setWorkflowState(deps.directory, tenant, name, state);
          printDone(
            `Workflow ${w.name} is ${w.state} (version ${w.version}).`,
            opts.output,
            s.workflowView(w),
          );
        }),
      );
  }

  workflow
    .command('callback-url')
    .description(
      'Print the callback URL of a Request trigger, signed with the workflow’s key (-o json: Azure’s listCallbackUrl answer).',
    )
    .argument('<workflow>', WORKFLOW_HELP)
    .option('--trigger <name>', 'the Request trigger (default: the workflow’s trigger)')
    .option('--key-type <type>', 'sign with the Primary (default) or Secondary key')
    .addHelpText('after', '\nExample:\n  lanyard workflow callback-url hello-flow')
    .action((name: string, o: { trigger?: string; keyType?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const keyType = o.keyType === undefined ? 'Primary' : keyTypeOf(o.keyType);
        const [s, c] = await Promise.all([store(), import('../workflows/callback.ts')]);
        const w = await s.getWorkflow(deps.directory, tenant, name);
        const trigger = o.trigger ?? c.defaultRequestTrigger(w).name;
        const keys = await s.workflowAccessKeys(deps.directory, deps.envelope, tenant, w.resourceId);
        const answer = c.listCallbackUrl(
          c.callbackOrigin(deps.dataDir),
          w,
          trigger,
          keyType === 'Primary' ? keys.primary : keys.secondary,
        );
        if (opts.output === 'json') process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
        else process.stdout.write(`${answer.value}\n`);
      }),
    );

  workflow
    .command('regenerate-key')
    .description(
      'Replace the workflow’s Primary or Secondary access key: callback URLs signed with the old one stop working.',
    )
    .argument('<workflow>', WORKFLOW_HELP)
    .requiredOption('--key-type <type>', 'Primary or Secondary')
    .addHelpText('after', '\nExample:\n  lanyard workflow regenerate-key hello-flow --key-type Secondary')
    .action((name: string, o: { keyType: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const keyType = keyTypeOf(o.keyType);
        const s = await store();
        await s.regenerateAccessKey(deps.directory, deps.envelope, tenant, name, keyType);
        printDone(
          `Regenerated the ${keyType} access key of workflow ${name}; callback URLs signed with the old key no longer work (lanyard workflow callback-url ${name}${keyType === 'Secondary' ? ' --key-type Secondary' : ''}).`,
          opts.output,
          { workflow: name, keyType },
        );
      }),
    );

  workflowTriggerCommand(workflow, kit);

  workflow
    .command('runs')
    .description('List a workflow’s runs, newest first.')
    .argument('<workflow>', WORKFLOW_HELP)
    .option('--top <n>', 'at most this many (default 50, at most 1000)')
    .option(
      '--status <status>',
      'only runs with this status: Running, Succeeded, Failed, Cancelled, TimedOut',
    )
    .addHelpText('after', '\nExample:\n  lanyard workflow runs hello-flow --status Failed')
    .action((name: string, o: { top?: string; status?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const runs = await (await store()).listRuns(deps.directory, tenant, name, {
          top: o.top === undefined ? undefined : Number(o.top),
          status: o.status,
        });
        print(runs, opts.output, RUN_COLUMNS);
      }),
    );

  const run = workflow.command('run').description('One run of a workflow.');
  run
    .command('show')
    .description(
      'Show a run: its status, error, trigger and every action record in order (-o json: the whole record, inputs and outputs included).',
    )
    .argument('<workflow>', WORKFLOW_HELP)
    .argument('<run>', 'the run id (lanyard workflow runs <workflow>)')
    .action((name: string, runName: string, _o: object, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const record = await (await store()).getRun(deps.directory, tenant, name, runName);
        printRecord(record, opts.output, RUN_FIELDS);
        if (opts.output === 'table' && record.actions.length > 0)
          process.stdout.write(`\n${renderTable(record.actions, ACTION_COLUMNS)}\n`);
      }),
    );

  workflow
    .command('delete')
    .description('Delete a workflow and its runs (the resource stays).')
    .argument('<workflow>', WORKFLOW_HELP)
    .addHelpText('after', '\nExample:\n  lanyard workflow delete hello-flow')
    .action((name: string, _o: object, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const s = await store();
        const w = await s.deleteWorkflow(deps.directory, tenant, name);
        printDone(`Deleted workflow ${w.name} and its runs.`, opts.output, s.workflowView(w));
      }),
    );
}
