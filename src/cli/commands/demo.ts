/**
 * @module cli/commands/demo
 * `lanyard demo` (what `npm start` runs): the seed stories 000 to 004 end to end on the seed manifest, told in
 * plain words, then serving until Ctrl+C so the user can try the printed commands. See src/demo/demo.ts.
 */
import type { Command } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import { DEFAULT_PORT } from '../../host/listener-defaults.ts';
import { waitForStop } from '../../host/signals.ts';
import { VERSION } from '../../host/version.ts';
import { DEFAULT_IDENTITY_PORT } from '../../identity/listener-defaults.ts';
import { globalOptions, withRuntime } from '../context.ts';

interface DemoCliOptions {
  port: string;
  identityPort: string;
  once?: boolean;
  freeAppPorts?: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'apply the seed manifest, serve it with the example apps behind Easy Auth, and run seed stories 000 to 004',
    )
    .option('--port <port>', 'port of the HTTPS listener; 0 picks a free one', String(DEFAULT_PORT))
    .option(
      '--identity-port <port>',
      'port of the managed-identity endpoint on 127.0.0.1; 0 picks a free one',
      String(DEFAULT_IDENTITY_PORT),
    )
    .option('--once', 'run the stories and stop (exit 1 when one did not go as the seed says)')
    .option(
      '--free-app-ports',
      "start the example apps on free ports, not the manifest's (7071, 7072, 7074, 7075, 7077, 7078)",
    )
    .addHelpText(
      'after',
      `
The example apps (examples/seeds/apps) listen on the manifest's upstream ports (7071, 7072, 7074, 7075, 7077,
7078), or on free ports when those are taken; the Easy Auth fronts listen on free ports, and the declared
runbooks and workflows are pointed at them. The runbooks run on their schedules while the demo serves
(AutoTriggerFunction, seed 001's timer, every minute). The server log goes to <data folder>/lanyard.log.

Examples:
  npm start
  npm start -- --port 0 --identity-port 0
  lanyard demo --once`,
    )
    .action(async (o: DemoCliOptions, cmd: Command) => {
      // Listen for the stop signal before anything starts, so Ctrl+C at any moment stops cleanly.
      const stopSignal = waitForStop();
      let ok = false;
      await withRuntime(
        cmd,
        async (runtime) => {
          const port = parsePort(o.port, '--port');
          const identityPort = parsePort(o.identityPort, '--identity-port');
          const { runDemo } = await import('../../demo/demo.ts');
          ok = await runDemo(runtime, {
            port,
            identityPort,
            once: o.once ?? false,
            freeAppPorts: o.freeAppPorts ?? false,
            store: globalOptions(cmd).store,
            version: VERSION,
            stopSignal,
          });
        },
        { create: true },
      );
      // Stopped by a signal: 0 (the user asked). --once: whether the stories went as the seeds say.
      const failed = process.exitCode !== undefined && process.exitCode !== 0;
      process.exit(failed ? 1 : o.once && !ok ? 1 : 0);
    });
}

function parsePort(text: string, flag: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new LanyardError('ERR_USAGE', `${flag} "${text}" is not a port number.`, {
      hint: 'Use a number from 1 to 65535, or 0 to pick a free port.',
    });
  }
  return port;
}
