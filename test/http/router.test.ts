/**
 * @module test/server/router.test
 * Path canonicalisation and route matching, the two decisions every request goes through before a handler.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';
import { adminRouter } from '../../src/host/admin-api.ts';
import { parseTarget } from '../../src/http/http.ts';
import { Router } from '../../src/http/router.ts';

describe('parseTarget', () => {
  it('decodes each segment exactly once and keeps an encoded identifier URI as one segment', () => {
    const t = parseTarget('/admin/tenants/contoso/apps/api%3A%2F%2Forders?firstParty=true');
    assert.equal(t.path, '/admin/tenants/contoso/apps/api%3A%2F%2Forders');
    assert.deepEqual(t.segments, ['admin', 'tenants', 'contoso', 'apps', 'api://orders']);
    assert.equal(t.query.get('firstParty'), 'true');
    // %25 decodes to a literal "%": a double-encoded value is not decoded twice.
    assert.deepEqual(parseTarget('/a/%252e%252e').segments, ['a', '%2e%2e']);
    assert.deepEqual(parseTarget('/').segments, []);
    assert.deepEqual(parseTarget('/a/').segments, ['a', '']);
  });

  it('refuses ambiguous or malformed targets', () => {
    for (const target of [
      '/a/../b',
      '/a/./b',
      '/a/%2e%2e/b',
      '/a/%2E/b',
      '/a//b',
      '/a/%zz',
      '/a/%E0%A4%A',
      '/a/%00',
      '/a/%0d%0a',
      'https://evil.example/a',
      '*',
      '',
    ]) {
      assert.throws(
        () => parseTarget(target),
        (err: unknown) => isLanyardError(err) && err.code === 'ERR_VALIDATION',
        target,
      );
    }
  });
});

describe('Router', () => {
  it('matches literals and params, and reports the allowed methods of a known path', () => {
    const r = new Router<string>()
      .add('GET', '/x/:id', 'get')
      .add('DELETE', '/x/:id', 'del')
      .add('GET', '/x', 'list');
    const found = r.match('DELETE', ['x', 'api://a']);
    assert.equal(found.kind, 'found');
    assert.equal(found.kind === 'found' && found.handler, 'del');
    assert.deepEqual(found.kind === 'found' && found.params, { id: 'api://a' });
    assert.deepEqual(r.match('PUT', ['x', '1']), { kind: 'method', allow: ['DELETE', 'GET'] });
    assert.deepEqual(r.match('GET', ['x', '1', 'y']), { kind: 'none' });
    assert.deepEqual(r.match('GET', ['x', '']), { kind: 'none' });
  });

  it('has one handler per method and pattern in the admin table, all under /admin/', () => {
    const routes = adminRouter().routes;
    const keys = routes.map((r) => `${r.method} ${r.pattern}`);
    assert.equal(new Set(keys).size, keys.length);
    assert.ok(routes.every((r) => r.pattern.startsWith('/admin/')));
    assert.ok(keys.includes('PUT /admin/tenants/:tenant/resources/:resource/identities/:identity'));
    assert.ok(
      keys.includes('DELETE /admin/tenants/:tenant/identities/:identity/federated-credentials/:credential'),
    );
  });

  it('matches docs/admin-api.md row for row', () => {
    const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/admin-api.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| (GET|POST|PUT|PATCH|DELETE) \| `(\/admin\/[^`]*)`/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    const routes = adminRouter().routes.map((r) => `${r.method} ${r.pattern}`);
    assert.deepEqual([...documented].sort(), [...routes].sort());
  });
});
