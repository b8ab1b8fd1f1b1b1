/**
 * @module test/cli/up-process
 * Starts the real `lanyard up` (a child process on free ports) on a data folder and waits until it is ready,
 * for the CLI tests that need a running server (`status`, the help examples).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface UpProcess {
  readonly child: ChildProcess;
  /** The main listener's URL, as printed. */
  readonly url: string;
  readonly output: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export function startUp(
  dataDir: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<UpProcess> {
  const child = spawn(
    process.execPath,
    ['bin/lanyard.js', 'up', '--port', '0', '--identity-port', '0', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, LANYARD_DATA_DIR: dataDir, LANYARD_ADMIN_TOKEN: '', LANYARD_STORE: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lanyard up was not ready within 30 s:\n${out}`));
    }, 30_000);
    const onData = () => {
      const url = /listening on (https:\/\/\S+)/.exec(out)?.[1];
      if (!url || !out.includes('Press Ctrl+C')) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        child,
        url,
        output: () => out,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          return exit;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`lanyard up exited with ${code} before it was ready:\n${out}`));
    });
  });
}
