/**
 * @module flows/runbooks/job
 * One Automation job: a runbook's command started with the identity of its automation resource, exactly as
 * `lanyard run --as` starts a program (identity/workload-session.ts), its output captured as Automation's
 * streams (stdout → Output, stderr → Error), masked (flows/masking.ts: tokens, the job's own workload secret,
 * secure values) and bounded, and its end mapped to Automation's job statuses: exit 0 → Completed, another exit
 * or a command that cannot start → Failed, stopped by a caller or past its timeout → Stopped (as Automation stops
 * a job past its fair-share limit). The job's workload secret is revoked when it ends, whatever the end.
 */
import { spawn } from 'node:child_process';
import type { Logger } from '../../http/logger.ts';
import type { IdentityDeps } from '../../identity/deps.ts';
import { openWorkloadSession, type WorkloadSession } from '../../identity/workload-session.ts';
import { Masker } from '../masking.ts';

/** Automation's job statuses that Lanyard's jobs take. */
export type JobStatus = 'New' | 'Activating' | 'Running' | 'Completed' | 'Failed' | 'Stopped';
export type StreamType = 'Output' | 'Error';

export interface JobStreamRecord {
  readonly streamType: StreamType;
  /** ISO time the line was read. */
  readonly time: string;
  /** One line, masked. */
  readonly streamText: string;
}

export interface JobSpec {
  readonly tenant: string;
  /** The automation (or other) resource whose identity the job runs with. */
  readonly resource: string;
  /** The program and its arguments. */
  readonly command: readonly string[];
  readonly cwd?: string | undefined;
  /** Variables added to the job's environment (the identity's own are set by the session). */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Stopped past this. */
  readonly timeoutMs: number;
  readonly imds?: boolean | undefined;
  /** Values to mask in the output besides tokens and the workload secret. */
  readonly secureValues?: readonly string[] | undefined;
  /** Shown with the workload: `runbook <name>`. */
  readonly label: string;
}

export interface JobLimits {
  /** Most bytes of output kept per job; the rest is counted, not kept. */
  readonly maxOutputBytes: number;
  /** Longer lines are cut. */
  readonly maxLineChars: number;
  /** How long a stopped job has after SIGTERM before SIGKILL. */
  readonly killGraceMs: number;
}

export const DEFAULT_JOB_LIMITS: JobLimits = {
  maxOutputBytes: 1024 * 1024,
  maxLineChars: 16 * 1024,
  killGraceMs: 5_000,
};

export interface JobResult {
  readonly status: 'Completed' | 'Failed' | 'Stopped';
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly startTime: string;
  readonly endTime: string;
  /** Why it failed or stopped, for people (Automation's `statusDetails` / `exception`). */
  readonly exception?: string | undefined;
  readonly streams: readonly JobStreamRecord[];
  /** Output bytes not kept past the limit. */
  readonly droppedBytes: number;
}

export interface RunningJob {
  /** Resolves when the job has ended and its secret is revoked; never rejects. */
  readonly done: Promise<JobResult>;
  /** Stops the job (SIGTERM, then SIGKILL after the grace). */
  stop(reason?: string): void;
}

export interface JobHooks {
  readonly logger: Logger;
  /** Each stream record as it is read (masked). */
  readonly onRecord?: ((r: JobStreamRecord) => void) | undefined;
  readonly onStatus?: ((s: JobStatus) => void) | undefined;
  readonly limits?: Partial<JobLimits> | undefined;
  readonly now?: (() => Date) | undefined;
}

