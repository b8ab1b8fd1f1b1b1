/**
 * @module cli/commands/completion
 * `lanyard completion bash|zsh`: prints a completion script for the shell, generated from this build's
 * command tree (cli/completion.ts).
 */
import { Argument, type Command } from 'commander';
import { bashCompletion, zshCompletion } from '../completion.ts';

export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash or zsh) for lanyard, as az and kubectl do')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      `
The script completes commands, subcommands, options and the allowed values of an option (-o table|json|tsv).
It holds the commands of this build: generate it again after an upgrade.

Examples:
  source <(lanyard completion bash)
  echo 'source <(lanyard completion bash)' >> ~/.bashrc
  lanyard completion zsh > "\${fpath[1]}/_lanyard"`,
    )
    .action((shell: 'bash' | 'zsh', _o: unknown, cmd: Command) => {
      let root = cmd;
      while (root.parent) root = root.parent;
      process.stdout.write(shell === 'bash' ? bashCompletion(root) : zshCompletion(root));
    });
}
