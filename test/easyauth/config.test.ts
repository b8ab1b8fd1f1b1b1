/**
 * @module test/easyauth/config
 * The config's rules without a listener: defaults, strictness, path patterns; the lenient reader for
 * authsettingsV2 exported from Azure (wrapper or bare, nulls, numeric enums, disabled providers, unknown
 * fields); the canonical request path; the principal header's JSON; and the header preparation.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseEasyAuthConfig } from '../../src/easyauth/config.ts';
import { importAuthSettingsV2 } from '../../src/easyauth/import.ts';
import { canonicalTarget, pathMatcher } from '../../src/easyauth/paths.ts';
import { clientPrincipal, clientPrincipalJson, principalHeaders } from '../../src/easyauth/principal.ts';
import { rfc6750Text } from '../../src/easyauth/refusal.ts';
import { prepareHeaders } from '../../src/easyauth/request-headers.ts';
import { LanyardError } from '../../src/errors/lanyard-error.ts';

const EXPORTED = fs.readFileSync(path.join(import.meta.dirname, 'fixtures/authsettingsV2.json'), 'utf8');
const minimal = {
  upstream: 'http://127.0.0.1:7071',
  identityProviders: { azureActiveDirectory: { registration: { clientId: 'somefunction' } } },
};

describe('Easy Auth config schema', () => {
  it('fills in Lanyard defaults: on, authentication required, 401, full diagnostics, a free port', () => {
    const c = parseEasyAuthConfig(minimal);
    assert.equal(c.platform.enabled, true);
    assert.equal(c.globalValidation.requireAuthentication, true);
    assert.equal(c.globalValidation.unauthenticatedClientAction, 'Return401');
    assert.deepEqual(c.globalValidation.excludedPaths, []);
    assert.equal(c.diagnostics, 'full');
    assert.deepEqual(c.listen, { port: 0, host: '127.0.0.1' });
    assert.equal(c.httpSettings.routes.apiPrefix, '/.auth');
    const v = c.identityProviders.azureActiveDirectory.validation;
    assert.deepEqual(v.allowedAudiences, []);
    assert.deepEqual(v.defaultAuthorizationPolicy.allowedPrincipals.identities, []);
    assert.equal(c.identityProviders.azureActiveDirectory.login.disableWWWAuthenticate, false);
    assert.equal(c.functions, undefined);
    // Defaults are fresh objects: changing one config cannot change another.
    (c.globalValidation.excludedPaths as string[]).push('/x');
    assert.deepEqual(parseEasyAuthConfig(minimal).globalValidation.excludedPaths, []);
  });

  it('refuses unknown keys, a missing upstream or clientId, and bad values, naming each path', () => {
    const err = (input: unknown) => {
      try {
        parseEasyAuthConfig(input);
      } catch (e) {
        assert.ok(e instanceof LanyardError);
        assert.equal(e.code, 'ERR_VALIDATION');
        return e.message;
      }
      assert.fail('accepted');
    };
    assert.match(err({ ...minimal, colour: 'red' }), /colour/);
    assert.match(err({ identityProviders: minimal.identityProviders }), /upstream/);
    assert.match(
      err({ upstream: 'http://x', identityProviders: { azureActiveDirectory: { registration: {} } } }),
      /clientId/,
    );
    assert.match(err({ ...minimal, upstream: 'ftp://x' }), /upstream/);
    assert.match(err({ ...minimal, upstream: 'http://u:p@x' }), /upstream/);
    assert.match(err({ ...minimal, upstream: 'http://x/?q=1' }), /upstream/);
    assert.match(
      err({ ...minimal, globalValidation: { unauthenticatedClientAction: 'Return500' } }),
      /unauthenticatedClientAction/,
    );
    assert.match(err({ ...minimal, diagnostics: 'verbose' }), /diagnostics/);
    assert.match(
      err({
        ...minimal,
        identityProviders: {
          azureActiveDirectory: { registration: { clientId: 'x', openIdIssuer: 'http://x' } },
        },
      }),
      /openIdIssuer/,
    );
    assert.match(
      err({ ...minimal, functions: { routes: [{ path: '/a', authLevel: 'system' }] } }),
      /authLevel/,
    );
    assert.match(err({ ...minimal, functions: { keys: { default: 'short' } } }), /keys/);
  });

  it('accepts excluded paths Azure accepts, refuses ambiguous ones', () => {
    const ok = ['/health', '/swagger/*', '/', '/*', '/api/v1.0/status'];
    assert.deepEqual(
      parseEasyAuthConfig({ ...minimal, globalValidation: { excludedPaths: ok } }).globalValidation
        .excludedPaths,
      ok,
    );
    for (const bad of [
      'health',
      '/a/*/b',
      '/a*',
      '/**/*.jpg',
      '/a/../b',
      '//a',
      '/a;b',
      '/a%2fb',
      '/a?b',
      '/a b',
      '/a\\b',
    ]) {
      assert.throws(
        () => parseEasyAuthConfig({ ...minimal, globalValidation: { excludedPaths: [bad] } }),
        LanyardError,
        bad,
      );
    }
  });
});