export function startJob(deps: IdentityDeps, spec: JobSpec, hooks: JobHooks): RunningJob {
  const limits = { ...DEFAULT_JOB_LIMITS, ...hooks.limits };
  const now = hooks.now ?? (() => new Date());
  let stopReason: string | undefined;
  let kill: ((reason: string) => void) | undefined;
  const stop = (reason = 'Stopped by request.') => {
    stopReason ??= reason;
    kill?.(reason);
  };
  const done = (async (): Promise<JobResult> => {
    hooks.onStatus?.('New');
    const startTime = now().toISOString();
    const streams: JobStreamRecord[] = [];
    let kept = 0;
    let droppedBytes = 0;
    const ended = (r: Omit<JobResult, 'streams' | 'droppedBytes' | 'startTime' | 'endTime'>): JobResult => ({
      ...r,
      startTime,
      endTime: now().toISOString(),
      streams,
      droppedBytes,
    });
    hooks.onStatus?.('Activating');
    let session: WorkloadSession;
    try {
      session = await openWorkloadSession(deps, {
        tenant: spec.tenant,
        resource: spec.resource,
        label: spec.label,
        ttlMs: spec.timeoutMs + limits.killGraceMs + 60_000,
        imds: spec.imds,
        baseEnv: { ...process.env, ...spec.env },
        logger: hooks.logger,
      });
    } catch (err) {
      return ended({
        status: 'Failed',
        exitCode: null,
        signal: null,
        exception: `The job could not get the identity of ${spec.resource}: ${(err as Error).message}`,
      });
    }
    const masker = new Masker([session.secret, ...(spec.secureValues ?? [])]);
    const record = (streamType: StreamType, line: string) => {
      const text = masker.text(
        line.length > limits.maxLineChars ? `${line.slice(0, limits.maxLineChars)}…` : line,
      );
      const bytes = Buffer.byteLength(text);
      if (kept + bytes > limits.maxOutputBytes) {
        droppedBytes += bytes;
        return;
      }
      kept += bytes;
      const r: JobStreamRecord = { streamType, time: now().toISOString(), streamText: text };
      streams.push(r);
      hooks.onRecord?.(r);
    };
    try {
      if (stopReason !== undefined) {
        return ended({ status: 'Stopped', exitCode: null, signal: null, exception: stopReason });
      }
      const [program, ...args] = spec.command;
      if (program === undefined) {
        return ended({
          status: 'Failed',
          exitCode: null,
          signal: null,
          exception: 'The runbook has no command.',
        });
      }
      const child = spawn(program, args, {
        cwd: spec.cwd,
        env: session.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group: stopping the job stops what the command started too.
        detached: true,
      });
      const signalGroup = (signal: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, signal);
        } catch {
          child.kill(signal);
        }
      };
      let killTimer: NodeJS.Timeout | undefined;
      kill = () => {
        signalGroup('SIGTERM');
        killTimer ??= setTimeout(() => signalGroup('SIGKILL'), limits.killGraceMs);
        killTimer.unref();
      };
      if (stopReason !== undefined) kill(stopReason);
      const timeout = setTimeout(
        () =>
          stop(
            `The job ran longer than its timeout (${Math.round(spec.timeoutMs / 1000)} s) and was stopped.`,
          ),
        spec.timeoutMs,
      );
      timeout.unref();
      const pending = { Output: '', Error: '' };
      const reader = (streamType: StreamType) => (chunk: string) => {
        const text = pending[streamType] + chunk;
        const lines = text.split('\n');
        pending[streamType] = lines.pop() ?? '';
        for (const line of lines) record(streamType, line.replace(/\r$/, ''));
        // An endless line is cut, not buffered without bound.
        if (pending[streamType].length > limits.maxLineChars) {
          record(streamType, pending[streamType]);
          pending[streamType] = '';
        }
      };
      child.stdout.setEncoding('utf8').on('data', reader('Output'));
      child.stderr.setEncoding('utf8').on('data', reader('Error'));
      const outcome = await new Promise<{
        code: number | null;
        signal: NodeJS.Signals | null;
        error?: Error;
      }>((resolve) => {
        child.once('error', (error) => resolve({ code: null, signal: null, error }));
        child.once('spawn', () => hooks.onStatus?.('Running'));
        child.once('close', (code, signal) => resolve({ code, signal }));
      });
      clearTimeout(timeout);
      if (killTimer) clearTimeout(killTimer);
      for (const s of ['Output', 'Error'] as const) if (pending[s]) record(s, pending[s]);
      if (outcome.error) {
        const code = (outcome.error as NodeJS.ErrnoException).code;
        return ended({
          status: 'Failed',
          exitCode: null,
          signal: null,
          exception:
            code === 'ENOENT'
              ? `The command ${program} was not found (check the runbook's command and PATH).`
              : `The command ${program} could not start: ${outcome.error.message}`,
        });
      }
      if (stopReason !== undefined) {
        return ended({
          status: 'Stopped',
          exitCode: outcome.code,
          signal: outcome.signal,
          exception: stopReason,
        });
      }
      if (outcome.code === 0) return ended({ status: 'Completed', exitCode: 0, signal: null });
      return ended({
        status: 'Failed',
        exitCode: outcome.code,
        signal: outcome.signal,
        exception:
          outcome.signal !== null
            ? `The command ended on signal ${outcome.signal}.`
            : `The command exited with code ${outcome.code}.`,
      });
    } finally {
      kill = undefined;
      await session.close().catch((err: unknown) => {
        hooks.logger.error({ err }, 'a job ended, but revoking its workload secret failed');
      });
    }
  })();
  return { done, stop };
}
