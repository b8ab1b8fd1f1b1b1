/**
 * @module easyauth/running-fronts
 * The Easy Auth fronts a live Lanyard (`lanyard up`, `npm start`) serves from a data folder, as its
 * `server.json` lists them (written by the host, host/run-info.ts, again after each change a plane applies):
 * where each front listens and the upstream it really forwards to. The stored config's `upstream` is not
 * always what runs — the demo moves its example apps to free ports — so `lanyard explain`, a separate process,
 * reads them here. A file whose process is gone, or that is not Lanyard's, gives none.
 */
import fs from 'node:fs';
import { serverInfoPath } from '../identity/server-info.ts';

export interface RunningFront {
  /** The app resource's name. */
  readonly resource: string;
  /** Where callers reach the front: `https://<resource>.localhost:<port>`. */
  readonly url: string;
  /** Where it forwards accepted requests. */
  readonly upstream: string;
}

/** server.json is small; a larger file is not Lanyard's and is not read. */
const MAX_BYTES = 256 * 1024;

export function readRunningFronts(dataDir: string): RunningFront[] {
  const file = serverInfoPath(dataDir);
  let info: { pid?: unknown; listeners?: unknown };
  try {
    if (fs.statSync(file).size > MAX_BYTES) return [];
    info = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof info;
  } catch {
    return [];
  }
  if (typeof info?.pid !== 'number' || !isAlive(info.pid) || !Array.isArray(info.listeners)) return [];
  const fronts: RunningFront[] = [];
  for (const l of info.listeners as Record<string, unknown>[]) {
    if (
      l?.kind === 'easyauth' &&
      typeof l.name === 'string' &&
      typeof l.url === 'string' &&
      typeof l.upstream === 'string'
    ) {
      fronts.push({ resource: l.name, url: l.url, upstream: l.upstream });
    }
  }
  return fronts;
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
