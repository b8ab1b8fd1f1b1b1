/**
 * @module console/web/graph-view
 * `#/graph`: who may call what — identities, apps, resources, gateway APIs and Azure scopes, joined by app
 * role assignments, RBAC roles, carried identities, Easy Auth fronts, gateway backends and workflow calls
 * (`GET …/graph`). cytoscape draws it (loaded only here), laid out breadth-first from the nodes nothing points
 * at (a layered drawing that takes about 0.1 s at 1,000 nodes, where a force-directed one takes many seconds),
 * with nodes nothing links to set in a grid below. Shapes and colours by kind, with a legend.
 *
 * A canvas is not accessible on its own, so beside it is a searchable list of every node (arrow keys move,
 * Enter opens): opening a node, from the list or the canvas, shows its details, its links, the claims of the
 * tokens it would get, and "may X call Y?" with the chain of reasons (`POST …/access`: the issuer's, Easy
 * Auth's and RBAC's own evaluators).
 */

import { AccessResult } from './access-result.ts';
import { askAccess, fetchGraph } from './api.ts';
import { CheckboxField, ErrorNote, Facts, Loading, SelectField, TextField } from './components.ts';
import { formatValue } from './format.ts';
import { FormButtons, FormError, useSubmit } from './forms.ts';
import {
  type Choice,
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
} from './graph-data.ts';
import { useLoad, useStore } from './hooks.ts';
import type { AccessAnswer, Graph, GraphNode } from './models.ts';
import type { Route } from './routes.ts';
import { tenants } from './tenants.ts';
import {
  type CytoscapeCore,
  type Html,
  html,
  loadCytoscape,
  useEffect,
  useMemo,
  useRef,
  useState,
} from './vendor.ts';

type Layout = 'layered' | 'breadthfirst' | 'rings' | 'grid';

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v === '' ? fallback : v;
}

/** cytoscape's stylesheet, from the legend's table and the page's colours (light or dark). */
function stylesheet() {
  const text = cssVar('--text', '#1b1f24');
  const bg = cssVar('--bg', '#ffffff');
  const focus = cssVar('--focus', '#005fcc');
  const muted = cssVar('--muted', '#5b6470');
  return [
    {
      selector: 'node',
      style: {
        label: 'data(label)',
        'font-size': 11,
        color: text,
        'text-valign': 'bottom',
        'text-margin-y': 4,
        'text-max-width': '140px',
        'text-wrap': 'ellipsis',
        'min-zoomed-font-size': 7,
        'text-background-color': bg,
        'text-background-opacity': 0.7,
        'text-background-padding': '1px',
        width: 22,
        height: 22,
        'border-width': 1,
        'border-color': bg,
      },
    },
    ...NODE_LOOKS.map((l) => ({
      selector: `.${lookClass(l.key)}`,
      style: { shape: l.shape, 'background-color': l.colour },
    })),
    {
      selector: 'edge',
      style: {
        width: 1.2,
        'curve-style': 'straight',
        'target-arrow-shape': 'triangle',
        'arrow-scale': 0.8,
        'line-color': muted,
        'target-arrow-color': muted,
        opacity: 0.8,
      },
    },
    ...EDGE_LOOKS.map((l) => ({
      selector: `.edge-${l.kind}`,
      style: { 'line-color': l.colour, 'target-arrow-color': l.colour, 'line-style': l.line },
    })),
    {
      selector: 'edge.near',
      style: {
        label: 'data(label)',
        'font-size': 9,
        color: text,
        'text-background-color': bg,
        'text-background-opacity': 0.85,
        width: 2.5,
        opacity: 1,
        'z-index': 10,
      },
    },
    { selector: 'node:selected', style: { 'border-width': 4, 'border-color': focus, 'z-index': 20 } },
    { selector: '.faded', style: { opacity: 0.15 } },
  ];
}

