/**
 * @module vault/turn-views
 * The management view (management/view.ts) for the vault's requests, its freshness checked once per event-loop
 * turn rather than on every call. `ViewCache.get()` reads two version rows from the store each time it is
 * called, and a secret get called it twice (the route group, and the authenticator's list of tenants): four
 * reads per request, each a SQLite query on the event loop. Here the first call of a turn reads them and the
 * calls until that turn's check phase (setImmediate) share the answer, as the issuer's directory cache does
 * with the directory version (issuer/directory-cache.ts): a request sees every write completed before the turn
 * it is handled in; requests of one turn, which could as well have run at once, share one view. A failed read
 * is not shared past the calls already waiting on it.
 */
import type { Directory } from '../directory/directory.ts';
import { type ManagementView, ViewCache } from '../management/view.ts';

export class TurnViews extends ViewCache {
  #turn: Promise<ManagementView> | undefined;

  constructor(directory: Directory) {
    super(directory);
  }

  override get(): Promise<ManagementView> {
    if (this.#turn) return this.#turn;
    const view = super.get();
    this.#turn = view;
    setImmediate(() => {
      if (this.#turn === view) this.#turn = undefined;
    });
    view.catch(() => {
      if (this.#turn === view) this.#turn = undefined;
    });
    return view;
  }
}
