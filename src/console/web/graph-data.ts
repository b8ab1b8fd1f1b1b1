/**
 * @module console/web/graph-data
 * What the Graph view makes of `GET …/graph` before cytoscape sees it: each node's look (shape and colour by
 * kind, the same table draws the legend), the elements, the layout's roots, a node's neighbours for the side
 * panel, and the principals and targets "may X call Y?" offers. Pure functions (node:test covers them), so the
 * drawing module only draws.
 */
import type { Graph, GraphEdge, GraphNode } from './models.ts';

export interface NodeLook {
  /** `kind` or `kind:type`: the most specific entry wins. */
  key: string;
  label: string;
  /** A cytoscape node shape. */
  shape: string;
  colour: string;
}

/**
 * Shapes differ as well as colours, so kinds are told apart without colour; colours are mid-tones readable on
 * the light and the dark canvas, with the label drawn beside the node in the page's text colour.
 */
export const NODE_LOOKS: readonly NodeLook[] = [
  { key: 'identity:user', label: 'User-assigned identity', shape: 'ellipse', colour: '#0f9d8a' },
  { key: 'identity:system', label: 'System-assigned identity', shape: 'ellipse', colour: '#4db6ac' },
  { key: 'app:app', label: 'App registration', shape: 'round-rectangle', colour: '#3b7dd8' },
  {
    key: 'app:first-party',
    label: 'First-party app (Resource Manager, Key Vault, Graph)',
    shape: 'round-rectangle',
    colour: '#8a94a6',
  },
  { key: 'resource:app', label: 'Function / web app', shape: 'hexagon', colour: '#e8873a' },
  { key: 'resource:vault', label: 'Key Vault', shape: 'diamond', colour: '#9c5fd6' },
  { key: 'resource:workflow', label: 'Workflow', shape: 'round-tag', colour: '#d6589a' },
  { key: 'resource:gateway', label: 'API gateway', shape: 'octagon', colour: '#2e9e4f' },
  { key: 'resource:automation', label: 'Automation account', shape: 'barrel', colour: '#c0a020' },
  { key: 'resource:vm', label: 'Virtual machine', shape: 'rectangle', colour: '#b06a3b' },
  { key: 'resource', label: 'Other resource', shape: 'rectangle', colour: '#a0785a' },
  { key: 'api', label: 'API behind a gateway', shape: 'tag', colour: '#5cb85c' },
  { key: 'scope', label: 'Azure scope (subscription, resource group)', shape: 'triangle', colour: '#7f8c9d' },
  { key: 'principal', label: 'Principal unknown to the directory', shape: 'vee', colour: '#9e9e9e' },
];

export interface EdgeLook {
  kind: GraphEdge['kind'];
  label: string;
  colour: string;
  line: 'solid' | 'dashed' | 'dotted';
}

export const EDGE_LOOKS: readonly EdgeLook[] = [
  { kind: 'app-role', label: 'App role assignment (principal → app)', colour: '#3b7dd8', line: 'solid' },
  { kind: 'rbac', label: 'Azure RBAC role (principal → scope)', colour: '#9c5fd6', line: 'dashed' },
  { kind: 'identity', label: 'Carries identity (resource → identity)', colour: '#0f9d8a', line: 'dotted' },
  {
    kind: 'easyauth',
    label: 'Easy Auth front accepts tokens for (resource → app)',
    colour: '#e8873a',
    line: 'solid',
  },
  { kind: 'serves', label: 'Gateway serves API', colour: '#2e9e4f', line: 'solid' },
  { kind: 'backend', label: 'API backend (API → resource)', colour: '#2e9e4f', line: 'dashed' },
  {
    kind: 'calls',
    label: 'Workflow action calls with identity (identity → app)',
    colour: '#d6589a',
    line: 'dashed',
  },
];

/** Labels in the order people expect: `api-2` before `api-10`, case aside. */
export function byLabel(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });
}

