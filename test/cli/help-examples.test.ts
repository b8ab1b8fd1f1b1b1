/**
 * Every `Example:` and `Examples:` block of every command's `--help` works as printed, against the seed
 * manifest (examples/seeds/lanyard.yaml, what `npm start` applies). The test walks the command tree through
 * `--help`, and runs each example line in bash (zsh for a zsh one) with `lanyard` and `npm` standing for this
 * checkout's CLI, each on its own copy of a data folder the seed manifest was applied to, in a scratch folder
 * that is also HOME. It asserts exit code 0; a token an example prints must be one the seed's Easy Auth front
 * accepts (`lanyard explain --app somefunction`). What the examples leave to the reader is filled in:
 * `auth.json` (what the `az rest` line before it writes), `app.js`, `$TOKEN`, a PEM file, and values printed
 * as `5b6c…` (the id of something the example before it created). `lanyard status` runs against a real
 * `lanyard up`; the demo examples (`npm start`, `lanyard demo --once`) run the demo.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WORKFLOW_SCHEMA } from '../../src/flows/definition/types.ts';
import { tempDir } from '../helpers/stores.ts';
import { startUp } from './up-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SEED = path.join(ROOT, 'examples/seeds/lanyard.yaml');
const BIN = path.join(ROOT, 'bin/lanyard.js');
/** somefunction's appId in the seed manifest: the audience its Easy Auth front accepts. */
const SOMEFUNCTION_APP_ID = 'cc334b87-fdbe-4996-aa3f-5bad192a18a6';
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

const scratch = tempDir('lanyard-examples-');
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
const seeded = path.join(scratch, 'seeded');

/** The pinned Node first on PATH, so `node app.js` in an example is the Node Lanyard needs too. */
const ENV: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
  LANYARD_NODE: process.execPath,
  LANYARD_BIN: BIN,
};
// The caller's own settings must not reach the examples.
for (const name of [
  'INIT_CWD',
  'LANYARD_STORE',
  'LANYARD_TENANT',
  'LANYARD_ADMIN_TOKEN',
  'LANYARD_MASTER_KEY',
]) {
  delete ENV[name];
}

