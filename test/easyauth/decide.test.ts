/**
 * @module test/easyauth/decide
 * The front's decision table without a socket: `decide(request, front)` on plain request objects, with fronts
 * compiled from configs (`compileFront`) and tokens minted by the runtime's own issuer. What reaches the app
 * (headers, path) is read from the decision itself; the HTTP side is test/easyauth/proxy.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EasyAuthConfigInput } from '../../src/easyauth/config.ts';
import { type Decision, decide, type FrontRequest } from '../../src/easyauth/decide.ts';
import { compileFront, type Front, findAppResource } from '../../src/easyauth/front.ts';
import { importAuthSettingsV2 } from '../../src/easyauth/import.ts';
import { decodePrincipal, openWorld, type World } from './world.ts';

const EXPORTED = fs.readFileSync(path.join(import.meta.dirname, 'fixtures/authsettingsV2.json'), 'utf8');
const REMOTE = '10.1.2.3';
const HOST = 'protected-func.localhost';

/** A request as the listener hands it over: method, target, raw headers (Host first), the caller's address. */
function request(url: string, headers: readonly string[] = [], method = 'GET'): FrontRequest {
  return { method, url, rawHeaders: ['Host', HOST, ...headers], remoteAddress: REMOTE };
}

/** Values of a header in a flat name/value list (case-insensitive name). */
function values(headers: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === name) out.push(headers[i + 1]!);
  }
  return out;
}

function forwarded(d: Decision) {
  assert.equal(d.kind, 'forward', d.kind === 'refuse' ? `refused: ${d.refusal.reason}` : d.kind);
  return d as Extract<Decision, { kind: 'forward' }>;
}

function refused(d: Decision, status: number, reason: string) {
  assert.equal(d.kind, 'refuse', `expected a refusal, got ${d.kind}`);
  const r = d as Extract<Decision, { kind: 'refuse' }>;
  assert.equal(r.refusal.status, status);
  assert.equal(r.refusal.reason, reason);
  return r;
}

