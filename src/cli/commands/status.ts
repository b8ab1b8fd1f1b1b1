/**
 * @module cli/commands/status
 * `lanyard status`: whether a `lanyard up` (or `lanyard demo`) serves this data folder, and where — the main
 * URL, the managed-identity endpoint, each Easy Auth front with its upstream — with the store, the admin token
 * file and the CA it uses. It reads `<dataDir>/server.json` (host/run-info.ts), checks that the process that
 * wrote it is alive, asks the main URL's `/healthz` and connects to each listener. It opens neither the store
 * nor the master key, so it works while the server holds them and never creates a data folder.
 * Exit code 0 when running and healthy, 1 otherwise (not running, a stale server.json, not answering).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { isAlive, type RunInfo, type RunListener, readRunInfo } from '../../host/run-info.ts';
import { serverInfoPath } from '../../identity/server-info.ts';
import {
  type Column,
  type OutputFormat,
  printError,
  renderRecord,
  renderTable,
} from '../../plane/cli-output.ts';
import { globalOptions } from '../context.ts';

const PROBE_TIMEOUT_MS = 2000;

type State = 'running' | 'not running' | 'stale' | 'not answering';

interface ListenerStatus extends RunListener {
  /** `healthy` (the main URL's /healthz said ok), `listening` (a connection was accepted), or what failed. */
  readonly state: string;
}

export interface Status {
  readonly state: State;
  /** Why it is not running, or what did not answer. */
  readonly reason?: string | undefined;
  readonly dataDir: string;
  readonly pid?: number | undefined;
  readonly version?: string | undefined;
  readonly startedAt?: string | undefined;
  readonly url?: string | undefined;
  readonly store?: string | undefined;
  readonly adminTokenFile?: string | null | undefined;
  readonly caCertPath?: string | undefined;
  /** The main listener first, then the planes' in start order. */
  readonly listeners: readonly ListenerStatus[];
}

/** `GET <url>/healthz` over HTTPS, trusting the data folder's CA: `healthy` or why not. */
async function probeHealth(url: string, caCertPath: string | undefined): Promise<string> {
  // TLS loads for this command only, not for every `lanyard` start.
  const https = await import('node:https');
  return new Promise((resolve) => {
    let ca: Buffer | undefined;
    try {
      ca = caCertPath ? fs.readFileSync(caCertPath) : undefined;
    } catch {
      // Without the CA the request fails verification, which says what is wrong.
    }
    const req = https.get(new URL('/healthz', url), { ca, timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? 'healthy' : `/healthz answered ${res.statusCode}`);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)));
    req.on('error', (err) =>
      resolve(`not answering (${(err as NodeJS.ErrnoException).code ?? err.message})`),
    );
  });
}

/** Opens a TCP connection to the listener's host and port: `listening` or why not. */
async function probeListening(url: string): Promise<string> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve('not a URL');
      return;
    }
    const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
    // A front's `<app>.localhost` name resolves to loopback for browsers; connect to loopback directly.
    const host = target.hostname.endsWith('.localhost')
      ? 'localhost'
      : target.hostname.replace(/^\[|\]$/g, '');
    const socket = net.connect({ host, port, timeout: PROBE_TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve('listening');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('not answering (timeout)');
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      resolve(`not answering (${err.code ?? err.message})`),
    );
  });
}

