/**
 * The console on the main listener, over real HTTPS, on each store: the page's security headers; sign-in with
 * the admin token and with a read-only token (cookie attributes, the answer's CSRF token), a wrong token
 * refused and audited, failed sign-ins limited; the admin API through the session cookie — reads for both
 * roles, writes for the admin only (ERR_ADMIN_READ_ONLY), never without the CSRF token or from another origin
 * (ERR_ADMIN_CSRF), bearer callers unchanged; the session's id rotated, its end after 15 idle minutes, sign-out;
 * read-only tokens issued, listed and revoked through the admin API and the CLI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openCli } from '../cli/lanyard.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { ADMIN_TOKEN } from '../host/harness.ts';
import { type ConsoleServer, cookieOf, signIn, startConsoleServer } from './helpers.ts';

for (const kind of STORE_KINDS) {
  describe(`console sessions (${kind})`, () => {
    let s: ConsoleServer;
    before(async () => {
      s = await startConsoleServer(kind);
    });
    after(() => s?.t.cleanup());

    it('serves the page with a strict CSP and no inline script', async () => {
      for (const path of ['/console', '/console/']) {
        const r = await s.t.call('GET', path, { token: null });
        assert.equal(r.status, 200);
        assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
        const csp = String(r.headers['content-security-policy']);
        for (const directive of [
          "default-src 'none'",
          "script-src 'self'",
          "style-src 'self'",
          "connect-src 'self'",
          "frame-ancestors 'none'",
          "base-uri 'none'",
          "form-action 'self'",
        ]) {
          assert.ok(csp.includes(directive), `${directive} in ${csp}`);
        }
        assert.ok(!csp.includes('unsafe'), csp);
        assert.equal(r.headers['x-frame-options'], 'DENY');
        assert.equal(r.headers['referrer-policy'], 'no-referrer');
        assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
        assert.equal(r.headers['cross-origin-resource-policy'], 'same-origin');
        assert.equal(r.headers['x-content-type-options'], 'nosniff');
        assert.match(r.text, /<script type="module" src="\/console\/app\/main\.js"><\/script>/);
        assert.match(r.text, /<link rel="stylesheet" href="\/console\/app\/console\.css">/);
        // Nothing inline: every script has a src, there is no <style> and no style or on* attribute.
        assert.doesNotMatch(r.text, /<script(?![^>]*\bsrc=)[^>]*>/);
        assert.doesNotMatch(r.text, /<style|\sstyle=|\son[a-z]+=/i);
      }
      assert.equal((await s.t.call('POST', '/console', { token: null })).status, 405);
      assert.equal((await s.t.call('GET', '/console/nothing', { token: null })).status, 404);
    });

    it('signs the admin in: an HttpOnly, Secure, SameSite=Strict __Host- cookie and a CSRF token', async () => {
      const r = await s.t.call('POST', '/console/api/session', {
        token: null,
        body: { token: ADMIN_TOKEN },
        headers: { origin: s.origin },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.role, 'admin');
      assert.match(r.json.csrf, /^[A-Za-z0-9_-]{43}$/);
      assert.ok(Date.parse(r.json.expiresAt) > Date.now());
      const set = String(r.headers['set-cookie']);
      assert.match(
        set,
        /^__Host-lanyard-console=[A-Za-z0-9_-]{43}; HttpOnly; Secure; SameSite=Strict; Path=\/; Max-Age=\d+$/,
      );
      assert.ok(!set.includes(r.json.csrf), 'the cookie is not the CSRF token');
      assert.ok(!r.text.includes(ADMIN_TOKEN));
      const again = await s.t.call('POST', '/console/api/session', {
        token: null,
        body: { token: ADMIN_TOKEN },
        headers: { cookie: `__Host-lanyard-console=${cookieOf(r)}` },
      });
      assert.equal(again.status, 200);
      assert.notEqual(cookieOf(again), cookieOf(r), 'a new id at every sign-in');
      assert.notEqual(again.json.csrf, r.json.csrf, 'and a new CSRF token');
      const old = await s.t.call('GET', '/console/api/session', {
        token: null,
        headers: { cookie: `__Host-lanyard-console=${cookieOf(r)}` },
      });
      assert.equal(old.status, 401, 'signing in again ends the session the browser had');
      assert.equal(old.json.error.code, 'ERR_CONSOLE_SESSION');
    });

    it('refuses a wrong token with 401 and audits it, without the token', async () => {
      const wrong = `lya_${'w'.repeat(43)}`;
      const r = await s.t.call('POST', '/console/api/session', { token: null, body: { token: wrong } });
      assert.equal(r.status, 401);
      assert.equal(r.json.error.code, 'ERR_CONSOLE_SIGNIN');
      assert.ok(r.json.error.hint);
      assert.equal(r.headers['set-cookie'], undefined);
      const events = await s.t.runtime.audit.list({ plane: 'console', action: 'console.signin' });
      const failed = events.find((e) => e.outcome === 'failure');
      assert.ok(failed, 'a console.signin failure is recorded');
      assert.equal(failed.reason, 'unknown_token');
      assert.ok(!JSON.stringify(events).includes(wrong));
      assert.ok(!s.t.logs.join('\n').includes(wrong), 'no log line has the token');
      const bad = await s.t.call('POST', '/console/api/session', { token: null, body: { token: 1 } });
      assert.equal(bad.status, 400);
      const extra = await s.t.call('POST', '/console/api/session', {
        token: null,
        body: { token: ADMIN_TOKEN, remember: true },
      });
      assert.equal(extra.status, 400);
      const foreign = await s.t.call('POST', '/console/api/session', {
        token: null,
        body: { token: ADMIN_TOKEN },
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(foreign.status, 403);
      assert.equal(foreign.json.error.code, 'ERR_ADMIN_CSRF');
    });

    it('lets the admin session read and write the admin API, with its CSRF token and origin', async () => {
      const b = await signIn(s);
      const tenants = await b.call('GET', '/admin/tenants');
      assert.equal(tenants.status, 200, tenants.text);
      assert.equal(tenants.json[0].name, 'contoso');
      const made = await b.call('POST', '/admin/tenants/contoso/apps', { body: { name: 'made-by-console' } });
      assert.equal(made.status, 201, made.text);
      const noCsrf = await s.t.call('POST', '/admin/tenants/contoso/apps', {
        token: null,
        body: { name: 'no-csrf' },
        headers: { cookie: `__Host-lanyard-console=${b.cookie}`, origin: s.origin },
      });
      assert.equal(noCsrf.status, 403);
      assert.equal(noCsrf.json.error.code, 'ERR_ADMIN_CSRF');
      const wrongCsrf = await b.call('POST', '/admin/tenants/contoso/apps', {
        body: { name: 'wrong-csrf' },
        headers: { 'x-csrf-token': 'A'.repeat(43) },
      });
      assert.equal(wrongCsrf.status, 403);
      assert.equal(wrongCsrf.json.error.code, 'ERR_ADMIN_CSRF');
      const foreign = await b.call('DELETE', '/admin/tenants/contoso/apps/made-by-console', {
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(foreign.status, 403);
      assert.equal(foreign.json.error.code, 'ERR_ADMIN_CSRF');
      const crossSite = await b.call('DELETE', '/admin/tenants/contoso/apps/made-by-console', {
        headers: { 'sec-fetch-site': 'cross-site' },
      });
      assert.equal(crossSite.status, 403);
      const noOrigin = await s.t.call('DELETE', '/admin/tenants/contoso/apps/made-by-console', {
        token: null,
        headers: { cookie: `__Host-lanyard-console=${b.cookie}`, 'x-csrf-token': b.csrf },
      });
      assert.equal(noOrigin.status, 200, 'no Origin header (not a browser page): the CSRF token suffices');
      for (const name of ['no-csrf', 'wrong-csrf']) {
        assert.equal((await b.call('GET', `/admin/tenants/contoso/apps/${name}`)).status, 404);
      }
    });

    it('keeps bearer callers as they were, and refuses a request with neither', async () => {
      assert.equal((await s.t.call('GET', '/admin/tenants')).status, 200);
      const none = await s.t.call('GET', '/admin/tenants', { token: null });
      assert.equal(none.status, 401);
      assert.equal(none.json.error.code, 'ERR_ADMIN_UNAUTHORIZED');
      const b = await signIn(s);
      const wrongBearer = await s.t.call('GET', '/admin/tenants', {
        token: 'not-the-token',
        headers: { cookie: `__Host-lanyard-console=${b.cookie}` },
      });
      assert.equal(wrongBearer.status, 401, 'a wrong bearer token is not rescued by a cookie');
      const stale = await s.t.call('GET', '/admin/tenants', {
        token: null,
        headers: { cookie: `__Host-lanyard-console=${'Z'.repeat(43)}` },
      });
      assert.equal(stale.status, 401);
      assert.equal(stale.json.error.code, 'ERR_CONSOLE_SESSION');
    });

    it('issues, lists and revokes read-only tokens through the admin API; a read-only session only reads', async () => {
      const admin = await signIn(s);
      const issued = await admin.call('POST', '/admin/console/tokens', {
        body: { ttl: '1h', label: 'look' },
      });
      assert.equal(issued.status, 201, issued.text);
      assert.match(issued.json.token, /^lyr_[A-Za-z0-9_-]{43}$/);
      assert.equal(issued.json.role, 'read-only');
      assert.equal(issued.json.state, 'active');
      const listed = await admin.call('GET', '/admin/console/tokens');
      assert.equal(listed.status, 200);
      const row = listed.json.find((x: { id: string }) => x.id === issued.json.id);
      assert.equal(row.label, 'look');
      assert.ok(!listed.text.includes(issued.json.token), 'never the token again');
      assert.ok(!listed.text.includes('sh1$'), 'nor its hash');
      assert.equal(
        (await admin.call('POST', '/admin/console/tokens', { body: { role: 'admin' } })).status,
        400,
      );
      assert.equal(
        (await admin.call('POST', '/admin/console/tokens', { body: { ttl: 'soon' } })).status,
        400,
      );

      const reader = await signIn(s, issued.json.token);
      assert.equal(reader.role, 'read-only');
      assert.equal((await reader.call('GET', '/admin/tenants/contoso/apps')).status, 200);
      const write = await reader.call('POST', '/admin/tenants/contoso/apps', { body: { name: 'nope' } });
      assert.equal(write.status, 403);
      assert.equal(write.json.error.code, 'ERR_ADMIN_READ_ONLY');
      assert.ok(write.json.error.hint);
      const tokens = await reader.call('GET', '/admin/console/tokens');
      assert.equal(tokens.status, 403, 'the token list is for the admin only');
      assert.equal(tokens.json.error.code, 'ERR_ADMIN_READ_ONLY');
      const question = await reader.call('POST', '/admin/tenants/contoso/rbac/check', {
        body: {
          principal: 'app:reporter',
          action: 'Microsoft.Compute/virtualMachines/read',
          scope: 'subscription',
        },
      });
      assert.equal(question.status, 200, 'a question asked with a body is a read');
      const noCsrf = await reader.call('POST', '/admin/tenants/contoso/rbac/check', {
        body: { principal: 'app:reporter', action: 'x', scope: 'subscription' },
        headers: { 'x-csrf-token': '' },
      });
      assert.equal(noCsrf.json.error.code, 'ERR_ADMIN_CSRF', 'still with its CSRF token');

      const revoked = await admin.call('DELETE', `/admin/console/tokens/${issued.json.id}`);
      assert.equal(revoked.status, 200);
      assert.equal(revoked.json.state, 'revoked');
      s.clock.advance(31_000);
      const ended = await reader.call('GET', '/admin/tenants');
      assert.equal(ended.status, 401, 'a session ends with its revoked token');
      assert.equal(ended.json.error.code, 'ERR_CONSOLE_SESSION');
      const again = await s.t.call('POST', '/console/api/session', {
        token: null,
        body: { token: issued.json.token },
      });
      assert.equal(again.status, 401);
      const audit = await s.t.runtime.audit.list({ plane: 'console' });
      assert.ok(audit.some((e) => e.action === 'console.token-issue' && e.target === issued.json.id));
      assert.ok(audit.some((e) => e.action === 'console.token-revoke' && e.target === issued.json.id));
      assert.ok(!JSON.stringify(audit).includes(issued.json.token));
    });

    it('issues, lists and revokes read-only tokens with the CLI', () => {
      const cli = openCli({ dataDir: s.t.dataDir, store: s.t.location });
      const issued = cli.json<{ id: string; token: string; expiresAt: string }>(
        'console',
        'token',
        '--read-only',
        '--ttl',
        '2h',
        '--label',
        'cli',
      );
      assert.match(issued.token, /^lyr_/);
      const text = cli.run('console', 'token', '--read-only');
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, /^lyr_[A-Za-z0-9_-]{43}\n$/);
      assert.match(text.stderr, /shown only now/);
      const listed = cli.json<{ id: string; label: string; state: string }[]>('console', 'tokens');
      assert.equal(listed.find((t) => t.id === issued.id)?.label, 'cli');
      const table = cli.run('console', 'tokens');
      assert.match(table.stdout, /ID\s+ROLE\s+STATE/);
      assert.ok(!table.stdout.includes(issued.token));
      const revoked = cli.run('console', 'revoke', issued.id);
      assert.equal(revoked.status, 0, revoked.stderr);
      assert.match(revoked.stdout, /Revoked/);
      assert.equal(
        cli.json<{ id: string; state: string }[]>('console', 'tokens').find((t) => t.id === issued.id)?.state,
        'revoked',
      );
      assert.equal(cli.run('console', 'revoke', 'no-such-id').status, 1);
      assert.notEqual(cli.run('console', 'token', '--ttl', '100d').status, 0);
    });

    it('rotates the session id while in use and ends the session after 15 idle minutes', async () => {
      const b = await signIn(s);
      const first = b.cookie;
      s.clock.advance(11 * 60_000);
      const r = await b.call('GET', '/console/api/session');
      assert.equal(r.status, 200);
      assert.notEqual(b.cookie, first, 'a new id after 10 minutes');
      assert.equal(r.json.csrf, b.csrf, 'the CSRF token stays');
      const oldStill = await s.t.call('GET', '/console/api/session', {
        token: null,
        headers: { cookie: `__Host-lanyard-console=${first}` },
      });
      assert.equal(oldStill.status, 200, 'the old id works a minute more');
      s.clock.advance(61_000);
      const oldGone = await s.t.call('GET', '/console/api/session', {
        token: null,
        headers: { cookie: `__Host-lanyard-console=${first}` },
      });
      assert.equal(oldGone.status, 401);
      assert.equal((await b.call('GET', '/console/api/session')).status, 200);
      s.clock.advance(15 * 60_000 + 1000);
      const idle = await b.call('GET', '/admin/tenants');
      assert.equal(idle.status, 401);
      assert.equal(idle.json.error.code, 'ERR_CONSOLE_SESSION');
    });

    it('signs out: the cookie is cleared and the session ends', async () => {
      const b = await signIn(s);
      const noCsrf = await s.t.call('DELETE', '/console/api/session', {
        token: null,
        headers: { cookie: `__Host-lanyard-console=${b.cookie}` },
      });
      assert.equal(noCsrf.status, 403);
      const out = await b.call('DELETE', '/console/api/session');
      assert.equal(out.status, 204);
      assert.match(String(out.headers['set-cookie']), /^__Host-lanyard-console=; .*Max-Age=0$/);
      assert.equal((await b.call('GET', '/console/api/session')).status, 401);
      const audit = await s.t.runtime.audit.list({ plane: 'console', action: 'console.signout' });
      assert.equal(audit.length >= 1, true);
    });

    it('limits failed sign-ins per address', async () => {
      s.clock.advance(61_000);
      let last = await s.t.call('POST', '/console/api/session', { token: null, body: { token: 'x' } });
      for (let i = 0; i < 10; i++) {
        last = await s.t.call('POST', '/console/api/session', { token: null, body: { token: 'x' } });
      }
      assert.equal(last.status, 429);
      assert.equal(last.json.error.code, 'ERR_CONSOLE_THROTTLED');
      assert.match(String(last.headers['retry-after']), /^\d+$/);
      const right = await s.t.call('POST', '/console/api/session', {
        token: null,
        body: { token: ADMIN_TOKEN },
      });
      assert.equal(right.status, 429, 'the right token too, until the minute is over');
      s.clock.advance(61_000);
      assert.equal((await signIn(s)).role, 'admin');
    });
  });
}
