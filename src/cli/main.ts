/**
 * @module cli/main
 * `lanyard`: nouns and verbs in the style of `az`. Commands are thin: parse, call a plane, print. Each plane
 * registers its own nouns (`PlaneEntry.commands`, in registry order, host/registry.ts); the host-level commands follow.
 */
import { Command, Option } from 'commander';
import { REGISTRY } from '../host/registry.ts';
import { VERSION } from '../host/version.ts';
import { registerCaCommands } from './commands/ca.ts';
import { registerCompletionCommand } from './commands/completion.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerManifestCommands } from './commands/manifest.ts';
import { registerStatusCommand } from './commands/status.ts';
import { registerUpCommand } from './commands/up.ts';
import { kit } from './context.ts';

const program = new Command('lanyard')
  .description("Azure's managed-identity model, anywhere.")
  .version(`lanyard ${VERSION} (node ${process.version})`, '-v, --version')
  .option('--data-dir <dir>', 'data folder: store, master key, CA (env LANYARD_DATA_DIR, default ./.lanyard)')
  .option(
    '--store <location>',
    'store: sqlite:<file> or postgres://… (env LANYARD_STORE; default SQLite in the data folder)',
  )
  .option('--tenant <tenant>', 'tenant name, id or domain (env LANYARD_TENANT; default: the only tenant)')
  .addOption(
    new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'tsv']).default('table'),
  )
  .configureOutput({ outputError: (str, write) => write(str) })
  .exitOverride((err) => {
    // Usage errors exit 2 like most CLIs; help and version exit 0.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

// The planes' nouns: directory (tenant … role), issuer (keys), identity (run, workload, token), easyauth.
for (const plane of REGISTRY) plane.commands?.(program, kit);
registerManifestCommands(program);
registerUpCommand(program);
registerStatusCommand(program);
registerCaCommands(program);
registerDemoCommand(program);
registerCompletionCommand(program);
showUsageAfterError(program);

/**
 * A command-line mistake (unknown option, missing argument) prints its one line, then the command's usage and
 * where its options are, not the whole help: the mistake stays on screen. Set on every command, as commander
 * reads it from the command that failed.
 */
function showUsageAfterError(cmd: Command, parents: readonly string[] = []): void {
  const name = [...parents, cmd.name()].join(' ');
  const what = cmd.commands.length > 0 ? 'the commands and options' : 'the options';
  cmd.showHelpAfterError(`Usage: ${name} ${cmd.usage()}\nRun "${name} --help" for ${what}.`);
  for (const sub of cmd.commands) showUsageAfterError(sub, [...parents, cmd.name()]);
}

await program.parseAsync(process.argv);
