/**
 * @module console/state
 * What the console keeps while a server runs, one per runtime: its sessions and sign-in limiter (sessions.ts)
 * and its live event streams (events.ts). The route group, the admin API's authenticator and the plane's
 * `start` find the same one through `consoleState(deps)`.
 */
import type { ConsoleDeps } from './deps.ts';
import { EventStreams } from './events.ts';
import { SessionStore, SignInLimiter } from './sessions.ts';

export interface ConsoleState {
  readonly deps: ConsoleDeps;
  readonly sessions: SessionStore;
  readonly limiter: SignInLimiter;
  readonly streams: EventStreams;
  /** The issuer's clock, in ms (sessions and tokens agree with it; tests move it). */
  now(): number;
  /** Ends every stream and session (the server stops). */
  close(): Promise<void>;
}

// Keyed by the store: the runtime's object, the same whether a caller spread it (the main listener adds
// `adfsTenant` to the deps it gives routes) or not.
const states = new WeakMap<object, ConsoleState>();

export function consoleState(deps: ConsoleDeps): ConsoleState {
  let state = states.get(deps.store);
  if (!state) {
    const now = () => deps.tokens.now().getTime();
    const sessions = new SessionStore(now);
    const created: ConsoleState = {
      deps,
      sessions,
      limiter: new SignInLimiter(now),
      streams: new EventStreams(deps.audit, sessions),
      now,
      async close() {
        created.streams.close();
        sessions.clear();
        states.delete(deps.store);
      },
    };
    state = created;
    states.set(deps.store, state);
  }
  return state;
}
