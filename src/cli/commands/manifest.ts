/**
 * @module cli/commands/manifest
 * `lanyard plan -f lanyard.yaml` shows what apply would change; `lanyard apply -f lanyard.yaml` makes the
 * directory match, in one transaction. `--prune` also deletes what the manifest does not declare.
 * The manifest is read and checked before the data folder is opened, so a bad manifest changes nothing.
 */
import type { Command } from 'commander';
import type { Manifest, Plan } from '../../host/manifest.ts';
import { type OutputFormat, printError } from '../../plane/cli-output.ts';
import { globalOptions, userPath, withRuntime } from '../context.ts';

interface ManifestCommandOptions {
  file: string;
  prune?: boolean;
  detailedExitcode?: boolean;
}

/** The manifest framework and every plane's section (zod, YAML) load when plan or apply runs. */
const manifests = () => import('../../host/manifest.ts');

async function load(cmd: Command, file: string): Promise<Manifest | undefined> {
  try {
    return await (await manifests()).loadManifest(file);
  } catch (err) {
    printError(err, globalOptions(cmd).output);
    return undefined;
  }
}

async function printPlan(plan: Plan, format: OutputFormat): Promise<void> {
  const m = await manifests();
  const text = format === 'json' ? JSON.stringify(plan, null, 2) : m.formatPlan(plan);
  process.stdout.write(`${text}\n`);
  // What apply leaves to a person (a secret to set) is a warning, not a change: JSON carries it as `pending`.
  if (format !== 'json') for (const line of m.formatPending(plan.pending)) process.stderr.write(`${line}\n`);
}

export function registerManifestCommands(program: Command): void {
  program
    .command('plan')
    .description('show what `lanyard apply` would change to make the directory match the manifest')
    .option('-f, --file <file>', 'the manifest', 'lanyard.yaml')
    .option('--prune', 'also plan to delete what the manifest does not declare (first-party apps excepted)')
    .option('--detailed-exitcode', 'exit 2 when there are changes (0: none, 1: error), as terraform does')
    .action(async (opts: ManifestCommandOptions, cmd: Command) => {
      const manifest = await load(cmd, userPath(opts.file));
      if (!manifest) return;
      await withRuntime(
        cmd,
        async (runtime, g) => {
          const plan = await (await manifests()).planManifest(runtime.directory, manifest, {
            prune: opts.prune === true,
          });
          await printPlan(plan, g.output);
          if (opts.detailedExitcode && plan.changes.length > 0) process.exitCode = 2;
        },
        { ifMissing: 'empty' },
      );
    });

  program
    .command('apply')
    .description('make the directory match the manifest, in one transaction (all or nothing)')
    .option('-f, --file <file>', 'the manifest', 'lanyard.yaml')
    .option('--prune', 'also delete what the manifest does not declare (first-party apps excepted)')
    .action(async (opts: ManifestCommandOptions, cmd: Command) => {
      const manifest = await load(cmd, userPath(opts.file));
      if (!manifest) return;
      await withRuntime(
        cmd,
        async (runtime, g) => {
          const plan = await (await manifests()).applyManifest(runtime.directory, manifest, {
            prune: opts.prune === true,
          });
          await printPlan(plan, g.output);
        },
        { create: true },
      );
    });
}
