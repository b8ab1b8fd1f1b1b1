/**
 * @module bench/lib/servers
 * Starting and stopping the processes a bench measures: a Node bench server that prints `BENCH_READY <json>`
 * when it listens (and `BENCH_STATS <json>` when stopped), any program pinned to cores with taskset, a free
 * port and waiting until one accepts connections, and stopping with SIGTERM then SIGKILL after 5 s.
 * bench/easyauth, bench/gateway and bench/vault/gets start and stop their servers alike, so they share this.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { cpuSeconds } from './proc.ts';

/**
 * Spawns `argv` (program first), under `taskset -c cores` when `cores` is given so that every thread starts
 * there; the child is in `running` (the bench's workspace) until it exits.
 */
export function spawnPinned(
  running: Set<ChildProcess>,
  cores: string | undefined,
  argv: readonly string[],
  options: SpawnOptions,
): ChildProcess {
  const child =
    cores !== undefined
      ? spawn('taskset', ['-c', cores, ...argv], options)
      : spawn(argv[0]!, argv.slice(1), options);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL to it and to the processes `also` names (its workers) if it has not exited after 5 s. */
export function stopChild(child: ChildProcess, also: () => number[] = () => []): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const extra = also();
    const kill = setTimeout(() => {
      child.kill('SIGKILL');
      for (const pid of extra) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }, 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A file's text, or '' when it is not there (a server's log, for an error message). */
export function readLog(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

export interface NodeServerOptions {
  /** What errors call it. */
  readonly name: string;
  /** Node's arguments: the script and its own. */
  readonly argv: readonly string[];
  /** Its stderr (Lanyard's log) goes into this file, not a pipe to the busy bench: a full pipe would stall it. */
  readonly logFile: string;
  readonly running: Set<ChildProcess>;
  /** taskset list to pin it to from the start. */
  readonly cores?: string | undefined;
  readonly env?: Record<string, string> | undefined;
  /** Where `--cpu-prof` writes its V8 CPU profile; none when undefined. */
  readonly cpuProfDir?: string | undefined;
}

export interface NodeServer<T> {
  /** Its `BENCH_READY` line. */
  readonly info: T;
  readonly pid: number | undefined;
  /** performance.now() when it was spawned (a CPU profile's time 0). */
  readonly startedAt: number;
  /** Its CPU seconds so far (utime + stime, every thread). */
  cpu(): number;
  /** Stops it (stopChild); resolves with its `BENCH_STATS` line, if it printed one. */
  stop(): Promise<Record<string, unknown> | undefined>;
}

/** Starts a Node bench server and resolves once it has printed its `BENCH_READY` line. */
export async function startNodeServer<T>(o: NodeServerOptions): Promise<NodeServer<T>> {
  const prof = o.cpuProfDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : [];
  const logFd = fs.openSync(o.logFile, 'w');
  const startedAt = performance.now();
  const child = spawnPinned(o.running, o.cores, [process.execPath, ...prof, ...o.argv], {
    stdio: ['ignore', 'pipe', logFd],
    env: { ...process.env, ...o.env },
  });
  fs.closeSync(logFd);
  // Read to the end, so that the pipe never fills and BENCH_STATS is there at stop.
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  const lineOf = (tag: string) => {
    const line = out.split('\n').find((l) => l.startsWith(`${tag} `));
    return line === undefined ? undefined : JSON.parse(line.slice(tag.length + 1));
  };
  const info = await new Promise<T>((resolve, reject) => {
    const check = () => {
      const ready = lineOf('BENCH_READY');
      if (ready) {
        child.stdout!.off('data', check);
        resolve(ready as T);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      reject(new Error(`${o.name} exited (${code}) before it was ready: ${readLog(o.logFile).slice(-3000)}`));
    });
  });
  return {
    info,
    pid: child.pid,
    startedAt,
    cpu: () => cpuSeconds(child.pid),
    stop: async () => {
      await stopChild(child);
      return lineOf('BENCH_STATS');
    },
  };
}

/** A free port on 127.0.0.1, for a server that cannot listen on port 0 and report it (nginx, HAProxy, Apache). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Whether `host:port` accepts a TCP connection now. */
export function connects(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Resolves once `port` accepts connections; throws with `log()` when `child` exits or 10 s pass first. */
export async function untilListening(
  port: number,
  child: ChildProcess,
  name: string,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await connects(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${name} did not start: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
