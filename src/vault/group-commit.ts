/**
 * @module vault/group-commit
 * Runs the vault's writes. Today each runs in a transaction of its own.
 */
import type { Directory } from '../directory/directory.ts';

export interface WriteBatcher {
  /** Runs `fn` in a transaction; resolves once its writes are committed and durable. */
  run<T>(fn: (d: Directory) => Promise<T>): Promise<T>;
  /** Waits for the writes in flight. */
  close(): Promise<void>;
}

export function createWriteBatcher(directory: Directory): WriteBatcher {
  return {
    run: (fn) => directory.transaction(fn),
    close: async () => {},
  };
}