export function lookOf(node: Pick<GraphNode, 'kind' | 'type'>): NodeLook {
  return (
    NODE_LOOKS.find((l) => l.key === `${node.kind}:${node.type}`) ??
    NODE_LOOKS.find((l) => l.key === node.kind) ??
    NODE_LOOKS[NODE_LOOKS.length - 1]!
  );
}

/** A class name for a look (`look-identity-user`): cytoscape styles select on it. */
export function lookClass(key: string): string {
  return `look-${key.replace(/[^a-z0-9]+/gi, '-')}`;
}

/** cytoscape's element definitions, without depending on its types (this module runs in node:test too). */
export interface ElementDef {
  group: 'nodes' | 'edges';
  data: { id: string; label: string; source?: string; target?: string; kind: string };
  classes: string;
}

/** Nodes first, then the edges whose two ends exist (an edge to a missing node would make cytoscape throw). */
export function graphElements(graph: Graph): ElementDef[] {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const nodes: ElementDef[] = graph.nodes.map((n) => ({
    group: 'nodes',
    data: { id: n.id, label: n.label, kind: n.kind },
    classes: lookClass(lookOf(n).key),
  }));
  const edges: ElementDef[] = graph.edges
    .filter((e) => ids.has(e.source) && ids.has(e.target) && e.source !== e.target)
    .map((e) => ({
      group: 'edges',
      data: { id: `edge:${e.id}`, label: e.label, source: e.source, target: e.target, kind: e.kind },
      classes: `edge-${e.kind}`,
    }));
  return [...nodes, ...edges];
}

/**
 * Where the breadth-first layout starts: the nodes nothing points at (resources that carry identities,
 * principals, gateways); in a part of the graph where every node has an incoming edge (a cycle), its node of
 * highest degree. Isolated nodes are roots too (they sit in the first row).
 */
export function layoutRoots(graph: Graph): string[] {
  const incoming = new Map<string, number>();
  const degree = new Map<string, number>();
  const neighbours = new Map<string, string[]>();
  const ids = new Set(graph.nodes.map((n) => n.id));
  for (const n of graph.nodes) {
    incoming.set(n.id, 0);
    degree.set(n.id, 0);
    neighbours.set(n.id, []);
  }
  for (const e of graph.edges) {
    if (!ids.has(e.source) || !ids.has(e.target) || e.source === e.target) continue;
    incoming.set(e.target, incoming.get(e.target)! + 1);
    degree.set(e.source, degree.get(e.source)! + 1);
    degree.set(e.target, degree.get(e.target)! + 1);
    neighbours.get(e.source)!.push(e.target);
    neighbours.get(e.target)!.push(e.source);
  }
  const roots = graph.nodes.filter((n) => incoming.get(n.id) === 0).map((n) => n.id);
  // Components with no root of their own: pick their busiest node.
  const seen = new Set<string>();
  const visit = (start: string): string[] => {
    const component: string[] = [];
    const stack = [start];
    seen.add(start);
    while (stack.length > 0) {
      const id = stack.pop()!;
      component.push(id);
      for (const m of neighbours.get(id)!) {
        if (!seen.has(m)) {
          seen.add(m);
          stack.push(m);
        }
      }
    }
    return component;
  };
  const rooted = new Set(roots);
  for (const r of roots) if (!seen.has(r)) visit(r);
  for (const n of graph.nodes) {
    if (seen.has(n.id)) continue;
    const component = visit(n.id);
    if (component.some((id) => rooted.has(id))) continue;
    const busiest = component.reduce((a, b) => (degree.get(b)! > degree.get(a)! ? b : a));
    roots.push(busiest);
  }
  return roots;
}

export interface Neighbour {
  edge: GraphEdge;
  node: GraphNode;
}

