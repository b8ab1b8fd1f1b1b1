/**
 * @module test/e2e/npm-start-signals.test
 * `npm start` stops cleanly whichever of its processes is signalled: SIGTERM to the npm process (a service
 * manager, `kill <npm pid>`), and SIGINT to the whole process group (Ctrl+C in a terminal, which npm also
 * forwards to its child: the demo sees it twice and must stop once, not exit at the second). Each run serves
 * on free ports from its own data folder, and every process it started is gone afterwards.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers/stores.ts';
import { ROOT } from '../identity/cli.ts';

const NODE_DIR = path.dirname(process.execPath);

interface NpmStart {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  waitFor(text: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];
const dirs: string[] = [];
after(() => {
  // Whatever a failed test left running: the process groups these tests started, by their id.
  for (const child of started) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {}
  }
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function npmStart(dataDir: string): NpmStart {
  const child = spawn('npm', ['start', '--', '--port', '0', '--identity-port', '0', '--free-app-ports'], {
    cwd: ROOT,
    // Its own process group, as a terminal gives a foreground job: the group is what Ctrl+C signals.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      // The pinned Node first, as npm's scripts have it; npm itself runs on whichever node is found.
      PATH: `${NODE_DIR}${path.delimiter}${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: process.env.HOME ?? '/tmp',
      LANYARD_DATA_DIR: dataDir,
    },
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    for (const w of [...waiters]) {
      if (stdout.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitFor(text) {
      if (stdout.includes(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        waiters.push({ text, resolve });
        void exited.then(() => reject(new Error(`npm start ended before "${text}": ${stderr.slice(-2000)}`)));
      });
    },
    exited,
  };
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) =>
      // Unref'd: a timer left after the race must not keep the test process alive.
      setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms).unref(),
    ),
  ]);

/** True while any process of the group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('npm start: signals', { skip: process.platform === 'win32' }, () => {
  for (const [name, send] of [
    ['SIGTERM to the npm process', (npm: ChildProcess) => process.kill(npm.pid!, 'SIGTERM')],
    ['SIGINT to the process group (Ctrl+C)', (npm: ChildProcess) => process.kill(-npm.pid!, 'SIGINT')],
  ] as const) {
    it(`${name}: the demo stops its children and listeners, says so once, and npm exits 0`, async () => {
      const dataDir = tempDir('lanyard-npmstart-');
      dirs.push(dataDir);
      const npm = npmStart(dataDir);
      await withTimeout(npm.waitFor('Press Ctrl+C to stop.'), 90_000, 'the demo ready');
      assert.ok(fs.existsSync(path.join(dataDir, 'server.json')));
      send(npm.child);
      const exit = await withTimeout(npm.exited, 20_000, 'npm start stopping');
      assert.deepEqual(exit, { code: 0, signal: null }, npm.stderr.slice(-2000));
      assert.equal(npm.stdout.match(/^lanyard stopped$/gm)?.length, 1, npm.stdout.slice(-500));
      assert.doesNotMatch(npm.stderr, /npm error/);
      assert.ok(!fs.existsSync(path.join(dataDir, 'server.json')), 'server.json removed');
      // The example apps and `lanyard run` were stopped, not left behind.
      const deadline = Date.now() + 3_000;
      while (groupAlive(npm.child.pid!) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      assert.equal(groupAlive(npm.child.pid!), false, 'no process of npm start is left');
    });
  }
});
