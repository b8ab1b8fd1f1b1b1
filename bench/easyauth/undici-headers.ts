/**
 * @module bench/easyauth/undici-headers
 * What undici spends per forwarded request on the headers Easy Auth sends, counted in instructions without I/O:
 * the script builds undici `Request`s (what `Pool.dispatch` does for every request, checking each header name
 * and value) with the headers the front forwards for a repeated token — with and without the identity headers —
 * under valgrind's callgrind, twice each with different counts, so the start-up cancels out of the difference.
 * Deterministic to a few hundred instructions, where the HTTP benches' counts move with the host's load
 * (docs/performance.md, "Prebuilt identity headers").
 *
 *   node_modules/.bin/node bench/easyauth/undici-headers.ts            # ~1 min; needs valgrind
 *
 * The parent mints one token through a throwaway runtime; the child mode (`--child <plain|identity> <count>
 * <tokenFile>`) builds <count> requests with it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { identityHeadersFor } from './fixtures.ts';

const require = createRequire(import.meta.url);

if (process.argv[2] === '--child') {
  const which = process.argv[3];
  const count = Math.min(Math.max(Number(process.argv[4]), 1), 100_000);
  // undici's Request (internal: the class Pool.dispatch builds); loaded by file, past the package's exports.
  const Request = require(path.join(path.dirname(require.resolve('undici')), 'lib/core/request.js')) as new (
    origin: string,
    opts: { method: string; path: string; headers: string[] },
    handler: object,
  ) => { headers: unknown[] };
  // Minted by the parent, outside the count (a new signing key's prime search varies by millions).
  const token = fs.readFileSync(process.argv[5]!, 'utf8').trim();
  // As decide.ts assembles them: the client's headers, the identity headers, then X-Forwarded-*.
  const headers = [
    'user-agent',
    'lanyard-bench',
    'authorization',
    `Bearer ${token}`,
    ...(which === 'identity' ? identityHeadersFor(token) : []),
    'x-forwarded-for',
    '127.0.0.1',
    'x-forwarded-proto',
    'https',
    'x-forwarded-host',
    'bench-func.localhost:8443',
  ];
  const handler = { onConnect() {}, onHeaders() {}, onData() {}, onComplete() {}, onError() {} };
  let n = 0;
  for (let i = 0; i < count; i++) {
    const r = new Request(
      'http://127.0.0.1:1',
      { method: 'GET', path: '/api/data', headers: headers.slice() },
      handler,
    );
    n += r.headers.length;
  }
  process.stdout.write(`${n}\n`);
} else {
  if (spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status !== 0) {
    process.stderr.write('valgrind is not installed (Debian: apt-get install valgrind); nothing measured.\n');
    process.exit(2);
  }
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-undici-headers-cg-'));
  const tokenFile = path.join(out, 'token');
  const { openRuntime } = await import('../../src/host/runtime.ts');
  const runtime = await openRuntime({ dataDir: path.join(out, 'data'), env: {} });
  try {
    const d = runtime.directory;
    const tenant = await d.createTenant({ name: 'bench', domains: ['bench.onmicrosoft.com'] });
    const api = await d.createApp(tenant.id, { name: 'bench-api', identifierUris: ['api://bench-api'] });
    const caller = await d.createApp(tenant.id, { name: 'bench-caller' });
    await runtime.keys.ensureReady();
    const client = (await d.findClient(tenant.id, caller.appId))!;
    const issued = await runtime.tokens.mint({
      tenant,
      client,
      requestedAs: api.appId,
      acr: '1',
      via: 'bench',
    });
    fs.writeFileSync(tokenFile, issued.accessToken, { mode: 0o600 });
  } finally {
    await runtime.close();
  }
  /** Instructions of one child run (the whole process). */
  const total = (which: string, count: number): number => {
    const r = spawnSync(
      'valgrind',
      [
        '--tool=callgrind',
        `--callgrind-out-file=${path.join(out, 'cg.out')}`,
        process.execPath,
        // Compilation on the main thread: when optimised code arrives no longer depends on thread timing.
        '--single-threaded',
        import.meta.filename,
        '--child',
        which,
        String(count),
        tokenFile,
      ],
      { encoding: 'utf8' },
    );
    const refs = /Collected\s*:\s*(\d+)/.exec(r.stderr)?.[1] ?? /I\s+refs:\s+([\d,]+)/.exec(r.stderr)?.[1];
    if (r.status !== 0 || refs === undefined)
      throw new Error(`callgrind run failed: ${r.stderr.slice(-2000)}`);
    return Number(refs.replaceAll(',', ''));
  };
  const SMALL = 1_000;
  const LARGE = 11_000;
  try {
    const per: Record<string, number> = {};
    for (const which of ['plain', 'identity']) {
      per[which] = (total(which, LARGE) - total(which, SMALL)) / (LARGE - SMALL);
    }
    const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
    process.stdout.write(
      `node ${process.version}; undici Request built ${LARGE - SMALL} times (difference of two runs), instructions per request\n` +
        `client headers + X-Forwarded-*                ${k(per.plain!)}\n` +
        `the same + the five identity headers          ${k(per.identity!)}\n` +
        `the identity headers                          ${k(per.identity! - per.plain!)}\n`,
    );
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}