/** A node's edges, each with the node at its other end: what points at it, what it points at. */
export function neighboursOf(graph: Graph, id: string): { incoming: Neighbour[]; outgoing: Neighbour[] } {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const incoming: Neighbour[] = [];
  const outgoing: Neighbour[] = [];
  for (const e of graph.edges) {
    if (e.target === id && byId.has(e.source)) incoming.push({ edge: e, node: byId.get(e.source)! });
    if (e.source === id && byId.has(e.target)) outgoing.push({ edge: e, node: byId.get(e.target)! });
  }
  return { incoming, outgoing };
}

export interface Choice {
  value: string;
  label: string;
}

/** Who can be asked about: identities and apps with a principal (first-party apps hold no credentials here). */
export function principalChoicesOf(graph: Graph): Choice[] {
  return graph.nodes
    .filter(
      (n) =>
        n.ref !== undefined &&
        n.principalId !== undefined &&
        n.kind !== 'principal' &&
        n.type !== 'first-party',
    )
    .map((n) => ({ value: n.ref!, label: `${n.label} (${lookOf(n).label.toLowerCase()})` }))
    .sort((a, b) => byLabel(a.label, b.label));
}

/**
 * What can be asked about: apps (a token for them, and the fronts that take it), resources (an Easy Auth
 * front, a vault), and Azure scopes (with an operation).
 */
export function targetChoicesOf(graph: Graph): Choice[] {
  const order = (n: GraphNode) => (n.kind === 'app' ? 0 : n.kind === 'resource' ? 1 : 2);
  return graph.nodes
    .filter((n) => n.ref !== undefined && (n.kind === 'app' || n.kind === 'resource' || n.kind === 'scope'))
    .sort((a, b) => order(a) - order(b) || byLabel(a.label, b.label))
    .map((n) => ({ value: n.ref!, label: `${n.label} (${lookOf(n).label.toLowerCase()})` }));
}

/** Nodes whose label, ref or type contains the query, in label order; at most `limit`. */
export function searchNodes(graph: Graph, query: string, limit = 200): GraphNode[] {
  const q = query.trim().toLowerCase();
  return graph.nodes
    .filter(
      (n) =>
        q === '' ||
        n.label.toLowerCase().includes(q) ||
        (n.ref ?? '').toLowerCase().includes(q) ||
        n.type.toLowerCase().includes(q),
    )
    .sort((a, b) => byLabel(a.label, b.label))
    .slice(0, limit);
}

export interface Point {
  x: number;
  y: number;
}

export interface LayeredOptions {
  /** Width of one node's place (its label included). */
  cellWidth?: number;
  /** Height of one row of nodes (label included). */
  rowHeight?: number;
  /** Extra space between two layers. */
  layerGap?: number;
  /** Width over height the drawing should have (the canvas's). */
  aspect?: number;
}

/**
 * The default drawing: layers by breadth-first depth from the roots (what carries an identity, then the
 * identity, then what it may call), each layer wrapped into rows of at most C nodes, C chosen so the whole
 * has about the canvas's proportions. cytoscape's own breadth-first layout puts a layer on one row: 300
 * identities make a line tens of thousands of pixels long, unreadable once fitted; wrapping keeps a
 * 1,000-node graph a rectangle where labels can be read after a zoom. Within a layer nodes sit in the order
 * of the nodes that point at them (fewer crossings), then by label; nodes with no link at all go last, in a
 * block of their own. Pure and fast (a few ms at 1,000 nodes); cytoscape draws the positions ('preset').
 */
