/**
 * @module bench/lib/lanyard-up
 * Lanyard as `lanyard up` serves it, in a bench server process: a runtime on a fresh SQLite data folder (under
 * BENCH_DATA_ROOT, e.g. /dev/shm to take the disk's fsync out of the figure; default the OS temp folder), and,
 * once the bench has put its tenant and apps in it, startHost on 127.0.0.1 (a free port): the main HTTPS
 * listener and every plane's, request and audit log lines at info level to stderr (or a destination of the
 * bench's). bench/issuer, bench/vault and bench/flows measure this same host, so they start it with this one
 * copy.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { type RunningHost, startHost } from '../../src/host/start-host.ts';
import { createLogger, type LoggerOptions } from '../../src/http/logger.ts';

export interface BenchLanyard {
  readonly runtime: Runtime;
  /** The admin API's bearer token. */
  readonly adminToken: string;
  /**
   * Starts the host (call once). Its log lines go to stderr, or to `logDestination` (a bench that runs the host
   * in its own process keeps its terminal for its figures).
   */
  serve(options?: { logDestination?: LoggerOptions['destination'] }): Promise<RunningHost>;
  /** Closes the runtime and removes the data folder (close the host first). */
  close(): Promise<void>;
}

/** Opens the runtime on a new folder named `prefix…` under BENCH_DATA_ROOT. */
export async function openBenchLanyard(prefix: string): Promise<BenchLanyard> {
  const dataDir = fs.mkdtempSync(path.join(process.env.BENCH_DATA_ROOT ?? os.tmpdir(), prefix));
  const adminToken = `bench_${'b'.repeat(40)}`;
  const runtime = await openRuntime({ dataDir, env: { LANYARD_ADMIN_TOKEN: adminToken } });
  return {
    runtime,
    adminToken,
    serve: (options = {}) => {
      const logger = createLogger({ level: 'info', destination: options.logDestination });
      // As `lanyard up` does: every audit event is stored and also logged as one JSON line.
      runtime.audit.attach(logger);
      return startHost({
        runtime,
        logger,
        adminToken,
        host: '127.0.0.1',
        port: 0,
        settings: { identityPort: 0 },
        serverInfo: false,
      });
    },
    close: async () => {
      await runtime.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
