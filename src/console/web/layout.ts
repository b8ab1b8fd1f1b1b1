/**
 * @module console/web/layout
 * The frame of every view: a skip link to the content, a header (the tenant picker, the session's role, sign
 * out) and the views' `<nav>`, then `<main>`. It renders at once; the view inside loads its module and data
 * after (first paint never waits for a view). Moving to another view moves focus to its content and names the
 * page after it, so screen readers hear where they are.
 */
import { useStore } from './hooks.ts';
import { hashFor, type ViewName } from './routes.ts';
import { session, signOut } from './session.ts';
import { chooseTenant, tenants } from './tenants.ts';
import { type ComponentChildren, type Html, html, useEffect, useRef } from './vendor.ts';

export const VIEW_TITLES: Readonly<Record<ViewName, string>> = {
  graph: 'Graph',
  explain: 'Token explainer',
  activity: 'Activity',
  directory: 'Directory',
  workflows: 'Workflows and runbooks',
  keys: 'Keys',
};

function TenantPicker(): Html {
  const t = useStore(tenants);
  if (!t.loaded) return html`<span class="tenant-picker">Loading tenants…</span>`;
  if (t.list.length === 0) return html`<span class="tenant-picker">No tenant yet</span>`;
  return html`<div class="tenant-picker">
    <label for="tenant-picker">Tenant</label>
    <select id="tenant-picker" onChange=${(e: Event) => chooseTenant((e.currentTarget as HTMLSelectElement).value)}>
      ${t.list.map(
        (x) =>
          html`<option value=${x.name} selected=${x.name === t.current}>${x.displayName || x.name}</option>`,
      )}
    </select>
  </div>`;
}

export function Layout({ view, children }: { view: ViewName; children: ComponentChildren }): Html {
  const s = useStore(session);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    document.title = `${VIEW_TITLES[view]} — Lanyard console`;
    // Not on the first render (the page just loaded: focus stays at the top, where the skip link is).
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [view]);
  const skip = (e: Event) => {
    e.preventDefault();
    main.current?.focus();
  };
  const role = s.session?.role;
  return html`<header class="topbar">
      <a class="skip-link" href=${hashFor(view)} onClick=${skip}>Skip to content</a>
      <span class="brand">Lanyard</span>
      <${TenantPicker} />
      <span class="spacer"></span>
      <span class=${`role role-${role ?? 'none'}`}>${role === 'read-only' ? 'Read-only' : 'Admin'}</span>
      <button type="button" onClick=${() => void signOut()}>Sign out</button>
    </header>
    <nav class="views" aria-label="Views">
      <ul>
        ${(Object.keys(VIEW_TITLES) as ViewName[]).map(
          (v) =>
            html`<li><a href=${hashFor(v)} aria-current=${v === view ? 'page' : undefined}>${VIEW_TITLES[v]}</a></li>`,
        )}
      </ul>
    </nav>
    <main id="main" ref=${main} tabindex="-1">${children}</main>`;
}
