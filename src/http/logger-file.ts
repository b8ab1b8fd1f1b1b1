/**
 * @module http/logger-file
 * A log file that several processes append to and that rotates by size: the destination of the data folder's
 * `lanyard.log` (audit/server-log.ts). Every line is one write(2) on a descriptor opened with O_APPEND, so the
 * lines of concurrent writers (the demo and each `lanyard run`) interleave whole, never torn. Before each line
 * the file at the path is looked at: grown past the bound, it is renamed to `<file>.1` (`.1` to `.2`, …, the
 * oldest dropped) and a new one begun; renamed by another writer, this one reopens the path and follows. Two
 * writers rotating at the same moment may shift the old files once more than needed; no line is lost (a
 * line may land in the file just rotated). The file is created 0600 and a looser one is tightened (the data
 * folder is private, docs/security.md). A write that fails is never the caller's failure: the line goes to
 * stderr instead, after one warning.
 */
import fs from 'node:fs';

export interface LogFileOptions {
  /** Rotate before a line would take the file past this many bytes; 0 never rotates. */
  readonly maxBytes: number;
  /** How many rotated files to keep (`<file>.1` … `<file>.N`); 0 keeps none. */
  readonly maxFiles: number;
}

const POSIX = process.platform !== 'win32';
const FLAGS =
  fs.constants.O_WRONLY |
  fs.constants.O_APPEND |
  fs.constants.O_CREAT |
  (POSIX ? fs.constants.O_NOFOLLOW : 0);

export class LogFile {
  readonly path: string;
  readonly #options: LogFileOptions;
  #fd: number | undefined;
  #ino = -1;
  #failed = false;

  constructor(file: string, options: LogFileOptions) {
    this.path = file;
    this.#options = options;
    // Opened now, so a file that cannot be written is reported at start, not at the first event.
    this.#guard(() => this.#open());
  }

  /** Appends `line` (one log line, newline included). Never throws. */
  write(line: string): boolean {
    if (this.#failed) return process.stderr.write(line);
    this.#guard(() => {
      const bytes = Buffer.byteLength(line);
      let size = this.#followPath();
      const { maxBytes } = this.#options;
      if (maxBytes > 0 && size > 0 && size + bytes > maxBytes) {
        this.#rotate();
        size = this.#followPath();
      }
      fs.writeSync(this.#fd!, line);
    });
    if (this.#failed) process.stderr.write(line);
    return true;
  }

  /** Closes the descriptor; later lines reopen it. */
  end(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      fs.closeSync(fd);
    } catch {
      // Already closed: nothing to release.
    }
  }

  /** Reopens the path unless the descriptor is still the file there; returns that file's size. */
  #followPath(): number {
    const atPath = fs.statSync(this.path, { throwIfNoEntry: false });
    if (this.#fd !== undefined && atPath?.ino === this.#ino) return atPath.size;
    this.end();
    return this.#open();
  }

  #open(): number {
    const fd = fs.openSync(this.path, FLAGS, 0o600);
    const stat = fs.fstatSync(fd);
    // The creation mode went through the umask, and an older file keeps its own: 0600 either way.
    const mine = typeof process.getuid !== 'function' || stat.uid === process.getuid();
    if (POSIX && mine && (stat.mode & 0o077) !== 0) fs.fchmodSync(fd, 0o600);
    this.#fd = fd;
    this.#ino = stat.ino;
    return stat.size;
  }

  #rotate(): void {
    const { maxFiles } = this.#options;
    const rename = (from: string, to: string) => {
      try {
        fs.renameSync(from, to);
      } catch (err) {
        // Another writer rotated first: its files are already in place.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    };
    if (maxFiles === 0) {
      fs.rmSync(this.path, { force: true });
      return;
    }
    for (let i = maxFiles - 1; i >= 1; i--) rename(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    rename(this.path, `${this.path}.1`);
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#failed = true;
      this.end();
      process.stderr.write(
        `warning: cannot write the log file ${this.path} (${(err as Error).message}); log lines go to stderr.\n`,
      );
    }
  }
}
