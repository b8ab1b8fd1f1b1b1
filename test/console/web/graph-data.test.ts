/**
 * @module test/console/web/graph-data.test
 * The Graph view's pure logic: a look (shape, colour) for every kind the server sends, elements without edges
 * to missing nodes, the breadth-first layout's roots (nodes nothing points at; the busiest node of a cycle),
 * a node's neighbours, the principals and targets "may X call Y?" offers, and node search.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  EDGE_LOOKS,
  graphElements,
  layeredPositions,
  layoutRoots,
  lookClass,
  lookOf,
  NODE_LOOKS,
  neighboursOf,
  principalChoicesOf,
  searchNodes,
  targetChoicesOf,
} from '../../../src/console/web/graph-data.ts';
import type { Graph, GraphEdge, GraphNode } from '../../../src/console/web/models.ts';

const node = (
  id: string,
  kind: GraphNode['kind'],
  type: string,
  extra: Partial<GraphNode> = {},
): GraphNode => ({
  id,
  kind,
  type,
  label: id.split(':')[1]!,
  details: {},
  ...extra,
});
const edge = (source: string, target: string, kind: GraphEdge['kind'], label: string = kind): GraphEdge => ({
  id: `${kind}:${source}->${target}`,
  source,
  target,
  kind,
  label,
  details: {},
});

/** func1 carries mi1 (system); mi1 holds Orders.Read on orders; a cycle a↔b; lonely has no links. */
const GRAPH: Graph = {
  tenant: { id: 't', name: 'contoso', displayName: 'Contoso' },
  directoryVersion: 1,
  nodes: [
    node('resource:func1', 'resource', 'app', { ref: 'resource:func1' }),
    node('identity:mi1', 'identity', 'system', {
      ref: 'resource:func1',
      principalId: 'p1',
      label: 'func1 (system-assigned)',
    }),
    node('app:orders', 'app', 'app', { ref: 'app:orders', principalId: 'p2' }),
    node('app:arm', 'app', 'first-party', {
      ref: 'app:arm',
      principalId: 'p3',
      label: 'Azure Resource Manager',
    }),
    node('scope:/subscriptions/s1', 'scope', 'subscription', {
      ref: '/subscriptions/s1',
      label: 'subscription s1',
    }),
    node('resource:a', 'resource', 'vault', { ref: 'resource:a' }),
    node('resource:b', 'resource', 'workflow', { ref: 'resource:b' }),
    node('resource:lonely', 'resource', 'vm', { ref: 'resource:lonely' }),
    node('api:gw/orders', 'api', 'gateway-api'),
  ],
  edges: [
    edge('resource:func1', 'identity:mi1', 'identity', 'system-assigned'),
    edge('identity:mi1', 'app:orders', 'app-role', 'Orders.Read'),
    edge('identity:mi1', 'scope:/subscriptions/s1', 'rbac', 'Reader'),
    edge('resource:a', 'resource:b', 'backend'),
    edge('resource:b', 'resource:a', 'backend'),
    edge('resource:b', 'resource:a', 'calls'),
    edge('app:orders', 'app:missing', 'app-role'),
  ],
};