function lanyard(dataDir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...ENV, LANYARD_DATA_DIR: dataDir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Example {
  /** The command whose help prints it, e.g. `tenant create`. */
  command: string;
  line: string;
}

/** The `Example:`/`Examples:` lines of one help text, continuation lines (` \`) joined. */
function examplesIn(help: string): string[] {
  const lines = help.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^Examples?:$/.test(lines[i]!)) continue;
    for (i++; i < lines.length && /^ {2}\S/.test(lines[i]!); i++) {
      let line = lines[i]!.trim();
      while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)}${lines[++i]!.trim()}`;
      out.push(line);
    }
  }
  return out;
}

/** Walks the command tree through `--help`: every command's examples, in help order. */
function collectExamples(): Example[] {
  const found: Example[] = [];
  const visit = (words: string[]) => {
    const r = lanyard(seeded, ...words, '--help');
    assert.equal(r.status, 0, `lanyard ${words.join(' ')} --help: ${r.stderr}`);
    for (const line of examplesIn(r.stdout)) found.push({ command: words.join(' '), line });
    // The Commands: block ends at the first blank line (help text added after it may indent words too).
    const commands = (r.stdout.split(/^Commands:$/m)[1] ?? '').split(/\n\s*\n/)[0]!;
    for (const m of commands.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)) {
      if (m[1] !== 'help') visit([...words, m[1]!]);
    }
  };
  visit([]);
  return found;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const workspaces = new Map<string, { dataDir: string; cwd: string }>();

/**
 * The copy of the seeded data folder and the scratch folder (cwd and HOME) an example runs in: one per group
 * of sibling commands (`app secret list|add|remove`), shared in help order, so `remove` finds what `add`
 * made, as for a user typing them one after the other; a new copy for the next group.
 */
function workspace(command: string): { dataDir: string; cwd: string } {
  const words = command.split(' ');
  const group = words.length > 1 ? words.slice(0, -1).join(' ') : command;
  let ws = workspaces.get(group);
  if (!ws) {
    const base = fs.mkdtempSync(path.join(scratch, `${group.replace(/\W+/g, '-')}-`));
    const dataDir = path.join(base, 'data');
    fs.cpSync(seeded, dataDir, { recursive: true });
    fs.chmodSync(dataDir, 0o700);
    const cwd = path.join(base, 'cwd');
    fs.mkdirSync(path.join(cwd, 'zfunctions'), { recursive: true, mode: 0o700 });
    ws = { dataDir, cwd };
    workspaces.set(group, ws);
  }
  return ws;
}

const PRELUDE = `lanyard() { "$LANYARD_NODE" "$LANYARD_BIN" "$@"; }
npm() { if [ "$1" = start ]; then shift; [ "$1" = -- ] && shift; exec "$LANYARD_NODE" "$LANYARD_BIN" demo "$@"; fi; return 99; }
`;

/** A self-signed certificate, as a user would make one for `app cert add`. */
function makeCertificate(file: string): void {
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=client', '-days', '30'];
  const r = spawnSync('openssl', [...args, '-keyout', `${file}.key`, '-out', file]);
  assert.equal(r.status, 0, String(r.stderr));
}

/** The workspaces whose contoso-apim gateway, API orders and operation get-order were made sure of. */
const gatewayReady = new Set<string>();

/** What the example needs that it does not make itself; returns the line to run. */
function prepare(example: Example, dataDir: string, cwd: string): string {
  let line = example.line;
  const run = (...args: string[]) => {
    const r = lanyard(dataDir, ...args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const tenantId = () => (JSON.parse(run('tenant', 'show', 'contoso', '-o', 'json')) as { id: string }).id;
  if (line.includes('auth.json')) {
    fs.writeFileSync(
      path.join(cwd, 'auth.json'),
      JSON.stringify({
        properties: {
          platform: { enabled: true },
          globalValidation: { requireAuthentication: true, unauthenticatedClientAction: 'Return401' },
          identityProviders: {
            azureActiveDirectory: {
              enabled: true,
              registration: {
                clientId: SOMEFUNCTION_APP_ID,
                openIdIssuer: `https://sts.windows.net/${tenantId()}/v2.0`,
              },
            },
          },
        },
      }),
    );
  }
  if (/\bnode app\.js\b/.test(line)) {
    fs.writeFileSync(
      path.join(cwd, 'app.js'),
      'if (!process.env.IDENTITY_ENDPOINT || !process.env.IDENTITY_HEADER) process.exit(3);\n',
    );
  }
  const pem = /--file (\S+\.pem)/.exec(line)?.[1];
  if (pem) makeCertificate(path.join(cwd, pem));
  // Values shown as `5b6c…`: the id of what an earlier example of the same noun created.
  if (/--key-id \S+…/.test(line)) {
    const app = /--app (\S+)/.exec(line)![1]!;
    const added = JSON.parse(run('app', 'secret', 'add', '--app', app, '-o', 'json')) as { keyId: string };
    line = line.replace(/--key-id \S+…/, `--key-id ${added.keyId}`);
  }
  if (/--thumbprint \S+…/.test(line)) {
    const app = /--app (\S+)/.exec(line)![1]!;
    makeCertificate(path.join(cwd, 'client.pem'));
    const added = JSON.parse(
      run('app', 'cert', 'add', '--app', app, '--file', path.join(cwd, 'client.pem'), '-o', 'json'),
    ) as { thumbprint?: string; customKeyIdentifier?: string };
    line = line.replace(/--thumbprint \S+…/, `--thumbprint ${added.thumbprint ?? added.customKeyIdentifier}`);
  }
  // The gateway examples work on the seed's contoso-apim resource: its gateway, the API and operation they
  // name, and the OpenAPI document and policy files they read are made when the workspace lacks them.
  if (/^lanyard gateway /.test(line) && line.includes('--gateway contoso-apim')) {
    const gw = ['--gateway', 'contoso-apim'];
    const once = (what: string, make: () => void) => {
      if (gatewayReady.has(`${dataDir}|${what}`)) return;
      gatewayReady.add(`${dataDir}|${what}`);
      make();
    };
    once('gateway', () => {
      if (lanyard(dataDir, 'gateway', 'show', ...gw).status !== 0) run('gateway', 'create', ...gw);
    });
    if (/\borders\b/.test(line) && !/^lanyard gateway api (create|import)/.test(line))
      once('orders', () => {
        if (lanyard(dataDir, 'gateway', 'api', 'show', 'orders', ...gw).status !== 0)
          run(
            'gateway',
            'api',
            'create',
            'orders',
            ...gw,
            '--path',
            'orders',
            '--service-url',
            'http://127.0.0.1:7071',
          );
      });
    if (line.includes('--operation get-order'))
      once('get-order', () => {
        const op = ['get-order', ...gw, '--api', 'orders'];
        if (lanyard(dataDir, 'gateway', 'operation', 'show', ...op).status !== 0)
          run('gateway', 'operation', 'create', ...op, '--method', 'GET', '--url-template', '/orders/{id}');
      });
  }
  const policyFile = /^lanyard gateway policy set .*--file (\S+\.xml)/.exec(line)?.[1];
  if (policyFile)
    fs.writeFileSync(
      path.join(cwd, policyFile),
      '<policies>\n  <inbound />\n  <backend>\n    <forward-request />\n  </backend>\n  <outbound />\n  <on-error />\n</policies>\n',
    );
  const openApi = /^lanyard gateway api import .*--file (\S+)/.exec(line)?.[1];
  if (openApi)
    fs.writeFileSync(
      path.join(cwd, openApi),
      "openapi: 3.0.1\ninfo: { title: Orders, version: '1' }\nservers: [{ url: 'http://127.0.0.1:7071' }]\npaths:\n  /orders/{id}:\n    get: { operationId: get-order }\n",
    );
  // `lanyard workflow set … --file workflow.json`: what the portal's code view exports, with a Request trigger.
  const workflowFile = /^lanyard workflow set .*--file (\S+\.json)/.exec(line)?.[1];
  if (workflowFile)
    fs.writeFileSync(
      path.join(cwd, workflowFile),
      JSON.stringify({
        definition: {
          $schema: WORKFLOW_SCHEMA,
          contentVersion: '1.0.0.0',
          triggers: { manual: { type: 'Request', kind: 'Http', inputs: { schema: {} } } },
          actions: { Reply: { type: 'Response', kind: 'Http', inputs: { statusCode: 200, body: 'hello' } } },
          outputs: {},
        },
        parameters: {},
      }),
    );
  if (/--id \S+…/.test(line)) {
    const rows = JSON.parse(run('role', 'list', '-o', 'json')) as { id: string }[];
    line = line.replace(/--id \S+…/, `--id ${rows[0]!.id}`);
  }
  return line;
}

