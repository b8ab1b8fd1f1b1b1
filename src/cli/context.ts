/**
 * @module cli/context
 * What every command shares: the global options (`--data-dir`, `--store`, `--tenant`, `--output`) and a
 * helper that opens the runtime, runs the command, prints any error in the chosen format and closes. `kit`
 * hands the same to each plane's `commands()` (plane/cli-kit.ts), the runtime standing in for the plane's
 * own deps.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { masterKeyPath } from '../crypto/master-key.ts';
import type { ErrorCode } from '../errors/codes.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import type { Runtime } from '../host/runtime.ts';
import type { CliKit, GlobalOptions, RuntimeNeeds } from '../plane/cli-kit.ts';
import { type OutputFormat, printError } from '../plane/cli-output.ts';

export type { GlobalOptions, RuntimeNeeds } from '../plane/cli-kit.ts';

/**
 * The folder the user typed the command in. `npm run lanyard -- …` (the README's alias) and `npm start` run in
 * the package folder, whatever folder the user was in; npm says which in `INIT_CWD`. Only this package's
 * `lanyard` and `start` scripts are taken at their word: another script (a test run, another package's) runs
 * `lanyard` with paths of its own, relative to its own folder, and passes INIT_CWD on unchanged.
 */
export function userCwd(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const init = env.INIT_CWD;
  const script = env.npm_lifecycle_event;
  if (init && env.npm_package_name === 'lanyard' && (script === 'lanyard' || script === 'start')) {
    return path.resolve(init);
  }
  return process.cwd();
}

/** A path the user gave (`-f`, `--env-file`, …), relative to the folder they typed the command in. */
export function userPath(file: string): string {
  const base = userCwd();
  // Unchanged when nothing moved, so messages show the path as it was typed.
  return base === process.cwd() ? file : path.resolve(base, file);
}

