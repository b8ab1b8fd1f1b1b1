/**
 * @module test/easyauth/proxy
 * The Easy Auth front end to end with real parts: HTTPS to the front (trusting the local CA), a real upstream
 * that records what reached it, tokens from the runtime's own issuer (client credentials and managed
 * identity). Covers Azure's semantics (401 vs 403, the implicit bare clientId, allowedApplications and
 * identities, AllowAnonymous, Return403/404, excludedPaths), the principal headers, spoofed identity headers,
 * /.auth/me, streaming both ways, hop-by-hop headers, WebSocket, diagnostics and the audit trail.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { WebSocket } from 'undici';
import { AZURE_DENIED_BODY } from '../../src/easyauth/refusal.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { decodePrincipal, headerValues, openWorld, type World } from './world.ts';

const OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const TID = 'http://schemas.microsoft.com/identity/claims/tenantid';

for (const kind of STORE_KINDS) {
  describe(`Easy Auth front (${kind})`, () => {
    let w: World;
    before(async () => {
      w = await openWorld(kind);
    });
    after(() => w.cleanup());

    const lastSeen = () => w.upstream.seen.at(-1)!;
    const seenCount = () => w.upstream.seen.length;

    it('forwards a valid token with the principal headers App Service injects', async () => {
      const front = await w.front({});
      const token = await w.token();
      const before = seenCount();
      const r = await w.call(front, '/api/orders?x=1', { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 200);
      assert.equal(seenCount(), before + 1);
      const seen = lastSeen();
      assert.equal(seen.url, '/api/orders?x=1');
      const [principal] = headerValues(seen, 'x-ms-client-principal');
      const p = decodePrincipal(principal!);
      assert.equal(p.auth_typ, 'aad');
      assert.equal(p.name_typ, 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name');
      assert.equal(p.role_typ, 'roles');
      assert.deepEqual(
        p.claims
          .filter((c) => c.typ === 'roles')
          .map((c) => c.val)
          .sort(),
        ['Invoke', 'Read'],
        'one claim entry per role',
      );
      assert.equal(p.claims.find((c) => c.typ === OID)?.val, w.callerOid);
      assert.equal(p.claims.find((c) => c.typ === TID)?.val, w.tenant.id);
      assert.ok(p.claims.every((c) => typeof c.val === 'string'));
      assert.ok(!p.claims.some((c) => c.typ === 'oid' || c.typ === 'tid'), 'short names are mapped');
      // Standard base64, not base64url.
      assert.match(principal!, /^[A-Za-z0-9+/]+=*$/);
      assert.deepEqual(headerValues(seen, 'x-ms-client-principal-id'), [w.callerOid]);
      assert.deepEqual(headerValues(seen, 'x-ms-client-principal-idp'), ['aad']);
      assert.equal(headerValues(seen, 'x-ms-client-principal-name').length, 1);
      assert.deepEqual(headerValues(seen, 'x-ms-token-aad-access-token'), [token]);
      assert.deepEqual(headerValues(seen, 'authorization'), [`Bearer ${token}`]);
      assert.deepEqual(headerValues(seen, 'x-forwarded-proto'), ['https']);
      assert.deepEqual(headerValues(seen, 'x-forwarded-for'), ['127.0.0.1']);
      assert.equal(headerValues(seen, 'x-forwarded-host').length, 1);
    });

    it('accepts a managed-identity token for the bare clientId', async () => {
      const front = await w.front({});
      const r = await w.call(front, '/', { headers: { authorization: `Bearer ${await w.miToken()}` } });
      assert.equal(r.status, 200);
      assert.deepEqual(headerValues(lastSeen(), 'x-ms-client-principal-id'), [w.miOid]);
    });

    it('401 with Azure body, WWW-Authenticate reason and an audit row when no token is sent', async () => {
      const front = await w.front({});
      const before = seenCount();
      const r = await w.call(front, '/api/orders');
      assert.equal(r.status, 401);
      assert.equal(r.text, AZURE_DENIED_BODY);
      const www = String(r.headers['www-authenticate']);
      assert.match(www, /^Bearer realm="protected-func\.localhost"/);
      assert.match(www, /error_description="token_missing: /);
      assert.doesNotMatch(www, /error="/, 'RFC 6750: no error code without credentials');
      assert.equal(seenCount(), before, 'nothing reached the upstream');
      const [event] = await w.runtime.audit.list({ plane: 'easyauth', action: 'request.refuse' });
      assert.equal(event?.reason, 'token_missing');
      assert.equal(event?.target, 'protected-func');
      assert.equal(event?.details?.path, '/api/orders');
    });

    it('a token for Resource Manager: 401 audience_mismatch naming the appId to request, never logging the token', async () => {
      const front = await w.front({});
      const token = await w.token('https://management.core.windows.net/');
      const r = await w.call(front, '/api/orders', { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 401);
      assert.equal(r.text, AZURE_DENIED_BODY);
      const www = String(r.headers['www-authenticate']);
      assert.match(www, /error="invalid_token"/);
      assert.match(www, /audience_mismatch/);
      assert.match(www, /Azure Resource Manager/);
      assert.ok(www.includes(w.api.appId), 'the hint names the appId to request');
      const events = await w.runtime.audit.list({ plane: 'easyauth' });
      const event = events.find((e) => e.reason === 'audience_mismatch');
      assert.ok(event);
      assert.equal(event.actor, w.caller.appId);
      assert.ok(!JSON.stringify(events).includes(token.split('.')[2]!), 'no token in the audit trail');
    });

    it('only the bare clientId is implicit: api://… is refused until listed in allowedAudiences', async () => {
      const token = await w.token('api://protected-api');
      const plain = await w.front({});
      const r1 = await w.call(plain, '/', { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r1.status, 401);
      assert.match(String(r1.headers['www-authenticate']), /allowedAudiences/);
      const listed = await w.front({
        aad: {
          registration: { clientId: w.api.appId },
          validation: { allowedAudiences: ['api://protected-api'] },
        },
      });
      const r2 = await w.call(listed, '/', { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r2.status, 200);
    });

    it('allowedApplications holding only the app itself: 403 for daemons, with the pitfall named', async () => {
      const front = await w.front({
        aad: {
          registration: { clientId: w.api.appId },
          validation: { defaultAuthorizationPolicy: { allowedApplications: [w.api.appId] } },
        },
      });
      const before = seenCount();
      const r = await w.call(front, '/', { headers: { authorization: `Bearer ${await w.miToken()}` } });
      assert.equal(r.status, 403);
      assert.equal(r.text, AZURE_DENIED_BODY);
      const www = String(r.headers['www-authenticate']);
      assert.match(www, /error="insufficient_scope"/);
      assert.match(www, /application_not_allowed/);
      assert.match(www, /allow requests only from this application itself/);
      assert.equal(seenCount(), before);
    });

    it('allowedApplications and allowedPrincipals.identities: each alone, and both (AND)', async () => {
      const cc = await w.token();
      const mi = await w.miToken();
      const auth = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
      const apps = await w.front({
        aad: {
          registration: { clientId: w.api.appId },
          validation: { jwtClaimChecks: { allowedClientApplications: [w.caller.appId] } },
        },
      });
      assert.equal((await w.call(apps, '/', auth(cc))).status, 200);
      assert.equal((await w.call(apps, '/', auth(mi))).status, 403);
      const ids = await w.front({
        aad: {
          registration: { clientId: w.api.appId },
          validation: { defaultAuthorizationPolicy: { allowedPrincipals: { identities: [w.miOid] } } },
        },
      });
      assert.equal((await w.call(ids, '/', auth(mi))).status, 200);
      const refused = await w.call(ids, '/', auth(cc));
      assert.equal(refused.status, 403);
      assert.match(String(refused.headers['www-authenticate']), /principal_not_allowed/);
      const both = await w.front({
        aad: {
          registration: { clientId: w.api.appId },
          validation: {
            defaultAuthorizationPolicy: {
              allowedApplications: [w.caller.appId],
              allowedPrincipals: { identities: [w.miOid] },
            },
          },
        },
      });
      assert.equal((await w.call(both, '/', auth(cc))).status, 403);
      assert.equal((await w.call(both, '/', auth(mi))).status, 403);
    });

    it('AllowAnonymous and requireAuthentication false forward without principal headers', async () => {
      for (const globalValidation of [
        { unauthenticatedClientAction: 'AllowAnonymous' as const },
        { requireAuthentication: false },
      ]) {
        const front = await w.front({ globalValidation });
        const r = await w.call(front, '/anon', { headers: { 'x-ms-client-principal-name': 'admin' } });
        assert.equal(r.status, 200);
        assert.deepEqual(headerValues(lastSeen(), 'x-ms-client-principal-name'), []);
        const bad = await w.call(front, '/anon', { headers: { authorization: 'Bearer not.a.token' } });
        assert.equal(bad.status, 200);
        assert.deepEqual(
          headerValues(lastSeen(), 'x-ms-client-principal'),
          [],
          'a failed token is no principal',
        );
        const good = await w.call(front, '/anon', {
          headers: { authorization: `Bearer ${await w.token()}` },
        });
        assert.equal(good.status, 200);
        assert.equal(headerValues(lastSeen(), 'x-ms-client-principal').length, 1);
      }
      const ignored = await w.runtime.audit.list({ plane: 'easyauth', action: 'token.ignore' });
      assert.ok(ignored.some((e) => e.reason === 'token_malformed'));
    });

    it('Return403, Return404 and RedirectToLoginPage answer unauthenticated callers as configured', async () => {
      const r403 = await w.call(
        await w.front({ globalValidation: { unauthenticatedClientAction: 'Return403' } }),
        '/',
      );
      assert.equal(r403.status, 403);
      assert.equal(r403.text, AZURE_DENIED_BODY);
      const r404 = await w.call(
        await w.front({ globalValidation: { unauthenticatedClientAction: 'Return404' } }),
        '/',
      );
      assert.equal(r404.status, 404);
      assert.equal(r404.headers['www-authenticate'], undefined);
      const redirect = await w.front({
        globalValidation: { unauthenticatedClientAction: 'RedirectToLoginPage' },
      });
      const r401 = await w.call(redirect, '/');
      assert.equal(r401.status, 401, 'bearer callers get 401, not a login redirect');
      assert.equal(r401.headers.location, undefined);
      assert.match(String(r401.headers['www-authenticate']), /no login page/);
      const noHeader = await w.front({
        aad: { registration: { clientId: w.api.appId }, login: { disableWWWAuthenticate: true } },
      });
      const r = await w.call(noHeader, '/');
      assert.equal(r.status, 401);
      assert.equal(r.headers['www-authenticate'], undefined);
    });

    it('excludedPaths: exact and /*, case-insensitive, on the canonical path only', async () => {
      const front = await w.front({ globalValidation: { excludedPaths: ['/health', '/public/*'] } });
      for (const path of [
        '/health',
        '/health/',
        '/HEALTH',
        '/public/a',
        '/public/a/b?q=1',
        '/Public/x',
        '/p%75blic/y',
      ]) {
        const r = await w.call(front, path);
        assert.equal(r.status, 200, `${path} is excluded`);
        assert.deepEqual(headerValues(lastSeen(), 'x-ms-client-principal'), []);
      }
      assert.equal(lastSeen().url, '/p%75blic/y', 'the path is forwarded exactly as decided');
      for (const path of ['/public', '/publicx/a', '/healthy', '/admin?x=/public/', '/admin?next=/health']) {
        assert.equal((await w.call(front, path)).status, 401, `${path} is not excluded`);
      }
      const spoofed = await w.call(front, '/admin', {
        headers: { 'x-original-url': '/public/a', 'x-forwarded-uri': '/health', 'x-rewrite-url': '/health' },
      });
      assert.equal(spoofed.status, 401);
      const before = seenCount();
      for (const path of [
        '/public/../admin',
        '/public/%2e%2e/admin',
        '/public/%252e%252e/admin',
        '/public%2fadmin',
        '/public;x=1/a',
        '/admin;/public/a',
        '//public/a',
        '/public/./a',
        '/public/a%00',
        '/public/%EF%BC%8Fadmin',
        '/public/a.',
      ]) {
        const text = await w.raw(
          front,
          `GET ${path} HTTP/1.1\r\nHost: protected-func.localhost\r\nConnection: close\r\n\r\n`,
        );
        assert.match(text, /^HTTP\/1\.1 400 /, `${path} is refused`);
      }
      assert.equal(seenCount(), before, 'no ambiguous path reached the upstream');
      const refused = await w.runtime.audit.list({ plane: 'easyauth', action: 'request.refuse' });
      assert.ok(refused.some((e) => e.reason === 'path_ambiguous'));
    });

    it('strips every client-sent X-MS-* identity header, any case or underscore spelling, on every path', async () => {
      const front = await w.front({ globalValidation: { excludedPaths: ['/public/*'] } });
      const spoof = [
        'X-MS-CLIENT-PRINCIPAL',
        'eyJhZG1pbiI6dHJ1ZX0=',
        'x-ms-client-principal',
        'eyJhZG1pbiI6dHJ1ZX0=',
        'X-Ms-Client-Principal-Id',
        'admin-oid',
        'X_MS_CLIENT_PRINCIPAL',
        'eyJhZG1pbiI6dHJ1ZX0=',
        'x_ms_client_principal_name',
        'admin',
        'X-MS-CLIENT-PRINCIPAL-NAME',
        'admin',
        'X-MS-CLIENT-PRINCIPAL-NAME',
        'admin2',
        'X-MS-CLIENT-PRINCIPAL-IDP',
        'aad',
        'X-MS-TOKEN-AAD-ACCESS-TOKEN',
        'forged',
        'x_ms_token_aad_id_token',
        'forged',
        'X-Forwarded-For',
        '10.0.0.1',
        'X_Forwarded_Email',
        'admin@contoso.com',
        'X-Forwarded-User',
        'admin',
        'X-HTTP-Method-Override',
        'DELETE',
      ];
      const isSpoof = (name: string) =>
        /^x[-_]ms[-_]|^x[-_]forwarded[-_](user|email)|method-override/i.test(name);
      const token = await w.token();
      for (const [path, headers] of [
        ['/public/a', spoof],
        ['/private', [...spoof, 'authorization', `Bearer ${token}`]],
      ] as const) {
        const r = await w.call(front, path, { headers: [...headers] });
        assert.equal(r.status, 200);
        const seen = lastSeen();
        const values = seen.raw.filter((_v, i) => i % 2 === 1);
        assert.ok(!values.includes('admin') && !values.includes('forged') && !values.includes('admin-oid'));
        assert.ok(!values.includes('eyJhZG1pbiI6dHJ1ZX0=') && !values.includes('10.0.0.1'));
        assert.ok(!values.includes('DELETE') && !values.includes('admin@contoso.com'));
        const names = seen.raw.filter((_v, i) => i % 2 === 0);
        assert.ok(!names.some((n) => n.includes('_')), 'no underscore spelling survives');
        if (path === '/private') {
          assert.deepEqual(headerValues(seen, 'x-ms-client-principal-name').length, 1);
          assert.deepEqual(headerValues(seen, 'x-ms-client-principal-id'), [w.callerOid]);
          assert.deepEqual(headerValues(seen, 'x-ms-token-aad-access-token'), [token]);
        } else {
          assert.ok(!names.some(isSpoof), `anonymous path: ${names.filter(isSpoof).join(', ')}`);
        }
        assert.equal(seen.method, 'GET');
      }
    });

    it('/.auth/me answers a bearer caller with its claims, 401 without a token', async () => {
      const front = await w.front({});
      const token = await w.token();
      const before = seenCount();
      const r = await w.call(front, '/.auth/me', { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 200);
      const body = JSON.parse(r.text);
      assert.ok(Array.isArray(body));
      assert.equal(body[0].provider_name, 'aad');
      assert.equal(body[0].access_token, token);
      assert.match(body[0].expires_on, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
      assert.ok(
        body[0].user_claims.some((c: { typ: string; val: string }) => c.typ === OID && c.val === w.callerOid),
      );
      assert.equal((await w.call(front, '/.auth/me')).status, 401);
      assert.equal((await w.call(front, '/.auth/login/aad')).status, 404);
      assert.equal(seenCount(), before, '/.auth is served by the front itself');
    });

    it('two Authorization headers, or a token in the query, are refused with 401', async () => {
      const front = await w.front({ globalValidation: { unauthenticatedClientAction: 'AllowAnonymous' } });
      const token = await w.token();
      const before = seenCount();
      const two = await w.call(front, '/', {
        headers: ['authorization', `Bearer ${token}`, 'authorization', `Bearer ${token}`],
      });
      assert.equal(two.status, 401);
      assert.match(String(two.headers['www-authenticate']), /token_ambiguous/);
      const query = await w.call(front, `/?access_token=${token}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(query.status, 401);
      assert.equal(seenCount(), before);
    });

    it('streams a 5 MB body to the app and a 5 MB body back', async () => {
      const front = await w.front({});
      const auth = { authorization: `Bearer ${await w.token()}` };
      const body = Buffer.alloc(5 * 1024 * 1024);
      for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
      const sent = createHash('sha256').update(body).digest('hex');
      const res = await w.agent.request({
        origin: front.loopbackUrl,
        path: '/echo',
        method: 'POST',
        headers: auth,
        body,
      });
      const back = Buffer.from(await res.body.arrayBuffer());
      assert.equal(res.statusCode, 200);
      assert.equal(back.length, body.length);
      assert.equal(createHash('sha256').update(back).digest('hex'), sent);
      assert.equal(lastSeen().bodySha256, sent);
      const big = await w.agent.request({
        origin: front.loopbackUrl,
        path: '/big',
        method: 'GET',
        headers: auth,
      });
      assert.equal((await big.body.arrayBuffer()).byteLength, 5 * 1024 * 1024);
    });

    it('passes backpressure on: a client that stops reading pauses the app, and one that hangs up aborts it', async () => {
      const front = await w.front({});
      const token = await w.token();
      const socket = tls.connect({
        host: '127.0.0.1',
        port: front.port,
        ca: w.ca,
        servername: 'protected-func.localhost',
      });
      await once(socket, 'secureConnect');
      socket.write(
        `GET /stream HTTP/1.1\r\nHost: protected-func.localhost\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      );
      let received = 0;
      const onData = (c: Buffer) => {
        received += c.length;
      };
      socket.on('data', onData);
      const streams = w.upstream.streams;
      const until = async (what: string, ok: () => boolean) => {
        for (let i = 0; i < 500 && !ok(); i++) await sleep(10);
        assert.ok(ok(), what);
      };
      await until('the stream started', () => streams.length === 1 && received > 1024 * 1024);
      const stream = streams[0]!;
      // Stop reading: the client's socket, the front's buffers and the upstream connection fill up, and then the
      // app's writes must wait, far short of the 256 MiB it would write unhindered.
      socket.pause();
      let last = -1;
      for (let i = 0; i < 100 && stream.written !== last; i++) {
        last = stream.written;
        await sleep(50);
      }
      assert.equal(stream.written, last, 'the app stopped writing while the client did not read');
      assert.ok(stream.written < 64 * 1024 * 1024, `held back at ${stream.written} bytes`);
      assert.ok(stream.waits > 0);
      // Reading again resumes the app.
      const held = stream.written;
      socket.resume();
      await until('the app wrote again', () => stream.written > held + 8 * 1024 * 1024);
      assert.equal(stream.finished, false);
      socket.destroy();
      await until('the upstream request was aborted', () => stream.aborted);
      assert.equal(stream.finished, false);
    });

    it('drops hop-by-hop headers both ways, and refuses a Connection header naming a protected one', async () => {
      const front = await w.front({ globalValidation: { excludedPaths: ['/hop'] } });
      const response = await w.raw(
        front,
        'GET /hop HTTP/1.1\r\nHost: protected-func.localhost\r\nConnection: close, x-drop-me\r\nx-drop-me: 1\r\n' +
          'Keep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\nx-kept: 1\r\n\r\n',
      );
      assert.match(response, /^HTTP\/1\.1 200 /);
      assert.match(response, /x-upstream-public: ok/i);
      assert.doesNotMatch(response, /x-upstream-private/i);
      const names = lastSeen()
        .raw.filter((_v, i) => i % 2 === 0)
        .map((n) => n.toLowerCase());
      assert.ok(names.includes('x-kept'));
      for (const gone of ['x-drop-me', 'keep-alive', 'te', 'proxy-authorization'])
        assert.ok(!names.includes(gone), gone);
      const before = seenCount();
      for (const named of ['X-MS-CLIENT-PRINCIPAL', 'Authorization', 'X-Forwarded-For']) {
        const refused = await w.raw(
          front,
          `GET /hop HTTP/1.1\r\nHost: protected-func.localhost\r\nConnection: close, ${named}\r\n\r\n`,
        );
        assert.match(refused, /^HTTP\/1\.1 400 /, named);
      }
      assert.equal(seenCount(), before);
    });

    it('passes a WebSocket upgrade through, with the principal, and refuses one without a token', async () => {
      const front = await w.front({});
      const token = await w.token();
      const ws = new WebSocket(`wss://127.0.0.1:${front.port}/socket`, {
        dispatcher: w.agent,
        headers: { authorization: `Bearer ${token}`, 'x-ms-client-principal': 'forged' },
      } as never);
      const reply = await new Promise<string>((resolve, reject) => {
        ws.addEventListener('open', () => ws.send('hello'));
        ws.addEventListener('message', (e) => resolve(String(e.data)));
        ws.addEventListener('error', () => reject(new Error('websocket failed')));
      });
      assert.equal(reply, 'HELLO');
      ws.close();
      const seen = w.upstream.seen.findLast((s) => s.url === '/socket')!;
      assert.equal(headerValues(seen, 'x-ms-client-principal').length, 1);
      assert.notEqual(headerValues(seen, 'x-ms-client-principal')[0], 'forged');
      const refused = await w.raw(
        front,
        'GET /socket HTTP/1.1\r\nHost: protected-func.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      assert.match(refused, /^HTTP\/1\.1 401 /);
      assert.match(refused, /www-authenticate: Bearer/i);
    });

    it('diagnostics minimal: no reason in WWW-Authenticate, the reason in the audit log', async () => {
      const front = await w.front({ diagnostics: 'minimal' });
      const token = await w.token('https://management.core.windows.net/');
      const r = await w.call(front, '/minimal', { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 401);
      assert.equal(
        r.headers['www-authenticate'],
        'Bearer realm="protected-func.localhost", error="invalid_token"',
      );
      const events = await w.runtime.audit.list({ plane: 'easyauth', action: 'request.refuse' });
      const event = events.find((e) => e.details?.path === '/minimal');
      assert.equal(event?.reason, 'audience_mismatch');
      assert.match(String(event?.details?.message), /not for this app/);
      assert.ok(event?.details?.hint);
    });

    it('Functions keys: per-route levels, header before query, master for admin, 401 with empty body', async () => {
      const master = 'M'.repeat(40);
      const fnKey = 'f'.repeat(40);
      const front = await w.front({
        globalValidation: { unauthenticatedClientAction: 'AllowAnonymous' },
        functions: {
          routes: [
            { path: '/api/anon', authLevel: 'anonymous' },
            { path: '/api/fn/*', authLevel: 'function' },
            { path: '/admin/*', authLevel: 'admin' },
          ],
          keys: { _master: master, default: fnKey },
        },
      });
      const status = async (path: string, headers: Record<string, string> = {}) =>
        (await w.call(front, path, { headers })).status;
      assert.equal(await status('/api/anon'), 200);
      assert.equal(await status('/elsewhere'), 200, 'a path no route names is anonymous');
      const none = await w.call(front, '/api/fn/x');
      assert.equal(none.status, 401);
      assert.equal(none.text, '', 'empty body, as the Functions host answers');
      assert.equal(await status(`/api/fn/x?code=${fnKey}`), 200);
      assert.equal(await status('/api/fn/x', { 'x-functions-key': fnKey }), 200);
      assert.equal(
        await status(`/api/fn/x?code=wrong${fnKey}`, { 'x-functions-key': fnKey }),
        200,
        'header wins',
      );
      assert.equal(
        await status(`/api/fn/x?code=${fnKey}`, { 'x-functions-key': `wrong${fnKey}` }),
        401,
        'header wins',
      );
      assert.equal(await status(`/api/fn/x?code=${master}`), 200, 'master satisfies function');
      assert.equal(await status(`/admin/host?code=${master}`), 200);
      assert.equal(await status(`/admin/host?code=${fnKey}`), 401, 'a function key is not admin');
      const principalOnly = await status('/api/fn/x', { authorization: `Bearer ${await w.token()}` });
      assert.equal(principalOnly, 401, 'an Easy Auth principal alone does not satisfy function');
      const events = await w.runtime.audit.list({ plane: 'easyauth', action: 'request.refuse' });
      assert.ok(events.some((e) => e.reason === 'admin_key_required'));
      assert.ok(!JSON.stringify(events).includes(fnKey), 'keys never reach the audit trail');
      const strict = await w.front({
        functions: { routes: [{ path: '/api/anon', authLevel: 'anonymous' }], keys: {} },
      });
      assert.equal((await w.call(strict, '/api/anon')).status, 401, 'Easy Auth still runs first');
    });

    it('431 for more than 16 KiB of headers; platform disabled passes through, still stripping', async () => {
      const front = await w.front({});
      const big = await w.raw(
        front,
        `GET / HTTP/1.1\r\nHost: protected-func.localhost\r\nx-big: ${'a'.repeat(17 * 1024)}\r\nConnection: close\r\n\r\n`,
      );
      assert.match(big, /^HTTP\/1\.1 431 /);
      const open = await w.front({ platform: { enabled: false } });
      const r = await w.call(open, '/open', { headers: { 'x-ms-client-principal': 'forged' } });
      assert.equal(r.status, 200);
      assert.deepEqual(headerValues(lastSeen(), 'x-ms-client-principal'), []);
    });

    it('v2 tokens and the tenant issuer; another tenant issuer is refused', async () => {
      await w.runtime.directory.updateApp(w.tenant.id, 'protected-api', { accessTokenAcceptedVersion: 2 });
      try {
        const v2 = await w.token();
        const claims = JSON.parse(Buffer.from(v2.split('.')[1]!, 'base64url').toString());
        assert.equal(claims.iss, `https://login.microsoftonline.com/${w.tenant.id}/v2.0`);
        const front = await w.front({});
        assert.equal((await w.call(front, '/', { headers: { authorization: `Bearer ${v2}` } })).status, 200);
        const other = await w.runtime.directory.createTenant({ name: 'fabrikam' });
        const foreign = await w.front({
          aad: {
            registration: { clientId: w.api.appId, openIdIssuer: `https://sts.windows.net/${other.id}/v2.0` },
          },
        });
        const r = await w.call(foreign, '/', { headers: { authorization: `Bearer ${v2}` } });
        assert.equal(r.status, 401);
        assert.match(String(r.headers['www-authenticate']), /issuer_mismatch/);
      } finally {
        await w.runtime.directory.updateApp(w.tenant.id, 'protected-api', { accessTokenAcceptedVersion: 1 });
      }
    });

    it('a 502 when the upstream is down', async () => {
      const front = await w.front({ upstream: 'http://127.0.0.1:1' });
      const r = await w.call(front, '/', { headers: { authorization: `Bearer ${await w.token()}` } });
      assert.equal(r.status, 502);
      assert.match(r.text, /ECONNREFUSED/);
    });
  });
}
