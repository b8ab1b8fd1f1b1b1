/**
 * @module issuer/rs256-sign-worker
 * The signing thread of `rs256-signer.ts`: receives batches of JWS signing inputs and signs them back to back
 * (RSASSA-PKCS1-v1_5 + SHA-256), so the RSA code and the key stay hot in this core's caches between signatures.
 * A key crosses once per key id; later batches name it by `kid`.
 */
import { type KeyObject, sign } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

export interface SignBatch {
  kid: string;
  /** Present the first time this thread is asked to sign with `kid`. */
  key?: KeyObject | undefined;
  inputs: string[];
}

/** One base64url signature per input, or the reason that input could not be signed. */
export type SignResult = { signatures: (string | { error: string })[] };

const keys = new Map<string, KeyObject>();

parentPort?.on('message', (batch: SignBatch) => {
  if (batch.key) keys.set(batch.kid, batch.key);
  const key = keys.get(batch.kid);
  const signatures = batch.inputs.map((input) => {
    if (!key) return { error: `no key ${batch.kid} on the signing thread` };
    try {
      return sign('sha256', Buffer.from(input, 'ascii'), key).toString('base64url');
    } catch (err) {
      return { error: (err as Error).message };
    }
  });
  parentPort?.postMessage({ signatures } satisfies SignResult);
});
