/**
 * @module easyauth/running-fronts
 * `<dataDir>/easyauth-fronts.json`: where the running Easy Auth fronts listen and the upstream each one really
 * forwards to, written by the serving process (`lanyard up`, `npm start`) when its fronts start or change and
 * removed when they stop. The stored config's `upstream` is not always what runs — the demo moves its example
 * apps to free ports — so `lanyard explain`, a separate process, reads this file to name the real one. A file
 * whose writer is no longer alive is ignored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../crypto/atomic-file.ts';

export const RUNNING_FRONTS_FILE = 'easyauth-fronts.json';

export interface RunningFrontRecord {
  readonly tenantId: string;
  readonly resource: string;
  /** Where callers reach the front: `https://<resource>.localhost:<port>`. */
  readonly url: string;
  /** Where it forwards accepted requests. */
  readonly upstream: string;
}

interface RunningFrontsFile {
  readonly pid: number;
  readonly fronts: readonly RunningFrontRecord[];
}

const fileOf = (dataDir: string) => path.join(dataDir, RUNNING_FRONTS_FILE);

export function writeRunningFronts(dataDir: string, fronts: readonly RunningFrontRecord[]): void {
  const data: RunningFrontsFile = { pid: process.pid, fronts };
  writeFileAtomic(fileOf(dataDir), `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
}

/** Removes the file unless another process has written its own since. */
export function removeRunningFronts(dataDir: string): void {
  if (readFile(dataDir)?.pid === process.pid) fs.rmSync(fileOf(dataDir), { force: true });
}

/** The fronts a live Lanyard serves from this data folder; empty when none does. */
export function readRunningFronts(dataDir: string): readonly RunningFrontRecord[] {
  const file = readFile(dataDir);
  if (!file || !isAlive(file.pid) || !Array.isArray(file.fronts)) return [];
  return file.fronts.filter(
    (f) =>
      typeof f?.tenantId === 'string' &&
      typeof f.resource === 'string' &&
      typeof f.url === 'string' &&
      typeof f.upstream === 'string',
  );
}

function readFile(dataDir: string): RunningFrontsFile | undefined {
  try {
    // Bounded: the writer's file is small; anything larger is not its.
    if (fs.statSync(fileOf(dataDir)).size > 1024 * 1024) return undefined;
    const text = fs.readFileSync(fileOf(dataDir), 'utf8');
    const parsed = JSON.parse(text) as RunningFrontsFile;
    return typeof parsed?.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