function runLayout(cy: CytoscapeCore, graph: Graph, layout: Layout): void {
  const all = cy.elements();
  if (layout === 'layered') {
    const aspect = Math.max(0.5, Math.min(3, cy.width() / Math.max(1, cy.height())));
    const positions = layeredPositions(graph, { aspect });
    all.layout({ name: 'preset', positions: Object.fromEntries(positions), animate: false }).run();
    return;
  }
  if (layout === 'grid') {
    all
      .layout({
        name: 'grid',
        animate: false,
        avoidOverlap: true,
        condense: true,
        nodeDimensionsIncludeLabels: true,
      })
      .run();
    return;
  }
  const isolated = cy.nodes().filter((n) => n.degree(false) === 0);
  const connected = all.difference(isolated);
  if (layout === 'rings') {
    const depth = new Map<string, number>();
    connected.nodes().forEach((n) => {
      depth.set(n.id(), n.indegree(false) === 0 ? 3 : n.outdegree(false) === 0 ? 1 : 2);
    });
    connected
      .layout({
        name: 'concentric',
        animate: false,
        avoidOverlap: true,
        minNodeSpacing: 12,
        nodeDimensionsIncludeLabels: true,
        concentric: (n) => depth.get(n.id()) ?? 0,
        levelWidth: () => 1,
      })
      .run();
  } else {
    connected
      .layout({
        name: 'breadthfirst',
        animate: false,
        directed: true,
        roots: layoutRoots(graph).filter((id) => connected.getElementById(id).length > 0),
        spacingFactor: 1.2,
        avoidOverlap: true,
        nodeDimensionsIncludeLabels: true,
      })
      .run();
  }
  if (isolated.length > 0) {
    const box = connected.length > 0 ? connected.boundingBox({}) : { x1: 0, y1: 0, w: 800, h: 0, y2: 0 };
    const cols = Math.max(4, Math.ceil(Math.sqrt(isolated.length * 3)));
    const width = Math.max(box.w, cols * 60);
    const rows = Math.ceil(isolated.length / cols);
    isolated
      .layout({
        name: 'grid',
        animate: false,
        cols,
        avoidOverlap: true,
        boundingBox: { x1: box.x1, y1: box.y2 + 80, w: width, h: rows * 60 },
      })
      .run();
  }
}

/** The drawing. It calls `onSelect` when a node is tapped and follows `selected` when the list chooses one. */
function Canvas({
  graph,
  selected,
  onSelect,
}: {
  graph: Graph;
  selected: string | undefined;
  onSelect: (id: string | undefined) => void;
}): Html {
  const container = useRef<HTMLDivElement>(null);
  const cyRef = useRef<CytoscapeCore | undefined>(undefined);
  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;
  const [layout, setLayout] = useState<Layout>('layered');
  const [status, setStatus] = useState('Loading the drawing library…');
  const [failed, setFailed] = useState<string | undefined>(undefined);

  useEffect(() => {
    let cy: CytoscapeCore | undefined;
    let gone = false;
    const started = performance.now();
    loadCytoscape().then(
      (cytoscape) => {
        if (gone || !container.current) return;
        cy = cytoscape({
          container: container.current,
          elements: graphElements(graph) as never,
          style: stylesheet() as never,
          layout: { name: 'preset' },
          minZoom: 0.03,
          maxZoom: 4,
          boxSelectionEnabled: false,
          selectionType: 'single',
          textureOnViewport: graph.nodes.length > 300,
          hideEdgesOnViewport: graph.nodes.length > 300,
          pixelRatio: 'auto',
        });
        cyRef.current = cy;
        runLayout(cy, graph, 'layered');
        cy.fit(undefined, 30);
        cy.on('tap', 'node', (e) => onSelectRef.current(e.target.id() as string));
        cy.on('tap', (e) => {
          if (e.target === cy) onSelectRef.current(undefined);
        });
        setStatus(
          `${graph.nodes.length} nodes and ${graph.edges.length} links drawn in ${Math.round(performance.now() - started)} ms.`,
        );
      },
      (err: unknown) => setFailed(`The drawing library did not load: ${(err as Error).message}`),
    );
    const scheme = matchMedia('(prefers-color-scheme: dark)');
    const restyle = () => cy?.style(stylesheet() as never);
    scheme.addEventListener('change', restyle);
    return () => {
      gone = true;
      scheme.removeEventListener('change', restyle);
      cy?.destroy();
      cyRef.current = undefined;
    };
  }, [graph]);

  // Follow the selection: select, centre, and fade what is not linked to it.
  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    cy.batch(() => {
      cy.elements().removeClass('faded near').unselect();
      if (selected === undefined) return;
      const node = cy.getElementById(selected);
      if (node.length === 0) return;
      node.select();
      const near = node.closedNeighborhood();
      cy.elements().difference(near).addClass('faded');
      near.edges().addClass('near');
    });
    if (selected !== undefined) {
      const node = cy.getElementById(selected);
      if (node.length > 0) {
        if (cy.zoom() < 0.8) cy.zoom({ level: 0.8, position: node.position() });
        cy.center(node);
      }
    }
  }, [selected, status]);

  const relayout = (next: Layout) => {
    setLayout(next);
    const cy = cyRef.current;
    if (!cy) return;
    const started = performance.now();
    runLayout(cy, graph, next);
    cy.fit(undefined, 30);
    setStatus(`Laid out ${graph.nodes.length} nodes in ${Math.round(performance.now() - started)} ms.`);
  };
  const zoom = (factor: number) => {
    const cy = cyRef.current;
    if (!cy) return;
    cy.zoom({ level: cy.zoom() * factor, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
  };
  const onKey = (e: KeyboardEvent) => {
    const cy = cyRef.current;
    if (!cy) return;
    const step = 60;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [step, 0],
      ArrowRight: [-step, 0],
      ArrowUp: [0, step],
      ArrowDown: [0, -step],
    };
    if (moves[e.key]) {
      const [x, y] = moves[e.key]!;
      cy.panBy({ x, y });
    } else if (e.key === '+' || e.key === '=') zoom(1.25);
    else if (e.key === '-') zoom(0.8);
    else if (e.key === 'f' || e.key === '0') cy.fit(undefined, 30);
    else return;
    e.preventDefault();
  };
  return html`<div class="graph-canvas-wrap">
    <div class="toolbar graph-toolbar">
      <${SelectField}
        label="Layout"
        value=${layout}
        onChange=${(v: string) => relayout(v as Layout)}
        options=${[
          { value: 'layered', label: 'Layers, wrapped (default)' },
          { value: 'breadthfirst', label: 'Breadth-first, one row a layer' },
          { value: 'rings', label: 'Rings (concentric)' },
          { value: 'grid', label: 'Grid' },
        ]}
      />
      <button type="button" onClick=${() => cyRef.current?.fit(undefined, 30)}>Fit</button>
      <button type="button" onClick=${() => zoom(1.25)} aria-label="Zoom in">+</button>
      <button type="button" onClick=${() => zoom(0.8)} aria-label="Zoom out">−</button>
    </div>
    ${failed ? html`<p class="error-note" role="alert">${failed}</p>` : null}
    <div
      class="graph-canvas"
      ref=${container}
      tabindex="0"
      role="application"
      aria-roledescription="graph drawing"
      aria-label="Graph drawing. Arrow keys pan, plus and minus zoom, F fits. Use the node list to open a node."
      onKeyDown=${onKey}
    ></div>
    <p class="graph-status" role="status" aria-live="polite">${status}</p>
  </div>`;
}

