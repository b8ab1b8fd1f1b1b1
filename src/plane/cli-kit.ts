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

/** What a command asks of the data folder when it opens the runtime. */
export interface RuntimeNeeds {
  /**
   * Whether the command may create the data folder (master key, store) when there is none: only commands that
   * are useful in an empty one (`up`, `demo`, `apply`, `tenant create`). Every other command refuses a data
   * folder that holds neither the master key nor the store, so a mistyped `--data-dir` is not a new one.
   */
  create?: boolean;
}

export interface CliKit<D> {
  /**
   * The folder the user typed the command in, which relative paths they give are relative to: npm runs the
   * `lanyard` and `start` scripts in the package folder and says where the user was in `INIT_CWD`.
   */
  userCwd(): string;
  /** `file` as the user meant it: a relative path resolved against `userCwd()`. */
  userPath(file: string): string;
  /**
   * The global options (`--data-dir`, `--store`, `--tenant`, `--output`), wherever `cmd` sits in the tree;
   * the data folder and a SQLite store's file resolved against `userCwd()`.
   */
  globalOptions(cmd: Command): GlobalOptions;
  /**
   * Opens the runtime, runs `fn`, prints any error in the chosen format and closes the store. The data folder
   * must exist unless `needs.create` (see RuntimeNeeds).
   */
  withRuntime(
    cmd: Command,
    fn: (deps: D, opts: GlobalOptions) => Promise<void>,
    needs?: RuntimeNeeds,
  ): Promise<void>;
  /**
   * Like withRuntime, inside the tenant the command names (`--tenant`, LANYARD_TENANT, or the only one). A
   * tenant lives in an existing data folder, so this never creates one.
   */
  withTenant(
    cmd: Command,
    fn: (deps: D, tenant: string, opts: GlobalOptions) => Promise<void>,
  ): Promise<void>;
  /**
   * Calls the admin API of the Lanyard running on the data folder (`lanyard up`, found through its
   * `server.json`, with the admin token and CA it names), for what only the running process knows (a gateway's
   * traces). Returns the parsed JSON answer; an error answer is thrown as its LanyardError; none running is
   * ERR_USAGE saying so. Call it inside withRuntime/withTenant, which print the error.
   */
  adminApi(cmd: Command, method: string, path: string): Promise<unknown>;
  /** The Lanyard serving the data folder now (its URL and the CA file its certificate chains to), or undefined. */
  runningServer(cmd: Command): Promise<{ url: string; caCertPath?: string | undefined } | undefined>;
}
