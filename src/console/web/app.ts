/**
 * @module console/web/app
 * The page: the sign-in form until there is a session, then the layout and the view the address names. Each
 * view is its own module, loaded when first opened (the first paint needs only this, the layout and preact),
 * and renders inside the layout as soon as it arrives.
 */

import { type ApiError, asApiError } from './api.ts';
import { ErrorNote, Loading } from './components.ts';
import { useRoute, useStore } from './hooks.ts';
import { Layout } from './layout.ts';
import type { Route, ViewName } from './routes.ts';
import { session } from './session.ts';
import { SignInView } from './signin-view.ts';
import { loadTenants, tenants } from './tenants.ts';
import { type Html, html, useEffect, useState } from './vendor.ts';

/** What a view module exports. */
export interface ViewModule {
  View: (props: { route: Route }) => Html;
}

const MODULES: Readonly<Record<ViewName, () => Promise<ViewModule>>> = {
  graph: () => import('./graph-view.ts'),
  explain: () => import('./explain-view.ts'),
  activity: () => import('./activity-view.ts'),
  directory: () => import('./directory-view.ts'),
  workflows: () => import('./workflows-view.ts'),
  keys: () => import('./keys-view.ts'),
};

const loaded = new Map<ViewName, ViewModule>();

function LazyView({ route }: { route: Route }): Html {
  const [mod, setMod] = useState<ViewModule | undefined>(loaded.get(route.view));
  const [error, setError] = useState<ApiError | undefined>(undefined);
  useEffect(() => {
    const have = loaded.get(route.view);
    if (have) {
      setMod(have);
      return;
    }
    setMod(undefined);
    let live = true;
    MODULES[route.view]().then(
      (m) => {
        loaded.set(route.view, m);
        if (live) setMod(m);
      },
      (err: unknown) => live && setError(asApiError(err)),
    );
    return () => {
      live = false;
    };
  }, [route.view]);
  if (error) return html`<${ErrorNote} error=${error} title="This view could not be loaded." />`;
  if (!mod) return html`<${Loading} what="the view" />`;
  return html`<${mod.View} route=${route} />`;
}

function SignedIn(): Html {
  const route = useRoute();
  const t = useStore(tenants);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  useEffect(() => {
    loadTenants().catch((err: unknown) => setError(asApiError(err)));
  }, []);
  return html`<${Layout} view=${route.view}>
    ${error ? html`<${ErrorNote} error=${error} title="The tenants could not be read." />` : null}
    ${t.loaded || error || route.view === 'keys' ? html`<${LazyView} route=${route} />` : html`<${Loading} what="tenants" />`}
  </${Layout}>`;
}

export function App(): Html {
  const s = useStore(session);
  if (s.status === 'checking')
    return html`<main id="main" class="boot"><${Loading} what="the console" /></main>`;
  if (s.status === 'signed-out') return html`<${SignInView} notice=${s.notice} />`;
  return html`<${SignedIn} />`;
}
