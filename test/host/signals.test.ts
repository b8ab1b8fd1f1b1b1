/**
 * @module test/host/signals.test
 * `waitForStop()` in a real process: the first SIGINT starts the stop; the same signal again within the
 * repeat window (Ctrl+C under npm arrives from the terminal and, forwarded, from npm) does not cut it short;
 * a second signal after the window exits at once, 130 for SIGINT and 143 for SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPEAT_WINDOW_MS } from '../../src/host/signals.ts';

const SIGNALS = pathToFileURL(path.resolve(import.meta.dirname, '../../src/host/signals.ts')).href;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A process that waits for the stop signal, then takes its time stopping (it never ends on its own). */
function stopper() {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { waitForStop } from ${JSON.stringify(SIGNALS)};
       setInterval(() => {}, 1000);
       const stop = waitForStop();
       console.log('ready');
       console.log('stopping', await stop);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (text: string) => {
    for (let i = 0; i < 200 && !out.includes(text); i++) await sleep(25);
    assert.ok(out.includes(text), `printed ${text}: ${out}`);
  };
  return { child, exited, waitFor, output: () => out };
}

describe('waitForStop', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} twice at once is one stop; ${signal} again later exits ${code}`, async () => {
      const p = stopper();
      try {
        await p.waitFor('ready');
        p.child.kill(signal);
        await sleep(30);
        p.child.kill(signal);
        await p.waitFor(`stopping ${signal}`);
        await sleep(200);
        assert.equal(p.child.exitCode, null, 'still stopping after the repeated signal');
        await sleep(REPEAT_WINDOW_MS);
        p.child.kill(signal);
        assert.equal(await p.exited, code);
        assert.equal(p.output().match(/stopping/g)?.length, 1);
      } finally {
        if (p.child.exitCode === null) p.child.kill('SIGKILL');
      }
    });
  }
});