export function layeredPositions(graph: Graph, options: LayeredOptions = {}): Map<string, Point> {
  const cellWidth = options.cellWidth ?? 170;
  const rowHeight = options.rowHeight ?? 64;
  const layerGap = options.layerGap ?? 90;
  const aspect = options.aspect ?? 1.6;
  const ids = new Set(graph.nodes.map((n) => n.id));
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const out = new Map<string, string[]>();
  const into = new Map<string, string[]>();
  for (const n of graph.nodes) {
    out.set(n.id, []);
    into.set(n.id, []);
  }
  for (const e of graph.edges) {
    if (!ids.has(e.source) || !ids.has(e.target) || e.source === e.target) continue;
    out.get(e.source)!.push(e.target);
    into.get(e.target)!.push(e.source);
  }
  const isolated = graph.nodes.filter((n) => out.get(n.id)!.length === 0 && into.get(n.id)!.length === 0);
  const isolatedIds = new Set(isolated.map((n) => n.id));

  // Depth: breadth-first from the roots; a node no root reaches (a cycle behind a root) starts from itself.
  const depth = new Map<string, number>();
  const walk = (starts: string[], at: number) => {
    let frontier = starts.filter((id) => !depth.has(id));
    for (const id of frontier) depth.set(id, at);
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const id of frontier) {
        for (const m of out.get(id)!) {
          if (depth.has(m)) continue;
          depth.set(m, depth.get(id)! + 1);
          next.push(m);
        }
      }
      frontier = next;
    }
  };
  walk(
    layoutRoots(graph).filter((id) => !isolatedIds.has(id)),
    0,
  );
  for (const n of graph.nodes) {
    if (depth.has(n.id) || isolatedIds.has(n.id)) continue;
    const placed = into.get(n.id)!.filter((m) => depth.has(m));
    walk([n.id], placed.length === 0 ? 0 : Math.max(...placed.map((m) => depth.get(m)!)) + 1);
  }

  const layers: string[][] = [];
  for (const [id, d] of depth) {
    layers[d] ??= [];
    layers[d].push(id);
  }
  const kindOrder = (id: string) => lookOf(byId.get(id)!).key;
  const index = new Map<string, number>();
  const ordered = layers
    .filter((l) => l !== undefined)
    .map((layer, d) => {
      const centre = (id: string) => {
        const from = into.get(id)!.filter((m) => index.has(m));
        return from.length === 0
          ? Number.POSITIVE_INFINITY
          : from.reduce((s, m) => s + index.get(m)!, 0) / from.length;
      };
      const sorted =
        d === 0
          ? [...layer].sort(
              (a, b) =>
                kindOrder(a).localeCompare(kindOrder(b)) || byLabel(byId.get(a)!.label, byId.get(b)!.label),
            )
          : [...layer]
              .map((id) => ({ id, c: centre(id) }))
              .sort((a, b) => a.c - b.c || byLabel(byId.get(a.id)!.label, byId.get(b.id)!.label))
              .map((x) => x.id);
      sorted.forEach((id, i) => {
        index.set(id, i);
      });
      return sorted;
    });
  if (isolated.length > 0) {
    ordered.push(
      isolated
        .sort((a, b) => lookOf(a).key.localeCompare(lookOf(b).key) || byLabel(a.label, b.label))
        .map((n) => n.id),
    );
  }

  // Columns: the count whose drawing is closest to the wanted proportions.
  const sizes = ordered.map((l) => l.length);
  const widest = Math.max(1, ...sizes);
  let cols = widest;
  let best = Number.POSITIVE_INFINITY;
  for (let c = Math.min(4, widest); c <= widest; c++) {
    const height =
      sizes.reduce((h, n) => h + Math.ceil(n / c) * rowHeight, 0) + (sizes.length - 1) * layerGap;
    const miss = Math.abs(Math.log((c * cellWidth) / Math.max(rowHeight, height) / aspect));
    if (miss < best) {
      best = miss;
      cols = c;
    }
  }

  const positions = new Map<string, Point>();
  let y = 0;
  for (const layer of ordered) {
    for (let r = 0; r * cols < layer.length; r++) {
      const row = layer.slice(r * cols, (r + 1) * cols);
      const left = ((cols - row.length) * cellWidth) / 2;
      row.forEach((id, i) => {
        positions.set(id, { x: left + i * cellWidth, y });
      });
      y += rowHeight;
    }
    y += layerGap;
  }
  return positions;
}
