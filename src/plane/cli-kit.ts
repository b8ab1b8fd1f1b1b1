/**
 * @module plane/cli-kit
 * What the CLI hands each plane's `commands()`: the global options and the helpers that open the host's
 * runtime (as the plane's own `D`), run a command, print its errors in the chosen format and close. The CLI
 * layer implements it (src/cli/context.ts); planes only see this interface, so they never import the CLI.
 */
import type { Command } from 'commander';
import type { OutputFormat } from './cli-output.ts';

export interface GlobalOptions {
  dataDir?: string;
  store?: string;
  tenant?: string;
  output: OutputFormat;
}

export interface CliKit<D> {
  /** The global options (`--data-dir`, `--store`, `--tenant`, `--output`), wherever `cmd` sits in the tree. */
  globalOptions(cmd: Command): GlobalOptions;
  /** Opens the runtime, runs `fn`, prints any error in the chosen format and closes the store. */
  withRuntime(cmd: Command, fn: (deps: D, opts: GlobalOptions) => Promise<void>): Promise<void>;
  /** Like withRuntime, inside the tenant the command names (`--tenant`, LANYARD_TENANT, or the only one). */
  withTenant(
    cmd: Command,
    fn: (deps: D, tenant: string, opts: GlobalOptions) => Promise<void>,
  ): Promise<void>;
}
