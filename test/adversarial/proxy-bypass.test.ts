/**
 * @module test/adversarial/proxy-bypass
 * Catalogue E of docs/security.md ("Adversarial test catalogue": the Easy Auth proxy) and its Easy Auth rules, against a real front: spoofed identity headers in every
 * spelling, excluded-path tricks, method overrides, request smuggling over a raw TLS socket, hop-by-hop
 * abuse, Host and X-Forwarded-* spoofing, and tokens in two places. Anything refused must leave the upstream's
 * request count unchanged; anything forwarded is checked header by header at the upstream.
 * The front under test excludes `/health` and `/public/*`; every other path needs a token.
 *
 * Catalogue E cases not tested here, and why:
 * - E72 (the backend reached directly): a network property, outside the front (docs/easyauth.md says to bind
 *   the app to 127.0.0.1); nothing the front can refuse.
 * - E82 login redirect URIs and E83 `post_login_redirect_uri`: the front has no browser login and never
 *   redirects; what remains of E82 (Host / X-Forwarded-Host spoofing) is tested.
 * - E85 (keys unreachable with anonymous paths): in jwks-tenants.test.ts, which has a foreign issuer to break.
 * - E86 (admin API from a non-loopback address): the admin API is not part of Easy Auth (test/server).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { headerValues, type Seen } from '../easyauth/world.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { type Adversary, assertRefusal, openAdversary, rawExchange, statuses } from './harness.ts';

const HOST = 'protected-func.localhost';
const norm = (name: string) => name.toLowerCase().replaceAll('_', '-');
/** Header names at the upstream, normalised (lower case, `_` as `-`). */
const namesAt = (seen: Seen) => seen.raw.filter((_, i) => i % 2 === 0).map(norm);

const FORGED_PRINCIPAL = Buffer.from(
  JSON.stringify({
    auth_typ: 'aad',
    claims: [{ typ: 'roles', val: 'Admin' }],
    name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
    role_typ: 'roles',
  }),
).toString('base64');

const SPOOFED: string[] = [
  'X-MS-CLIENT-PRINCIPAL',
  FORGED_PRINCIPAL,
  'x-ms-client-principal',
  FORGED_PRINCIPAL,
  'X-Ms-Client-Principal',
  FORGED_PRINCIPAL,
  'X_MS_CLIENT_PRINCIPAL',
  FORGED_PRINCIPAL,
  'x_ms_client_principal',
  FORGED_PRINCIPAL,
  'X-MS-CLIENT-PRINCIPAL_ID',
  'admin-oid',
  'X-MS-CLIENT-PRINCIPAL-ID',
  'admin-oid',
  'x_ms_client_principal_id',
  'admin-oid',
  'X-MS-CLIENT-PRINCIPAL-NAME',
  'admin',
  'X_MS_CLIENT_PRINCIPAL_NAME',
  'admin',
  'X-MS-CLIENT-PRINCIPAL-IDP',
  'evil',
  'X-MS-TOKEN-AAD-ACCESS-TOKEN',
  'forged',
  'X_MS_TOKEN_AAD_ID_TOKEN',
  'forged',
  'X-MS-CLIENT-PRINCIPAL-GROUPS',
  'admins',
];

const FORWARDED_SPOOFS: string[] = [
  'X-Forwarded-User',
  'admin',
  'X_Forwarded_Email',
  'admin@example.com',
  'X-Forwarded-Email',
  'admin@example.com',
  'X-Forwarded-Preferred-Username',
  'admin',
  'X-Forwarded-Groups',
  'admins',
  'X-Forwarded-For',
  '10.0.0.1',
  'X_Forwarded_For',
  '10.0.0.2',
  'X-Forwarded-Host',
  'evil.example',
  'X-Forwarded-Proto',
  'http',
  'Forwarded',
  'for=10.0.0.1;host=evil.example',
  'X-Real-IP',
  '10.0.0.1',
  'X-Auth-Request-User',
  'admin',
  'X_Auth_Request_Email',
  'admin@example.com',
  'X-ZUMO-AUTH',
  'forged',
];

