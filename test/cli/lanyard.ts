/**
 * @module test/cli/lanyard
 * Runs the real `lanyard` binary, as a user would, against a data folder of the test's own. Each call is a
 * new process (Node 24 from process.execPath), so what the tests see is exactly what a shell sees: stdout,
 * stderr and the exit code.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/stores.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Every spawn compiles the same TypeScript again; Node's compile cache, one per test process and removed when
 * it exits, saves about a third of each start.
 */
const compileCache = tempDir('lanyard-cli-cache-');
process.once('exit', () => fs.rmSync(compileCache, { recursive: true, force: true }));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface Cli {
  readonly dataDir: string;
  /** Runs `lanyard …args` (with `--store` if the CLI was opened with one). */
  run(...args: string[]): CliResult;
  /** Runs with `-o json`, requires exit code 0 and returns the parsed stdout. */
  json<T = unknown>(...args: string[]): T;
  /** Removes the data folder. */
  cleanup(): void;
}

/** `app create` of the app the CLI tests share: named orders, identifier URI api://orders (more args after). */
export const CREATE_ORDERS_APP = [
  'app',
  'create',
  '--name',
  'orders',
  '--identifier-uri',
  'api://orders',
] as const;

export function openCli(
  options: { dataDir?: string; store?: string; env?: Record<string, string> } = {},
): Cli {
  const dataDir = options.dataDir ?? tempDir('lanyard-cli-');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LANYARD_DATA_DIR: dataDir,
    NODE_COMPILE_CACHE: compileCache,
    ...options.env,
  };
  // The caller's own settings must not leak into the tests.
  for (const name of ['LANYARD_STORE', 'LANYARD_TENANT', 'LANYARD_MASTER_KEY']) {
    if (!options.env?.[name]) delete env[name];
  }
  const run = (...args: string[]): CliResult => {
    const full = options.store ? ['--store', options.store, ...args] : args;
    const result = spawnSync(process.execPath, ['bin/lanyard.js', ...full], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (result.error) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  return {
    dataDir,
    run,
    json<T>(...args: string[]): T {
      const r = run(...args, '-o', 'json');
      if (r.status !== 0) {
        throw new Error(`lanyard ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
      }
      return JSON.parse(r.stdout) as T;
    },
    cleanup: () => fs.rmSync(dataDir, { recursive: true, force: true }),
  };
}