describe('authsettingsV2 import', () => {
  it('reads a realistic export: wrapper, nulls, numeric enum, disabled providers, unknown fields', () => {
    const { config, warnings } = importAuthSettingsV2(JSON.parse(EXPORTED));
    assert.equal(config.platform?.enabled, true);
    assert.equal(config.globalValidation?.requireAuthentication, true);
    assert.equal(
      config.globalValidation?.unauthenticatedClientAction,
      'RedirectToLoginPage',
      '0 is RedirectToLoginPage',
    );
    assert.deepEqual(config.globalValidation?.excludedPaths, ['/api/health', '/swagger/*']);
    const aad = config.identityProviders!.azureActiveDirectory;
    assert.equal(aad.registration.clientId, 'cc334b87-fdbe-4996-aa3f-5bad192a18a6');
    assert.equal(aad.registration.openIdIssuer, 'https://sts.windows.net/TENANT_ID/v2.0');
    assert.deepEqual(aad.validation?.allowedAudiences, ['api://somefunction']);
    assert.deepEqual(aad.validation?.defaultAuthorizationPolicy?.allowedApplications, []);
    assert.deepEqual(aad.validation?.defaultAuthorizationPolicy?.allowedPrincipals?.identities, []);
    assert.ok(warnings.some((w) => /RedirectToLoginPage/.test(w) && /401/.test(w)));
    assert.ok(
      warnings.some((w) => /clusterManagement/.test(w) && /encryptionSettings/.test(w)),
      warnings.join('\n'),
    );
    assert.ok(
      !warnings.some((w) => /facebook|tokenStore|login\.routes/.test(w)),
      'disabled providers and login settings are quiet',
    );
    // The result is a valid Lanyard config once an upstream is added.
    const c = parseEasyAuthConfig({ ...config, upstream: 'http://127.0.0.1:7071' });
    assert.equal(c.globalValidation.unauthenticatedClientAction, 'RedirectToLoginPage');
  });

  it('accepts the bare properties object, string booleans, Return404 as 4, and warns about an enabled provider', () => {
    const { config, warnings } = importAuthSettingsV2({
      platform: { enabled: 'true' },
      globalValidation: { unauthenticatedClientAction: 4, excludedPaths: null },
      identityProviders: {
        azureActiveDirectory: { registration: { clientId: 'abc', openIdIssuer: null }, validation: null },
        google: { enabled: true },
      },
    });
    assert.equal(config.platform?.enabled, true);
    assert.equal(config.globalValidation?.unauthenticatedClientAction, 'Return404');
    assert.equal(
      config.globalValidation?.requireAuthentication,
      false,
      'absent means not required, as in Azure',
    );
    assert.deepEqual(config.globalValidation?.excludedPaths, []);
    assert.equal(config.identityProviders?.azureActiveDirectory.registration.openIdIssuer, undefined);
    assert.ok(warnings.some((w) => /google/.test(w)));
    assert.ok(warnings.some((w) => /requireAuthentication is absent/.test(w)));
  });

  it('absent platform.enabled is off, string actions match case-insensitively; no clientId is an error', () => {
    const { config, warnings } = importAuthSettingsV2({
      globalValidation: { requireAuthentication: true, unauthenticatedClientAction: 'return401' },
      identityProviders: { azureActiveDirectory: { registration: { clientId: 'abc' } } },
    });
    assert.equal(config.platform?.enabled, false);
    assert.ok(warnings.some((w) => /platform\.enabled is absent/.test(w)));
    assert.equal(config.globalValidation?.unauthenticatedClientAction, 'Return401');
    assert.throws(() => importAuthSettingsV2({ properties: { identityProviders: {} } }), /clientId/);
    assert.throws(() => importAuthSettingsV2([1, 2]), /not a JSON object/);
  });
});

describe('canonical request path', () => {
  it('keeps what is unambiguous, decodes for matching, drops _method, notes access_token and code', () => {
    const t = canonicalTarget('/API/%7Euser/a%20b?x=1&_method=DELETE&code=k%2B1&access_token=t');
    assert.ok(t.ok);
    assert.equal(t.path, '/API/%7Euser/a%20b');
    assert.equal(t.matchPath, '/api/~user/a b');
    assert.equal(t.query, 'x=1&code=k%2B1&access_token=t');
    assert.equal(t.code, 'k+1');
    assert.equal(t.hasAccessToken, true);
  });

  it('refuses every ambiguous shape', () => {
    for (const target of [
      'admin',
      '*',
      'http://evil/admin',
      '/a/../b',
      '/a/./b',
      '/a/..',
      '/a/%2e%2e/b',
      '/a/%2E/b',
      '/a%2fb',
      '/a%5cb',
      '/a\\b',
      '/a%252e',
      '/a;b=1/c',
      '/a%3bb',
      '//a',
      '/a//b',
      '/a#b',
      '/a%23b',
      '/a%00',
      '/a%0d%0a',
      '/a%zz',
      '/a%c3',
      '/a/%EF%BC%8E%EF%BC%8E/b',
      '/admin.',
      '/a b',
      '/caf\u00e9',
    ]) {
      assert.equal(canonicalTarget(target).ok, false, target);
    }
  });

  it('matches exact and /* patterns case-insensitively, a trailing slash ignored', () => {
    const m = pathMatcher(['/health', '/Public/*']);
    for (const p of ['/health', '/health/', '/public/a', '/public/']) assert.ok(m(p), p);
    for (const p of ['/healthz', '/public', '/publicx', '/x/public/a']) assert.ok(!m(p), p);
    assert.ok(!pathMatcher([])('/'));
  });
});

