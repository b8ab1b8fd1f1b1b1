/**
 * @module bench/lib/workspace
 * A bench's scratch folder (on tmpfs when there is one) and the child processes it starts: both are gone after
 * `cleanup()`, or when the bench is interrupted with Ctrl-C. `watchdog` ends a bench that overruns its time
 * budget, so a stalled server or load generator never leaves it hanging.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Workspace {
  readonly dir: string;
  /** Children to kill at cleanup: add each one started, delete it when it exits. */
  readonly running: Set<ChildProcess>;
  cleanup(): void;
}

export function benchWorkspace(prefix: string, root?: string): Workspace {
  const dir = fs.mkdtempSync(
    path.join(root ?? (fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir()), prefix),
  );
  const running = new Set<ChildProcess>();
  const cleanup = () => {
    for (const child of running) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  return { dir, running, cleanup };
}

/** After `ms`, if this process is still running: says so on stderr as `label`, calls `cleanup()` and exits 1. */
export function watchdog(label: string, ms: number, cleanup: () => void): void {
  setTimeout(() => {
    console.error(`${label}: still running after ${Math.round(ms / 1000)} s; stopping`);
    cleanup();
    process.exit(1);
  }, ms).unref();
}
