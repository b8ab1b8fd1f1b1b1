/**
 * @module cli/context
 * What every command shares: the global options (`--data-dir`, `--store`, `--tenant`, `--output`) and a
 * helper that opens the runtime, runs the command, prints any error in the chosen format and closes. `kit`
 * hands the same to each plane's `commands()` (plane/cli-kit.ts), the runtime standing in for the plane's
 * own deps.
 */
import type { Command } from 'commander';
import { LanyardError } from '../errors/lanyard-error.ts';
import { openRuntime, type Runtime } from '../host/runtime.ts';
import type { CliKit, GlobalOptions } from '../plane/cli-kit.ts';
import { type OutputFormat, printError } from '../plane/cli-output.ts';

export type { GlobalOptions } from '../plane/cli-kit.ts';

/** Reads the global options from the root program, wherever in the tree `cmd` is. */
export function globalOptions(cmd: Command): GlobalOptions {
  let root = cmd;
  while (root.parent) root = root.parent;
  const o = root.opts<{ dataDir?: string; store?: string; tenant?: string; output?: string }>();
  const output = (o.output ?? 'table') as OutputFormat;
  return {
    ...(o.dataDir === undefined ? {} : { dataDir: o.dataDir }),
    ...(o.store === undefined ? {} : { store: o.store }),
    ...(o.tenant === undefined ? {} : { tenant: o.tenant }),
    output,
  };
}

/**
 * The tenant a command works in: `--tenant`, else `LANYARD_TENANT`, else the only tenant there is.
 * With several tenants and none named, the command refuses and lists them.
 */
export async function resolveTenant(runtime: Runtime, opts: GlobalOptions): Promise<string> {
  const named = opts.tenant ?? process.env.LANYARD_TENANT;
  if (named) return (await runtime.directory.getTenant(named)).id;
  const tenants = await runtime.directory.listTenants();
  if (tenants.length === 1) return tenants[0]!.id;
  if (tenants.length === 0) {
    throw new LanyardError('ERR_NOT_FOUND', 'There is no tenant yet.', {
      hint: 'Create one with `lanyard tenant create --name <name>` or apply a manifest with `lanyard apply -f lanyard.yaml`.',
    });
  }
  throw new LanyardError('ERR_USAGE', `There are ${tenants.length} tenants; say which one with --tenant.`, {
    hint: `Tenants: ${tenants.map((t) => t.name).join(', ')}.`,
  });
}

/** Opens the runtime, runs `fn`, prints errors in the chosen format, and always closes the store. */
export async function withRuntime(
  cmd: Command,
  fn: (runtime: Runtime, opts: GlobalOptions) => Promise<void>,
): Promise<void> {
  const opts = globalOptions(cmd);
  let runtime: Runtime | undefined;
  try {
    runtime = await openRuntime({ dataDir: opts.dataDir, store: opts.store });
    await fn(runtime, opts);
  } catch (err) {
    printError(err, opts.output);
  } finally {
    await runtime?.close();
  }
}

/** Like `withRuntime`, for commands that work inside one tenant (see `resolveTenant`). */
export function withTenant(
  cmd: Command,
  fn: (runtime: Runtime, tenant: string, opts: GlobalOptions) => Promise<void>,
): Promise<void> {
  return withRuntime(cmd, async (runtime, opts) => fn(runtime, await resolveTenant(runtime, opts), opts));
}

/** What every plane's `commands()` gets: the runtime meets each plane's deps (host/start-host.ts checks it). */
export const kit: CliKit<Runtime> = { globalOptions, withRuntime, withTenant };
