/**
 * @module bench/console/first-paint
 * How soon the console paints, in Chromium, with 1,000 objects in the directory: a benchmark for issue 16's
 * "first paint under 1 s on this machine" — not a test, no assertion on any time.
 *
 * Lanyard runs in this process as `lanyard up` serves it (bench/lib/lanyard-up.ts: a fresh SQLite data folder,
 * startHost on 127.0.0.1, request and audit log lines at info level, to a file), with one tenant `big` holding
 * 1,000 directory objects made through the directory's own API: 250 apps (two app roles each), 250
 * user-assigned identities, 250 resources (app, vault, workflow, automation, vm in turn; each with its
 * system-assigned identity, the first 250 user-assigned ones attached one each) and 250 app role assignments
 * (to resources' and user-assigned identities in turn) — 1,000 objects, 250 system-assigned identities and
 * every service principal besides. Debian's Chromium (`/usr/bin/chromium`, or LANYARD_CHROMIUM) is driven by
 * playwright-core, headless, trusting the data folder's CA by its key; each load is a fresh browser context
 * (an empty cache, as a first visit) holding the session cookie, which the bench gets from `POST
 * /console/api/session` first (the sign-in form is not what is measured).
 *
 * Phases, `--runs` times each (default 7) after one unmeasured load of each (the server strips each front-end
 * module the first time it is asked for, ~once per process: the very first load is printed on its own), the
 * phases interleaved in each round:
 *   healthz     `GET /healthz` opened in the page: the browser, TLS and a text document, no console at all;
 *   shell       `/console` without a session: the same HTML shell, stylesheet and modules, painted as the
 *               sign-in form — the console's static shell without data;
 *   graph       `/console#/graph` signed in: first paint and first contentful paint, the layout (banner and
 *               nav) shown, the node list filled, and the graph drawn with every node of `GET …/graph`
 *               (cytoscape's canvas, its status line saying so).
 * Times are the page's own (`performance.getEntriesByType('paint')`, and `performance.now()` at the animation
 * frame where each element is first there), from the navigation's start.
 *
 * Printed: the median and the worst of each figure per phase, the ratio of the console's first contentful paint
 * to the shell's and to healthz's, the verdict against the target (first paint < 1 s), and one JSON line.
 *
 *   node_modules/.bin/node bench/console/first-paint.ts [--runs 7] [--objects 1000] [--json]
 */
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { Agent } from 'undici';
import { openBenchLanyard } from '../lib/lanyard-up.ts';
import { medianOf, tableLines } from '../lib/report.ts';
import { watchdog } from '../lib/workspace.ts';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    objects: { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
  },
});
const RUNS = Math.max(1, Number(opts.runs));
const QUARTER = Math.max(1, Math.round(Number(opts.objects) / 4));
const TENANT = 'big';
const TARGET_MS = 1000;
const say = (line: string) => {
  if (!opts.json) console.log(line);
};

// ---- Lanyard with 1,000 objects ----------------------------------------------------------------------------

const lanyard = await openBenchLanyard('lanyard-bench-console-');
let browser: Browser | undefined;
const logFile = `${os.tmpdir()}/lanyard-bench-console-${process.pid}.log`;
const cleanup = () => {
  fs.rmSync(logFile, { force: true });
};
watchdog('bench/console/first-paint', 15 * 60_000, cleanup);

const d = lanyard.runtime.directory;
const made = Date.now();
await d.createTenant({ name: TENANT, displayName: 'Big tenant' });
/** `n` calls of `f`, 8 at a time. */
async function each(n: number, f: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < n) await f(next++);
    }),
  );
}
const KINDS = ['app', 'vault', 'workflow', 'automation', 'vm'] as const;
await each(QUARTER, (i) =>
  d.createApp(TENANT, {
    name: `api-${i}`,
    identifierUris: [`api://api-${i}`],
    appRoles: [
      { value: 'Read', allowedMemberTypes: ['Application'] },
      { value: 'Write', allowedMemberTypes: ['Application'] },
    ],
  }),
);
await each(QUARTER, (i) => d.createIdentity(TENANT, { name: `mi-${i}` }));
await each(QUARTER, (i) =>
  d.createResource(TENANT, {
    name: `res-${i}`,
    kind: KINDS[i % KINDS.length]!,
    systemAssignedIdentity: true,
    userAssignedIdentities: [`mi-${i}`],
  }),
);
await each(QUARTER, (i) =>
  d.assignRole(TENANT, {
    principal: i % 2 === 0 ? `resource:res-${i}` : `identity:mi-${i}`,
    app: `api-${(i * 7) % QUARTER}`,
    role: i % 3 === 0 ? 'Write' : 'Read',
  }),
);
const objects = QUARTER * 4;
say(
  `directory: ${objects} objects in tenant ${TENANT} (made in ${((Date.now() - made) / 1000).toFixed(1)} s)`,
);

