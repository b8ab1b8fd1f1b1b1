/**
 * @module console/web/routes
 * The console's addresses: `#/<view>[/<sub>…][?name=value…]`. Pure functions (the router hook is router.ts):
 * parse a hash, write one. Nothing secret ever goes in an address: views put names and ids here, never a
 * token (the explainer keeps the token in memory only), so history and bookmarks hold nothing to steal.
 */

export const VIEWS = ['graph', 'explain', 'activity', 'directory', 'workflows', 'keys'] as const;
export type ViewName = (typeof VIEWS)[number];
export const DEFAULT_VIEW: ViewName = 'graph';

export interface Route {
  view: ViewName;
  /** Segments after the view: `#/directory/apps` → `['apps']`. */
  rest: string[];
  params: Record<string, string>;
}

function isView(s: string): s is ViewName {
  return (VIEWS as readonly string[]).includes(s);
}

/** `#/directory/apps?q=x` → { view: 'directory', rest: ['apps'], params: { q: 'x' } }; unknown views → the default. */
export function parseHash(hash: string): Route {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  const q = text.indexOf('?');
  const pathPart = q === -1 ? text : text.slice(0, q);
  const queryPart = q === -1 ? '' : text.slice(q + 1);
  const segments = pathPart
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(queryPart)) params[k] = v;
  const first = segments[0] ?? '';
  if (!isView(first)) return { view: DEFAULT_VIEW, rest: [], params: {} };
  return { view: first, rest: segments.slice(1), params };
}

/** The hash of a route: `hashFor('workflows', [], { workflow: 'x' })` → `#/workflows?workflow=x`. */
export function hashFor(
  view: ViewName,
  rest: readonly string[] = [],
  params: Readonly<Record<string, string | undefined>> = {},
): string {
  const path = [view, ...rest].map((s) => encodeURIComponent(s)).join('/');
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, v);
  const qs = query.toString();
  return `#/${path}${qs === '' ? '' : `?${qs}`}`;
}
