/**
 * @module test/console/browser/browser
 * What the console's browser tests share: Lanyard as `npm start` serves it (startHost over a fresh store of
 * each kind) with the seed manifest applied, Debian's Chromium driven by playwright-core, a sign-in typed
 * into the page's form, screenshots under `test-results/console/<store>/<name>.png` (CI keeps the folder),
 * and what the page reported: console errors, uncaught exceptions and Content-Security-Policy violations.
 *
 * One browser per test file; every page, context, browser and server is closed by `close()`. Chromium is
 * trusted with the server's local CA by its public key (`--ignore-certificate-errors-spki-list`), so the page
 * is a secure context exactly as a browser that trusts the CA sees it (the `__Host-` cookie needs one).
 * Timeouts are generous: these run beside the whole suite on two cores.
 */
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { parseDocument } from 'yaml';
import { applyManifest, parseManifest } from '../../../src/host/manifest.ts';
import type { StoreDialect } from '../../../src/store/open-store.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../../host/harness.ts';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const SEED_FILE = path.join(ROOT, 'examples/seeds/lanyard.yaml');
export const CHROMIUM = process.env.LANYARD_CHROMIUM ?? '/usr/bin/chromium';
/** Where screenshots go: `test-results/console/<store>/<name>.png` (ignored by git; CI keeps it). */
export const SHOTS = path.join(ROOT, 'test-results', 'console');
export const SOMEFUNCTION_APP_ID = 'cc334b87-fdbe-4996-aa3f-5bad192a18a6';
/** Generous: the suite runs these beside everything else on two cores. */
export const WAIT_MS = 30_000;

/**
 * The page's globals, for functions handed to `page.evaluate` (they run in the page): the server's program has
 * no DOM types and must not (src/console/web/tsconfig.json says why). `(globalThis as unknown as PageGlobals)`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the page's DOM, which this program has no types for
export type PageGlobals = Record<string, any>;

/** The console's views, as the nav names them, and the address of each. */
export const VIEWS = [
  { name: 'graph', hash: '#/graph', title: 'Graph', ready: '.graph-status:has-text("drawn")' },
  { name: 'explain', hash: '#/explain', title: 'Token explainer', ready: 'textarea.token-input' },
  { name: 'activity', hash: '#/activity', title: 'Activity', ready: '.stream-live' },
  { name: 'directory', hash: '#/directory', title: 'Directory', ready: 'main table tbody tr' },
  { name: 'workflows', hash: '#/workflows', title: 'Workflows and runbooks', ready: 'main table tbody tr' },
  { name: 'keys', hash: '#/keys', title: 'Keys', ready: 'main table tbody tr' },
] as const;

/** Every address worth a screenshot and an accessibility check: each view and each part of one. */
export const PAGES: readonly { name: string; hash: string; ready: string }[] = [
  { name: 'graph', hash: '#/graph', ready: '.graph-status:has-text("drawn")' },
  { name: 'explain', hash: '#/explain', ready: 'textarea.token-input' },
  { name: 'activity', hash: '#/activity', ready: '.stream-live' },
  { name: 'activity-trace', hash: '#/activity/trace', ready: 'form[aria-label="Read a gateway trace"]' },
  { name: 'directory-tenants', hash: '#/directory/tenants', ready: 'main table tbody tr' },
  { name: 'directory-apps', hash: '#/directory/apps', ready: 'main table tbody tr' },
  { name: 'directory-identities', hash: '#/directory/identities', ready: 'main table tbody tr' },
  { name: 'directory-resources', hash: '#/directory/resources', ready: 'main table tbody tr' },
  { name: 'directory-assignments', hash: '#/directory/assignments', ready: 'main table tbody tr' },
  { name: 'directory-rbac', hash: '#/directory/rbac', ready: 'main table tbody tr' },
  { name: 'workflows', hash: '#/workflows?workflow=vm-report-flow', ready: '#wf-h' },
  { name: 'runbooks', hash: '#/workflows/runbooks', ready: 'main table tbody tr' },
  { name: 'keys', hash: '#/keys', ready: 'main table tbody tr' },
];

