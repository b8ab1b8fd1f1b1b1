/**
 * @module test/console/web/helpers.test
 * The console's small pure helpers: addresses (`#/view/…?…`, never anything but names and ids), admin API
 * paths with each value encoded as one segment, the server's field errors mapped to form fields, principals
 * as the admin API names them, and how values are written.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, path } from '../../../src/console/web/api.ts';
import {
  formatDuration,
  formatValue,
  matchesQuery,
  plural,
  splitList,
} from '../../../src/console/web/format.ts';
import type { Application, ManagedIdentity } from '../../../src/console/web/models.ts';
import { principalChoices, principalNames } from '../../../src/console/web/principals.ts';
import { hashFor, parseHash } from '../../../src/console/web/routes.ts';

describe('console web: routes', () => {
  it('parses views, sub-paths and parameters, and falls back to the graph', () => {
    assert.deepEqual(parseHash('#/directory/apps?app=orders'), {
      view: 'directory',
      rest: ['apps'],
      params: { app: 'orders' },
    });
    assert.deepEqual(parseHash(''), { view: 'graph', rest: [], params: {} });
    assert.deepEqual(parseHash('#/nowhere?x=1'), { view: 'graph', rest: [], params: {} });
    assert.deepEqual(parseHash('#main'), { view: 'graph', rest: [], params: {} });
    assert.equal(parseHash('#/directory/%E0%A4%A').rest[0], '%E0%A4%A', 'bad encoding is kept as written');
  });

  it('writes addresses that parse back, leaving out empty parameters', () => {
    const h = hashFor('workflows', ['runbooks'], {
      account: 'ops acct',
      runbook: 'a/b',
      job: undefined,
      x: '',
    });
    assert.equal(h, '#/workflows/runbooks?account=ops+acct&runbook=a%2Fb');
    assert.deepEqual(parseHash(h), {
      view: 'workflows',
      rest: ['runbooks'],
      params: { account: 'ops acct', runbook: 'a/b' },
    });
    assert.equal(hashFor('graph'), '#/graph');
  });
});

describe('console web: api helpers', () => {
  it('encodes each value as one path segment', () => {
    assert.equal(
      path`/admin/tenants/${'contoso'}/apps/${'api://orders'}`,
      '/admin/tenants/contoso/apps/api%3A%2F%2Forders',
    );
    assert.equal(path`/a/${'../x'}/b/${3}`, '/a/..%2Fx/b/3');
  });

  it('maps the server’s issues and field to form fields, the first message per field', () => {
    const schema = new ApiError(400, {
      code: 'ERR_VALIDATION',
      message: 'Invalid app',
      details: {
        issues: [
          { path: 'name', message: 'must be 1-64 letters' },
          { path: ['appRoles', 0, 'value'], message: 'is required' },
          { path: 'name', message: 'second' },
        ],
      },
    });
    assert.deepEqual(schema.fieldErrors(), { name: 'must be 1-64 letters', appRoles: 'is required' });
    const store = new ApiError(400, {
      code: 'ERR_FLOW_RUNBOOK',
      message: 'Bad schedule',
      details: { field: 'schedule' },
    });
    assert.deepEqual(store.fieldErrors(), { schedule: 'Bad schedule' });
    assert.deepEqual(new ApiError(409, { code: 'ERR_CONFLICT', message: 'exists' }).fieldErrors(), {});
  });
});

describe('console web: principals', () => {
  const identity = (over: Partial<ManagedIdentity>): ManagedIdentity =>
    ({
      kind: 'user',
      name: 'x',
      principalId: 'p',
      clientId: 'c',
      attachedTo: [],
      ...over,
    }) as ManagedIdentity;
  const app = (over: Partial<Application>): Application =>
    ({ name: 'a', firstParty: false, servicePrincipalId: 'sp', appId: 'ai', ...over }) as Application;

  it('names principals as the admin API does, first-party apps left out', () => {
    const choices = principalChoices(
      [
        identity({ name: 'orders-mi', principalId: 'p1' }),
        identity({ kind: 'system', name: 'func1', ownerResource: 'func1', principalId: 'p2' }),
      ],
      [app({ name: 'daemon', servicePrincipalId: 'p3' }), app({ name: 'arm', firstParty: true })],
    );
    assert.deepEqual(
      choices.map((c) => [c.value, c.principalId]),
      [
        ['identity:orders-mi', 'p1'],
        ['resource:func1', 'p2'],
        ['app:daemon', 'p3'],
      ],
    );
    const names = principalNames(
      [identity({ name: 'orders-mi', principalId: 'p1' })],
      [app({ name: 'daemon', servicePrincipalId: 'p3' })],
      [{ objectId: 'p9', displayName: 'Graph' } as never],
    );
    assert.equal(names.get('p1'), 'identity:orders-mi');
    assert.equal(names.get('p3'), 'app:daemon');
    assert.equal(names.get('p9'), 'Graph');
  });
});

describe('console web: format', () => {
  it('writes durations, values, lists and counts', () => {
    assert.equal(formatDuration('2025-01-01T00:00:00Z', '2025-01-01T00:00:00.850Z'), '850 ms');
    assert.equal(formatDuration('2025-01-01T00:00:00Z', '2025-01-01T00:00:02.4Z'), '2.4 s');
    assert.equal(formatDuration('2025-01-01T00:00:00Z', '2025-01-01T00:03:05Z'), '3 min 5 s');
    assert.equal(formatDuration('2025-01-01T00:00:00Z', undefined), '');
    assert.equal(formatValue(['a', 1, { b: 2 }]), 'a, 1, {"b":2}');
    assert.equal(formatValue(null), '');
    assert.deepEqual(splitList(' a, b\n\nc ,'), ['a', 'b', 'c']);
    assert.equal(plural(1, 'app'), '1 app');
    assert.equal(plural(2, 'identity', 'identities'), '2 identities');
    assert.equal(matchesQuery('  ORD ', 'x', undefined, 'orders'), true);
    assert.equal(matchesQuery('zz', 'orders'), false);
  });
});
