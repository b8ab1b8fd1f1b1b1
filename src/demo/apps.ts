/**
 * @module demo/apps
 * Starts an example app of the seed stories (examples/seeds/apps) and waits until it listens. An app first
 * tries the port the manifest gives it (SomeFunction 7071 like `func start`, ExclusiveFunction 7072, Get-Creds
 * 7077, …); when that port is taken it is started again on a free one — the Easy Auth fronts
 * follow it — and the demo says so. `wrap` starts it under another command, e.g. `lanyard run --as …`.
 */
import path from 'node:path';
import { APPS_DIR, type ChildHandle, startChild } from './processes.ts';

/** The exit code the example apps use for "port in use". */
const PORT_IN_USE = 98;

export interface ExampleApp {
  readonly name: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** True when the wanted port was taken and a free one is used instead. */
  readonly movedFrom: number | undefined;
  readonly handle: ChildHandle;
}

export interface StartAppOptions {
  /** Shown in messages, e.g. `SomeFunction`. */
  name: string;
  /** File name in examples/seeds/apps. */
  script: string;
  /** 0 picks a free port. */
  port: number;
  env: NodeJS.ProcessEnv;
  /** Runs `[...wrap, node, script]` instead of `node script` (the program and its arguments). */
  wrap?: readonly string[] | undefined;
}

export async function startExampleApp(o: StartAppOptions): Promise<ExampleApp> {
  const attempt = async (port: number): Promise<ExampleApp | 'port-in-use'> => {
    const argv = [...(o.wrap ?? []), process.execPath, path.join(APPS_DIR, o.script)];
    const handle = startChild(o.name, argv[0]!, argv.slice(1), {
      env: { ...o.env, PORT: String(port) },
    });
    try {
      const m = await handle.waitForLine(/listening on http:\/\/127\.0\.0\.1:(\d+)/, { timeoutMs: 20_000 });
      const bound = Number(m[1]);
      return {
        name: o.name,
        port: bound,
        url: `http://127.0.0.1:${bound}`,
        movedFrom: undefined,
        handle,
      };
    } catch (err) {
      const exit = await Promise.race([handle.exited, handle.stop(1_000)]);
      if (exit.code === PORT_IN_USE && port !== 0) return 'port-in-use';
      throw err;
    }
  };
  const first = await attempt(o.port);
  if (first !== 'port-in-use') return first;
  const moved = await attempt(0);
  if (moved === 'port-in-use') throw new Error(`${o.name} found no free port.`);
  return { ...moved, movedFrom: o.port };
}

/** The port of an `http://127.0.0.1:<port>` upstream URL (the example apps' manifest entries), else 0. */
export function portOf(url: string): number {
  const u = new URL(url);
  return u.port === '' ? 0 : Number(u.port);
}