/** A store location with a SQLite file resolved as `userPath` does; PostgreSQL and `:memory:` as they are. */
function userStore(location: string): string {
  if (/^postgres(ql)?:\/\//i.test(location)) return location;
  const file = location.startsWith('sqlite:') ? location.slice('sqlite:'.length) : location;
  if (file === '' || file === ':memory:') return location;
  return `sqlite:${userPath(file)}`;
}

/**
 * Reads the global options from the root program, wherever in the tree `cmd` is. `dataDir` is always set
 * (`--data-dir`, `LANYARD_DATA_DIR` or `./.lanyard`, resolved against `userCwd()`); `store` when given
 * (`--store` or `LANYARD_STORE`), a SQLite file resolved the same way.
 */
export function globalOptions(cmd: Command): GlobalOptions {
  let root = cmd;
  while (root.parent) root = root.parent;
  const o = root.opts<{ dataDir?: string; store?: string; tenant?: string; output?: string }>();
  const output = (o.output ?? 'table') as OutputFormat;
  const store = o.store ?? process.env.LANYARD_STORE;
  return {
    dataDir: path.resolve(userCwd(), o.dataDir ?? process.env.LANYARD_DATA_DIR ?? '.lanyard'),
    ...(store === undefined || store === '' ? {} : { store: userStore(store) }),
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

const NO_FOLDER_HINT =
  'Create one with `lanyard up`, `lanyard apply` or `lanyard tenant create`, or fix --data-dir (or LANYARD_DATA_DIR).';

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR') return 'a part of its path is a file, not a folder';
  if (code === 'EEXIST') return 'it is a file, not a folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'the file system is read-only';
  return (err as Error).message;
}

/**
 * Makes sure the data folder can be used before anything is opened in it. With `create`, it is created if
 * missing (failing at once, with the reason, when it cannot be). Without, it must already be a Lanyard data
 * folder: one that holds the master key or the SQLite store. The folder is not needed, and not checked, when
 * neither lives there (`LANYARD_MASTER_KEY` and `--store`/`LANYARD_STORE` both set). Returns whether the
 * folder is there; `missingOk` turns the refusal into `false`.
 */
export function prepareDataFolder(
  dataDir: string,
  options: { create: boolean; store?: string | undefined; missingOk?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new LanyardError('ERR_USAGE', `Cannot use the data folder ${dataDir}: ${reason(err)}.`, {
        hint: 'Point --data-dir (or LANYARD_DATA_DIR) at a folder.',
      });
    }
  }
  if (stat && !stat.isDirectory()) {
    throw new LanyardError(
      'ERR_USAGE',
      `Cannot use the data folder ${dataDir}: it is a file, not a folder.`,
      {
        hint: 'Point --data-dir (or LANYARD_DATA_DIR) at a folder.',
      },
    );
  }
  if (options.create) {
    try {
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new LanyardError('ERR_USAGE', `Cannot create the data folder ${dataDir}: ${reason(err)}.`, {
        hint: 'Point --data-dir (or LANYARD_DATA_DIR) at a folder you can write to.',
      });
    }
    return true;
  }
  const store = options.store ?? env.LANYARD_STORE;
  // A SQLite store named outright must be there too: opening a mistyped path would create an empty store.
  if (store && !/^postgres(ql)?:\/\//i.test(store)) {
    const file = store.startsWith('sqlite:') ? store.slice('sqlite:'.length) : store;
    if (file !== '' && file !== ':memory:' && !fs.existsSync(path.resolve(file))) {
      if (options.missingOk) return false;
      throw new LanyardError('ERR_USAGE', `There is no Lanyard store at ${path.resolve(file)}.`, {
        hint: 'Fix --store (or LANYARD_STORE); `lanyard up`, `lanyard apply` or `lanyard tenant create` create one.',
      });
    }
  }
  const holds = (file: string) => fs.existsSync(path.join(dataDir, file));
  if (stat && (fs.existsSync(masterKeyPath(dataDir)) || holds('lanyard.db'))) return true;
  if (env.LANYARD_MASTER_KEY !== undefined && store) return true;
  if (options.missingOk) return false;
  throw new LanyardError('ERR_USAGE', `There is no Lanyard data folder at ${dataDir}.`, {
    hint: NO_FOLDER_HINT,
  });
}

/** What `withRuntime` needs, plus `ifMissing: 'empty'`: without a data folder, open a throwaway empty one. */
export interface OpenNeeds extends RuntimeNeeds {
  /** `lanyard plan`: a data folder that is not there yet is planned against as empty, creating nothing. */
  ifMissing?: 'refuse' | 'empty';
}

/** Opens the runtime, runs `fn`, prints errors in the chosen format, and always closes the store. */
export async function withRuntime(
  cmd: Command,
  fn: (runtime: Runtime, opts: GlobalOptions) => Promise<void>,
  needs: OpenNeeds = {},
): Promise<void> {
  const opts = globalOptions(cmd);
  let runtime: Runtime | undefined;
  let scratch: string | undefined;
  try {
    // The runtime loads every plane, the store and its drivers: only once a command needs it (docs/cli.md,
    // "Start time").
    const { openRuntime, resolveDataDir } = await import('../host/runtime.ts');
    const dataDir = resolveDataDir(opts.dataDir, process.env);
    const ready = prepareDataFolder(dataDir, {
      create: needs.create === true,
      store: opts.store,
      // With a store named, an empty plan would say nothing of what that store holds.
      missingOk: needs.ifMissing === 'empty' && !(opts.store ?? process.env.LANYARD_STORE),
    });
    if (ready) {
      runtime = await openRuntime({ dataDir, store: opts.store });
    } else {
      // Nothing to read: an empty store in memory, under a key of its own, in a folder removed afterwards.
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-empty-'));
      process.stderr.write(
        `note: there is no Lanyard data folder at ${dataDir} yet; compared with an empty one.\n`,
      );
      runtime = await openRuntime({
        dataDir: scratch,
        store: 'sqlite::memory:',
        env: { ...process.env, LANYARD_MASTER_KEY: randomBytes(32).toString('base64') },
      });
    }
    await fn(runtime, opts);
  } catch (err) {
    printError(err, opts.output);
  } finally {
    await runtime?.close();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Like `withRuntime`, for commands that work inside one tenant (see `resolveTenant`). */
export function withTenant(
  cmd: Command,
  fn: (runtime: Runtime, tenant: string, opts: GlobalOptions) => Promise<void>,
): Promise<void> {
  return withRuntime(cmd, async (runtime, opts) => fn(runtime, await resolveTenant(runtime, opts), opts));
}

/** The most the CLI reads of one admin API answer. */
const ADMIN_ANSWER_LIMIT = 16 * 1024 * 1024;

/** See CliKit.adminApi: the admin API of the Lanyard that serves this data folder now. */
export async function adminApi(cmd: Command, method: string, apiPath: string): Promise<unknown> {
  const dataDir = globalOptions(cmd).dataDir ?? path.resolve(userCwd(), '.lanyard');
  const { isAlive, readRunInfo } = await import('../host/run-info.ts');
  const info = readRunInfo(dataDir);
  if (!info || typeof info.url !== 'string' || typeof info.pid !== 'number' || !isAlive(info.pid)) {
    throw new LanyardError('ERR_USAGE', `No running Lanyard serves the data folder ${dataDir}.`, {
      hint: 'Start it with `lanyard up` (what this command asks for lives in its memory); `lanyard status` says what runs.',
    });
  }
  const url = info.url;
  const { adminTokenPath, resolveAdminToken } = await import('../host/admin-token.ts');
  const fromEnv = process.env.LANYARD_ADMIN_TOKEN;
  if ((fromEnv === undefined || fromEnv === '') && !fs.existsSync(adminTokenPath(dataDir))) {
    throw new LanyardError(
      'ERR_ADMIN_TOKEN',
      'The running Lanyard takes its admin token from LANYARD_ADMIN_TOKEN.',
      {
        hint: 'Set LANYARD_ADMIN_TOKEN as the server has it.',
      },
    );
  }
  const { token } = resolveAdminToken({ dataDir });
  const https = await import('node:https');
  const ca = typeof info.caCertPath === 'string' ? fs.readFileSync(info.caCertPath) : undefined;
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = https.request(
      new URL(apiPath, url),
      {
        method,
        ca,
        timeout: 10_000,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          // The admin API answers in kilobytes; a server that streams more is not the one we expect.
          if (size > ADMIN_ANSWER_LIMIT) {
            req.destroy(new Error(`an answer larger than ${ADMIN_ANSWER_LIMIT / 1024 / 1024} MiB`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', (err) =>
      reject(
        new LanyardError('ERR_USAGE', `The running Lanyard at ${url} did not answer: ${err.message}.`, {
          hint: '`lanyard status` says what runs.',
        }),
      ),
    );
    req.end();
  });
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new LanyardError(
      'ERR_INTERNAL',
      `The running Lanyard answered ${status} with a body that is not JSON.`,
    );
  }
  if (status >= 200 && status < 300) return body;
  const error = (body as { error?: { code?: string; message?: string; hint?: string } } | undefined)?.error;
  const { ERROR_CODES } = await import('../errors/codes.ts');
  const code =
    error?.code !== undefined && error.code in ERROR_CODES ? (error.code as ErrorCode) : 'ERR_INTERNAL';
  throw new LanyardError(code, error?.message ?? `The running Lanyard answered ${status}.`, {
    ...(error?.hint ? { hint: error.hint } : {}),
  });
}

/** See CliKit.runningServer. */
async function runningServerOf(cmd: Command) {
  const dataDir = globalOptions(cmd).dataDir ?? path.resolve(userCwd(), '.lanyard');
  const { isAlive, readRunInfo } = await import('../host/run-info.ts');
  const info = readRunInfo(dataDir);
  if (!info || typeof info.url !== 'string' || typeof info.pid !== 'number' || !isAlive(info.pid))
    return undefined;
  return { url: info.url, caCertPath: typeof info.caCertPath === 'string' ? info.caCertPath : undefined };
}

/** What every plane's `commands()` gets: the runtime meets each plane's deps (host/start-host.ts checks it). */
export const kit: CliKit<Runtime> = {
  userCwd: () => userCwd(),
  userPath,
  globalOptions,
  withRuntime,
  withTenant,
  adminApi,
  runningServer: runningServerOf,
};
