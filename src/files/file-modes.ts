/**
 * @module files/file-modes
 * The data folder is private (docs/security.md, "Data at rest"): the folder is 0700 and every file Lanyard
 * creates in it is 0600, whatever the umask. Files are created with their mode set explicitly, and an existing
 * folder with looser modes is tightened when it is opened; the caller reports what changed, once.
 *
 * Only Lanyard's own entries are touched (OWNED_FILES), never another file a user keeps in the folder, never a
 * symbolic link, and never a file of another user. The secrets that are refused when others can read them —
 * `master.key`, `admin.token`, `ca/ca.key` — are not tightened either: one that others could read may have been
 * read, so the refusal tells the operator to replace it rather than hiding that.
 */
import fs from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** A mode changed by `tighten`: `path` as given, modes as permission bits. */
export interface ModeChange {
  readonly path: string;
  readonly from: number;
  readonly to: number;
}

/**
 * The data folder's entries Lanyard creates and tightens (relative paths; folders end in `/`). The SQLite
 * store's files, the demo's log, the running server's `server.json`, the local CA's folder and certificate.
 */
export const OWNED_FILES: readonly string[] = [
  'lanyard.db',
  'lanyard.db-wal',
  'lanyard.db-shm',
  'lanyard.db-journal',
  'lanyard.log',
  'server.json',
  'ca/',
  'ca/ca.pem',
];

const POSIX = process.platform !== 'win32';

function ownedByMe(stat: fs.Stats): boolean {
  return typeof process.getuid !== 'function' || stat.uid === process.getuid();
}

/**
 * Removes every group and other permission bit from `target` (a file: at most 0600; a folder: at most 0700).
 * Nothing happens to an absent path, a symbolic link (unless `followLinks`), something of another kind than
 * asked, a path of another user, or on Windows. Returns the change made, if any.
 */
export function tighten(
  target: string,
  kind: 'file' | 'dir',
  { followLinks = false }: { followLinks?: boolean } = {},
): ModeChange | undefined {
  if (!POSIX) return undefined;
  let stat: fs.Stats;
  try {
    stat = followLinks ? fs.statSync(target) : fs.lstatSync(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (kind === 'file' ? !stat.isFile() : !stat.isDirectory()) return undefined;
  if (!ownedByMe(stat)) return undefined;
  const from = stat.mode & 0o777;
  if ((from & 0o077) === 0) return undefined;
  const to = from & 0o700;
  fs.chmodSync(target, to);
  return { path: target, from, to };
}

/**
 * Tightens the data folder and Lanyard's own entries in it (OWNED_FILES). The folder itself is followed if it
 * is a link (the user chose it); the entries in it are not.
 */
export function secureDataDir(dataDir: string): ModeChange[] {
  const changes: ModeChange[] = [];
  const dir = tighten(dataDir, 'dir', { followLinks: true });
  if (dir) changes.push(dir);
  for (const entry of OWNED_FILES) {
    const isDir = entry.endsWith('/');
    const change = tighten(path.join(dataDir, isDir ? entry.slice(0, -1) : entry), isDir ? 'dir' : 'file');
    if (change) changes.push(change);
  }
  return changes;
}

/**
 * Creates `file` empty with mode 0600 unless it already exists; the mode is set after creation, so the umask
 * cannot loosen or narrow it. Returns true when this call created it.
 */
export function createPrivateFile(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', PRIVATE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    if (POSIX) fs.fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

const octal = (mode: number) => mode.toString(8).padStart(4, '0');

/** The one warning line for the changes made at open (empty string when there were none). */
export function describeModeChanges(dataDir: string, changes: readonly ModeChange[]): string {
  if (changes.length === 0) return '';
  const named = changes.map((c) => {
    const rel = path.relative(dataDir, c.path);
    const name = rel === '' ? dataDir : rel.startsWith('..') || path.isAbsolute(rel) ? c.path : rel;
    return `${name} ${octal(c.from)} → ${octal(c.to)}`;
  });
  return `warning: the data folder ${dataDir} was readable by other users; tightened ${named.join(', ')}.\n`;
}