const log = fs.createWriteStream(logFile);
const host = await lanyard.serve({ logDestination: log });
const origin = host.server.url;
const ca = fs.readFileSync(host.server.caCertPath, 'utf8');

// The session cookie, as the sign-in form would get it.
const agent = new Agent({ connect: { ca } });
const signin = await agent.request({
  origin,
  path: '/console/api/session',
  method: 'POST',
  headers: { 'content-type': 'application/json', origin },
  body: JSON.stringify({ token: lanyard.adminToken }),
});
await signin.body.text();
const setCookie = [signin.headers['set-cookie']].flat().find((c) => c?.startsWith('__Host-lanyard-console='));
if (signin.statusCode !== 200 || !setCookie) throw new Error(`sign-in: ${signin.statusCode}`);
const cookieValue = setCookie.slice('__Host-lanyard-console='.length).split(';')[0]!;
const graph = await agent.request({
  origin,
  path: `/admin/tenants/${TENANT}/graph`,
  method: 'GET',
  headers: { authorization: `Bearer ${lanyard.adminToken}` },
});
const graphNodes = ((await graph.body.json()) as { nodes: unknown[] }).nodes.length;
await agent.close();
say(`graph: ${graphNodes} nodes (GET /admin/tenants/${TENANT}/graph)`);

// ---- Chromium --------------------------------------------------------------------------------------------

const spki = createHash('sha256')
  .update(new X509Certificate(ca).publicKey.export({ type: 'spki', format: 'der' }))
  .digest('base64');
browser = await chromium.launch({
  executablePath: process.env.LANYARD_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--ignore-certificate-errors-spki-list=${spki}`,
  ],
});
const version = browser.version();

type Phase = 'healthz' | 'shell' | 'graph';
interface Load {
  fp: number | undefined;
  fcp: number | undefined;
  /** Milliseconds from the navigation's start to the element's first frame. */
  marks: Record<string, number>;
}

/** `performance.now()` at the first animation frame where `selector` (and its text, if given) is there. */
async function markWhen(page: Page, selector: string, text?: string): Promise<number> {
  const handle = await page.waitForFunction(
    ([sel, txt]) => {
      const w = globalThis as unknown as {
        document: { querySelector(s: string): { textContent: string | null } | null };
        performance: { now(): number };
      };
      const el = w.document.querySelector(sel as string);
      if (!el || (txt && !(el.textContent ?? '').includes(txt))) return false;
      return w.performance.now();
    },
    [selector, text ?? ''],
    { polling: 'raf', timeout: 60_000 },
  );
  return (await handle.jsonValue()) as number;
}

async function load(phase: Phase): Promise<Load> {
  const context = await browser!.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    // Signed in for the console itself; the shell is the same page signed out.
    if (phase === 'graph')
      await context.addCookies([
        {
          name: '__Host-lanyard-console',
          value: cookieValue,
          url: origin,
          secure: true,
          httpOnly: true,
          sameSite: 'Strict',
        },
      ]);
    const page = await context.newPage();
    const url = phase === 'healthz' ? `${origin}/healthz` : `${origin}/console#/graph`;
    await page.goto(url, { waitUntil: 'commit' });
    const marks: Record<string, number> = {};
    if (phase === 'shell') marks.signin = await markWhen(page, '#signin-token');
    if (phase === 'graph') {
      marks.layout = await markWhen(page, 'nav.views');
      marks.list = await markWhen(page, '.node-list li');
      marks.drawn = await markWhen(page, '.graph-status', `${graphNodes} nodes and`);
    }
    if (phase === 'healthz') await page.waitForLoadState('load');
    // Paint entries are recorded once the frame is presented: give the last one a frame.
    await page.evaluate(() => {
      const raf = (globalThis as unknown as { requestAnimationFrame(f: () => void): void })
        .requestAnimationFrame;
      return new Promise<void>((r) => raf(() => raf(r)));
    });
    const paints = (await page.evaluate(() =>
      (
        globalThis as unknown as {
          performance: { getEntriesByType(t: string): { name: string; startTime: number }[] };
        }
      ).performance
        .getEntriesByType('paint')
        .map((e) => ({ name: e.name, startTime: e.startTime })),
    )) as { name: string; startTime: number }[];
    return {
      fp: paints.find((p) => p.name === 'first-paint')?.startTime,
      fcp: paints.find((p) => p.name === 'first-contentful-paint')?.startTime,
      marks,
    };
  } finally {
    await context.close();
  }
}