export async function readStatus(dataDir: string): Promise<Status> {
  const info = readRunInfo(dataDir);
  if (!info) {
    const exists = fs.existsSync(serverInfoPath(dataDir));
    return {
      state: 'not running',
      reason: exists ? 'server.json is not one Lanyard wrote' : 'no server.json in the data folder',
      dataDir,
      listeners: [],
    };
  }
  const pid = typeof info.pid === 'number' ? info.pid : undefined;
  const base = {
    dataDir,
    pid,
    version: info.version,
    startedAt: info.startedAt,
    url: info.url,
    store: info.store,
    adminTokenFile: info.adminTokenFile,
    caCertPath: info.caCertPath,
  };
  if (pid === undefined || !isAlive(pid)) {
    return {
      state: 'stale',
      reason: `server.json names process ${pid ?? '(none)'}, which is not running: it stopped without removing it`,
      ...base,
      listeners: [],
    };
  }
  const main: RunListener | undefined =
    typeof info.url === 'string'
      ? { plane: 'host', kind: 'main', name: 'lanyard', url: info.url }
      : undefined;
  const planes = Array.isArray(info.listeners) ? (info.listeners as RunInfo['listeners']) : [];
  const listeners = await Promise.all([
    ...(main ? [probeHealth(main.url, info.caCertPath).then((state) => ({ ...main, state }))] : []),
    ...planes.map(async (l) => ({ ...l, state: await probeListening(l.url) })),
  ]);
  const down = listeners.filter((l) => l.state !== 'healthy' && l.state !== 'listening');
  return {
    state: main && down.length === 0 ? 'running' : 'not answering',
    reason: down.length > 0 ? down.map((l) => `${l.kind} ${l.name}: ${l.state}`).join('; ') : undefined,
    ...base,
    listeners,
  };
}

const LISTENER_COLUMNS: readonly Column<ListenerStatus>[] = [
  { header: 'KIND', value: (l) => l.kind },
  { header: 'NAME', value: (l) => l.name },
  { header: 'URL', value: (l) => l.url },
  { header: 'UPSTREAM', value: (l) => l.upstream ?? '' },
  { header: 'STATE', value: (l) => l.state },
];

function printStatus(status: Status, format: OutputFormat): void {
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return;
  }
  if (format === 'tsv') {
    // One line per listener (kind, name, url, upstream, state); nothing when it is not running.
    const rows = status.listeners.map((l) => LISTENER_COLUMNS.map((c) => String(c.value(l))).join('\t'));
    if (rows.length > 0) process.stdout.write(`${rows.join('\n')}\n`);
    return;
  }
  const record = renderRecord(status, [
    { header: 'state', value: (s) => (s.reason ? `${s.state}: ${s.reason}` : s.state) },
    { header: 'data folder', value: (s) => s.dataDir },
    { header: 'pid', value: (s) => s.pid },
    { header: 'version', value: (s) => s.version },
    { header: 'started', value: (s) => s.startedAt },
    { header: 'store', value: (s) => s.store },
    {
      header: 'admin token',
      value: (s) =>
        s.adminTokenFile === null
          ? 'from LANYARD_ADMIN_TOKEN'
          : s.adminTokenFile === undefined
            ? undefined
            : s.adminTokenFile,
    },
    { header: 'CA certificate', value: (s) => s.caCertPath },
  ]);
  const table = status.listeners.length > 0 ? `\n\n${renderTable(status.listeners, LISTENER_COLUMNS)}` : '';
  const hint =
    status.state === 'running' ? '' : '\n\nStart it with `lanyard up` (or `npm start` for the demo).';
  process.stdout.write(`${record}${table}${hint}\n`);
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'show whether `lanyard up` (or the demo) serves this data folder, where it listens and what it uses',
    )
    .addHelpText(
      'after',
      `
Reads <data folder>/server.json, which lanyard up and lanyard demo write when ready and remove when they
stop; checks the process is alive, /healthz answers and each listener accepts connections. Exit code 0
when running and healthy, 1 otherwise.

Examples:
  lanyard status
  lanyard status -o json`,
    )
    .action(async (_o: unknown, cmd: Command) => {
      const opts = globalOptions(cmd);
      try {
        const status = await readStatus(opts.dataDir ?? '.lanyard');
        printStatus(status, opts.output);
        if (status.state !== 'running') process.exitCode = 1;
      } catch (err) {
        printError(err, opts.output);
      }
    });
}
