/**
 * `npm test`: type-check, lint, then every node:test suite under test/, and a last line `N passed, N failed`
 * that counts each check and each test. `--only-tests` skips the type-check and lint; extra arguments are
 * file or folder filters (e.g. `npm test -- test/directory`).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const onlyTests = args.includes('--only-tests');
const filters = args.filter((a) => !a.startsWith('--')).map((a) => path.resolve(root, a));

let passed = 0;
let failed = 0;

function check(name: string, cmd: string, cmdArgs: string[]): void {
  const started = Date.now();
  const result = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  const ok = result.status === 0;
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? '✔' : '✖'} ${name} (${Date.now() - started} ms)`);
}

function findTests(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

if (!onlyTests) {
  const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
  check('typecheck (tsc --noEmit)', bin('tsc'), ['--noEmit', '-p', root]);
  // The console's browser modules: DOM types, which the server's program must not see (src/console/web/tsconfig.json).
  check('typecheck console web (tsc --noEmit -p src/console/web)', bin('tsc'), [
    '--noEmit',
    '-p',
    path.join(root, 'src', 'console', 'web'),
  ]);
  check('lint (biome check)', bin('biome'), ['check', root]);
  check('layers (scripts/check-layers.ts)', process.execPath, [
    path.join(root, 'scripts', 'check-layers.ts'),
  ]);
  check('tables (scripts/check-tables.ts)', process.execPath, [
    path.join(root, 'scripts', 'check-tables.ts'),
  ]);
}

const files = findTests(path.join(root, 'test')).filter(
  (f) => filters.length === 0 || filters.some((flt) => f === flt || f.startsWith(flt + path.sep)),
);

const stream = run({
  files,
  concurrency: Math.max(2, os.availableParallelism()),
  timeout: 120_000,
});
stream.on('test:pass', (event) => {
  if (event.details.type !== 'suite') passed++;
});
stream.on('test:fail', (event) => {
  if (event.details.type !== 'suite') failed++;
  else if (
    event.details.error &&
    (event.details.error as { failureType?: string }).failureType !== 'subtestsFailed'
  )
    failed++;
});
stream.compose(spec).pipe(process.stdout);
await new Promise<void>((resolve) => stream.once('end', () => resolve()));
// Let the reporter flush before the summary line, which CI reads as the last line.
await new Promise((resolve) => setImmediate(resolve));
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
