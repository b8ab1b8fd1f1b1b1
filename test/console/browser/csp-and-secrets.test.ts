/**
 * The console under its real Content-Security-Policy, in Chromium, on each store (no `bypassCSP` here): every
 * view and part loads, draws and runs without one refusal or script error (and a control shows a refusal
 * would be seen); the tokens a user types go nowhere but where they are sent — the sign-in token in the body
 * of the sign-in, the explainer's token in the body of one explain request — never in an address, a request
 * URL, localStorage, sessionStorage or a cookie, and the explainer's field is emptied when the view is left;
 * the session is a cookie the page cannot read (HttpOnly, Secure, SameSite=Strict, `__Host-`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Request } from 'playwright-core';
import { inProcessWorkload } from '../../../src/identity/workloads.ts';
import { STORE_KINDS } from '../../helpers/stores.ts';
import { ADMIN_TOKEN } from '../../host/harness.ts';
import { type ConsoleBrowser, openConsole, PAGES, type PageGlobals } from './browser.ts';

/** What the page keeps where a script can read it: its address, both storages and its cookies. */
function readable(c: ConsoleBrowser) {
  return c.page.evaluate(() => {
    const w = globalThis as unknown as PageGlobals;
    const dump = (s: PageGlobals) => {
      const out: Record<string, string> = {};
      for (let i = 0; i < s.length; i++) out[s.key(i)] = s.getItem(s.key(i));
      return out;
    };
    return JSON.stringify({
      href: w.location.href,
      local: dump(w.localStorage),
      session: dump(w.sessionStorage),
      cookie: w.document.cookie,
      historyState: w.history.state,
    });
  });
}

for (const kind of STORE_KINDS) {
  describe(`console in a browser: CSP and secrets (${kind})`, { timeout: 300_000 }, () => {
    let c: ConsoleBrowser;
    const requests: { method: string; url: string; body: string }[] = [];
    const record = (r: Request) =>
      requests.push({ method: r.method(), url: r.url(), body: r.postData() ?? '' });

    before(async () => {
      c = await openConsole(kind);
      c.page.on('request', record);
    });
    after(() => c?.close());

    it('serves the page under the strict policy, and signs in: the token sent once, in a body', async () => {
      const res = await c.page.goto(c.consoleUrl);
      const csp = res?.headers()['content-security-policy'] ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.doesNotMatch(csp, /unsafe/);
      await c.signIn();
      const carrying = requests.filter((r) => r.url.includes(ADMIN_TOKEN) || r.body.includes(ADMIN_TOKEN));
      assert.deepEqual(
        carrying.map((r) => `${r.method} ${new URL(r.url).pathname}`),
        ['POST /console/api/session'],
      );
      assert.equal(await c.page.locator('#signin-token').count(), 0, 'the form is gone');
      assert.ok(!(await readable(c)).includes(ADMIN_TOKEN));
    });

    it('every view and part loads, draws and runs with no CSP refusal and no script error', async () => {
      for (const p of PAGES) {
        await c.open(p.hash, p.ready);
        await c.page.evaluate(() => {
          for (const d of (globalThis as unknown as PageGlobals).document.querySelectorAll('details'))
            d.open = true;
        });
      }
      // The graph's other layouts and a node's panel (cytoscape styles nodes through the DOM, which CSP allows).
      await c.open('#/graph', '.graph-status:has-text("drawn")');
      for (const layout of ['rings', 'breadthfirst', 'grid', 'layered']) {
        await c.page.getByLabel('Layout').selectOption(layout);
        await c.page.locator('.graph-status:has-text("Laid out")').waitFor();
      }
      await c.page.locator('#graph-search').fill('runbook-automation');
      await c.page
        .locator('.node-list button', { hasText: 'runbook-automation' })
        .filter({ hasText: 'System-assigned identity' })
        .click();
      await c.page.locator('#node-h').waitFor();
      await c.page
        .getByRole('button', { name: /^Claims of a token for/ })
        .first()
        .click();
      await c.page.locator('.graph-panel .verdict').waitFor();
      assert.deepEqual(c.cspViolations(), []);
      // The one error a fresh page logs: its session check before sign-in (401, documented).
      assert.deepEqual(
        c.problems.filter((p) => !/status of 401/.test(p)),
        [],
      );
    });

    it("keeps the explainer's token in the page's memory only, and sends it once, in a body", async () => {
      const { page, t } = c;
      const res = await t.runtime.directory.getResource('contoso', 'runbook-automation');
      const workload = inProcessWorkload('test', {
        tenantId: res.tenantId,
        resourceId: res.id,
        name: res.name,
      });
      const token = (
        await t.runtime.identity.token(
          workload,
          { by: 'system' },
          'https://management.core.windows.net/',
          'test',
        )
      ).accessToken;
      await c.open('#/explain', 'textarea.token-input');
      const field = page.getByLabel('Access token');
      assert.equal(await field.getAttribute('autocomplete'), 'off');
      assert.equal(await field.getAttribute('spellcheck'), 'false');
      requests.length = 0;
      await field.fill(token);
      await page.getByRole('button', { name: 'Explain', exact: true }).click();
      await page.locator('.explain-result').waitFor();
      const carrying = requests.filter((r) => r.url.includes(token) || r.body.includes(token));
      assert.deepEqual(
        carrying.map((r) => `${r.method} ${new URL(r.url).pathname}`),
        ['POST /admin/tenants/contoso/explain'],
      );
      assert.ok(!requests.some((r) => r.url.includes(token.slice(0, 24))), 'in no request URL');
      const kept = await readable(c);
      assert.ok(!kept.includes(token.slice(0, 24)), `not in the address, storage or cookies: ${kept}`);
      assert.equal(JSON.parse(kept).cookie, '', 'the page reads no cookie');
      // Left and come back to: the field is empty, the answer gone.
      await c.open('#/keys', 'main table tbody tr');
      await c.open('#/explain', 'textarea.token-input');
      assert.equal(await page.getByLabel('Access token').inputValue(), '');
      assert.equal(await page.locator('.explain-result').count(), 0);
      const html = await page.content();
      assert.ok(!html.includes(token.slice(0, 24)), 'nowhere in the document');
    });

    it('keeps the session in a cookie the page cannot read', async () => {
      const cookies = await c.context.cookies();
      assert.deepEqual(
        cookies.map((k) => k.name),
        ['__Host-lanyard-console'],
      );
      const [session] = cookies;
      assert.equal(session!.httpOnly, true);
      assert.equal(session!.secure, true);
      assert.equal(session!.sameSite, 'Strict');
      assert.equal(session!.path, '/');
      assert.equal(await c.page.evaluate(() => (globalThis as unknown as PageGlobals).document.cookie), '');
    });

    it('would see a refusal: an inline script added to the page is refused and reported (control)', async () => {
      const before = c.cspViolations().length;
      const ran = await c.page.evaluate(async () => {
        const w = globalThis as unknown as PageGlobals;
        const s = w.document.createElement('script');
        s.textContent = 'globalThis.__inlineRan = true;';
        w.document.head.append(s);
        await new Promise((r) => setTimeout(r, 100));
        return w.__inlineRan === true;
      });
      assert.equal(ran, false, 'the policy refused the inline script');
      await c.page.waitForTimeout(200);
      assert.ok(c.cspViolations().length > before, `the refusal was reported: ${c.problems.join(' | ')}`);
    });
  });
}
