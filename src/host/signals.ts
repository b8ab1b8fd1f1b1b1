/**
 * @module host/signals
 * The one place a long-running command (`up`, `demo`) waits for Ctrl+C or a service manager's stop: the first
 * SIGINT or SIGTERM starts a graceful stop; a second one while stopping exits at once (130 or 143).
 *
 * Under `npm start` one Ctrl+C arrives twice: the terminal sends SIGINT to the whole process group, and npm
 * forwards the SIGINT it got to its child too, a few milliseconds later. So a second signal within
 * REPEAT_WINDOW_MS of the first is that same stop delivered again, not the user's second Ctrl+C.
 */

export const REPEAT_WINDOW_MS = 1_000;

/** Resolves on the first SIGINT or SIGTERM. Listen before anything starts, so a signal at any moment stops cleanly. */
export function waitForStop(now: () => number = Date.now): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const first = now();
      const again = (code: number) => () => {
        if (now() - first >= REPEAT_WINDOW_MS) process.exit(code);
      };
      process.on('SIGINT', again(130));
      process.on('SIGTERM', again(143));
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