describe('Easy Auth decision table (no socket)', () => {
  let w: World;
  const fronts: Front[] = [];
  let token: string;

  /** A front for protected-func with `config` over the default (upstream, clientId = the api's appId). */
  const compile = async (
    config: Partial<EasyAuthConfigInput> & { aad?: Record<string, unknown> } = {},
  ): Promise<Front> => {
    const { aad, ...rest } = config;
    const resource = await findAppResource(w.runtime, 'protected-func', undefined);
    const front = await compileFront(w.runtime, resource, {
      upstream: 'http://127.0.0.1:9/base',
      identityProviders: {
        azureActiveDirectory: { registration: { clientId: w.api.appId }, ...(aad ?? {}) } as never,
      },
      ...rest,
    });
    fronts.push(front);
    return front;
  };
  const bearer = (t = token) => ['Authorization', `Bearer ${t}`];

  before(async () => {
    w = await openWorld('sqlite');
    token = await w.token();
  });
  after(async () => {
    await Promise.all(fronts.map((f) => f.upstream.close()));
    await w.cleanup();
  });

  it('a valid token: forward with the principal headers, X-Forwarded-*, the base path and the query', async () => {
    const front = await compile();
    const d = forwarded(await decide(request('/api/orders?x=1', bearer()), front));
    assert.equal(d.path, '/base/api/orders?x=1');
    assert.equal(d.matchPath, '/api/orders');
    assert.equal(d.ignored, undefined);
    const principal = decodePrincipal(values(d.headers, 'x-ms-client-principal')[0]!);
    assert.equal(principal.auth_typ, 'aad');
    assert.deepEqual(values(d.headers, 'x-ms-client-principal-id'), [w.callerOid]);
    assert.deepEqual(values(d.headers, 'x-ms-client-principal-idp'), ['aad']);
    assert.deepEqual(values(d.headers, 'x-ms-token-aad-access-token'), [token]);
    assert.deepEqual(values(d.headers, 'authorization'), [`Bearer ${token}`]);
    assert.deepEqual(values(d.headers, 'x-forwarded-for'), [REMOTE]);
    assert.deepEqual(values(d.headers, 'x-forwarded-proto'), ['https']);
    assert.deepEqual(values(d.headers, 'x-forwarded-host'), [HOST]);
    assert.deepEqual(values(d.headers, 'host'), [], 'the upstream sets its own Host');
  });

  it('is synchronous once the issuer keys are at hand: no promise for a token seen before', async () => {
    const front = await compile();
    await decide(request('/warm', bearer()), front);
    const again = decide(request('/api', bearer()), front);
    assert.ok(!(again instanceof Promise), 'a known token is decided without a promise');
    forwarded(again as Decision);
    const fresh = decide(request('/api', bearer(await w.token())), front);
    assert.ok(!(fresh instanceof Promise), 'so is a new token whose key is loaded');
  });

  it('no Host header: X-Forwarded-Host is the realm', async () => {
    const front = await compile();
    const d = forwarded(
      await decide({ method: 'GET', url: '/', rawHeaders: bearer(), remoteAddress: undefined }, front),
    );
    assert.deepEqual(values(d.headers, 'x-forwarded-host'), ['protected-func.localhost']);
    assert.deepEqual(values(d.headers, 'x-forwarded-for'), ['']);
  });

  it('unauthenticatedClientAction: Return401 (default), Return403, Return404, RedirectToLoginPage → 401', async () => {
    const cases = [
      [undefined, 401],
      ['Return401', 401],
      ['Return403', 403],
      ['Return404', 404],
      ['RedirectToLoginPage', 401],
    ] as const;
    for (const [action, status] of cases) {
      const front = await compile(
        action ? { globalValidation: { unauthenticatedClientAction: action } } : {},
      );
      const none = refused(await decide(request('/api'), front), status, 'token_missing');
      assert.equal(none.matchPath, '/api');
      assert.equal(none.refusal.tokenPresented, false);
      const bad = refused(
        await decide(request('/api', bearer('not.a.token')), front),
        status,
        'token_malformed',
      );
      assert.equal(bad.refusal.tokenPresented, true);
    }
  });

  it('AllowAnonymous and requireAuthentication false: forward without principal; a failed token is ignored, recorded', async () => {
    for (const globalValidation of [
      { unauthenticatedClientAction: 'AllowAnonymous' as const },
      { requireAuthentication: false },
    ]) {
      const front = await compile({ globalValidation });
      const anon = forwarded(await decide(request('/anon', ['X-MS-CLIENT-PRINCIPAL-NAME', 'admin']), front));
      assert.deepEqual(values(anon.headers, 'x-ms-client-principal-name'), []);
      assert.equal(anon.ignored, undefined, 'no token, nothing to record');
      const bad = forwarded(await decide(request('/anon', bearer('not.a.token')), front));
      assert.deepEqual(values(bad.headers, 'x-ms-client-principal'), [], 'a failed token is no principal');
      assert.equal(bad.ignored?.reason, 'token_malformed');
      const good = forwarded(await decide(request('/anon', bearer()), front));
      assert.equal(values(good.headers, 'x-ms-client-principal').length, 1);
    }
  });

  it('an authorization failure is 403 whatever the action, AllowAnonymous included', async () => {
    const front = await compile({
      globalValidation: { unauthenticatedClientAction: 'AllowAnonymous' },
      aad: {
        registration: { clientId: w.api.appId },
        validation: { defaultAuthorizationPolicy: { allowedApplications: [w.api.appId] } },
      },
    });
    const d = refused(await decide(request('/api', bearer()), front), 403, 'application_not_allowed');
    assert.equal(d.refusal.category, 'authorization');
    assert.match(String(d.refusal.hint), /allow requests only from this application itself/);
  });

  it('excluded paths (the Azure export fixture): forwarded anonymously, on the canonical path only', async () => {
    const { config } = importAuthSettingsV2(JSON.parse(EXPORTED));
    const front = await compile({
      globalValidation: config.globalValidation,
    });
    for (const p of ['/api/health', '/API/Health/', '/swagger/index.html', '/sw%61gger/x']) {
      const d = forwarded(await decide(request(p, bearer()), front));
      assert.deepEqual(values(d.headers, 'x-ms-client-principal'), [], `${p}: no principal`);
      assert.deepEqual(values(d.headers, 'authorization'), [`Bearer ${token}`], 'the header itself passes');
    }
    assert.equal(forwarded(await decide(request('/sw%61gger/x'), front)).path, '/base/sw%61gger/x');
    for (const p of ['/swagger', '/api/healthz', '/api?next=/api/health']) {
      refused(await decide(request(p), front), 401, 'token_missing');
    }
  });

  it('an ambiguous path or a refused header is 400 before anything else, with no canonical path', async () => {
    const front = await compile({ globalValidation: { excludedPaths: ['/public/*'] } });
    for (const p of ['/public/../admin', '/public/%2e%2e/admin', '//public/a', '/public;x/a', 'public/a']) {
      const d = refused(await decide(request(p, bearer()), front), 400, 'path_ambiguous');
      assert.equal(d.matchPath, undefined);
      assert.equal(d.refusal.category, 'request');
    }
    refused(
      await decide(request('/public/a', ['Connection', 'close, Authorization']), front),
      400,
      'header_refused',
    );
    refused(await decide(request('/public/a', ['Host', 'other']), front), 400, 'header_refused');
  });

  it('/.auth/me: the claims for a bearer caller, the refusal without; other /.auth routes 404', async () => {
    const front = await compile({ globalValidation: { unauthenticatedClientAction: 'AllowAnonymous' } });
    const me = await decide(request('/.auth/me', bearer()), front);
    assert.equal(me.kind, 'me');
    assert.equal((me as Extract<Decision, { kind: 'me' }>).token, token);
    assert.equal((await decide(request('/.auth/me', bearer(), 'HEAD'), front)).kind, 'me');
    // AllowAnonymous does not make /.auth/me anonymous: there is no caller to describe.
    refused(await decide(request('/.auth/me'), front), 401, 'token_missing');
    refused(await decide(request('/.auth/me', bearer(), 'POST'), front), 404, 'auth_route_unknown');
    refused(await decide(request('/.auth/login/aad'), front), 404, 'auth_route_unknown');
    refused(await decide(request('/.AUTH'), front), 404, 'auth_route_unknown');
    forwarded(await decide(request('/.authx'), front));
    const moved = await compile({ httpSettings: { routes: { apiPrefix: '/.easy' } } });
    assert.equal((await decide(request('/.easy/me', bearer()), moved)).kind, 'me');
    forwarded(await decide(request('/.auth/me', bearer()), moved));
  });

  it('two Authorization headers, or access_token in the query: 401 token_ambiguous, even with AllowAnonymous', async () => {
    const front = await compile({ globalValidation: { unauthenticatedClientAction: 'AllowAnonymous' } });
    const two = refused(
      await decide(request('/', [...bearer(), ...bearer()]), front),
      401,
      'token_ambiguous',
    );
    assert.match(two.refusal.message, /2 Authorization headers/);
    refused(await decide(request(`/?access_token=${token}`, bearer()), front), 401, 'token_ambiguous');
    refused(await decide(request(`/?a=1&Access_Token=${token}`), front), 401, 'token_ambiguous');
  });

  it('client-sent identity headers are stripped on every path; the front sets its own', async () => {
    const spoof = [
      'X-MS-CLIENT-PRINCIPAL',
      'eyJhZG1pbiI6dHJ1ZX0=',
      'x_ms_client_principal_id',
      'admin-oid',
      'X-MS-TOKEN-AAD-ACCESS-TOKEN',
      'forged',
      'X-Forwarded-For',
      '192.0.2.1',
      'X-Original-URL',
      '/public/a',
      'X-HTTP-Method-Override',
      'DELETE',
    ];
    const front = await compile({ globalValidation: { excludedPaths: ['/public/*'] } });
    const disabled = await compile({ platform: { enabled: false } });
    for (const [f, p, h] of [
      [front, '/public/a', spoof],
      [front, '/private', [...spoof, ...bearer()]],
      [disabled, '/open', spoof],
    ] as const) {
      const d = forwarded(await decide(request(p, h), f));
      for (const forged of [
        'eyJhZG1pbiI6dHJ1ZX0=',
        'admin-oid',
        'forged',
        '192.0.2.1',
        '/public/a',
        'DELETE',
      ]) {
        assert.ok(!d.headers.includes(forged), `${p}: ${forged} was stripped`);
      }
      assert.ok(!d.headers.some((n, i) => i % 2 === 0 && n.includes('_')), 'no underscore spelling survives');
      assert.deepEqual(values(d.headers, 'x-forwarded-for'), [REMOTE]);
      if (p === '/private') assert.deepEqual(values(d.headers, 'x-ms-token-aad-access-token'), [token]);
      else assert.deepEqual(values(d.headers, 'x-ms-client-principal'), []);
    }
  });

  it('another scheme or a bare token is "no token", and a bare token is never echoed', async () => {
    const front = await compile();
    const basic = refused(
      await decide(request('/', ['Authorization', 'Basic dXNlcjpwYXNz']), front),
      401,
      'token_missing',
    );
    assert.match(basic.refusal.message, /"Basic" scheme/);
    assert.equal(basic.refusal.tokenPresented, true);
    const bare = refused(await decide(request('/', ['Authorization', token]), front), 401, 'token_missing');
    assert.match(bare.refusal.message, /bare token/);
    assert.ok(!JSON.stringify(bare.refusal).includes(token.slice(0, 40)));
    forwarded(await decide(request('/', ['Authorization', `bEaReR   ${token}  `]), front));
  });

  it('the Entra provider disabled: no token is accepted', async () => {
    const front = await compile({ aad: { registration: { clientId: w.api.appId }, enabled: false } });
    const d = refused(await decide(request('/', bearer()), front), 401, 'token_missing');
    assert.match(d.refusal.message, /disabled/);
  });

  it('Functions keys: per-route levels after Easy Auth, header before query; a principal alone is not a key', async () => {
    const master = 'M'.repeat(40);
    const fnKey = 'f'.repeat(40);
    const front = await compile({
      globalValidation: { unauthenticatedClientAction: 'AllowAnonymous', excludedPaths: ['/api/fn/open'] },
      functions: {
        routes: [
          { path: '/api/anon', authLevel: 'anonymous' },
          { path: '/api/fn/*', authLevel: 'function' },
          { path: '/admin/*', authLevel: 'admin' },
        ],
        keys: { _master: master, default: fnKey },
      },
    });
    const key = (k: string) => ['x-functions-key', k];
    forwarded(await decide(request('/api/anon'), front));
    forwarded(await decide(request('/elsewhere'), front));
    const none = refused(await decide(request('/api/fn/x'), front), 401, 'function_key_missing');
    assert.equal(none.refusal.category, 'function_key');
    refused(await decide(request('/api/fn/x', bearer()), front), 401, 'function_key_missing');
    refused(await decide(request('/api/fn/open'), front), 401, 'function_key_missing');
    forwarded(await decide(request(`/api/fn/x?code=${fnKey}`), front));
    forwarded(await decide(request('/api/fn/x', key(fnKey)), front));
    forwarded(await decide(request(`/api/fn/x?code=wrong${fnKey}`, key(fnKey)), front));
    refused(
      await decide(request(`/api/fn/x?code=${fnKey}`, key(`wrong${fnKey}`)), front),
      401,
      'function_key_invalid',
    );
    forwarded(await decide(request(`/admin/host?code=${master}`), front));
    refused(await decide(request(`/admin/host?code=${fnKey}`), front), 401, 'admin_key_required');
    // A failed token on an anonymous path is still recorded when the key check then refuses.
    const both = refused(
      await decide(request('/api/fn/x', bearer('not.a.token')), front),
      401,
      'function_key_missing',
    );
    assert.equal(both.ignored?.reason, 'token_malformed');
    // Keys run after Easy Auth: with Return401 an anonymous Functions route still needs a token.
    const strict = await compile({
      functions: { routes: [{ path: '/api/anon', authLevel: 'anonymous' }], keys: {} },
    });
    refused(await decide(request('/api/anon'), strict), 401, 'token_missing');
    // And with the platform off, keys are all that is checked.
    const off = await compile({
      platform: { enabled: false },
      functions: { routes: [{ path: '/api/*', authLevel: 'function' }], keys: { default: fnKey } },
    });
    refused(await decide(request('/api/x'), off), 401, 'function_key_missing');
    forwarded(await decide(request('/api/x', key(fnKey)), off));
  });

  it('method overrides in the query are dropped from what is forwarded', async () => {
    const front = await compile({ globalValidation: { unauthenticatedClientAction: 'AllowAnonymous' } });
    const d = forwarded(await decide(request('/a?_method=DELETE&x=1'), front));
    assert.equal(d.path, '/base/a?x=1');
  });
});
