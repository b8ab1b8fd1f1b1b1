/**
 * @module test/e2e/seed-helpers
 * What the seed end-to-end tests share: the paths of the binary and the seed manifest, the child environment,
 * `lanyard` runs against a data folder, the example function app started on a free port, an Easy Auth front
 * pointed at it, `lanyard up` on free ports, and the after-hook that stops every child.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { type ChildHandle, runToEnd, startChild } from '../../src/demo/processes.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/lanyard.js');
export const APPS = path.join(ROOT, 'examples/seeds/apps');
export const MANIFEST = path.join(ROOT, 'examples/seeds/lanyard.yaml');

/** A child's environment: PATH and HOME, the data folder, warnings only, and `extra`. */
export const env = (dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  LANYARD_DATA_DIR: dataDir,
  LANYARD_LOG_LEVEL: 'warn',
  ...extra,
});

/** `lanyard <args>` against `dataDir`, to its end (30 s at most). */
export const lanyard = (dataDir: string, args: string[], extra: Record<string, string> = {}) =>
  runToEnd(process.execPath, [BIN, ...args], { env: env(dataDir, extra), timeoutMs: 30_000 });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `lanyard apply -f` the seed manifest; asserts it exited 0. */
export async function applySeed(dataDir: string) {
  const applied = await lanyard(dataDir, ['apply', '-f', MANIFEST]);
  assert.equal(applied.code, 0, applied.stderr);
  return applied;
}

/** The example function app (apps/function.mjs) as `name`, on a free port; pushed onto `children`. */
export async function startFunction(
  dataDir: string,
  name: string,
  children: ChildHandle[],
): Promise<{ fn: ChildHandle; port: string }> {
  const fn = startChild(name, process.execPath, [path.join(APPS, 'function.mjs')], {
    env: env(dataDir, { FUNCTION_NAME: name, PORT: '0' }),
  });
  children.push(fn);
  const port = (await fn.waitForLine(/listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]!;
  return { fn, port };
}

/** `lanyard easyauth set` the front of `resource` (client id: the app of the same name) to a local port. */
export async function setFrontUpstream(dataDir: string, resource: string, port: string): Promise<void> {
  const set = await lanyard(dataDir, [
    'easyauth',
    'set',
    '--resource',
    resource,
    '--upstream',
    `http://127.0.0.1:${port}`,
    '--client-id',
    resource,
  ]);
  assert.equal(set.code, 0, set.stderr);
}

/** `lanyard up` on free ports; pushed onto `children`. */
export function startUp(dataDir: string, children: ChildHandle[]): ChildHandle {
  const up = startChild('lanyard up', process.execPath, [BIN, 'up', '--port', '0', '--identity-port', '0'], {
    env: env(dataDir),
  });
  children.push(up);
  return up;
}

/** Stops every child (SIGTERM, 5 s), removes `dataDir`, and asserts each exited 0. */
export async function stopChildren(children: ChildHandle[], dataDir: string): Promise<void> {
  const exits = await Promise.all(children.map((c) => c.stop(5_000)));
  fs.rmSync(dataDir, { recursive: true, force: true });
  assert.deepEqual(
    exits.map((e, i) => `${children[i]!.name}: ${e.code}`),
    children.map((c) => `${c.name}: 0`),
    'every child stopped on SIGTERM with exit code 0',
  );
}