function shellFor(line: string): { cmd: string; args: string[]; env: NodeJS.ProcessEnv } {
  if (line.includes('fpath')) {
    return { cmd: 'zsh', args: ['-f', '-c', `fpath=("$FPATH_DIR" $fpath)\n${PRELUDE}${line}`], env: {} };
  }
  return { cmd: 'bash', args: ['-c', `set -o pipefail\n${PRELUDE}${line}`], env: {} };
}

async function runExample(
  example: Example,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { dataDir, cwd } = workspace(example.command);
  const line = prepare(example, dataDir, cwd);
  const fpathDir = path.join(cwd, 'zfunctions');
  const env: NodeJS.ProcessEnv = { ...ENV, LANYARD_DATA_DIR: dataDir, HOME: cwd, FPATH_DIR: fpathDir };
  if (line.includes('$TOKEN')) {
    const t = lanyard(
      dataDir,
      'token',
      '--as',
      'runbook-automation',
      '--resource',
      SOMEFUNCTION_APP_ID,
      '-o',
      'json',
    );
    env.TOKEN = (JSON.parse(t.stdout) as { accessToken: string }).accessToken;
  }
  const { cmd, args } = shellFor(line);
  const long = /^(npm start|lanyard status)/.test(line);
  const up = /^lanyard status/.test(line) ? await startUp(dataDir) : undefined;
  try {
    const child: ChildProcess = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      // The demo serves until stopped: once it says how to stop it, stop it as a user would.
      if (long && line.startsWith('npm start') && stdout.includes('Ctrl+C')) child.kill('SIGINT');
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    // A token the example printed is one the seed's Easy Auth front lets in.
    const token = JWT.exec(stdout)?.[0];
    if (/^lanyard (token|run)\b/.test(line) && token) {
      const explained = lanyard(dataDir, 'explain', token, '--app', 'somefunction');
      assert.equal(
        explained.status,
        0,
        `the seed front refuses the token of "${line}":\n${explained.stdout}`,
      );
    }
    return { code, stdout, stderr };
  } finally {
    await up?.stop();
  }
}

/** The end of the server log, for an example that serves (the demo logs there, not to the terminal). */
function logTail(example: Example): string {
  const file = path.join(workspace(example.command).dataDir, 'lanyard.log');
  if (!fs.existsSync(file)) return '';
  return `\nlanyard.log:\n${fs.readFileSync(file, 'utf8').split('\n').slice(-15).join('\n')}`;
}

describe('every help example works as printed against the seed manifest', () => {
  let examples: Example[] = [];
  before(() => {
    fs.mkdirSync(seeded, { recursive: true, mode: 0o700 });
    const applied = lanyard(seeded, 'apply', '-f', SEED);
    assert.equal(applied.status, 0, applied.stderr);
    examples = collectExamples();
  });

  test('the help texts have examples, for the commands that need them most', () => {
    const commands = new Set(examples.map((e) => e.command));
    for (const c of ['token', 'run', 'explain', 'status', 'completion', 'tenant create', 'role assign']) {
      assert.ok(commands.has(c), `lanyard ${c} --help has an example`);
    }
  });

  // Every example is a process or two (the demos tens of seconds): on a busy host the whole takes more than the
  // suite's default two minutes.
  test('each example exits 0; a token it prints is accepted by the seed front', {
    timeout: 300_000,
  }, async (t) => {
    const demoPortsFree = (await portFree(8443)) && (await portFree(41741));
    for (const example of examples) {
      if (/^az /.test(example.line)) continue; // Azure's own CLI: its output (auth.json) is provided
      const fixedPorts = /^npm start$|demo --once/.test(example.line);
      if (fixedPorts && !demoPortsFree) {
        t.diagnostic(`not run (port 8443 or 41741 is taken): ${example.line}`);
        continue;
      }
      await t.test(`lanyard ${example.command}: ${example.line}`, async () => {
        const r = await runExample(example);
        assert.equal(
          r.code,
          0,
          `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}${logTail(example)}`,
        );
        if (/^lanyard (token|run) --as runbook/.test(example.line)) assert.match(r.stdout, JWT);
      });
    }
  });
});