/** Every node as a button; one tab stop, arrow keys move between them (roving tabindex), Enter opens. */
function NodeList({
  graph,
  selected,
  onSelect,
}: {
  graph: Graph;
  selected: string | undefined;
  onSelect: (id: string) => void;
}): Html {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const list = useRef<HTMLUListElement>(null);
  const found = useMemo(() => searchNodes(graph, query), [graph, query]);
  const total = useMemo(() => searchNodes(graph, query, Number.POSITIVE_INFINITY).length, [graph, query]);
  const at = Math.min(active, Math.max(0, found.length - 1));
  const focusAt = (i: number) => {
    const next = Math.max(0, Math.min(found.length - 1, i));
    setActive(next);
    (list.current?.querySelectorAll('button')[next] as HTMLButtonElement | undefined)?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    const keys: Record<string, number> = {
      ArrowDown: at + 1,
      ArrowUp: at - 1,
      Home: 0,
      End: found.length - 1,
      PageDown: at + 10,
      PageUp: at - 10,
    };
    if (keys[e.key] === undefined) return;
    e.preventDefault();
    focusAt(keys[e.key]!);
  };
  return html`<aside class="graph-list" aria-labelledby="graph-list-h">
    <h2 id="graph-list-h">Nodes</h2>
    <div class="filter">
      <label for="graph-search">Find a node</label>
      <input id="graph-search" type="search" autocomplete="off" spellcheck=${false} value=${query}
        aria-describedby="graph-search-count"
        onInput=${(e: Event) => {
          setQuery((e.currentTarget as HTMLInputElement).value);
          setActive(0);
        }} />
      <p id="graph-search-count" class="field-help" aria-live="polite">
        ${total === found.length ? `${total} shown` : `${found.length} of ${total} shown; narrow the search`}
      </p>
    </div>
    <ul class="node-list" ref=${list} onKeyDown=${onKey}>
      ${found.map(
        (n, i) => html`<li key=${n.id}>
          <button
            type="button"
            tabindex=${i === at ? 0 : -1}
            aria-pressed=${n.id === selected ? 'true' : 'false'}
            class=${`node-button ${lookClass(lookOf(n).key)}`}
            onFocus=${() => setActive(i)}
            onClick=${() => onSelect(n.id)}
          >
            <span class=${`swatch ${lookClass(lookOf(n).key)}`} aria-hidden="true"></span>
            <span class="node-name">${n.label}</span>
            <span class="node-kind">${lookOf(n).label}</span>
          </button>
        </li>`,
      )}
    </ul>
  </aside>`;
}