// The two store dialects run side by side (their worlds share nothing); tests within one run in order.
describe('catalogue E: the Easy Auth proxy under attack', { concurrency: true }, () => {
  for (const kind of STORE_KINDS) {
    describe(kind, { concurrency: 1 }, () => {
      let a: Adversary;
      let token: string;
      before(async () => {
        a = await openAdversary(kind);
        token = await a.w.token();
      });
      after(() => a.cleanup());
      const last = () => a.w.upstream.seen.at(-1)!;

      /** A raw request on its own TLS connection; asserts the status, and that nothing reached the upstream. */
      const rawRefused = async (request: string, status: number, what: string) => {
        const before = a.seenCount();
        const raw = await rawExchange(a.front, a.w.ca, request);
        assert.deepEqual(statuses(raw), [status], `${what}: ${JSON.stringify(raw.slice(0, 160))}`);
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(a.seenCount(), before, `${what}: nothing may reach the upstream`);
        return raw;
      };
      const get = (path: string, extra = '') =>
        `GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\n${extra}Connection: close\r\n\r\n`;

      it('E68: a forged X-MS-CLIENT-PRINCIPAL without a token → 401, nothing forwarded', async () => {
        await a.refused('/api/admin', { headers: SPOOFED }, { status: 401, reason: 'token_missing' });
        await a.refused('/', { headers: ['X-MS-CLIENT-PRINCIPAL', FORGED_PRINCIPAL] }, { status: 401 });
      });

      it('E68/E70/E71: on an anonymous path every spoofed identity header is stripped, in every spelling', async () => {
        await a.accepted('/health', { headers: [...SPOOFED, ...FORWARDED_SPOOFS] });
        const names = namesAt(last());
        assert.deepEqual(
          names.filter((n) => n.startsWith('x-ms-') || n.startsWith('x-auth-request') || n === 'x-zumo-auth'),
          [],
        );
        assert.deepEqual(
          names.filter((n) => n === 'forwarded' || n === 'x-real-ip'),
          [],
        );
        assert.deepEqual(headerValues(last(), 'x-forwarded-for'), ['127.0.0.1']);
        assert.deepEqual(headerValues(last(), 'x-forwarded-proto'), ['https']);
        assert.deepEqual(names.filter((n) => n.startsWith('x-forwarded-')).sort(), [
          'x-forwarded-for',
          'x-forwarded-host',
          'x-forwarded-proto',
        ]);
        assert.notDeepEqual(headerValues(last(), 'x-forwarded-host'), ['evil.example']);
      });

      it('E69/E70: with a valid token the app gets exactly one of each principal header — the front’s', async () => {
        await a.accepted('/api/admin', {
          headers: ['authorization', `Bearer ${token}`, ...SPOOFED, ...FORWARDED_SPOOFS],
        });
        const seen = last();
        for (const name of [
          'x-ms-client-principal',
          'x-ms-client-principal-id',
          'x-ms-client-principal-name',
          'x-ms-client-principal-idp',
          'x-ms-token-aad-access-token',
        ]) {
          assert.equal(namesAt(seen).filter((n) => n === name).length, 1, name);
        }
        assert.deepEqual(headerValues(seen, 'x-ms-client-principal-id'), [a.w.callerOid]);
        assert.notDeepEqual(headerValues(seen, 'x-ms-client-principal-name'), ['admin']);
        assert.deepEqual(headerValues(seen, 'x-ms-client-principal-idp'), ['aad']);
        assert.deepEqual(headerValues(seen, 'x-ms-token-aad-access-token'), [token]);
        const principal = JSON.parse(
          Buffer.from(headerValues(seen, 'x-ms-client-principal')[0]!, 'base64').toString(),
        );
        assert.ok(
          !principal.claims.some((c: { val: string }) => c.val === 'Admin'),
          'the forged role is gone',
        );
        assert.deepEqual(
          namesAt(seen).filter(
            (n) => n.startsWith('x-ms-client-principal-groups') || n === 'x-ms-token-aad-id-token',
          ),
          [],
        );
        assert.deepEqual(headerValues(seen, 'x-forwarded-for'), ['127.0.0.1']);
      });

      it('E73–E75: excluded-path tricks are refused with 400 (or decided as the protected path), never forwarded', async () => {
        const ambiguous = [
          '/public/../admin',
          '/health/../admin',
          '/public/..',
          '/public/%2e%2e/admin',
          '/public/%2E%2E/admin',
          '/public/.%2e/admin',
          '/public/%252e%252e/admin',
          '/public%2f..%2fadmin',
          '/health%2F..%2Fadmin',
          '/public/%2fadmin',
          '/admin;x=/public/',
          '/public;/../admin',
          '/health;jsessionid=0123456789',
          '/public/x;jsessionid=1',
          '/public/x%3bjsessionid=1',
          '//admin',
          '//health',
          '/public//../admin',
          '/./admin',
          '/public/./x',
          '/admin#/public',
          '/admin%23/public',
          '/admin?#/public',
          '/health.',
          '/public./x',
          '/public/x.',
          '/public\\..\\admin',
          '/public%5c..%5cadmin',
          '/public/%c0%ae%c0%ae/admin',
          '/public/%e0%80%ae%e0%80%ae/admin',
          '/public/%ef%bc%8e%ef%bc%8e/admin',
          '/public%ef%bc%8fadmin',
          '/health%00',
          '/public/%0d%0aX-Injected:%201',
          '/public/%ZZ',
          '/public/%',
          '/public/\u00e9',
          'https://evil.example/health',
          '*',
        ];
        for (const path of ambiguous) {
          const raw = await rawRefused(get(path), 400, path);
          assert.ok(!/www-authenticate/i.test(raw), `${path}: a 400 carries no WWW-Authenticate`);
        }
        // Same decision as the protected path: 401, nothing forwarded.
        for (const path of [
          '/ADMIN',
          '/Admin/',
          '/healthz',
          '/health/x',
          '/public',
          '/publicx',
          '/public-x',
        ]) {
          await a.refused(path, {}, { status: 401, reason: 'token_missing' });
        }
        // Safe equivalents of an excluded path are excluded — and forwarded exactly as sent.
        for (const path of ['/HEALTH', '/health/', '/Public/x', '/public/a/b', '/%68ealth', '/public/%41']) {
          await a.accepted(path);
          assert.equal(last().url, path);
          assert.ok(!namesAt(last()).includes('x-ms-client-principal'));
        }
      });

      it('E76–E77: the query and rewrite headers never decide the path', async () => {
        for (const path of ['/admin?x=/public/', '/admin?/health', '/admin?path=/health&x=/public/a']) {
          await a.refused(path, {}, { status: 401 });
        }
        const rewrites = [
          'X-Original-URL',
          '/public/x',
          'X-Rewrite-URL',
          '/health',
          'X-Forwarded-Uri',
          '/health',
          'X-Forwarded-Path',
          '/health',
          'X-Forwarded-Prefix',
          '/public',
        ];
        await a.refused('/admin', { headers: rewrites }, { status: 401, reason: 'token_missing' });
        // On an excluded path they are stripped, so an app honouring X-Original-URL is not rerouted.
        await a.accepted('/health', { headers: ['X-Original-URL', '/admin', 'X-Rewrite-URL', '/admin'] });
        assert.deepEqual(
          namesAt(last()).filter((n) => n === 'x-original-url' || n === 'x-rewrite-url'),
          [],
        );
      });

      it('E78: method overrides are stripped and never change the decision', async () => {
        await a.accepted('/public/x?_method=DELETE&a=1&_METHOD=PUT&%5Fmethod=PATCH', {
          headers: [
            'X-HTTP-Method-Override',
            'DELETE',
            'X-HTTP-Method',
            'PUT',
            'X-Method-Override',
            'PATCH',
            'x_http_method_override',
            'DELETE',
          ],
        });
        const seen = last();
        assert.equal(seen.method, 'GET');
        assert.equal(seen.url, '/public/x?a=1');
        assert.deepEqual(
          namesAt(seen).filter((n) => n.includes('method')),
          [],
        );
        // A POST with an override to GET is still a request to a protected path.
        await a.refused(
          '/api/admin',
          { method: 'POST', headers: { 'x-http-method-override': 'GET' }, body: 'x' },
          { status: 401, reason: 'token_missing' },
        );
        await a.refused('/api/admin?_method=GET', {}, { status: 401 });
      });

      it('E79–E80: request smuggling shapes over a raw TLS socket → 400, nothing at the upstream', async () => {
        const smuggled = `GET /admin HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
        const post = (headers: string, body: string) =>
          `POST /public/x HTTP/1.1\r\nHost: ${HOST}\r\n${headers}\r\n${body}`;
        const shapes: [string, string][] = [
          ['CL.TE', post('Content-Length: 4\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${smuggled}`)],
          [
            'TE.CL',
            post('Transfer-Encoding: chunked\r\nContent-Length: 3\r\n', `8\r\nSMUGGLED\r\n0\r\n\r\n`),
          ],
          [
            'TE.TE second TE',
            post('Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n', `0\r\n\r\n${smuggled}`),
          ],
          ['TE xchunked', post('Transfer-Encoding: xchunked\r\n', `0\r\n\r\n${smuggled}`)],
          ['TE chunked, identity', post('Transfer-Encoding: chunked, identity\r\n', `0\r\n\r\n${smuggled}`)],
          ['TE space before colon', post('Transfer-Encoding : chunked\r\n', `0\r\n\r\n${smuggled}`)],
          ['TE obs-fold', post('Transfer-Encoding:\r\n chunked\r\n', `0\r\n\r\n${smuggled}`)],
          ['TE vertical tab', post('Transfer-Encoding:\x0bchunked\r\n', `0\r\n\r\n${smuggled}`)],
          ['TE + CL 0', post('Transfer-Encoding: chunked\r\nContent-Length: 0\r\n', `0\r\n\r\n${smuggled}`)],
          ['duplicate CL', post('Content-Length: 4\r\nContent-Length: 40\r\n', `abcd${smuggled}`)],
          ['CL list', post('Content-Length: 4, 40\r\n', `abcd${smuggled}`)],
          ['CL +4', post('Content-Length: +4\r\n', `abcd${smuggled}`)],
          ['CL hex', post('Content-Length: 0x4\r\n', `abcd${smuggled}`)],
          ['bad chunk size', post('Transfer-Encoding: chunked\r\n', `4;\r\nabcd\r\nzz\r\n\r\n${smuggled}`)],
          ['bare LF', `GET /public/x HTTP/1.1\nHost: ${HOST}\nX-A: 1\n\n`],
          ['bare CR', `GET /public/x HTTP/1.1\rHost: ${HOST}\r\n\r\n`],
          ['NUL in a header', `GET /public/x HTTP/1.1\r\nHost: ${HOST}\r\nX-A: a\x00b\r\n\r\n`],
          ['HTTP/1.1 without Host', 'GET /public/x HTTP/1.1\r\n\r\n'],
          ['space in target', `GET /public/x /admin HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`],
        ];
        for (const [what, request] of shapes) {
          const raw = await rawRefused(request, 400, what);
          assert.ok(
            !a.w.upstream.seen.some((s) => s.url.startsWith('/admin')),
            `${what}: /admin never forwarded`,
          );
          assert.match(raw, /connection: close/i, `${what}: the connection is closed`);
        }
      });

      it('H110: more than 16 KiB of headers → 431, nothing forwarded', async () => {
        const many: string[] = [];
        for (let i = 0; i < 40; i++) many.push(`x-pad-${i}`, 'p'.repeat(500));
        const before = a.seenCount();
        const r = await a.w.call(a.front, '/public/x', { headers: many });
        assert.equal(r.status, 431);
        assert.equal(a.seenCount(), before);
        await rawRefused(get('/health', `X-Big: ${'b'.repeat(17 * 1024)}\r\n`), 431, 'one 17 KiB header');
      });

      it('E81: a Connection header naming identity or credential headers → 400 (raw socket)', async () => {
        for (const named of [
          'close, X-MS-CLIENT-PRINCIPAL',
          'X-MS-CLIENT-PRINCIPAL-ID',
          'x_ms_client_principal_name',
          'close, Authorization',
          'keep-alive, X-Forwarded-For',
          'X-Forwarded-Host',
          'Host',
          'Cookie',
          'Content-Length',
          'Transfer-Encoding',
          'X-Functions-Key',
          'Forwarded',
          'X-MS-TOKEN-AAD-ACCESS-TOKEN',
        ]) {
          const raw = await rawRefused(
            `GET /api/admin HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: Bearer ${token}\r\nConnection: ${named}\r\n\r\n`,
            400,
            named,
          );
          assert.match(raw, /Bad Request: the Connection header names/);
        }
      });

      it('E81: a Connection header naming an ordinary header removes only that one; the principal is delivered', async () => {
        const before = a.seenCount();
        const raw = await rawExchange(
          a.front,
          a.w.ca,
          `GET /api/admin HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: Bearer ${token}\r\nConnection: close, X-Debug\r\nX-Debug: 1\r\nX-Kept: 1\r\n\r\n`,
        );
        assert.deepEqual(statuses(raw), [200]);
        assert.equal(a.seenCount(), before + 1);
        const names = namesAt(last());
        assert.ok(!names.includes('x-debug'));
        assert.ok(names.includes('x-kept'));
        assert.ok(!headerValues(last(), 'connection').some((v) => /debug/i.test(v)));
        assert.equal(names.filter((n) => n === 'x-ms-client-principal').length, 1);
        assert.deepEqual(headerValues(last(), 'authorization'), [`Bearer ${token}`]);
      });

      it('E82: Host and X-Forwarded-Host spoofing: the app gets its own Host, the realm comes from config', async () => {
        const raw = await rawExchange(
          a.front,
          a.w.ca,
          `GET /api/admin HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: http\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
        );
        assert.deepEqual(statuses(raw), [200]);
        const seen = last();
        assert.deepEqual(headerValues(seen, 'host'), [new URL(a.w.upstream.url).host]);
        assert.equal(headerValues(seen, 'x-forwarded-host').length, 1);
        assert.deepEqual(headerValues(seen, 'x-forwarded-proto'), ['https']);
        const refused = await rawRefused(
          `GET /api/admin HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-Host: evil.example\r\nConnection: close\r\n\r\n`,
          401,
          'Host evil.example without a token',
        );
        assert.match(refused, /www-authenticate: Bearer realm="protected-func\.localhost"/i);
        assert.ok(!/location:/i.test(refused), 'no redirect');
        // Two Host headers: refused by the parser.
        await rawRefused(
          `GET /health HTTP/1.1\r\nHost: ${HOST}\r\nHost: evil.example\r\n\r\n`,
          400,
          'two Host',
        );
      });

      it('E84: a token in the query and the header, or two Authorization headers → 401 token_ambiguous', async () => {
        const ambiguous = { status: 401, reason: 'token_ambiguous', error: 'invalid_token' } as const;
        await a.refused(`/api/admin?access_token=${token}`, { headers: a.bearer(token) }, ambiguous);
        await a.refused(`/api/admin?access_token=${token}`, {}, ambiguous);
        await a.refused(`/api/admin?ACCESS_TOKEN=${token}`, {}, ambiguous);
        await a.refused(
          '/api/admin',
          { headers: ['authorization', `Bearer ${token}`, 'authorization', `Bearer ${token}`] },
          ambiguous,
        );
        await a.refused(
          '/api/admin',
          { headers: ['Authorization', `Bearer ${token}`, 'authorization', 'Bearer x.y.z'] },
          ambiguous,
        );
        // Even where anonymous callers are allowed, an ambiguous credential is refused rather than ignored.
        const anon = await a.w.front({ globalValidation: { unauthenticatedClientAction: 'AllowAnonymous' } });
        await a.refused(`/api/admin?access_token=x`, { headers: a.bearer(token) }, ambiguous, anon);
        await a.refused(
          '/api/admin',
          { headers: ['authorization', `Bearer ${token}`, 'authorization', `Bearer ${token}`] },
          ambiguous,
          anon,
        );
        // The refusal never echoes the token.
        const r = await a.refused(`/api/admin?access_token=${token}`, {}, ambiguous);
        assert.ok(!(r.headers['www-authenticate'] as string).includes(token.split('.')[2]!.slice(0, 30)));
        // An excluded path reads no credential at all: forwarded anonymously, no principal made of the query.
        await a.accepted(`/health?access_token=${token}`);
        assert.deepEqual(
          namesAt(last()).filter((n) => n.startsWith('x-ms-')),
          [],
        );
      });

      it('an invalid token on an anonymous-allowed front is ignored, never turned into a principal', async () => {
        const anon = await a.w.front({ globalValidation: { unauthenticatedClientAction: 'AllowAnonymous' } });
        const forged = await a.forge({ exp: Math.floor(Date.now() / 1000) - 3600 });
        await a.accepted('/api/admin', { headers: ['authorization', `Bearer ${forged}`, ...SPOOFED] }, anon);
        const names = namesAt(last());
        assert.deepEqual(
          names.filter((n) => n.startsWith('x-ms-')),
          [],
        );
        const ignored = await a.w.runtime.audit.list({ plane: 'easyauth', action: 'token.ignore' });
        assert.ok(ignored.some((e) => e.reason === 'expired'));
      });

      it('WebSocket upgrade with a bad token, or without one → 401, no upgrade reaches the upstream', async () => {
        const forged = await a.forge({ aud: 'api://other' });
        for (const auth of [`Authorization: Bearer ${forged}\r\n`, '', 'X-MS-CLIENT-PRINCIPAL: x\r\n']) {
          const raw = await rawRefused(
            `GET /ws HTTP/1.1\r\nHost: ${HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${auth}\r\n`,
            401,
            `upgrade ${auth.slice(0, 20)}`,
          );
          assert.match(raw, /www-authenticate: Bearer/i);
        }
        // An upgrade to something other than WebSocket, even with a valid token → 400.
        await rawRefused(
          `GET /x HTTP/1.1\r\nHost: ${HOST}\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nAuthorization: Bearer ${token}\r\n\r\n`,
          400,
          'h2c upgrade',
        );
      });

      it('/.auth/me answers only a valid token; forged ones and the other /.auth routes reach nothing', async () => {
        const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${token.split('.')[1]}.`;
        for (const bad of [none, await a.forge({ aud: 'api://other' }), await a.forge({ exp: 1 })]) {
          await a.refused('/.auth/me', { headers: a.bearer(bad) }, { status: 401, error: 'invalid_token' });
        }
        await a.refused(
          '/.auth/me',
          { headers: ['X-MS-CLIENT-PRINCIPAL', FORGED_PRINCIPAL] },
          { status: 401 },
        );
        for (const path of ['/.auth/login/aad', '/.auth/refresh', '/.AUTH/ME/x']) {
          await a.refused(path, { headers: a.bearer(token) }, { status: 404, error: null });
        }
        const before = a.seenCount();
        const me = await a.w.call(a.front, '/.auth/me', { headers: a.bearer(token) });
        assert.equal(me.status, 200);
        assert.equal(JSON.parse(me.text)[0].user_id, a.w.callerOid);
        assert.equal(a.seenCount(), before, '/.auth/me is answered by the front itself');
      });

      it('refusal text cannot split the WWW-Authenticate header', async () => {
        const evilKid = 'k"\r\nSet-Cookie: a=b\\';
        const t = await a.forge({}, { kid: evilKid });
        const r = await a.refusedToken(t, { status: 401, error: 'invalid_token', reason: 'key_unknown' });
        assert.equal(r.headers['set-cookie'], undefined);
        const www = r.headers['www-authenticate'] as string;
        assert.ok(!www.slice(www.indexOf('error_description="') + 19, -1).includes('"'));
        assertRefusal(r, { status: 401, error: 'invalid_token' });
      });
    });
  }
});
