/**
 * @module flows/cli/commands
 * The flows plane's nouns of the `lanyard` CLI (`PlaneEntry.commands`):
 *   lanyard runbook set|list|show|start|jobs|output|delete   Automation runbooks and their jobs
 *   lanyard workflow …                                       Logic Apps workflows (workflow-commands.ts)
 * `start` runs a job in the foreground, with the automation account's identity, printing its streams as they
 * come; Ctrl+C stops it (the job ends Stopped). Light: each action imports the store it calls.
 */
import type { Command } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, print, printDone, printRecord } from '../../plane/cli-output.ts';
import type { FlowsDeps } from '../deps.ts';
import type { Job, Runbook } from '../runbooks/store.ts';
import { workflowCommands } from './workflow-commands.ts';

const store = () => import('../runbooks/store.ts');

const RUNBOOK_COLUMNS: readonly Column<Runbook>[] = [
  { header: 'ACCOUNT', value: (r) => r.resource },
  { header: 'NAME', value: (r) => r.name },
  {
    header: 'SCHEDULE',
    value: (r) => (r.schedule ? `${r.schedule}${r.timeZone ? ` (${r.timeZone})` : ''}` : ''),
  },
  { header: 'ENABLED', value: (r) => r.enabled },
  { header: 'COMMAND', value: (r) => r.command.join(' ') },
];
const RUNBOOK_FIELDS: readonly Column<Runbook>[] = [
  ...RUNBOOK_COLUMNS,
  { header: 'TIMEOUT', value: (r) => `${r.timeoutSeconds} s` },
  { header: 'CATCH UP', value: (r) => r.catchUp },
  { header: 'CWD', value: (r) => r.cwd },
  { header: 'ENV', value: (r) => Object.keys(r.env).join(', ') },
];
const JOB_COLUMNS: readonly Column<Job>[] = [
  { header: 'JOB', value: (j) => j.id },
  { header: 'STATUS', value: (j) => j.status },
  { header: 'STARTED BY', value: (j) => j.startedBy },
  { header: 'START', value: (j) => j.startTime },
  { header: 'END', value: (j) => j.endTime },
  { header: 'EXCEPTION', value: (j) => j.exception },
];

const ACCOUNT_HELP =
  'the automation account (kind automation) or function app (kind app, a timer trigger) the runbook belongs to';

