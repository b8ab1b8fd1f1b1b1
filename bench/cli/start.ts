/**
 * How long `lanyard` takes to start, against bare Node: `node -e 0`, Node importing commander (the floor of a
 * commander CLI), `lanyard --version`, `lanyard --help` and a command that reads the store (`tenant list` on a
 * data folder with one tenant). Each is a new process, spawned the way a shell does; the phases are
 * interleaved, the order rotated every run, and each is reported as the median (and best) wall time of its
 * runs and as a ratio to bare Node. Every phase runs once first, unmeasured, so Node's compile cache is warm
 * as it is for a user's second command.
 *
 *   node_modules/.bin/node bench/cli/start.ts [--runs 21] [--root DIR] [--json]
 *
 * `--root` measures the `bin/lanyard.js` of another checkout (e.g. an older commit, with node_modules linked).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '21' },
    root: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 1000) throw new Error('--runs takes 1 to 1000');
const root = path.resolve(values.root ?? path.join(import.meta.dirname, '../..'));
const bin = path.join(root, 'bin/lanyard.js');
const node = process.execPath;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-bench-cli-'));
const env = { ...process.env, LANYARD_DATA_DIR: dataDir, LANYARD_STORE: '', LANYARD_TENANT: '' };

interface Phase {
  name: string;
  args: string[];
}

const phases: Phase[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'node + commander', args: ['--input-type=module', '-e', "import 'commander'"] },
  { name: 'lanyard --version', args: [bin, '--version'] },
  { name: 'lanyard --help', args: [bin, '--help'] },
  { name: 'lanyard tenant list', args: [bin, 'tenant', 'list'] },
];

function once(phase: Phase): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(node, phase.args, { cwd: root, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${phase.name} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

try {
  const created = spawnSync(node, [bin, 'tenant', 'create', '--name', 'bench'], { cwd: root, env });
  if (created.status !== 0) throw new Error(`tenant create failed: ${created.stderr}`);
  for (const phase of phases) once(phase); // warm the compile cache
  const loadBefore = os.loadavg()[0]!;
  const times = new Map(phases.map((p) => [p.name, [] as number[]]));
  for (let run = 0; run < runs; run++) {
    for (let i = 0; i < phases.length; i++) {
      const phase = phases[(i + run) % phases.length]!;
      times.get(phase.name)!.push(once(phase));
    }
  }
  const loadAfter = os.loadavg()[0]!;
  const bare = median(times.get('node -e 0')!);
  const rows = phases.map((p) => {
    const t = times.get(p.name)!;
    return { phase: p.name, medianMs: median(t), bestMs: Math.min(...t), ratio: median(t) / bare };
  });
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ runs, node: process.version, root, rows, loadBefore, loadAfter }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(
      `lanyard start time: ${runs} runs per phase, interleaved; Node ${process.version}; ${os.cpus().length} CPUs; load ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}\n`,
    );
    process.stdout.write('phase                  median ms   best ms   × node -e 0\n');
    for (const r of rows) {
      process.stdout.write(
        `${r.phase.padEnd(22)} ${r.medianMs.toFixed(1).padStart(9)} ${r.bestMs.toFixed(1).padStart(9)} ${r.ratio.toFixed(2).padStart(13)}\n`,
      );
    }
  }
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
