/**
 * @module crypto/atomic-file
 * Key files must never be seen half-written: a crash in the middle of a plain write could destroy the master
 * key or the CA. So the data goes to a temporary file in the same folder, is fsynced, then renamed over the
 * target (or hard-linked to it when the target must not exist yet), and the folder is fsynced so the rename
 * itself survives a power cut.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface WriteFileAtomicOptions {
  /** File mode, applied exactly (not filtered by the umask). Default 0600. */
  mode?: number | undefined;
  /** Fail with an `EEXIST` error instead of replacing an existing file, so two racing creators cannot both win. */
  exclusive?: boolean | undefined;
}

/** Writes `data` to `file` atomically and durably. Synchronous: it runs at start-up and for rare key changes. */
export function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  { mode = 0o600, exclusive = false }: WriteFileAtomicOptions = {},
): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'wx', mode);
    try {
      fs.fchmodSync(fd, mode);
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (exclusive) fs.linkSync(tmp, file);
    else fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  fsyncDir(dir);
}

/** Makes a rename in `dir` durable. Some platforms (Windows) and file systems cannot fsync a folder. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!['EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP', 'EBADF'].includes(code ?? '')) throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
