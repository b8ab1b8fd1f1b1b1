/**
 * @module bench/lib/proc
 * What every benchmark reads from Linux's /proc and the machine: the cores it may pin servers and load to
 * (and pinning with taskset), a process's own CPU time (the figure that holds up when other work shares the
 * machine), a process's children, and where a program is installed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The cores this process may use, from /proc (Linux); empty when unknown. */
export function allowedCores(): number[] {
  try {
    const line = fs
      .readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Cpus_allowed_list:'));
    const cores: number[] = [];
    for (const part of (line?.split(':')[1] ?? '').trim().split(',')) {
      const [a, b] = part.split('-').map(Number);
      if (a === undefined || Number.isNaN(a)) continue;
      for (let c = a; c <= (b ?? a); c++) cores.push(c);
    }
    return cores;
  } catch {
    return [];
  }
}

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of a process (all its threads) from /proc, in seconds; NaN where /proc is not available. */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return Number.NaN;
  }
}

export interface CorePlan {
  /** The core measured servers are pinned to (the first allowed), when pinning is possible. */
  measuredCore: string | undefined;
  /** The other allowed cores (upstreams, load generators), as a taskset list. */
  otherCores: string | undefined;
}

/**
 * Splits the allowed cores into the measured one and the rest, and moves every thread of this process (the
 * load generator) onto the rest. Both undefined without taskset or with a single core: nothing is pinned.
 */
export function pinLoadToOtherCores(): CorePlan {
  const cores = allowedCores();
  const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!hasTaskset || cores.length < 2) return { measuredCore: undefined, otherCores: undefined };
  const otherCores = cores.slice(1).join(',');
  pinAllThreads(process.pid, otherCores);
  return { measuredCore: String(cores[0]), otherCores };
}

/** Moves every thread of a running process onto the taskset list `cores` (threads it starts later inherit it). */
export function pinAllThreads(pid: number | undefined, cores: string | undefined): void {
  if (pid !== undefined && cores !== undefined)
    spawnSync('taskset', ['-a', '-cp', cores, String(pid)], { stdio: 'ignore' });
}

/** The direct children of a process (nginx's or HAProxy's workers); empty when unknown. */
export function childPids(pid: number | undefined): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Finds a program on PATH, else in the usual system folders, else in `also`. */
export function onPath(name: string, also: readonly string[] = []): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(':'),
    '/usr/bin',
    '/usr/local/bin',
    '/usr/sbin',
    '/usr/local/sbin',
    ...also,
  ];
  return dirs.map((d) => path.join(d, name)).find((p) => fs.existsSync(p));
}
