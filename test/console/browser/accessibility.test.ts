/**
 * The console's accessibility in Chromium, on each store, on the seed manifest: axe-core on every view and
 * part (and the sign-in form), light and dark, every `<details>` opened — no violation of impact serious or
 * critical among the WCAG 2.0/2.1 A and AA rules and axe's best practices (colour contrast and labels among
 * them); and the keyboard: the skip link first and working, the banner and the views' nav in order, each view
 * opened from the nav by Enter with the focus moved to its content, then Tab reaching its main controls in
 * order, every focus ring drawn; the graph's node list one tab stop that the arrow keys move through and Enter
 * opens. Screenshots: test-results/console/<store>/<view>.png and <view>-dark.png.
 *
 * axe-core is injected as an inline script, which the console's CSP refuses (as it should): the axe pages are
 * opened with Playwright's `bypassCSP`, in their own context, and only they. The keyboard tests and every other
 * browser test run under the real CSP, and csp-and-secrets.test.ts asserts it refuses nothing the page does.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { STORE_KINDS } from '../../helpers/stores.ts';
import { ADMIN_TOKEN } from '../../host/harness.ts';
import {
  type ConsoleBrowser,
  type Focus,
  focused,
  openConsole,
  PAGES,
  type PageGlobals,
  tabWalk,
  VIEWS,
  WAIT_MS,
} from './browser.ts';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** WCAG 2.0 and 2.1, levels A and AA, and axe's best practices. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const FAILING_IMPACTS = new Set(['serious', 'critical']);

interface AxeSummary {
  violations: { id: string; impact: string | null; help: string; nodes: string[] }[];
  passes: string[];
  incomplete: string[];
}

/** Opens every `<details>`, injects axe-core (the context bypasses CSP for this) and runs it on the document. */
async function axe(page: Page): Promise<AxeSummary> {
  await page.evaluate(() => {
    for (const d of (globalThis as unknown as PageGlobals).document.querySelectorAll('details'))
      d.open = true;
  });
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ content: AXE_SOURCE });
  return page.evaluate(async (tags) => {
    const w = globalThis as unknown as PageGlobals;
    const r = await w.axe.run(w.document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return {
      violations: r.violations.map((v: PageGlobals) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes
          .slice(0, 3)
          .map((n: PageGlobals) => `${n.target.join(' ')}: ${(n.failureSummary ?? '').split('\n')[1] ?? ''}`),
      })),
      passes: r.passes.map((p: PageGlobals) => p.id),
      incomplete: r.incomplete.map((p: PageGlobals) => p.id),
    };
  }, AXE_TAGS);
}

const describeFocus = (f: Focus) => `${f.tag}:${f.name.slice(0, 50)}`;

/** Asserts `expected` appear in `walk`, in that order (other stops may come between). */
function assertInOrder(walk: Focus[], expected: (string | RegExp)[], what: string): void {
  let at = 0;
  for (const want of expected) {
    const i = walk.findIndex(
      (f, j) => j >= at && (typeof want === 'string' ? f.name === want : want.test(f.name)),
    );
    assert.ok(
      i >= 0,
      `${what}: Tab reaches ${want} after stop ${at}; stops: ${walk.map(describeFocus).join(' | ')}`,
    );
    at = i + 1;
  }
}

/** What Tab reaches first in each view, from its content, in this order (the main controls). */
const MAIN_CONTROLS: Record<(typeof VIEWS)[number]['name'], (string | RegExp)[]> = {
  graph: [
    'Find a node',
    /^APIM Protected API/,
    'Layout',
    'Fit',
    'Zoom in',
    'Zoom out',
    /^Graph drawing/,
    'X: the caller',
    'Y: what it calls',
    'Ask',
  ],
  explain: ['Access token', 'Checked by', 'Explain', 'Clear', 'Or pick a recent issuance'],
  activity: [
    'Audit events',
    'Gateway traces',
    'Plane',
    'Outcome',
    'Tenant',
    'Principal',
    'Action',
    'Reason',
    'Pause',
  ],
  directory: [
    'Tenants',
    'Apps',
    'Identities',
    'Resources',
    'App role assignments',
    'Azure RBAC',
    'Register an app',
    'Filter apps',
    'somefunction',
  ],
  workflows: ['Workflows', 'Runbooks', 'vm-report-flow', 'vm-report-flow-msi'],
  keys: [],
};

