/**
 * @module crypto/sealed-records
 * Every place that keeps records sealed under the master key, seen the same way by `lanyard vault
 * rotate-master-key`: how many records are still wrapped under another key than the current one, and a
 * re-wrap of them all (crypto/envelope `rewrap`: only each record's data key changes). Each owner implements
 * it for its own tables (vault/rewrap.ts, issuer/rewrap.ts, gateway/rewrap.ts, with plane/rewrap-kit.ts);
 * the CA key, a file, is here. The host lists them all (host/sealed-records.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.ts';
import { type Envelope, sealedPrefix } from './envelope.ts';
import { caPathFor } from './local-ca.ts';

export interface RewrapOptions {
  /** Rows per transaction (default 100). */
  batchSize?: number | undefined;
  /** Called after each committed batch (progress; tests use it to stop midway). */
  afterBatch?: ((progress: RewrapProgress) => void | Promise<void>) | undefined;
}

export interface RewrapProgress {
  /** Rows looked at so far. */
  scanned: number;
  /** Rows whose value was re-wrapped so far. */
  rewrapped: number;
  batches: number;
}

export interface SealedRecords {
  /** What the progress lines call it: a table name, or a file of the data folder. */
  readonly name: string;
  /** How many records are wrapped under a master key other than `keyId`. */
  countOther(keyId: string): Promise<number>;
  /** Re-wraps every record under the envelope's current master key; a crash midway leaves each record whole. */
  rewrap(envelope: Pick<Envelope, 'rewrap'>, options?: RewrapOptions): Promise<RewrapProgress>;
}

/** `<dataDir>/ca/ca.key` when it is sealed (a CA made with an envelope); a plain PEM key is left alone. */
export function sealedCaKey(dataDir: string): SealedRecords {
  const file = path.join(path.dirname(caPathFor(dataDir)), 'ca.key');
  const read = (): string | undefined => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8').trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return text.startsWith('-----BEGIN') ? undefined : text;
  };
  return {
    name: 'ca/ca.key',
    async countOther(keyId) {
      const sealed = read();
      return sealed !== undefined && !sealed.startsWith(sealedPrefix(keyId)) ? 1 : 0;
    },
    async rewrap(envelope, options = {}) {
      const sealed = read();
      const next = sealed === undefined ? undefined : envelope.rewrap(sealed);
      // Replaced whole (temporary file, fsync, rename): a crash leaves the old key file or the new one.
      if (next !== undefined && next !== sealed) writeFileAtomic(file, next, { mode: 0o600 });
      const progress = {
        scanned: sealed === undefined ? 0 : 1,
        rewrapped: next !== sealed ? 1 : 0,
        batches: 1,
      };
      await options.afterBatch?.({ ...progress });
      return progress;
    },
  };
}