function Legend(): Html {
  return html`<details class="legend card">
    <summary>Legend</summary>
    <div class="legend-grid">
      <ul class="plain">
        ${NODE_LOOKS.map(
          (l) =>
            html`<li><span class=${`swatch ${lookClass(l.key)}`} aria-hidden="true"></span> ${l.label} <span class="muted">(${l.shape})</span></li>`,
        )}
      </ul>
      <ul class="plain">
        ${EDGE_LOOKS.map(
          (l) =>
            html`<li><span class=${`edge-swatch edge-swatch-${l.kind}`} aria-hidden="true"></span> ${l.label} <span class="muted">(${l.line})</span></li>`,
        )}
      </ul>
    </div>
  </details>`;
}

function AccessForm({
  tenant,
  principals,
  targets,
  from,
  to,
}: {
  tenant: string;
  principals: readonly Choice[];
  targets: readonly Choice[];
  from?: string | undefined;
  to?: string | undefined;
}): Html {
  const [principal, setPrincipal] = useState(from ?? '');
  const [target, setTarget] = useState(to ?? '');
  const [action, setAction] = useState('');
  const [dataAction, setDataAction] = useState(false);
  const [answer, setAnswer] = useState<AccessAnswer | undefined>(undefined);
  useEffect(() => {
    if (from !== undefined) setPrincipal(from);
    if (to !== undefined) setTarget(to);
    setAnswer(undefined);
  }, [from, to]);
  const submit = useSubmit(async () => {
    setAnswer(undefined);
    setAnswer(await askAccess(tenant, { principal, target, action: action.trim() || undefined, dataAction }));
  });
  return html`<form class="card form-card" onSubmit=${submit.onSubmit} aria-labelledby="may-h">
    <h3 id="may-h">May X call Y?</h3>
    <${FormError} submit=${submit} />
    <${SelectField} label="X: the caller" value=${principal} onChange=${setPrincipal} error=${submit.fieldError('principal')}
      options=${[{ value: '', label: 'Choose a principal…' }, ...principals]} />
    <${SelectField} label="Y: what it calls" value=${target} onChange=${setTarget} error=${submit.fieldError('target')}
      options=${[{ value: '', label: 'Choose an app, resource or scope…' }, ...targets]} />
    <${TextField} label="Azure operation (optional)" value=${action} onInput=${setAction} error=${submit.fieldError('action')}
      help="For Resource Manager or a vault, e.g. Microsoft.Compute/virtualMachines/read; empty: a token for Y and its fronts." />
    ${action.trim() ? html`<${CheckboxField} label="Data action" checked=${dataAction} onChange=${setDataAction} />` : null}
    <${FormButtons} submit=${submit} label="Ask" />
    ${answer ? html`<${AccessResult} answer=${answer} />` : null}
  </form>`;
}

/** A principal's tokens: one button per app it holds a role on (or calls), each answering with the claims. */
function TokenClaims({
  tenant,
  node,
  graph,
}: {
  tenant: string;
  node: GraphNode;
  graph: Graph;
}): Html | null {
  const [answer, setAnswer] = useState<AccessAnswer | undefined>(undefined);
  const asked = useRef('');
  const submit = useSubmit(async () => {
    setAnswer(undefined);
    setAnswer(await askAccess(tenant, { principal: node.ref!, target: asked.current }));
  });
  if (node.ref === undefined || node.principalId === undefined) return null;
  const apps = neighboursOf(graph, node.id)
    .outgoing.filter((n) => n.node.kind === 'app' && n.node.ref !== undefined)
    .map((n) => n.node)
    .filter((n, i, all) => all.findIndex((m) => m.id === n.id) === i);
  if (apps.length === 0) return html`<p class="note">It holds no app role, so its tokens carry no roles.</p>`;
  return html`<div class="token-claims">
    <h3>Its tokens</h3>
    <ul class="plain">
      ${apps.map(
        (a) => html`<li>
          <button type="button" disabled=${submit.busy} onClick=${() => {
            asked.current = a.ref!;
            void submit.run();
          }}>Claims of a token for ${a.label}</button>
        </li>`,
      )}
    </ul>
    <${FormError} submit=${submit} />
    ${answer ? html`<${AccessResult} answer=${answer} />` : null}
  </div>`;
}

