/**
 * `lanyard --version`, `--help` and every command's `--help` load only commander and the command definitions:
 * no store driver, schema library, certificate library, logger or HTTP client, and no plane (docs/cli.md,
 * "Start time"). A module hook in the spawned process records every module it loads.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { tempDir } from '../helpers/stores.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Packages only a command's action may load. */
const HEAVY =
  /node_modules\/(kysely|zod|yaml|jose|pino|pg|undici|@peculiar|tsyringe|fast-xml-parser|croner)\//;
/** Modules that load every plane, the store or the listeners. */
const HEAVY_SRC = /\/src\/(host\/(runtime|planes|start-host|manifest)\.ts|[a-z]+\/plane\.ts)$/;

const dir = tempDir('lanyard-start-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const hook = path.join(dir, 'hook.mjs');
fs.writeFileSync(
  hook,
  `import module from 'node:module';
import fs from 'node:fs';
const seen = [];
module.registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });
process.on('exit', () => fs.writeFileSync(process.env.LOADED_FILE, seen.join('\\n')));
`,
);

function loaded(...args: string[]): string[] {
  const file = path.join(dir, 'loaded.txt');
  const r = spawnSync(process.execPath, ['--import', hook, 'bin/lanyard.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOADED_FILE: file, LANYARD_DATA_DIR: path.join(dir, 'data') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return fs.readFileSync(file, 'utf8').split('\n');
}

function assertLight(urls: readonly string[], what: string): void {
  // Named by package or source file, once each, so a failure reads as what was loaded.
  const heavy = [
    ...new Set(
      urls
        .filter((u) => HEAVY.test(u) || HEAVY_SRC.test(u))
        .map((u) => u.match(HEAVY)?.[1] ?? u.slice(u.indexOf('/src/') + 1)),
    ),
  ];
  assert.deepEqual(heavy, [], `${what} loaded modules only a command's action needs`);
  assert.ok(
    urls.some((u) => u.includes('/node_modules/commander/')),
    'the hook saw the modules load',
  );
}

describe('lanyard start: command definitions only', () => {
  test('--version answers before the CLI loads, as the CLI itself does', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['bin/lanyard.js', ...args], { cwd: ROOT, encoding: 'utf8' });
    const fast = run('--version');
    assert.equal(fast.status, 0);
    assert.match(fast.stdout, /^lanyard \d+\.\d+\.\d+ \(node v24\.\d+\.\d+\)\n$/);
    assert.equal(run('-v').stdout, fast.stdout);
    // With another option first, commander answers (src/cli/main.ts): the same line.
    assert.equal(run('-o', 'json', '--version').stdout, fast.stdout);
    assert.ok(!loaded('--version').some((u) => u.includes('/node_modules/commander/')));
  });

  test('--help and --version behind an option', () => {
    assertLight(loaded('-o', 'json', '--version'), '--version');
    assertLight(loaded('--help'), '--help');
  });

  test("every command's --help", () => {
    const help = spawnSync(process.execPath, ['bin/lanyard.js', '--help'], { cwd: ROOT, encoding: 'utf8' });
    const commands = [...help.stdout.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)]
      .map((m) => m[1]!)
      .filter((c) => c !== 'help');
    assert.ok(commands.includes('tenant') && commands.includes('run') && commands.includes('up'));
    // One process for all: commander prints the first --help and exits, so ask each in its own.
    for (const command of commands) assertLight(loaded(command, '--help'), `lanyard ${command} --help`);
  });
});
