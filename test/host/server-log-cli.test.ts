/**
 * @module test/host/server-log-cli.test
 * `<dataDir>/lanyard.log` through the real binary: a `lanyard run` process appends its token events to it
 * (never the token), and a demo start refused because its port is taken keeps what the log held.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/stores.ts';
import { ROOT, runLanyard } from '../identity/cli.ts';

const SEED_MANIFEST = path.join(ROOT, 'examples/seeds/lanyard.yaml');
const SOMEFUNCTION_APP_ID = 'cc334b87-fdbe-4996-aa3f-5bad192a18a6';

interface LogLine {
  cmd?: string;
  pid?: number;
  audit?: { plane: string; action: string; outcome: string; target?: string };
}
const logLines = (dataDir: string): LogLine[] =>
  fs
    .readFileSync(path.join(dataDir, 'lanyard.log'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as LogLine);

describe('lanyard.log', () => {
  let dataDir: string;
  before(async () => {
    dataDir = tempDir('lanyard-serverlog-');
    const applied = await runLanyard(dataDir, ['apply', '-f', SEED_MANIFEST]);
    assert.equal(applied.code, 0, applied.stderr);
  });
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('has the token events of a `lanyard run` process, appended after what was there, and never the token', async () => {
    fs.writeFileSync(path.join(dataDir, 'lanyard.log'), '{"msg":"an earlier run"}\n', { mode: 0o600 });
    const run = await runLanyard(dataDir, [
      'run',
      '--as',
      'runbook-automation',
      '--',
      'sh',
      '-c',
      `curl -s "$IDENTITY_ENDPOINT?resource=${SOMEFUNCTION_APP_ID}&api-version=2019-08-01" -H "X-IDENTITY-HEADER: $IDENTITY_HEADER"`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const token = (JSON.parse(run.stdout) as { access_token: string }).access_token;
    const text = fs.readFileSync(path.join(dataDir, 'lanyard.log'), 'utf8');
    assert.ok(text.startsWith('{"msg":"an earlier run"}\n'), 'appended, not truncated');
    assert.ok(!text.includes(token), 'the token is not logged');
    assert.ok(!text.includes(token.split('.')[2]!), 'nor its signature');
    const issued = logLines(dataDir).find(
      (l) => l.audit?.action === 'token.issue' && l.audit.target === SOMEFUNCTION_APP_ID,
    );
    assert.ok(issued, 'the token.issue event of the run is in the log');
    assert.equal(issued.cmd, 'run');
    assert.equal(issued.audit?.outcome, 'success');
    assert.notEqual(issued.pid, process.pid);
    assert.equal(fs.statSync(path.join(dataDir, 'lanyard.log')).mode & 0o077, 0);
  });

  it('a demo start refused with ERR_LISTEN keeps the previous log', async () => {
    const before = fs.readFileSync(path.join(dataDir, 'lanyard.log'), 'utf8');
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const demo = await runLanyard(
        dataDir,
        ['demo', '--port', String(port), '--identity-port', '0', '--free-app-ports', '--once'],
        { timeoutMs: 60_000 },
      );
      assert.equal(demo.code, 1, demo.stdout);
      assert.match(demo.stderr, /ERR_LISTEN/);
    } finally {
      holder.close();
    }
    const now = fs.readFileSync(path.join(dataDir, 'lanyard.log'), 'utf8');
    assert.ok(now.startsWith(before), 'what the log held is still there');
  });
});
