/**
 * The console's "done when" story, in Chromium, on each store, on the seed manifest: a new user opens the
 * console, signs in by typing the admin token into the form, sees the seeds' graph, finds why seed 000's
 * first token was refused (the runbook's token for Resource Manager, sent to somefunction's Easy Auth front:
 * the refusal arrives live in Activity, its Explain link opens the explainer on that front, and the pasted
 * token fails the audience check with the fix naming the function's app id), then presses seed 004's Run
 * button (vm-report-flow) and watches the run and its audit events arrive in an Activity tab opened before,
 * and the run's actions in its record. Screenshots: test-results/console/<store>/story-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import type { EasyAuthFront } from '../../../src/easyauth/proxy.ts';
import { inProcessWorkload } from '../../../src/identity/workloads.ts';
import { STORE_KINDS } from '../../helpers/stores.ts';
import {
  type ConsoleBrowser,
  openConsole,
  type PageGlobals,
  SOMEFUNCTION_APP_ID,
  WAIT_MS,
} from './browser.ts';

const ARM = 'https://management.core.windows.net/';

for (const kind of STORE_KINDS) {
  describe(`console in a browser: the story (${kind})`, { timeout: 300_000 }, () => {
    let c: ConsoleBrowser;
    /** Seed 000's first token: the runbook's identity asked for Resource Manager, as the runbook first does. */
    let armToken: string;

    before(async () => {
      c = await openConsole(kind);
    });
    after(() => c?.close());

    it('signs in through the form: the token typed, the session an HttpOnly cookie', async () => {
      const { page } = c;
      await page.goto(c.consoleUrl);
      await page.locator('#signin-token').waitFor();
      assert.equal(await page.title(), 'Sign in — Lanyard console');
      await c.shot('story-1-signin');
      await c.signIn();
      // The default view is the graph; the token is in no address and the page reads no cookie.
      assert.match(page.url(), /\/console(#\/graph)?$/);
      assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.cookie), '');
      const cookies = await c.context.cookies();
      const session = cookies.find((k) => k.name === '__Host-lanyard-console');
      assert.ok(session, 'the session cookie is set');
      assert.equal(session.httpOnly, true);
      assert.equal(session.secure, true);
      assert.equal(session.sameSite, 'Strict');
      await page.getByRole('heading', { level: 1, name: 'Graph' }).waitFor();
    });

    it("shows the seeds' graph: drawn, and every node in the list", async () => {
      const { page } = c;
      await c.open('#/graph', '.graph-status:has-text("drawn")');
      const names = await page.locator('.node-list .node-name').allTextContents();
      for (const name of [
        'somefunction',
        'runbook-automation',
        'vm-report-flow',
        'flow-credentials',
        'Get-Creds',
      ])
        assert.ok(names.includes(name), `${name} is in the node list: ${names.join(', ')}`);
      assert.match(
        (await page.locator('.graph-status').textContent()) ?? '',
        /^\d+ nodes and \d+ links drawn/,
      );
      await c.shot('story-2-graph');
      // A node opened from the list: its panel names its links (the runbook's identity may call somefunction).
      await page.locator('#graph-search').fill('runbook-automation');
      await page
        .locator('.node-list button', { hasText: 'runbook-automation' })
        .filter({ hasText: 'System-assigned identity' })
        .click();
      await page.getByRole('heading', { level: 2, name: /runbook-automation/ }).waitFor();
      const panel = page.locator('.graph-panel');
      assert.match((await panel.textContent()) ?? '', /somefunction/);
      await c.shot('story-3-graph-node');
    });

    it("finds why seed 000's first token was refused: Activity → Explain → the audience check and its fix", async () => {
      const { page, t } = c;
      await c.open('#/activity', '.stream-live');
      // The runbook, as seed 000 wrote it: a token for Resource Manager from its identity endpoint ...
      const res = await t.runtime.directory.getResource('contoso', 'runbook-automation');
      const workload = inProcessWorkload('test', {
        tenantId: res.tenantId,
        resourceId: res.id,
        name: res.name,
      });
      armToken = (await t.runtime.identity.token(workload, { by: 'system' }, ARM, 'test')).accessToken;
      // ... sent to the function behind Easy Auth, which refuses it.
      const fronts = t.host.planes.get('easyauth') as { fronts(): EasyAuthFront[] } | undefined;
      const front = fronts?.fronts().find((f) => f.resource.name === 'somefunction');
      assert.ok(front, "somefunction's Easy Auth front runs");
      const agent = new Agent({ connect: { ca: t.ca } });
      try {
        const r = await agent.request({
          origin: front.loopbackUrl,
          path: '/api/SomeFunction',
          method: 'GET',
          headers: { authorization: `Bearer ${armToken}`, host: new URL(front.url).host },
        });
        await r.body.text();
        assert.equal(r.statusCode, 401);
      } finally {
        await agent.close();
      }
      // The refusal arrives in the open Activity view (no reload), with a link to the explainer.
      const row = page.locator('main table tbody tr', { hasText: 'easyauth' }).filter({ hasText: 'failure' });
      await row.first().waitFor();
      await c.shot('story-4-activity-refusal');
      await row.first().getByRole('link', { name: 'Explain' }).click();
      await page.getByRole('heading', { name: 'Explaining a refusal' }).waitFor();
      const checkedBy = page.getByLabel('Checked by');
      // The refusal's front is chosen once the resources are read.
      await page.waitForFunction(
        (id) =>
          (globalThis as unknown as PageGlobals).document.getElementById(id)?.value ===
          'easyauth:somefunction',
        await checkedBy.getAttribute('id'),
      );
      await page.getByLabel('Access token').fill(armToken);
      await page.getByRole('button', { name: 'Explain', exact: true }).click();
      const result = page.locator('.explain-result');
      await result.waitFor();
      assert.match((await page.locator('#result-h').textContent()) ?? '', /refused/);
      const audience = result.locator('li.check', { hasText: 'audience' });
      assert.match((await audience.getAttribute('class')) ?? '', /check-failed/);
      const fix = (await audience.locator('.fix').textContent()) ?? '';
      assert.ok(fix.includes(SOMEFUNCTION_APP_ID), `the fix names somefunction's app id: ${fix}`);
      await c.shot('story-5-explain-audience', { fullPage: true });
      // The pasted token went nowhere but the one request.
      assert.ok(!page.url().includes(armToken.slice(0, 20)));
      const stored = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }]));
      assert.ok(!stored.includes(armToken.slice(0, 20)), stored);
    });

    it("presses seed 004's Run button and watches the run and its audit events arrive", {
      timeout: 240_000,
    }, async () => {
      const { page } = c;
      // An Activity tab opened first (same browser, same session), to see the events arrive live.
      const activity = await c.context.newPage();
      activity.setDefaultTimeout(WAIT_MS);
      await activity.goto(`${c.consoleUrl}#/activity`);
      await activity.locator('.stream-live').waitFor();
      const runsBefore = await activity.locator('main table tbody tr', { hasText: 'workflow.run' }).count();

      await c.open('#/workflows?workflow=vm-report-flow', '#wf-h');
      await c.shot('story-6-workflow');
      await page.getByRole('button', { name: 'Run manual' }).click();
      const answer = page.locator('.run-answer');
      await answer.waitFor({ timeout: 120_000 });
      const answerText = (await answer.textContent()) ?? '';
      // The Response action answers while the run ends: the run is Running or Succeeded by then.
      assert.match(answerText, /Outcome: answered — run \w+ (Running|Succeeded)/, answerText);
      assert.match(answerText, /Response: ?200/, answerText);
      assert.match(answerText, /build-agent/, answerText);
      await c.shot('story-7-run-answer', { fullPage: true });
      // The flow's two Http actions called the apps with its managed-identity tokens.
      assert.deepEqual(
        c.apps.calls.map((x) => [x.path, /^Bearer eyJ/.test(x.authorization ?? '')]),
        [
          ['/api/get-creds', true],
          ['/api/get-vm-status', true],
        ],
      );

      // In the Activity tab, live: the run's audit event, and the tokens the flow was issued.
      const runRow = activity.locator('main table tbody tr', { hasText: 'workflow.run' });
      await activity.waitForFunction(
        (n) =>
          [...(globalThis as unknown as PageGlobals).document.querySelectorAll('main table tbody tr')].filter(
            (tr: PageGlobals) => tr.textContent?.includes('workflow.run'),
          ).length > n,
        runsBefore,
      );
      const issued = activity.locator('main table tbody tr', { hasText: 'token.issue' });
      assert.ok((await issued.count()) >= 2, 'the flow’s token issuances arrived');
      await c.shot('story-8-activity-run', { page: activity });
      // Its Run record link opens the run: the trigger and every action, with status and secured data.
      await runRow.first().getByRole('link', { name: 'Run record' }).click();
      await activity.locator('#run-h').waitFor();
      const actions = activity.locator('table:has(caption:has-text("Actions")) tbody tr');
      await actions.first().waitFor();
      const rows = await actions.evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent?.trim() ?? '')),
      );
      assert.deepEqual(rows, [
        ['Get_Creds', 'Http', 'Succeeded'],
        ['Get_VM_Status', 'Http', 'Succeeded'],
        ['Response', 'Response', 'Succeeded'],
      ]);
      const text = (await activity.locator('section[aria-labelledby="run-h"]').textContent()) ?? '';
      assert.match(text, /outputs secured/);
      assert.match(text, /inputs secured/);
      assert.ok(!text.includes('not-a-real-secret'), 'secured outputs are not shown');
      await c.shot('story-9-run-record', { page: activity, fullPage: true });
      await activity.close();
    });

    it('reports no Content-Security-Policy violation and no script error', () => {
      assert.deepEqual(c.cspViolations(), []);
      // The one error a fresh page logs: its session check before sign-in (401, documented).
      const others = c.problems.filter((p) => !/status of 401/.test(p));
      assert.deepEqual(others, []);
    });
  });
}
