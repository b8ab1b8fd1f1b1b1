/**
 * @module demo/auto-trigger
 * Seed 001's caller, examples/seeds/apps/auto-trigger.mjs, run the way it runs in Azure: as a program with the
 * identity of its function app (`lanyard run --as auto-trigger-function`), with its own timer. The demo starts
 * it, runs it on demand through the Functions host's admin route, and restarts it — a restarted app has an
 * empty token cache, so it asks the identity endpoint for a new token, as a restarted function app does.
 */
import { type ExampleApp, startExampleApp } from './apps.ts';
import { lanyardRunArgv } from './story.ts';

export interface AutoTriggerRun {
  run: number;
  trigger: string;
  outcome: 'called' | 'no_token' | 'call_failed';
  status?: number;
  wwwAuthenticate?: string | null;
  body?: unknown;
  /** The error's class name (from @azure/identity when there was no token). */
  error?: string;
  message?: string;
  tokenExpiresOn?: string;
}

export interface AutoTriggerOptions {
  env: NodeJS.ProcessEnv;
  /** 7073 by default; 0 picks a free port. After a start, restarts keep the port it got. */
  port: number;
  /** `https://exclusive-function.localhost:<front port>/api/ExclusiveFunction`. */
  exclusiveUrl: string;
  /** The appId of the AAD application that secures ExclusiveFunction. */
  clientId: string;
  timerSeconds: number;
}

export interface AutoTrigger {
  readonly app: ExampleApp | undefined;
  start(): Promise<ExampleApp>;
  /** Stops the running app (and its `lanyard run`, which revokes its workload) and starts a new one. */
  restart(): Promise<ExampleApp>;
  /** `POST /admin/functions/AutoTriggerFunction`: runs it now and returns the run. */
  trigger(): Promise<AutoTriggerRun>;
  stop(): Promise<void>;
  /** Receives every stdout line of the current and later app processes. */
  onLine(fn: (line: string) => void): void;
}

export function autoTrigger(o: AutoTriggerOptions): AutoTrigger {
  let app: ExampleApp | undefined;
  let port = o.port;
  const listeners: ((line: string) => void)[] = [];
  const start = async () => {
    app = await startExampleApp({
      name: 'AutoTriggerFunction',
      script: 'auto-trigger.mjs',
      port,
      env: {
        ...o.env,
        EXCLUSIVE_FUNCTION_URL: o.exclusiveUrl,
        EXCLUSIVE_FUNCTION_CLIENT_ID: o.clientId,
        TIMER_SECONDS: String(o.timerSeconds),
      },
      wrap: lanyardRunArgv('auto-trigger-function'),
    });
    port = app.port;
    app.handle.onLine((line) => {
      for (const fn of listeners) fn(line);
    });
    return app;
  };
  const stop = async () => {
    const current = app;
    app = undefined;
    await current?.handle.stop();
  };
  return {
    get app() {
      return app;
    },
    start,
    async restart() {
      await stop();
      return start();
    },
    async trigger() {
      if (!app) throw new Error('AutoTriggerFunction is not running.');
      const res = await fetch(`${app.url}/admin/functions/AutoTriggerFunction`, {
        method: 'POST',
        signal: AbortSignal.timeout(30_000),
      });
      if (res.status !== 200) throw new Error(`AutoTriggerFunction answered ${res.status} to a run request.`);
      return (await res.json()) as AutoTriggerRun;
    },
    stop,
    onLine: (fn) => listeners.push(fn),
  };
}
