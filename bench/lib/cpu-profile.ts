/**
 * @module bench/lib/cpu-profile
 * A V8 CPU profile (`node --cpu-prof`), summarised: each function's self time and inclusive time (the samples
 * with it anywhere on the stack, counted once per sample), as a share of the profile's non-idle time. The
 * benches' `--cpu-prof-dir` writes such profiles; this reads them without DevTools.
 *
 *   node_modules/.bin/node bench/lib/cpu-profile.ts FILE.cpuprofile [--top 30] [--match TEXT] [--skip-ms N]
 *
 * `--match` keeps only functions whose name or file contains TEXT (e.g. `src/vault`); `--skip-ms` leaves out the
 * profile's first N ms (a server's start-up, before the load).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  /** µs. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  /** `name file:line` (file relative to the working folder when under it). */
  key: string;
  /** Share of the non-idle samples' time. */
  self: number;
  inclusive: number;
}

export interface ProfileSummary {
  /** Non-idle time in the profile, ms. */
  busyMs: number;
  idleMs: number;
  functions: FunctionTime[];
}

function keyOf(node: ProfileNode, cwd: string): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name;
  let file = url.replace(/^file:\/\//, '');
  if (file.startsWith(cwd)) file = path.relative(cwd, file);
  return `${name} ${file}:${lineNumber + 1}`;
}

/** Self and inclusive time by function, from the samples and their time deltas. */
export function summariseProfile(profile: Profile, skipMs = 0, cwd = process.cwd()): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  const { samples, timeDeltas } = profile;
  let at = 0;
  for (let i = 0; i < samples.length; i++) {
    at += timeDeltas[i] ?? 0;
    if (at < skipMs * 1000) continue;
    // A sample's time is the interval until the next one (the last gets the previous interval).
    const dt = Math.max(0, timeDeltas[i + 1] ?? timeDeltas[i] ?? 0);
    const node = byId.get(samples[i]!)!;
    const key = keyOf(node, cwd);
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    busy += dt;
    self.set(key, (self.get(key) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const k = keyOf(byId.get(id)!, cwd);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  const functions = [...inclusive.entries()].map(([key, t]) => ({
    key,
    self: (self.get(key) ?? 0) / (busy || 1),
    inclusive: t / (busy || 1),
  }));
  return { busyMs: busy / 1000, idleMs: idle / 1000, functions };
}

export function readProfile(file: string): Profile {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
}

/** Lines of text: the top functions by self time, then by inclusive time. */
export function formatSummary(s: ProfileSummary, top = 30, match?: string): string[] {
  const keep = (f: FunctionTime) => !match || f.key.includes(match);
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  const out = [`busy ${s.busyMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms`, 'self time:'];
  for (const f of [...s.functions]
    .filter(keep)
    .sort((a, b) => b.self - a.self)
    .slice(0, top)) {
    if (f.self > 0) out.push(`  ${pct(f.self)}  ${f.key}`);
  }
  out.push('inclusive time:');
  for (const f of [...s.functions]
    .filter(keep)
    .sort((a, b) => b.inclusive - a.inclusive)
    .slice(0, top)) {
    out.push(`  ${pct(f.inclusive)}  ${f.key}`);
  }
  return out;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '30' },
      match: { type: 'string' },
      'skip-ms': { type: 'string', default: '0' },
    },
  });
  for (const file of positionals) {
    console.log(file);
    for (const line of formatSummary(
      summariseProfile(readProfile(file), Number(values['skip-ms']) || 0),
      Number(values.top) || 30,
      values.match,
    ))
      console.log(line);
  }
}
