/**
 * @module cli/main
 * `lanyard`: nouns and verbs in the style of `az`. Commands are thin: parse, call a plane, print.
 */
import { Command, Option } from 'commander';
import { VERSION } from '../host/version.ts';
import { registerCaCommands } from './commands/ca.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerDirectoryCommands } from './commands/directory.ts';
import { registerEasyAuthCommands } from './commands/easyauth.ts';
import { registerExplainCommand } from './commands/explain.ts';
import { registerKeysCommands } from './commands/keys.ts';
import { registerManifestCommands } from './commands/manifest.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerUpCommand } from './commands/up.ts';
import { registerWorkloadCommands } from './commands/workload.ts';

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
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) })
  .exitOverride((err) => {
    // Usage errors exit 2 like most CLIs; help and version exit 0.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

registerDirectoryCommands(program);
registerManifestCommands(program);
registerUpCommand(program);
registerCaCommands(program);
registerKeysCommands(program);
registerRunCommand(program);
registerWorkloadCommands(program);
registerEasyAuthCommands(program);
registerExplainCommand(program);
registerDemoCommand(program);

await program.parseAsync(process.argv);