function NodePanel({
  tenant,
  graph,
  node,
  onSelect,
  principals,
  targets,
}: {
  tenant: string;
  graph: Graph;
  node: GraphNode;
  onSelect: (id: string) => void;
  principals: readonly Choice[];
  targets: readonly Choice[];
}): Html {
  const { incoming, outgoing } = neighboursOf(graph, node.id);
  // A system-assigned identity and its resource share a ref (`resource:<name>`): the identity is the caller,
  // the resource what is called.
  const isPrincipal = node.kind !== 'scope' && principals.some((p) => p.value === node.ref);
  const isTarget = node.kind !== 'identity' && targets.some((t) => t.value === node.ref);
  const facts = Object.entries(node.details).map(
    ([k, v]) =>
      [
        k,
        typeof v === 'object' && v !== null && !Array.isArray(v)
          ? html`<code class="wrap">${JSON.stringify(v)}</code>`
          : Array.isArray(v) && v.some((x) => typeof x === 'object')
            ? html`<code class="wrap">${JSON.stringify(v)}</code>`
            : formatValue(v),
      ] as [string, unknown],
  );
  const link = (n: { edge: { id: string; label: string }; node: GraphNode }, outgoing: boolean) => {
    const other = html`<button type="button" class="linklike" onClick=${() => onSelect(n.node.id)}>${n.node.label}</button>`;
    const label = html`<span class="edge-label">${n.edge.label}</span>`;
    const kind = html`<span class="muted">(${lookOf(n.node).label.toLowerCase()})</span>`;
    return outgoing
      ? html`<li key=${n.edge.id}>${label}${' → '}${other}${' '}${kind}</li>`
      : html`<li key=${n.edge.id}>${other}${' '}${kind}${' → '}${label}</li>`;
  };
  return html`<aside class="graph-panel" aria-labelledby="node-h">
    <h2 id="node-h">${node.label}</h2>
    <p class="muted">${lookOf(node).label}${node.ref ? html` · <code>${node.ref}</code>` : null}</p>
    <${Facts} items=${facts as never} />
    ${outgoing.length > 0 ? html`<h3>Links from it</h3><ul class="plain links">${outgoing.map((n) => link(n, true))}</ul>` : null}
    ${incoming.length > 0 ? html`<h3>Links to it</h3><ul class="plain links">${incoming.map((n) => link(n, false))}</ul>` : null}
    ${isPrincipal ? html`<${TokenClaims} key=${node.id} tenant=${tenant} node=${node} graph=${graph} />` : null}
    <${AccessForm}
      tenant=${tenant}
      principals=${principals}
      targets=${targets}
      from=${isPrincipal ? node.ref : undefined}
      to=${isTarget ? node.ref : undefined}
    />
  </aside>`;
}

export function View({ route }: { route: Route }): Html {
  const t = useStore(tenants);
  const tenant = t.current;
  const graph = useLoad(
    (signal) => (tenant === undefined ? Promise.resolve(undefined) : fetchGraph(tenant, signal)),
    [tenant],
  );
  const [selected, setSelected] = useState<string | undefined>(route.params.node);
  // Fetch the drawing library while the graph is read, not after.
  useEffect(() => {
    loadCytoscape().catch(() => undefined);
  }, []);
  const data = graph.data;
  const principals = useMemo(() => (data ? principalChoicesOf(data) : []), [data]);
  const targets = useMemo(() => (data ? targetChoicesOf(data) : []), [data]);
  const node = data?.nodes.find((n) => n.id === selected);
  return html`<h1>Graph</h1>
    <p class="lede">Who may call what: identities and apps, the roles they hold, and what those roles reach.</p>
    ${tenant === undefined ? html`<p class="empty">No tenant yet.</p>` : null}
    <${ErrorNote} error=${graph.error} title="The graph could not be read." />
    ${graph.loading && !data && tenant !== undefined ? html`<${Loading} what="the graph" />` : null}
    ${
      data && tenant !== undefined
        ? html`<div class="graph-layout">
            <${NodeList} graph=${data} selected=${selected} onSelect=${setSelected} />
            <${Canvas} graph=${data} selected=${selected} onSelect=${setSelected} />
            ${
              node
                ? html`<${NodePanel} key=${node.id} tenant=${tenant} graph=${data} node=${node} onSelect=${setSelected}
                    principals=${principals} targets=${targets} />`
                : html`<aside class="graph-panel" aria-label="Details">
                    <p class="note">Open a node from the list or the drawing to see its details, links and tokens.</p>
                    <${AccessForm} tenant=${tenant} principals=${principals} targets=${targets}
                      from=${route.params.from} to=${route.params.to} />
                  </aside>`
            }
          </div>
          <${Legend} />`
        : null
    }`;
}