for (const kind of STORE_KINDS) {
  describe(`console in a browser: accessibility (${kind})`, { timeout: 300_000 }, () => {
    let c: ConsoleBrowser;
    /** A second context, under the real CSP, for the keyboard. */
    let keys: Page;

    before(async () => {
      // bypassCSP: this context only, to inject axe-core (an inline script the console's CSP refuses).
      c = await openConsole(kind, { bypassCSP: true });
      keys = await c.newPage();
    });
    after(() => c?.close());

    const checked = new Set<string>();
    for (const scheme of ['light', 'dark'] as const) {
      it(`axe: ${scheme === 'light' ? 'the sign-in form and ' : ''}every view, ${scheme} — no serious or critical violation`, {
        timeout: 240_000,
      }, async () => {
        const { page } = c;
        const failures: string[] = [];
        const check = async (name: string) => {
          const r = await axe(page);
          for (const id of r.passes) checked.add(id);
          for (const v of r.violations) {
            const line = `${name}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.join(' | ')}`;
            if (FAILING_IMPACTS.has(v.impact ?? '')) failures.push(line);
            else console.log(`axe, not failing: ${line}`);
          }
        };
        const suffix = scheme === 'dark' ? '-dark' : '';
        await page.emulateMedia({ colorScheme: scheme });
        if (scheme === 'light') {
          await page.goto(c.consoleUrl);
          await page.locator('#signin-token').waitFor();
          await c.shot('signin');
          await check('sign-in');
          await c.signIn();
        }
        for (const p of PAGES) {
          await c.open(p.hash, p.ready);
          // The view's own data is in (its module and reads): let the last renders settle.
          await page.waitForLoadState('networkidle').catch(() => undefined);
          await c.shot(`${p.name}${suffix}`, { fullPage: true });
          await check(`${p.name} (${scheme})`);
        }
        assert.deepEqual(failures, []);
      });
    }

    it('axe: the rules the issue names ran and passed (colour contrast, labels, names, landmarks)', () => {
      for (const rule of [
        'color-contrast',
        'label',
        'button-name',
        'link-name',
        'landmark-one-main',
        'region',
      ])
        assert.ok(checked.has(rule), `axe's ${rule} rule passed on some view`);
    });

    it('keyboard: the skip link first, then the banner and the views in order, each with a focus ring', async () => {
      await keys.goto(c.consoleUrl);
      await keys.locator('#signin-token').waitFor();
      // The sign-in form: the token field has the focus, the button is next.
      assert.equal((await focused(keys)).name, 'Token');
      await keys.keyboard.type(ADMIN_TOKEN);
      await keys.keyboard.press('Enter');
      await keys.locator('.graph-status:has-text("drawn")').waitFor();
      const walk = await tabWalk(keys, 9);
      assert.deepEqual(
        walk.map((f) => f.name),
        ['Skip to content', 'Tenant', 'Sign out', ...VIEWS.map((v) => v.title)],
      );
      for (const f of walk) {
        assert.ok(f.ring, `${describeFocus(f)} shows a focus ring`);
        assert.ok(f.shown, `${describeFocus(f)} is on screen while focused (the skip link comes into view)`);
      }
      assert.ok(walk.slice(3).every((f) => f.inNav));
      await c.shot('keyboard-nav', { page: keys });
      // The skip link: back to it (Shift+Tab), Enter, and the focus is on the content.
      for (let i = 0; i < walk.length - 1; i++) await keys.keyboard.press('Shift+Tab');
      assert.equal((await focused(keys)).name, 'Skip to content');
      await keys.keyboard.press('Enter');
      assert.equal(
        await keys.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id),
        'main',
      );
      // The next Tab is the view's first control.
      await keys.keyboard.press('Tab');
      assert.equal((await focused(keys)).name, 'Find a node');
    });

    for (const view of VIEWS) {
      it(`keyboard: ${view.title} opened from the nav by Enter, then Tab reaches its main controls in order`, async () => {
        // From another view (Enter on the link of the view shown changes nothing).
        const link = keys.locator('nav.views a', { hasText: view.title });
        if ((await link.getAttribute('aria-current')) === 'page') {
          await keys.locator('nav.views a', { hasText: view.name === 'keys' ? 'Graph' : 'Keys' }).focus();
          await keys.keyboard.press('Enter');
          await keys.waitForFunction(
            (title) => !(globalThis as unknown as PageGlobals).document.title.startsWith(title),
            view.title,
          );
        }
        await link.focus();
        await keys.keyboard.press('Enter');
        await keys.waitForFunction(
          (title) => (globalThis as unknown as PageGlobals).document.title.startsWith(title),
          view.title,
          { timeout: WAIT_MS },
        );
        // The focus moved to the content, so the next Tab is inside the view.
        await keys.waitForFunction(
          () => (globalThis as unknown as PageGlobals).document.activeElement?.id === 'main',
          undefined,
          { timeout: WAIT_MS },
        );
        assert.equal(
          await keys.locator('nav.views a[aria-current="page"]').textContent(),
          view.title,
          'the nav marks the view shown',
        );
        await keys.locator(view.ready).first().waitFor();
        await keys.locator('main').focus();
        const walk = await tabWalk(keys, 40, { inMain: true });
        assertInOrder(walk, MAIN_CONTROLS[view.name], view.title);
        for (const f of walk) assert.ok(f.ring, `${view.title}: ${describeFocus(f)} shows a focus ring`);
      });
    }

    it("keyboard: the graph's node list is one tab stop; arrows, Home and End move; Enter opens the node", async () => {
      await keys.locator('nav.views a', { hasText: 'Graph' }).focus();
      await keys.keyboard.press('Enter');
      await keys.locator('.graph-status:has-text("drawn")').waitFor();
      await keys.locator('#graph-search').focus();
      await keys.keyboard.press('Tab');
      const first = await focused(keys);
      assert.match(first.name, /^APIM Protected API/);
      // One tab stop: the next Tab leaves the list.
      await keys.keyboard.press('Tab');
      assert.equal((await focused(keys)).name, 'Layout');
      await keys.keyboard.press('Shift+Tab');
      assert.match((await focused(keys)).name, /^APIM Protected API/);
      await keys.keyboard.press('ArrowDown');
      const second = await focused(keys);
      assert.notEqual(second.name, first.name);
      assert.ok(second.ring);
      await keys.keyboard.press('End');
      const last = await focused(keys);
      await keys.keyboard.press('Home');
      assert.equal((await focused(keys)).name, first.name);
      await keys.keyboard.press('End');
      assert.equal((await focused(keys)).name, last.name);
      // Search narrows the list; Enter on a node opens its panel.
      await keys.locator('#graph-search').focus();
      await keys.keyboard.type('somefunction');
      await keys.keyboard.press('Tab');
      const node = await focused(keys);
      assert.match(node.name, /somefunction/i);
      await keys.keyboard.press('Enter');
      const heading = keys.locator('#node-h');
      await heading.waitFor();
      assert.match((await heading.textContent()) ?? '', /somefunction/i);
      assert.equal(
        await keys.locator('.node-list button[aria-pressed="true"]').count(),
        1,
        'the opened node is marked pressed in the list',
      );
      await c.shot('keyboard-graph-node', { page: keys });
    });

    it('reports no script error', () => {
      // The axe context bypasses CSP, so violations are not looked for here (csp-and-secrets.test.ts does).
      const others = c.problems.filter((p) => !/status of 401/.test(p));
      assert.deepEqual(others, []);
    });
  });
}
