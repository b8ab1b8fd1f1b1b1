/**
 * The console's files: the front end's TypeScript served as JavaScript with its types stripped (and `.ts`
 * imports as `.js`), its CSS as it is, the vendor modules from a fixed list with their bare imports rewritten to
 * the console's URLs (and the stylesheet cytoscape would inject inline); anything else under /console/app or /console/vendor (`..`, a hidden file, a .ts URL, a
 * link out of the folder, a package not on the list) is not served. Over HTTPS: ETags and 304s, content types.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Assets, VENDOR } from '../../src/console/assets.ts';
import { tempDir } from '../helpers/stores.ts';
import { startTestServer, type TestServer } from '../host/harness.ts';

describe('console assets (files)', () => {
  const dir = tempDir('lanyard-console-web-');
  const outside = tempDir('lanyard-console-outside-');
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });
  before(() => {
    fs.mkdirSync(path.join(dir, 'views'));
    fs.writeFileSync(
      path.join(dir, 'views', 'page.ts'),
      [
        "import type { Thing } from '../types.ts';",
        "import { helper } from '../helper.ts';",
        'export const view = (thing: Thing): string => helper(thing.name as string);',
        'export interface Local { a: number }',
        "const late = await import('./lazy.ts');",
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(dir, 'style.css'), 'body { color: #111; }\n');
    fs.writeFileSync(path.join(dir, '.hidden.ts'), 'export {};\n');
    fs.writeFileSync(path.join(outside, 'secret.ts'), 'export const secret = 1;\n');
    fs.symlinkSync(path.join(outside, 'secret.ts'), path.join(dir, 'link.ts'));
  });

  it('strips types, keeps positions, and serves .ts imports as .js', () => {
    const a = new Assets(dir).app(['views', 'page.js'])!;
    assert.equal(a.contentType, 'text/javascript; charset=utf-8');
    const js = a.body.toString('utf8');
    assert.doesNotMatch(js, /: Thing|: string|interface|import type/);
    assert.match(js, /import \{ helper \} from '\.\.\/helper\.js';/);
    assert.match(js, /import\('\.\/lazy\.js'\)/);
    assert.equal(js.split('\n').length, 6, 'line numbers kept');
    assert.match(a.etag, /^"[A-Za-z0-9_-]{27}"$/);
  });

  it('serves CSS as it is and refuses every other path', () => {
    const assets = new Assets(dir);
    assert.equal(assets.app(['style.css'])?.body.toString(), 'body { color: #111; }\n');
    assert.equal(assets.app(['style.css'])?.contentType, 'text/css; charset=utf-8');
    for (const bad of [
      ['..', 'x.js'],
      ['views', '..', 'views', 'page.js'],
      ['.hidden.js'],
      ['views', 'page.ts'],
      ['views/page.js'],
      ['link.js'],
      ['missing.js'],
      [],
    ]) {
      assert.equal(assets.app(bad), undefined, bad.join('/'));
    }
  });

  it('builds a file again when it changes', () => {
    const assets = new Assets(dir);
    const before = assets.app(['style.css'])!;
    fs.writeFileSync(path.join(dir, 'style.css'), 'body { color: #222; margin: 0; }\n');
    const after = assets.app(['style.css'])!;
    assert.notEqual(after.etag, before.etag);
    assert.match(after.body.toString(), /#222/);
  });

  it('serves the vendor modules on the list, their bare imports rewritten', () => {
    const assets = new Assets(dir);
    for (const name of Object.keys(VENDOR)) {
      const a = assets.vendor(name);
      assert.ok(a, name);
      const js = a.body.toString('utf8');
      assert.doesNotMatch(
        js,
        /from\s*["'](preact|htm|cytoscape)(\/[a-z]+)?["']/,
        `${name} has no bare import left`,
      );
      assert.doesNotMatch(js, /sourceMappingURL/);
    }
    assert.match(assets.vendor('preact-hooks.js')!.body.toString(), /from\s*"\/console\/vendor\/preact\.js"/);
    assert.match(assets.vendor('cytoscape.js')!.body.toString(), /export\s*\{[^}]*as default/);
    for (const name of ['lodash.js', 'toString', '__proto__', 'preact.mjs', '../preact.js']) {
      assert.equal(assets.vendor(name), undefined, name);
    }
  });
});

describe('console assets (HTTPS)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer('sqlite');
  });
  after(() => t?.cleanup());

  it('serves the entry module and the stylesheet with ETags and 304s', async () => {
    const js = await t.call('GET', '/console/app/main.js', { token: null });
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'no-cache');
    assert.match(String(js.headers['content-security-policy']), /default-src 'none'/);
    const etag = String(js.headers.etag);
    const again = await t.call('GET', '/console/app/main.js', {
      token: null,
      headers: { 'if-none-match': etag },
    });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    const head = await t.call('HEAD', '/console/app/main.js', { token: null });
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    const css = await t.call('GET', '/console/app/console.css', { token: null });
    assert.equal(css.status, 200);
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  });

  it('refuses paths out of the web folder and files it does not serve', async () => {
    for (const p of [
      '/console/app/../package.json',
      '/console/app/%2e%2e/plane.js',
      '/console/app/..%2Fplane.js',
      '/console/app/%2E%2E%2F%2E%2E%2Fhost%2Fruntime.js',
      '/console/app/main.ts',
      '/console/app/.main.js',
      '/console/vendor/lodash.js',
      '/console/vendor/preact.js/x',
      '/console/vendor/%2e%2e%2fpackage.json',
    ]) {
      const r = await t.call('GET', p, { token: null });
      assert.ok(r.status === 404 || r.status === 400, `${p}: ${r.status}`);
      assert.ok(!r.text.includes('export '), p);
    }
    assert.equal((await t.call('POST', '/console/app/main.js', { token: null })).status, 405);
  });

  it('serves the vendor modules with rewritten imports', async () => {
    const hooks = await t.call('GET', '/console/vendor/preact-hooks.js', { token: null });
    assert.equal(hooks.status, 200);
    assert.equal(hooks.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(hooks.text, /\/console\/vendor\/preact\.js/);
    assert.doesNotMatch(hooks.text, /from\s*"preact"/);
    for (const name of ['preact.js', 'htm.js', 'cytoscape.js']) {
      assert.equal((await t.call('GET', `/console/vendor/${name}`, { token: null })).status, 200, name);
    }
    // The rule cytoscape would inject as an inline <style> (refused by the CSP), linked by the page instead.
    const css = await t.call('GET', '/console/vendor/cytoscape.css', { token: null });
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    assert.match(css.text, /^\.__________cytoscape_container \{/);
    const page = await t.call('GET', '/console', { token: null });
    assert.match(
      page.text,
      /<link rel="stylesheet" id="__________cytoscape_stylesheet" href="\/console\/vendor\/cytoscape\.css">/,
    );
  });
});
