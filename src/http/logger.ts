/**
 * @module http/logger
 * The server's one logger: pino, JSON lines on stderr, so stdout stays free for what `lanyard up` prints for
 * people and scripts. The level comes from `LANYARD_LOG_LEVEL` (default `info`). What is logged is chosen at
 * each call site, and never includes request headers, bodies or query strings: they may carry tokens and
 * secrets (docs/security.md, "Logs carry no secrets").
 */
import { pino } from 'pino';
import { LanyardError } from '../errors/lanyard-error.ts';

export type Logger = pino.Logger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** Overrides `LANYARD_LOG_LEVEL`. */
  level?: LogLevel | undefined;
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Where the JSON lines go; default stderr. Tests pass a stream that collects them. */
  destination?: { write(line: string): unknown } | undefined;
}

export function resolveLogLevel(env: Readonly<Record<string, string | undefined>>): LogLevel {
  const raw = env.LANYARD_LOG_LEVEL?.trim().toLowerCase();
  if (raw === undefined || raw === '') return 'info';
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  throw new LanyardError('ERR_USAGE', `LANYARD_LOG_LEVEL "${raw}" is not a log level.`, {
    hint: `Use one of ${LOG_LEVELS.join(', ')}.`,
  });
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? resolveLogLevel(options.env ?? process.env);
  // Asynchronous writes: lines logged while a write is in flight go out together in the next one, so a busy
  // server pays one write(2) per batch instead of blocking on one per line (two lines per token: the request
  // and its audit event). Nothing waits in a buffer while stderr is idle, and pino flushes what is left
  // synchronously on exit (also on process.exit and after an uncaught exception); only SIGKILL can lose it.
  const destination = options.destination ?? pino.destination({ dest: 2, sync: false });
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
