/**
 * @module test/identity/cli
 * Starts the real `lanyard` binary as a child process, the way a user's shell would, for the tests of
 * `lanyard run|workload|token` and the real-client compatibility runs. The environment is clean (PATH and
 * HOME, plus what the test names) so nothing from the test runner leaks into the program Lanyard starts. Every
 * child must exit on its own: one still running at the time limit is killed and reported as hung.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { tempDir } from '../helpers/stores.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Node's compile cache, shared by this test process's children and removed when it exits. */
const compileCache = tempDir('lanyard-mi-cache-');
process.once('exit', () => fs.rmSync(compileCache, { recursive: true, force: true }));

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** True when the time limit killed the process. */
  hung: boolean;
}

export interface Started {
  child: ChildProcess;
  /** Output so far (grows while the process runs). */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when `text` has appeared on stdout (rejects if the process ends first). */
  waitFor(text: string | RegExp): Promise<void>;
  done: Promise<Finished>;
}

export function cleanEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANYARD_DATA_DIR: dataDir,
    NODE_COMPILE_CACHE: compileCache,
    ...extra,
  };
}

/** Starts `lanyard …args` (from the checkout, Node 24) against `dataDir`. */
export function startLanyard(
  dataDir: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Started {
  const started = Date.now();
  const child = spawn(process.execPath, ['bin/lanyard.js', ...args], {
    cwd: ROOT,
    env: cleanEnv(dataDir, options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: { text: string | RegExp; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    for (const w of [...watchers]) {
      if (typeof w.text === 'string' ? stdout.includes(w.text) : w.text.test(stdout)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 30_000);
  const done = new Promise<Finished>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, hung });
    });
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitFor(text) {
      if (typeof text === 'string' ? stdout.includes(text) : text.test(stdout)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        watchers.push({ text, resolve });
        void done.then(() => reject(new Error(`exited before printing ${text}: ${stderr.slice(0, 2000)}`)));
      });
    },
    done,
  };
}

/** Runs `lanyard …args` to the end. */
export function runLanyard(
  dataDir: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Finished> {
  return startLanyard(dataDir, args, options).done;
}

/** Opens the data folder's store in this process (to seed it or read its audit log), then closes it. */
export async function withRuntime<T>(dataDir: string, fn: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime({ dataDir, env: {} });
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}
