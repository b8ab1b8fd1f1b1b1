/**
 * @module test/console/web/activity-data.test
 * The Activity view's pure logic: per-minute counts of issuances and refusals over a window ending at the
 * current minute, the chart's bar geometry, the page's own filters, merging streamed events (newest first, no
 * duplicates, capped), and where an event links to — a refusal to the explainer with its context and never a
 * token, a workflow run to its record, a traced gateway request to its trace.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chartBars,
  idNames,
  isIssuance,
  isRefusal,
  linksOf,
  matchesLocal,
  mergeEvents,
  perMinute,
} from '../../../src/console/web/activity-data.ts';
import type { AuditEvent } from '../../../src/console/web/models.ts';
import { parseHash } from '../../../src/console/web/routes.ts';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
let n = 0;
function ev(at: number, over: Partial<AuditEvent> = {}): AuditEvent {
  n++;
  return {
    id: `0190000${String(n).padStart(5, '0')}`,
    at: new Date(at).toISOString(),
    plane: 'issuer',
    action: 'token.issue',
    outcome: 'success',
    ...over,
  };
}

describe('console web: activity data', () => {
  it('tells issuances from refusals', () => {
    assert.equal(isIssuance({ action: 'token.issue', outcome: 'success' }), true);
    assert.equal(isIssuance({ action: 'token.refuse', outcome: 'failure' }), false);
    assert.equal(isRefusal({ outcome: 'failure' }), true);
    assert.equal(isRefusal({ outcome: 'success' }), false);
  });

  it('counts per minute over the window, the current minute last', () => {
    const now = T0 + 30_000; // 10:00:30
    const events = [
      ev(T0 + 1_000),
      ev(T0 + 59_000),
      ev(T0 + 2_000, { action: 'token.refuse', outcome: 'failure' }),
      ev(T0 - 60_000, { plane: 'easyauth', action: 'request.refuse', outcome: 'failure' }),
      ev(T0 - 4 * 60_000), // 09:56: outside a 3-minute window
      ev(T0 + 60_000), // 10:01: after now's minute
      { ...ev(T0), at: 'not a date' },
    ];
    const b = perMinute(events, now, 3);
    assert.deepEqual(
      b.map((x) => [new Date(x.start).toISOString().slice(11, 16), x.issued, x.refused]),
      [
        ['09:58', 0, 0],
        ['09:59', 0, 1],
        ['10:00', 2, 1],
      ],
    );
  });

  it('draws two bars a minute scaled to the largest count, and none for zero', () => {
    const buckets = [
      { start: T0, issued: 4, refused: 0 },
      { start: T0 + 60_000, issued: 2, refused: 1 },
    ];
    const { bars, max } = chartBars(buckets, 100, 40);
    assert.equal(max, 4);
    assert.equal(bars.length, 3);
    const [a, b, c] = bars;
    assert.deepEqual([a!.kind, a!.x, a!.height, a!.y], ['issued', 0, 40, 0]);
    assert.deepEqual([b!.kind, b!.x, b!.height, b!.y], ['issued', 50, 20, 20]);
    assert.deepEqual([c!.kind, c!.x, c!.height], ['refused', 75, 10]);
    assert.ok(bars.every((x) => x.width > 0 && x.x + x.width <= 100));
    assert.deepEqual(chartBars([{ start: T0, issued: 0, refused: 0 }], 100, 40), { bars: [], max: 1 });
  });

  it('filters by parts of the principal, action and reason, ignoring case', () => {
    const e = ev(T0, {
      actor: 'Orders-MI',
      action: 'mi.refuse',
      reason: 'identity_not_found',
      outcome: 'failure',
    });
    assert.equal(matchesLocal(e, { principal: 'orders', action: '', reason: '' }), true);
    assert.equal(matchesLocal(e, { principal: '', action: 'MI.', reason: 'not_found' }), true);
    assert.equal(matchesLocal(e, { principal: 'billing', action: '', reason: '' }), false);
    assert.equal(matchesLocal(ev(T0), { principal: '', action: '', reason: 'x' }), false);
    const byId = ev(T0, { actor: 'd1fee180-0000' });
    const names = (id: string | undefined) => (id === 'd1fee180-0000' ? 'identity:orders-mi' : undefined);
    assert.equal(
      matchesLocal(byId, { principal: 'orders', action: '', reason: '' }, names),
      true,
      'by the name shown',
    );
    assert.equal(
      matchesLocal(byId, { principal: 'd1fee', action: '', reason: '' }, names),
      true,
      'or by the id',
    );
  });

  it('names the ids the audit trail holds as the directory does', () => {
    const names = idNames(
      [
        { kind: 'user', name: 'orders-mi', clientId: 'C1', principalId: 'P1' },
        { kind: 'system', name: 'func1', ownerResource: 'func1', clientId: 'c2', principalId: 'p2' },
      ],
      [{ name: 'orders', appId: 'A1', servicePrincipalId: 's1', identifierUris: ['api://orders'] }],
    );
    assert.equal(names.get('c1'), 'identity:orders-mi');
    assert.equal(names.get('p2'), 'resource:func1');
    assert.equal(names.get('a1'), 'app:orders');
    assert.equal(names.get('api://orders'), 'app:orders');
  });

  it('merges streamed events newest first, without duplicates, up to the limit', () => {
    const a = ev(T0);
    const b = ev(T0 + 1);
    const c = ev(T0 + 2);
    const first = mergeEvents([], [a, b]);
    assert.deepEqual(
      first.map((e) => e.id),
      [b.id, a.id],
    );
    const again = mergeEvents(first, [b, c]);
    assert.deepEqual(
      again.map((e) => e.id),
      [c.id, b.id, a.id],
    );
    assert.equal(mergeEvents(again, [a]), again, 'nothing new: the same array');
    assert.equal(mergeEvents(again, [ev(T0 + 3)], 2).length, 2);
  });

  it('links a refusal to the explainer with its context, and never a token', () => {
    const e = ev(T0, {
      plane: 'easyauth',
      action: 'request.refuse',
      outcome: 'failure',
      target: 'get-creds',
      reason: 'audience_mismatch',
      actor: 'client-1',
      details: { status: 401 },
    });
    const links = linksOf(e, 'contoso');
    assert.equal(links.length, 1);
    assert.equal(links[0]!.label, 'Explain');
    const route = parseHash(links[0]!.href);
    assert.equal(route.view, 'explain');
    assert.deepEqual(route.params, {
      event: e.id,
      plane: 'easyauth',
      action: 'request.refuse',
      front: 'get-creds',
      reason: 'audience_mismatch',
      actor: 'client-1',
      at: e.at,
      tenant: 'contoso',
    });
    assert.equal(linksOf(ev(T0), 'contoso').length, 0, 'a success links nowhere');
    // A refused token request has no token to explain: it asks "may X call Y?" with the names the API takes.
    const refused = ev(T0, {
      action: 'token.refuse',
      outcome: 'failure',
      actor: 'C1',
      target: 'A1',
      reason: 'AADSTS501051',
    });
    const names = (id: string | undefined) =>
      ({ C1: 'identity:orders-mi', A1: 'app:orders' })[id as 'C1' | 'A1'];
    const [may] = linksOf(refused, 'contoso', names);
    assert.equal(may!.label, 'May it call?');
    assert.deepEqual(parseHash(may!.href), {
      view: 'graph',
      rest: [],
      params: { from: 'identity:orders-mi', to: 'app:orders' },
    });
    // The identity plane names the resource in details: that is the front to explain against.
    const mi = ev(T0, {
      plane: 'identity',
      action: 'mi.refuse',
      outcome: 'failure',
      target: 'https://vault.azure.net',
      details: { resource: 'func1' },
    });
    assert.equal(parseHash(linksOf(mi, undefined)[0]!.href).params.front, 'func1');
  });

  it('links a workflow run to its record and a traced gateway request to its trace', () => {
    const run = ev(T0, {
      plane: 'flows',
      action: 'workflow.run',
      outcome: 'failure',
      target: 'workflow:vm-report-flow',
      reason: 'ActionFailed',
      details: { run: '08584000000000000000CU01', status: 'Failed' },
    });
    const links = linksOf(run, 'contoso');
    assert.deepEqual(
      links.map((l) => l.label),
      ['Run record'],
    );
    assert.deepEqual(parseHash(links[0]!.href), {
      view: 'workflows',
      rest: [],
      params: { workflow: 'vm-report-flow', run: '08584000000000000000CU01' },
    });
    const traced = ev(T0, {
      plane: 'gateway',
      action: 'request',
      target: 'gw1',
      details: { traceId: 'abc' },
    });
    assert.deepEqual(parseHash(linksOf(traced, undefined)[0]!.href), {
      view: 'activity',
      rest: ['trace'],
      params: { gateway: 'gw1', trace: 'abc' },
    });
  });
});
