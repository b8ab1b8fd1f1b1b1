/**
 * @module test/compat/run-client
 * Runs one client script from `test/compat/clients/` in its own Node process, as a user's program would run:
 * a clean environment (no variables leak from the test runner) plus exactly the ones the case sets — for
 * trust, only `NODE_EXTRA_CA_CERTS`. The script prints one `COMPAT_RESULT <json>` line; the child must exit on
 * its own, within the time limit, or the run counts as hung.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const CLIENTS = path.join(import.meta.dirname, 'clients');
const MARKER = 'COMPAT_RESULT ';

export interface ClientError {
  name?: string;
  message?: string;
  code?: string;
  errorCode?: string;
  statusCode?: number;
  /** The wrapped error, e.g. MSAL's `ServerError` with `errorCode: 'invalid_client'`. */
  cause?: { name?: string; errorCode?: string; code?: string };
  /** Every nested message (error, cause, AggregateError members) joined, for assertions on text. */
  text: string;
}

export interface ClientResult {
  ok: boolean;
  /** Set when ok: whatever the script reports (tokens, expiry …). */
  // biome-ignore lint/suspicious/noExplicitAny: each script reports its own shape
  value?: any;
  error?: ClientError;
}

export interface ClientRun {
  result: ClientResult;
  /** Wall time until the process exited. */
  ms: number;
  exitCode: number | null;
  /** True when the time limit killed the process (it did not exit on its own). */
  killed: boolean;
  stderr: string;
}

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the time limit killed the process (it did not exit on its own). */
  killed: boolean;
}

/**
 * Runs `command` with exactly `env` (nothing inherited), stdin closed, and collects its output; SIGKILL after
 * `timeoutMs`. Resolves when the process has closed its output.
 */
export async function runProcess(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number },
): Promise<ProcessRun> {
  const child = spawn(command, args, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => clearTimeout(timer));
  return { code, stdout, stderr, killed };
}

/** PATH and HOME from the test runner, then `env`: what a user's program would minimally have. */
export const minimalEnv = (env: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  ...env,
});

export async function runClient(
  script: string,
  env: Record<string, string>,
  options: { args?: string[]; timeoutMs?: number } = {},
): Promise<ClientRun> {
  const started = Date.now();
  const {
    code: exitCode,
    stdout,
    stderr,
    killed,
  } = await runProcess(process.execPath, [path.join(CLIENTS, script), ...(options.args ?? [])], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: minimalEnv(env),
    timeoutMs: options.timeoutMs ?? 20_000,
  });
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  const result: ClientResult = line
    ? (JSON.parse(line.slice(MARKER.length)) as ClientResult)
    : {
        ok: false,
        error: { text: `no result printed (exit ${exitCode}, killed ${killed}): ${stderr.slice(0, 2000)}` },
      };
  return { result, ms: Date.now() - started, exitCode, killed, stderr };
}
