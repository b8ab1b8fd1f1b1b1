/**
 * @module host/signals
 * The one place a long-running command (`up`, `demo`) waits for Ctrl+C or a service manager's stop: the first
 * SIGINT or SIGTERM starts a graceful stop; a second one while stopping exits at once (130 or 143).
 */

/** Resolves on the first SIGINT or SIGTERM. Listen before anything starts, so a signal at any moment stops cleanly. */
export function waitForStop(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
