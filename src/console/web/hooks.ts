/**
 * @module console/web/hooks
 * The hooks the views share: a store's value (`useStore`), the current address (`useRoute`), and data loaded
 * from the admin API with its loading and error states (`useLoad`), read again when its inputs change or on
 * `reload()`; an answer that arrives after the view moved on is dropped.
 */
import { type ApiError, asApiError } from './api.ts';
import { parseHash, type Route } from './routes.ts';
import type { Store } from './store.ts';
import { useCallback, useEffect, useRef, useState } from './vendor.ts';

export function useStore<T>(store: Store<T>): T {
  const [value, setValue] = useState(store.get());
  useEffect(() => {
    setValue(store.get());
    return store.subscribe(setValue);
  }, [store]);
  return value;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** Goes to an address (`#/…`), adding it to history. */
export function navigate(hash: string): void {
  if (location.hash !== hash) location.hash = hash;
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload(): void;
}

/** Runs `load` now and whenever `inputs` change; `undefined` inputs (e.g. no tenant yet) wait. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, inputs: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: ApiError | undefined; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    loadRef.current(ctl.signal).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ data, error: undefined, loading: false });
      },
      (err: unknown) => {
        if (ctl.signal.aborted || (err as Error)?.name === 'AbortError') return;
        setState({ data: undefined, error: asApiError(err), loading: false });
      },
    );
    return () => ctl.abort();
  }, [...inputs, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}
