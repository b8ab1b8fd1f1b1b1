/**
 * A read-only session in Chromium, on each store, on the seed manifest: signed in through the form with a
 * token from `POST /admin/console/tokens` (what `lanyard console token --read-only` issues), it sees every view
 * with no write control (a note says why), may still ask questions ("may X call Y?", the explainer), and a
 * write forced from the page — its role flipped to admin in the page's memory, so the Run button shows — gets
 * the server's 403 ERR_ADMIN_READ_ONLY, shown as the CLI prints it, and changes nothing.
 * Screenshots: test-results/console/<store>/read-only-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../../helpers/stores.ts';
import { type ConsoleBrowser, openConsole } from './browser.ts';

/** Buttons and openers that write, by their text; none may show in a read-only session. */
const WRITE_CONTROLS =
  /^(Run manual|Run|Disable|Enable|Start|Delete|Remove|Edit|Register an app|Create a tenant|Create a user-assigned identity|Create a resource|Assign an app role|Assign an Azure role|New client secret|Identities)$/;

for (const kind of STORE_KINDS) {
  describe(`console in a browser: a read-only session (${kind})`, { timeout: 300_000 }, () => {
    let c: ConsoleBrowser;

    before(async () => {
      c = await openConsole(kind);
      const issued = await c.t.call('POST', '/admin/console/tokens', {
        body: { ttl: '1h', label: 'browser test' },
      });
      assert.equal(issued.status, 201, issued.text);
      await c.page.goto(c.consoleUrl);
      await c.signIn(issued.json.token);
    });
    after(() => c?.close());

    it('says the session is read-only, and no view shows a write control', async () => {
      const { page } = c;
      assert.equal(await page.locator('header .role').textContent(), 'Read-only');
      const pages = [
        ['directory-tenants', '#/directory/tenants'],
        ['directory-apps', '#/directory/apps?app=somefunction'],
        ['directory-identities', '#/directory/identities'],
        ['directory-resources', '#/directory/resources'],
        ['directory-assignments', '#/directory/assignments'],
        ['directory-rbac', '#/directory/rbac'],
        ['workflows', '#/workflows?workflow=vm-report-flow'],
        ['runbooks', '#/workflows/runbooks?account=runbook-automation&runbook=call-somefunction'],
      ] as const;
      for (const [name, hash] of pages) {
        await c.open(hash, 'main table tbody tr');
        await page.waitForLoadState('networkidle').catch(() => undefined);
        const controls = await page
          .locator('main button, main summary')
          .evaluateAll((els) => els.map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim()));
        const writes = controls.filter((t) => WRITE_CONTROLS.test(t));
        assert.deepEqual(writes, [], `${name}: no write control (${controls.join(', ')})`);
        await c.shot(`read-only-${name}`, { fullPage: true });
      }
      // The workflow and runbook views say why their controls are missing.
      assert.match((await page.locator('main .note').first().textContent()) ?? '', /Read-only session/);
    });

    it('may still ask: "may X call Y?" is answered', async () => {
      const { page } = c;
      await c.open('#/graph', '.graph-status:has-text("drawn")');
      await page.getByLabel('X: the caller').selectOption('resource:runbook-automation');
      await page.getByLabel('Y: what it calls').selectOption('app:somefunction');
      await page.getByRole('button', { name: 'Ask' }).click();
      const verdict = page.locator('.verdict');
      await verdict.waitFor();
      assert.match((await verdict.textContent()) ?? '', /allowed/);
      await c.shot('read-only-graph-ask');
    });

    it("a write forced from the page gets the server's 403, shown, and changes nothing", async () => {
      const { page } = c;
      await c.open('#/workflows?workflow=vm-report-flow', '#wf-h');
      assert.equal(await page.getByRole('button', { name: 'Run manual' }).count(), 0);
      // The page's role is only what it shows: flip it in memory (the server still knows the session's role).
      await page.evaluate(async () => {
        const url = '/console/app/session.js';
        const m = await import(url);
        const s = m.session.get();
        m.session.set({ ...s, session: { ...s.session, role: 'admin' } });
      });
      await c.open('#/keys', 'main table tbody tr');
      await c.open('#/workflows?workflow=vm-report-flow', '#wf-h');
      await page.getByRole('button', { name: 'Run manual' }).click();
      const error = page.locator('form.run-form .error-note');
      await error.waitFor();
      const text = (await error.textContent()) ?? '';
      assert.match(text, /ERR_ADMIN_READ_ONLY/);
      assert.match(text, /read-only/i);
      await c.shot('read-only-forced-write', { fullPage: true });
      const runs = await c.t.call('GET', '/admin/tenants/contoso/workflows/vm-report-flow/runs');
      assert.equal(runs.status, 200, runs.text);
      assert.deepEqual(runs.json, [], 'no run was started');
    });
  });
}
