/**
 * @module demo/processes
 * The demo's children — the example apps, `lanyard run` around them, one-shot CLI commands and curl — as
 * handles that keep their output line by line, so the demo can wait for "listening on …", count the calls an
 * app saw, and tell in plain words what a child said. Every child started here is stopped by `stop()`
 * (SIGTERM, then SIGKILL after a grace period), which the demo calls for all of them at shutdown.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import path from 'node:path';

/** The CLI a user runs, from this checkout, with this Node. */
export const LANYARD_BIN = path.resolve(import.meta.dirname, '../../bin/lanyard.js');
/** The example apps of the seed stories. */
export const APPS_DIR = path.resolve(import.meta.dirname, '../../examples/seeds/apps');

const MAX_STDERR = 16 * 1024;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildHandle {
  readonly name: string;
  readonly child: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: readonly string[];
  /** The last 16 KiB of stderr. */
  readonly stderr: string;
  /** Calls `fn` for each stdout line from now on. */
  onLine(fn: (line: string) => void): void;
  /** The first stdout line at index ≥ `from` that matches; rejects when the child exits first or on timeout. */
  waitForLine(pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<RegExpMatchArray>;
  readonly exited: Promise<Exit>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5 s); resolves when the child has exited. */
  stop(graceMs?: number): Promise<Exit>;
}

export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string | undefined },
): ChildHandle {
  const child = spawn(command, args, {
    env: options.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners: ((line: string) => void)[] = [];
  let partial = '';
  let stderr = '';
  let exit: Exit | undefined;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const fn of listeners) fn(line);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-MAX_STDERR);
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', (err) => {
      stderr += `${name}: ${err.message}\n`;
      exit = { code: 127, signal: null };
      resolve(exit);
    });
    child.once('close', (code, signal) => {
      exit ??= { code, signal };
      resolve(exit);
    });
  });

  const waitForLine: ChildHandle['waitForLine'] = (pattern, o = {}) =>
    new Promise((resolve, reject) => {
      let index = o.from ?? 0;
      const check = (): boolean => {
        for (; index < lines.length; index++) {
          const m = lines[index]!.match(pattern);
          if (m) {
            finish();
            resolve(m);
            return true;
          }
        }
        return false;
      };
      const onLine = () => check();
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${name} did not print ${pattern} within ${o.timeoutMs ?? 20_000} ms.${tail()}`));
      }, o.timeoutMs ?? 20_000);
      const finish = () => {
        clearTimeout(timer);
        const i = listeners.indexOf(onLine);
        if (i >= 0) listeners.splice(i, 1);
      };
      const tail = () => (stderr.trim() ? ` It said: ${stderr.trim().split('\n').slice(-3).join(' ')}` : '');
      if (check()) return;
      listeners.push(onLine);
      exited.then((e) => {
        if (check()) return;
        finish();
        reject(
          new Error(`${name} exited (${e.signal ?? `code ${e.code}`}) before printing ${pattern}.${tail()}`),
        );
      });
    });

  return {
    name,
    child,
    lines,
    get stderr() {
      return stderr;
    },
    onLine: (fn) => listeners.push(fn),
    waitForLine,
    exited,
    async stop(graceMs = 5_000) {
      if (exit) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (killed after `timeoutMs`) and returns what it printed; never rejects. */
export function runToEnd(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs?: number | undefined },
): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        env: options.env,
        timeout: options.timeoutMs ?? 30_000,
        maxBuffer: 4 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : err.code === 'ENOENT' ? 127 : 1) : 0;
        const why = err && typeof err.code !== 'number' ? `${command}: ${err.message}\n` : '';
        resolve({ code, stdout, stderr: why + stderr });
      },
    );
  });
}
