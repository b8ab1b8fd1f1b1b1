/**
 * @module identity/server-info
 * `<dataDir>/server.json`: where a running `lanyard up` (or `npm start`) listens, written by the host when it
 * is ready and removed when it stops, so other commands (`lanyard workload issue`, the demo's second start)
 * find the managed-identity endpoint without being told. Here, below the host, because the identity plane's
 * commands read it.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ServerInfo {
  url: string;
  identityEndpoint: string;
  pid: number;
}

export function serverInfoPath(dataDir: string): string {
  return path.join(dataDir, 'server.json');
}

export function readServerInfo(dataDir: string): ServerInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(serverInfoPath(dataDir), 'utf8')) as ServerInfo;
  } catch {
    return undefined;
  }
}