// ---- runs ------------------------------------------------------------------------------------------------

const PHASES: Phase[] = ['healthz', 'shell', 'graph'];
const first: Partial<Record<Phase, Load>> = {};
for (const p of PHASES) first[p] = await load(p);
const loads: Record<Phase, Load[]> = { healthz: [], shell: [], graph: [] };
for (let r = 0; r < RUNS; r++) {
  const order = PHASES.map((_, i) => PHASES[(i + r) % PHASES.length]!);
  for (const p of order) loads[p].push(await load(p));
}

await browser.close();
await host.close();
await lanyard.close();
await new Promise<void>((resolve) => log.end(resolve));
cleanup();

// ---- report ----------------------------------------------------------------------------------------------

const ms = (x: number | undefined) => (x === undefined ? '-' : `${Math.round(x)}`);
const figure = (list: Load[], pick: (l: Load) => number | undefined) => {
  const xs = list.map(pick).filter((x): x is number => x !== undefined);
  return { median: xs.length ? medianOf(xs) : undefined, worst: xs.length ? Math.max(...xs) : undefined };
};
const FIGURES: [string, (l: Load) => number | undefined][] = [
  ['first paint', (l) => l.fp],
  ['first contentful paint', (l) => l.fcp],
  ['sign-in form shown', (l) => l.marks.signin],
  ['layout shown', (l) => l.marks.layout],
  ['node list filled', (l) => l.marks.list],
  [`graph drawn (${graphNodes} nodes)`, (l) => l.marks.drawn],
];
const rows: string[][] = [];
const summary: Record<string, Record<string, { median?: number; worst?: number; first?: number }>> = {};
for (const p of PHASES) {
  summary[p] = {};
  for (const [name, pick] of FIGURES) {
    const f = figure(loads[p], pick);
    if (f.median === undefined) continue;
    const one = pick(first[p]!);
    summary[p]![name] = {
      median: Math.round(f.median),
      worst: Math.round(f.worst!),
      ...(one === undefined ? {} : { first: Math.round(one) }),
    };
    rows.push([p, name, ms(f.median), ms(f.worst), ms(one)]);
  }
}
const graphFcp = summary.graph!['first contentful paint']?.median;
const graphFp = summary.graph!['first paint']?.median;
const shellFcp = summary.shell!['first contentful paint']?.median;
const healthzFcp = summary.healthz!['first contentful paint']?.median;
const worstFp = summary.graph!['first paint']?.worst;
const met = worstFp !== undefined && worstFp < TARGET_MS;

say('');
say(
  `Chromium ${version}, headless; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; ${RUNS} runs a phase, each a fresh context`,
);
say('');
for (const line of tableLines(['phase', 'figure', 'median ms', 'worst ms', 'first load ms'], rows)) say(line);
say('');
if (graphFcp !== undefined && shellFcp !== undefined && healthzFcp !== undefined) {
  say(
    `console (graph, signed in) first contentful paint / shell's: ${(graphFcp / shellFcp).toFixed(2)}; / healthz's: ${(graphFcp / healthzFcp).toFixed(2)}`,
  );
}
say(
  `target: first paint under ${TARGET_MS} ms with ${objects} objects — ${met ? 'met' : 'NOT met'} (median ${ms(graphFp)} ms, worst ${ms(worstFp)} ms of ${RUNS}; the server's first load ${ms(first.graph?.fp)} ms)`,
);
console.log(
  JSON.stringify({
    bench: 'console-first-paint',
    objects,
    graphNodes,
    runs: RUNS,
    chromium: version,
    phases: summary,
    ratios: {
      graphFcpOverShellFcp: graphFcp && shellFcp ? Number((graphFcp / shellFcp).toFixed(2)) : null,
      graphFcpOverHealthzFcp: graphFcp && healthzFcp ? Number((graphFcp / healthzFcp).toFixed(2)) : null,
    },
    targetMs: TARGET_MS,
    met,
  }),
);