interface SetOptions {
  account: string;
  schedule?: string;
  timeZone?: string;
  timeout?: string;
  catchUp?: boolean;
  env?: string[];
  cwd?: string;
  disabled?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function envOf(pairs: readonly string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new Error(`--env takes NAME=value, not ${JSON.stringify(p)}.`);
    env[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return env;
}

export function flowsCommands(program: Command, kit: CliKit<FlowsDeps>): void {
  const runbook = program
    .command('runbook')
    .description(
      'Automation runbooks: commands run with an automation account’s identity, by hand or on a schedule.',
    );

  runbook
    .command('set')
    .description('Create or replace a runbook: the command after --, with an optional NCRONTAB schedule.')
    .requiredOption('--account <resource>', ACCOUNT_HELP)
    .option('--schedule <ncrontab>', 'six fields with seconds ("0 */5 * * * *") or a TimeSpan ("00:05:00")')
    .option('--time-zone <zone>', 'of the schedule: an IANA name or a Windows id (default UTC)')
    .option('--timeout <seconds>', 'stop a job after this long (default 10800, Automation’s three hours)')
    .option('--catch-up', 'run once at start when an occurrence was missed while Lanyard was down')
    .option('--env <NAME=value>', 'a variable for the command (repeatable; not for secrets)', collect)
    .option('--cwd <dir>', 'the folder the command runs in')
    .option('--disabled', 'keep it, but do not run it on its schedule')
    .argument('<name>', 'the runbook’s name')
    .argument('<command...>', 'the program and its arguments (after --)')
    .addHelpText(
      'after',
      `
Example:
  lanyard runbook set --account runbook-automation hello --schedule "0 0 6 * * *" -- sh -c 'echo hello from $LANYARD_RESOURCE'`,
    )
    .action((name: string, command: string[], o: SetOptions, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const rb = await (await store()).putRunbook(deps.directory, tenant, o.account, {
          name,
          command,
          schedule: o.schedule,
          timeZone: o.timeZone,
          timeoutSeconds: o.timeout === undefined ? undefined : Number(o.timeout),
          catchUp: o.catchUp,
          env: envOf(o.env),
          cwd: o.cwd === undefined ? undefined : kit.userPath(o.cwd),
          enabled: !o.disabled,
        });
        printDone(`Saved runbook ${rb.name} of ${rb.resource}.`, opts.output, rb);
      }),
    );

  runbook
    .command('list')
    .description('List runbooks (of one automation account with --account).')
    .option('--account <resource>', ACCOUNT_HELP)
    .addHelpText('after', '\nExample:\n  lanyard runbook list')
    .action((o: { account?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(
          await (await store()).listRunbooks(deps.directory, tenant, o.account),
          opts.output,
          RUNBOOK_COLUMNS,
        );
      }),
    );

  runbook
    .command('show')
    .description('Show a runbook.')
    .requiredOption('--account <resource>', ACCOUNT_HELP)
    .argument('<name>', 'the runbook’s name')
    .addHelpText('after', '\nExample:\n  lanyard runbook show --account runbook-automation hello')
    .action((name: string, o: { account: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        printRecord(
          await (await store()).getRunbook(deps.directory, tenant, o.account, name),
          opts.output,
          RUNBOOK_FIELDS,
        );
      }),
    );

  runbook
    .command('start')
    .description(
      'Run a job of the runbook now, in the foreground, printing its Output and Error streams (masked); Ctrl+C stops it.',
    )
    .requiredOption('--account <resource>', ACCOUNT_HELP)
    .argument('<name>', 'the runbook’s name')
    .addHelpText(
      'after',
      '\nExit status: 0 when the job Completed, 1 when it Failed, 2 when it was Stopped.\n\nExample:\n  lanyard runbook start --account runbook-automation hello',
    )
    .action(async (name: string, o: { account: string }, cmd: Command) => {
      let exit = 0;
      await kit.withTenant(cmd, async (deps, tenant, opts) => {
        const s = await store();
        const rb = await s.getRunbook(deps.directory, tenant, o.account, name);
        const { startRunbookJob } = await import('../runbooks/run-job.ts');
        const { createLogger } = await import('../../http/logger.ts');
        const json = opts.output === 'json';
        const started = await startRunbookJob(deps, rb, {
          startedBy: 'manual',
          logger: createLogger({
            level: 'warn',
            destination: { write: (line: string) => process.stderr.write(line) },
          }),
          onRecord: json
            ? undefined
            : (r) => (r.streamType === 'Output' ? process.stdout : process.stderr).write(`${r.streamText}\n`),
        });
        const onSignal = () => started.stop('Stopped by Ctrl+C (lanyard runbook start).');
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const result = await started.done;
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        const job = await s.getJob(deps.directory, tenant, started.job.id);
        if (json) process.stdout.write(`${JSON.stringify({ ...job, streams: result.streams }, null, 2)}\n`);
        else {
          process.stderr.write(
            `job ${job.id}: ${job.status}${job.exception ? ` — ${job.exception}` : ''}${result.droppedBytes ? ` (${result.droppedBytes} bytes of output past the limit not kept)` : ''}\n`,
          );
        }
        exit = result.status === 'Completed' ? 0 : result.status === 'Failed' ? 1 : 2;
      });
      if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = exit;
    });

  runbook
    .command('jobs')
    .description('List a runbook’s jobs, newest first.')
    .requiredOption('--account <resource>', ACCOUNT_HELP)
    .option('--limit <n>', 'at most this many (default 50)')
    .argument('<name>', 'the runbook’s name')
    .addHelpText('after', '\nExample:\n  lanyard runbook jobs --account runbook-automation hello')
    .action((name: string, o: { account: string; limit?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const s = await store();
        const rb = await s.getRunbook(deps.directory, tenant, o.account, name);
        print(await s.listJobs(deps.directory, rb, o.limit ? Number(o.limit) : 50), opts.output, JOB_COLUMNS);
      }),
    );

  runbook
    .command('output')
    .description('Print a job’s streams (the runbook’s latest job unless --job names one).')
    .requiredOption('--account <resource>', ACCOUNT_HELP)
    .option('--job <id>', 'the job (default: the latest)')
    .option('--stream <stream>', 'Output or Error (default both, in order)')
    .argument('<name>', 'the runbook’s name')
    .addHelpText('after', '\nExample:\n  lanyard runbook output --account runbook-automation hello')
    .action((name: string, o: { account: string; job?: string; stream?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const s = await store();
        const rb = await s.getRunbook(deps.directory, tenant, o.account, name);
        const jobId = o.job ?? (await s.listJobs(deps.directory, rb, 1))[0]?.id;
        if (!jobId)
          throw cmd.error(
            `Runbook ${rb.name} has no jobs yet: lanyard runbook start --account ${o.account} ${rb.name}`,
          );
        const stream =
          o.stream === undefined
            ? undefined
            : o.stream === 'Error'
              ? 'Error'
              : o.stream === 'Output'
                ? 'Output'
                : undefined;
        if (o.stream !== undefined && stream === undefined) throw cmd.error('--stream is Output or Error.');
        const records = await s.jobStreams(deps.directory, jobId, stream);
        if (opts.output === 'json') process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
        else
          for (const r of records)
            process.stdout.write(`${r.streamType === 'Error' ? 'error: ' : ''}${r.streamText}\n`);
      }),
    );

  runbook
    .command('delete')
    .description('Delete a runbook, its jobs and their output.')
    .requiredOption('--account <resource>', ACCOUNT_HELP)
    .argument('<name>', 'the runbook’s name')
    .addHelpText('after', '\nExample:\n  lanyard runbook delete --account runbook-automation hello')
    .action((name: string, o: { account: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const rb = await (await store()).deleteRunbook(deps.directory, tenant, o.account, name);
        printDone(`Deleted runbook ${rb.name} of ${rb.resource}.`, opts.output, rb);
      }),
    );

  workflowCommands(program, kit);
}