describe('principal and headers', () => {
  it('maps Entra claim names, repeats multi-valued claims, stringifies every value', () => {
    const p = clientPrincipal({ oid: 'o', tid: 't', roles: ['A', 'B'], iat: 1, aud: 'x', custom: { a: 1 } });
    assert.deepEqual(p.claims, [
      { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'o' },
      { typ: 'http://schemas.microsoft.com/identity/claims/tenantid', val: 't' },
      { typ: 'roles', val: 'A' },
      { typ: 'roles', val: 'B' },
      { typ: 'iat', val: '1' },
      { typ: 'aud', val: 'x' },
      { typ: 'custom', val: '{"a":1}' },
    ]);
  });

  it('the principal JSON written directly is the text JSON.stringify gives', () => {
    const samples = [
      {},
      { oid: 'o', tid: 't', roles: ['A', 'B'], iat: 1, aud: 'x', custom: { a: 1 } },
      {
        aud: ['x', 'y'],
        name: 'Zoë "Z" \\ Ω \u2028 😀',
        nested: [[1, [2]], { b: [true, null] }],
        scp: 'a b',
        empty: '',
        n: -0.5,
        f: false,
        nul: null,
        ctl: 'a\u0000b\r\n',
        ['__proto__']: 'own',
      },
      JSON.parse('{"__proto__":{"x":1},"oid":"o"}'),
    ];
    for (const claims of samples) {
      assert.equal(clientPrincipalJson(claims), JSON.stringify(clientPrincipal(claims)));
    }
  });

  it('principal headers are kept for a cached token and not for a token verified afresh', () => {
    const fresh = { oid: 'o-fresh', tid: 't', roles: ['A'] };
    assert.notEqual(principalHeaders(fresh, false), principalHeaders(fresh, false));
    assert.deepEqual(principalHeaders(fresh, false), principalHeaders(fresh, false));
    const cached = { oid: 'o-cached', tid: 't' };
    assert.equal(principalHeaders(cached), principalHeaders(cached, true));
  });

  it('header values: control characters removed, non-Latin-1 names sent as UTF-8 bytes', () => {
    const h = principalHeaders({ oid: 'o\r\nX-Injected: 1', preferred_username: 'zo\u00eb@contoso.com' });
    assert.equal(h.id, 'o  X-Injected: 1');
    assert.equal(Buffer.from(h.name, 'latin1').toString('utf8'), 'zo\u00eb@contoso.com');
    const p = JSON.parse(Buffer.from(h.principal, 'base64').toString('utf8'));
    assert.equal(p.claims[1].val, 'zo\u00eb@contoso.com', 'the JSON keeps the text as is');
  });

  it('makes any text safe inside an RFC 6750 error_description', () => {
    const safe = rfc6750Text('a "quoted"\r\nInjected: header \\ — é');
    assert.equal(safe, "a 'quoted' Injected: header / - ?");
    assert.ok(rfc6750Text('x'.repeat(5000)).length <= 1024);
  });

  it('drops identity, hop-by-hop and Connection-named headers in one pass; refuses protected Connection names', () => {
    const prepared = prepareHeaders([
      'Host',
      'a.localhost',
      'Connection',
      'keep-alive, X-Custom-Hop',
      'X-Custom-Hop',
      '1',
      'Authorization',
      'Bearer t',
      'X_MS_CLIENT_PRINCIPAL_ID',
      'x',
      'Content_Length',
      '5',
      'x-functions-key',
      'k1',
      'x-functions-key',
      'k2',
      'Accept',
      '*/*',
    ]);
    assert.ok(!('refused' in prepared));
    assert.deepEqual(prepared.forward, [
      'Authorization',
      'Bearer t',
      'x-functions-key',
      'k1',
      'x-functions-key',
      'k2',
      'Accept',
      '*/*',
    ]);
    assert.deepEqual(prepared.authorization, ['Bearer t']);
    assert.equal(prepared.functionsKey, 'k1');
    assert.equal(prepared.host, 'a.localhost');
    for (const name of [
      'Authorization',
      'x_ms_client_principal',
      'X-Forwarded-For',
      'Host',
      'Content-Length',
    ]) {
      assert.ok('refused' in prepareHeaders(['Connection', `close, ${name}`]), name);
    }
  });
});
