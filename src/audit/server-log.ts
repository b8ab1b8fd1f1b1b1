/**
 * @module audit/server-log
 * `<dataDir>/lanyard.log`: the data folder's log, JSON lines, with every audit event. `lanyard demo` (npm start)
 * writes its server log there, and every `lanyard run` process appends its own lines too (the audit events of
 * the managed-identity endpoint it serves, and that endpoint's request lines), so the tokens the demo's
 * `lanyard run` children get are in the one log. Each line carries the writer's `pid` and `cmd`. The file is
 * appended to, never truncated, and rotated by size (http/logger-file.ts): `LANYARD_LOG_MAX_BYTES` (default
 * 10 MiB) and `LANYARD_LOG_MAX_FILES` old files kept (default 5).
 */
import path from 'node:path';
import { LanyardError } from '../errors/lanyard-error.ts';
import { createLogger, type Logger } from '../http/logger.ts';
import { LogFile, type LogFileOptions } from '../http/logger-file.ts';

export const SERVER_LOG_FILE = 'lanyard.log';
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_LOG_MAX_FILES = 5;

type Env = Readonly<Record<string, string | undefined>>;

function intFrom(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= min && n <= max)) {
    throw new LanyardError(
      'ERR_USAGE',
      `${name} "${raw.slice(0, 40)}" is not a number from ${min} to ${max}.`,
      {
        hint: `Unset it for the default (${fallback}).`,
      },
    );
  }
  return n;
}

/** The rotation bounds from the environment: a bad value is refused, not ignored. */
export function logFileOptions(env: Env = process.env): LogFileOptions {
  return {
    // 0: never rotate. Below 1 KiB a file would hold a line or two.
    maxBytes: intFrom(env, 'LANYARD_LOG_MAX_BYTES', DEFAULT_LOG_MAX_BYTES, 0, 2 ** 40),
    maxFiles: intFrom(env, 'LANYARD_LOG_MAX_FILES', DEFAULT_LOG_MAX_FILES, 0, 100),
  };
}

export interface ServerLog {
  readonly logger: Logger;
  /** The log file's path. */
  readonly file: string;
  close(): void;
}

export interface ServerLogOptions {
  /** Which command writes (`demo`, `run`): on every line as `cmd`. */
  readonly cmd: string;
  readonly env?: Env | undefined;
}

/** Opens `<dataDir>/lanyard.log` for appending and a logger on it (level from `LANYARD_LOG_LEVEL`). */
export function openServerLog(dataDir: string, o: ServerLogOptions): ServerLog {
  const env = o.env ?? process.env;
  const options = logFileOptions(env);
  const file = new LogFile(path.join(dataDir, SERVER_LOG_FILE), options);
  const logger = createLogger({ destination: file, env }).child({ cmd: o.cmd });
  return { logger, file: file.path, close: () => file.end() };
}