describe('console web: graph data', () => {
  it('has a look for every kind and type the server sends, and a look for every edge kind', () => {
    for (const [kind, type] of [
      ['identity', 'user'],
      ['identity', 'system'],
      ['app', 'app'],
      ['app', 'first-party'],
      ['resource', 'app'],
      ['resource', 'vault'],
      ['resource', 'workflow'],
      ['resource', 'gateway'],
      ['resource', 'automation'],
      ['resource', 'vm'],
      ['api', 'gateway-api'],
      ['scope', 'subscription'],
      ['scope', 'resourceGroup'],
      ['principal', 'unknown'],
    ] as const) {
      const look = lookOf({ kind, type });
      assert.ok(look.key === `${kind}:${type}` || look.key === kind, `${kind}:${type} → ${look.key}`);
    }
    assert.equal(lookOf({ kind: 'resource', type: 'something-new' }).key, 'resource');
    assert.equal(new Set(NODE_LOOKS.map((l) => l.key)).size, NODE_LOOKS.length);
    assert.deepEqual(EDGE_LOOKS.map((l) => l.kind).sort(), [
      'app-role',
      'backend',
      'calls',
      'easyauth',
      'identity',
      'rbac',
      'serves',
    ]);
    assert.equal(lookClass('identity:user'), 'look-identity-user');
  });

  it('builds nodes then edges, leaving out edges to missing nodes', () => {
    const els = graphElements(GRAPH);
    const nodes = els.filter((e) => e.group === 'nodes');
    const edges = els.filter((e) => e.group === 'edges');
    assert.equal(nodes.length, GRAPH.nodes.length);
    assert.equal(edges.length, GRAPH.edges.length - 1);
    assert.ok(!edges.some((e) => e.data.target === 'app:missing'));
    assert.equal(
      els.findIndex((e) => e.group === 'edges'),
      nodes.length,
      'nodes first',
    );
    const mi = nodes.find((e) => e.data.id === 'identity:mi1')!;
    assert.equal(mi.classes, 'look-identity-system');
    assert.equal(edges[0]!.classes, 'edge-identity');
    assert.notEqual(edges[0]!.data.id, GRAPH.edges[0]!.id, 'edge ids cannot clash with node ids');
  });

  it('roots the layout at nodes nothing points at, and at the busiest node of a cycle', () => {
    const roots = layoutRoots(GRAPH);
    assert.ok(roots.includes('resource:func1'));
    assert.ok(roots.includes('resource:lonely'), 'isolated nodes are roots');
    assert.ok(!roots.includes('identity:mi1'));
    assert.ok(!roots.includes('app:orders'));
    assert.equal(
      roots.filter((r) => r === 'resource:a' || r === 'resource:b').length,
      1,
      'one root for the cycle',
    );
    assert.ok(roots.includes('resource:a'), 'a and b both have degree 3: a tie keeps the first in order');
  });

  it('lists a node’s links both ways', () => {
    const { incoming, outgoing } = neighboursOf(GRAPH, 'identity:mi1');
    assert.deepEqual(
      incoming.map((n) => n.node.id),
      ['resource:func1'],
    );
    assert.deepEqual(
      outgoing.map((n) => [n.edge.label, n.node.id]),
      [
        ['Orders.Read', 'app:orders'],
        ['Reader', 'scope:/subscriptions/s1'],
      ],
    );
  });

  it('offers principals with a principal id (no first-party app) and targets with a ref', () => {
    assert.deepEqual(
      principalChoicesOf(GRAPH).map((c) => c.value),
      ['resource:func1', 'app:orders'],
    );
    const targets = targetChoicesOf(GRAPH).map((c) => c.value);
    assert.deepEqual(targets.slice(0, 2), ['app:arm', 'app:orders'], 'apps first, by label');
    assert.ok(targets.includes('resource:a'));
    assert.ok(targets.includes('/subscriptions/s1'));
    assert.ok(!targets.includes('resource:func1') || targets.indexOf('resource:func1') > 1);
    assert.ok(!targets.some((t) => t.startsWith('api:')), 'an API has no ref to ask about');
  });

  it('finds nodes by label, ref or type, ignoring case', () => {
    assert.deepEqual(
      searchNodes(GRAPH, 'FUNC1').map((n) => n.id),
      ['resource:func1', 'identity:mi1'],
    );
    assert.deepEqual(
      searchNodes(GRAPH, 'vault').map((n) => n.id),
      ['resource:a'],
    );
    assert.equal(searchNodes(GRAPH, '').length, GRAPH.nodes.length);
    assert.equal(searchNodes(GRAPH, '', 3).length, 3);
  });

  it('draws the legend’s swatches in console.css with the colours the canvas uses', () => {
    const css = fs.readFileSync(
      path.join(import.meta.dirname, '../../../src/console/web/console.css'),
      'utf8',
    );
    for (const l of NODE_LOOKS) {
      const rule = new RegExp(`\\.swatch\\.${lookClass(l.key)}\\s*\\{\\s*background:\\s*([^;]+);`).exec(css);
      assert.equal(rule?.[1]?.toLowerCase(), l.colour.toLowerCase(), l.key);
    }
    for (const l of EDGE_LOOKS) {
      const rule = new RegExp(`\\.edge-swatch-${l.kind}\\s*\\{\\s*border-top:\\s*3px (\\w+) ([^;]+);`).exec(
        css,
      );
      assert.deepEqual([rule?.[1], rule?.[2]?.toLowerCase()], [l.line, l.colour.toLowerCase()], l.kind);
    }
  });

  it('lays out layers top to bottom, wrapped to the proportions asked, with isolated nodes last', () => {
    const pos = layeredPositions(GRAPH, { cellWidth: 100, rowHeight: 50, layerGap: 80, aspect: 1.5 });
    assert.equal(pos.size, GRAPH.nodes.length, 'every node has a place');
    const y = (id: string) => pos.get(id)!.y;
    assert.ok(y('resource:func1') < y('identity:mi1'), 'what carries an identity sits above it');
    assert.ok(y('identity:mi1') < y('app:orders'), 'the identity sits above what it may call');
    assert.equal(y('app:orders'), y('scope:/subscriptions/s1'), 'both are one step from the identity');
    const last = Math.max(...[...pos.values()].map((p) => p.y));
    assert.equal(y('resource:lonely'), last, 'a node with no link goes in the last block');
    const places = new Set([...pos.values()].map((p) => `${p.x},${p.y}`));
    assert.equal(places.size, pos.size, 'no two nodes share a place');

    // 1,000 nodes in three layers: wrapped into a rectangle near the asked proportions, quickly.
    const big: Graph = { ...GRAPH, nodes: [], edges: [] };
    for (let i = 0; i < 300; i++) {
      big.nodes.push(node(`resource:r${i}`, 'resource', 'app'), node(`identity:i${i}`, 'identity', 'system'));
      big.edges.push(edge(`resource:r${i}`, `identity:i${i}`, 'identity'));
    }
    for (let i = 0; i < 400; i++) {
      big.nodes.push(node(`app:a${i}`, 'app', 'app'));
      big.edges.push(edge(`identity:i${i % 300}`, `app:a${i}`, 'app-role'));
    }
    const started = performance.now();
    const p = layeredPositions(big, { cellWidth: 170, rowHeight: 64, layerGap: 90, aspect: 1.6 });
    const ms = performance.now() - started;
    assert.ok(ms < 200, `${ms} ms`);
    const xs = [...p.values()].map((q) => q.x);
    const ys = [...p.values()].map((q) => q.y);
    const ratio = (Math.max(...xs) - Math.min(...xs) + 170) / (Math.max(...ys) - Math.min(...ys) + 64);
    assert.ok(ratio > 1.2 && ratio < 2.1, `width / height ${ratio}`);
  });
});
