/**
 * @module host/run-info
 * What a running `lanyard up` or `lanyard demo` tells other commands about itself, in `<dataDir>/server.json`
 * (0600): its process id, when it started, the main URL, every listener the planes serve (the
 * managed-identity endpoint, each Easy Auth front with its upstream), the store, the admin token file and the
 * CA. The host writes it when it is ready, again after each change a plane applies (a front started or
 * stopped), and removes it when it stops. `lanyard status` reads it and checks that the process is alive and
 * the URL answers; `lanyard workload issue` reads its `identityEndpoint` (identity/server-info.ts, the same
 * file's first fields). A process killed without stopping leaves it behind: `isAlive` tells.
 */
import fs from 'node:fs';
import { writeFileAtomic } from '../crypto/atomic-file.ts';
import { type ServerInfo, serverInfoPath } from '../identity/server-info.ts';
import type { RunningListener } from '../plane/contract.ts';

/** A server.json larger than this is not Lanyard's: it is not read. */
const MAX_BYTES = 256 * 1024;

export interface RunListener extends RunningListener {
  /** The plane that serves it. */
  readonly plane: string;
}

export interface RunInfo extends ServerInfo {
  /** The Lanyard version serving. */
  readonly version: string;
  /** When it was ready (ISO 8601). */
  readonly startedAt: string;
  readonly dataDir: string;
  /** The store: `sqlite:<file>` or a PostgreSQL URL, any password removed (store/open-store.ts). */
  readonly store: string;
  /** The admin token file, or null when the token came from LANYARD_ADMIN_TOKEN. */
  readonly adminTokenFile: string | null;
  /** The CA certificate clients must trust. */
  readonly caCertPath: string;
  /** The planes' listeners, in start order. */
  readonly listeners: readonly RunListener[];
}

export function writeRunInfo(dataDir: string, info: RunInfo): void {
  writeFileAtomic(serverInfoPath(dataDir), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

/** The file as written, or undefined when there is none or it is not one Lanyard wrote (too large, not JSON). */
export function readRunInfo(dataDir: string): Partial<RunInfo> | undefined {
  const file = serverInfoPath(dataDir);
  let text: string;
  try {
    if (fs.statSync(file).size > MAX_BYTES) return undefined;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Partial<RunInfo>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this id exists (signal 0 checks without sending anything; EPERM: it exists). */
export function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