/** The SHA-256 of a certificate's public key, base64: what `--ignore-certificate-errors-spki-list` takes. */
export function spkiHash(pem: string): string {
  const der = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/** Chromium, headless, quiet on this closed network, trusting certificates under `caPem`. */
export function launchChromium(caPem: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    // playwright-core gives it a fresh profile (its own --user-data-dir) and --no-sandbox (we run as root).
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--ignore-certificate-errors-spki-list=${spkiHash(caPem)}`,
    ],
  });
}

/**
 * The apps seed 004's flow calls (Get-Creds and Get-VM-Status), played by one plain HTTP server: the
 * workflow's parameters point at it, so pressing the Run button runs every action to its end (the example
 * apps and their Easy Auth fronts are `npm start`'s business, not the console's). It records the
 * Authorization header of each call: the flow's managed-identity tokens.
 */
export interface FlowApps {
  url: string;
  calls: { path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

export async function startFlowApps(): Promise<FlowApps> {
  const calls: FlowApps['calls'] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls.push({ path: req.url ?? '', authorization: req.headers.authorization });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/get-creds') {
        res.end(
          JSON.stringify({
            tenantId: '7db9058d-daff-4163-b923-542830604db3',
            applicationId: '00000000-0000-0000-0000-000000000004',
            secret: 'not-a-real-secret',
            subscriptionId: '00000000-0000-0000-0000-000000000005',
          }),
        );
      } else if (req.url === '/api/get-vm-status') {
        res.end(
          JSON.stringify({
            resourceGroups: [{ name: 'lanyard' }],
            virtualMachines: [{ name: 'build-agent', powerState: 'VM running' }],
          }),
        );
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The seed manifest as `lanyard apply -f examples/seeds/lanyard.yaml` reads it, with two changes for a test:
 * its runbooks' schedules are off (`enabled: false`: no timer job starts while a test runs), and seed 004's
 * workflows call `appsUrl` (as `npm start` points them at the apps it starts).
 */
export function seedManifest(appsUrl: string) {
  const doc = parseDocument(fs.readFileSync(SEED_FILE, 'utf8'));
  const runbooks = doc.getIn(['tenants', 0, 'runbooks']) as { items: unknown[] };
  for (let i = 0; i < runbooks.items.length; i++) doc.setIn(['tenants', 0, 'runbooks', i, 'enabled'], false);
  const workflows = doc.getIn(['tenants', 0, 'workflows']) as { items: unknown[] };
  for (let i = 0; i < workflows.items.length; i++) {
    const msi = doc.getIn(['tenants', 0, 'workflows', i, 'resource']) === 'vm-report-flow-msi';
    doc.setIn(
      ['tenants', 0, 'workflows', i, 'parameters'],
      msi
        ? { getVmStatusUrl: { value: appsUrl } }
        : { getCredsUrl: { value: appsUrl }, getVmStatusUrl: { value: appsUrl } },
    );
  }
  return parseManifest(doc.toString(), SEED_FILE);
}

export interface ConsoleBrowser {
  kind: StoreDialect;
  t: TestServer;
  apps: FlowApps;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** `https://localhost:<port>/console` */
  consoleUrl: string;
  /** Console errors, uncaught exceptions and CSP violations the page reported, in order. */
  problems: string[];
  /** CSP violations only (the browser's console messages that say a policy refused something). */
  cspViolations(): string[];
  /** Signs in through the page: the token typed into the form, the layout awaited. */
  signIn(token?: string): Promise<void>;
  /** Opens an address of the console (`#/graph`) and waits for `ready` when given. */
  open(hash: string, ready?: string): Promise<void>;
  /** A PNG of the page (or `options.page`) at `test-results/console/<store>/<name>.png`; returns its path. */
  shot(name: string, options?: { fullPage?: boolean; page?: Page }): Promise<string>;
  /** Another context of the same browser (its own cookies), recorded the same way. */
  newPage(options?: { bypassCSP?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Playwright's bypassCSP: only for injecting axe-core, never where CSP is what is tested. */
  bypassCSP?: boolean;
  colorScheme?: 'light' | 'dark';
}

/** A server on `kind` with the seed applied, Chromium, and a page at the console (not signed in yet). */
export async function openConsole(kind: StoreDialect, options: OpenOptions = {}): Promise<ConsoleBrowser> {
  const apps = await startFlowApps();
  let t: TestServer | undefined;
  let browser: Browser | undefined;
  try {
    t = await startTestServer(kind);
    await applyManifest(t.runtime.directory, seedManifest(apps.url));
    browser = await launchChromium(t.ca);
  } catch (err) {
    await browser?.close();
    await t?.cleanup();
    await apps.close();
    throw err;
  }
  const server = t;
  const b = browser;
  const problems: string[] = [];
  const shotsDir = path.join(SHOTS, kind);
  fs.mkdirSync(shotsDir, { recursive: true });
  const contexts: BrowserContext[] = [];

  const record = (page: Page, label: string) => {
    page.setDefaultTimeout(WAIT_MS);
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning')
        problems.push(`${label} console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${label} pageerror: ${e.message}`));
  };
  const newPage = async (o: OpenOptions = {}): Promise<Page> => {
    const context = await b.newContext({
      viewport: { width: 1400, height: 900 },
      colorScheme: o.colorScheme ?? 'light',
      bypassCSP: o.bypassCSP ?? false,
      // No ignoreHTTPSErrors: the CA's key is trusted at launch, so a certificate error is a failure.
    });
    contexts.push(context);
    // The browser's own report of each refusal, besides its console message (an init script and a binding
    // are the debugging protocol's, which the page's CSP does not govern).
    await context.exposeBinding('__lanyardCspViolation', (_source, text: string) => {
      problems.push(`page ${contexts.length} securitypolicyviolation: ${text}`);
    });
    await context.addInitScript(() => {
      const w = globalThis as unknown as PageGlobals;
      w.document.addEventListener('securitypolicyviolation', (e: PageGlobals) => {
        w.__lanyardCspViolation(
          `${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`,
        );
      });
    });
    const page = await context.newPage();
    record(page, `page ${contexts.length}`);
    return page;
  };
  const page = await newPage(options);
  const consoleUrl = `${server.server.url}/console`;

  const cb: ConsoleBrowser = {
    kind,
    t: server,
    apps,
    browser: b,
    context: contexts[0]!,
    page,
    consoleUrl,
    problems,
    cspViolations: () => problems.filter((p) => /Content Security Policy|securitypolicyviolation/i.test(p)),
    async signIn(token = ADMIN_TOKEN) {
      if (!page.url().startsWith(consoleUrl)) await page.goto(consoleUrl);
      const field = page.locator('#signin-token');
      await field.waitFor();
      await field.fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('nav.views').waitFor();
      // The tenants are read after sign-in; every view waits for them.
      await page.locator('#tenant-picker').waitFor();
    },
    async open(hash, ready) {
      await page.evaluate((h) => {
        (globalThis as unknown as PageGlobals).location.hash = h;
      }, hash);
      if (ready) await page.locator(ready).first().waitFor();
    },
    async shot(name, o = {}) {
      const file = path.join(shotsDir, `${name}.png`);
      await (o.page ?? page).screenshot({
        path: file,
        fullPage: o.fullPage ?? false,
        animations: 'disabled',
      });
      return file;
    },
    newPage,
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await b.close().catch(() => undefined);
      await server.cleanup();
      await apps.close();
    },
  };
  return cb;
}

/** What has the focus, as a keyboard user meets it. */
export interface Focus {
  tag: string;
  /** Its accessible name, roughly: aria-label, its label, or its text (spaces collapsed). */
  name: string;
  /** A focus ring is drawn: an outline or a box shadow, and `:focus-visible` matches. */
  ring: boolean;
  /** It has a size on screen. */
  shown: boolean;
  /** In `<main>`, in the views' `<nav>`. */
  inMain: boolean;
  inNav: boolean;
}

export function focused(page: Page): Promise<Focus> {
  return page.evaluate(() => {
    const w = globalThis as unknown as PageGlobals;
    const el = w.document.activeElement;
    if (!el || el === w.document.body)
      return { tag: 'body', name: '', ring: false, shown: false, inMain: false, inNav: false };
    const name: string =
      el.getAttribute('aria-label') ||
      el.labels?.[0]?.textContent ||
      el.textContent ||
      el.getAttribute('title') ||
      '';
    const style = w.getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) > 0;
    const box = el.getBoundingClientRect();
    return {
      tag: el.tagName.toLowerCase(),
      name: name.replace(/\s+/g, ' ').trim(),
      ring: el.matches(':focus-visible') && (outline || style.boxShadow !== 'none'),
      shown: box.width > 0 && box.height > 0,
      inMain: el.closest('main') !== null,
      inNav: el.closest('nav.views') !== null,
    };
  });
}

/** Presses Tab `times` times (or until the focus leaves `<main>` when `inMain`), returning each focus. */
export async function tabWalk(
  page: Page,
  times: number,
  options: { inMain?: boolean } = {},
): Promise<Focus[]> {
  const out: Focus[] = [];
  for (let i = 0; i < times; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (options.inMain && !f.inMain) break;
    out.push(f);
  }
  return out;
}
