/**
 * @module issuer/rs256-signer
 * RS256 signatures for the tokens Lanyard mints, signed in batches.
 *
 * Why batches: an RSA-2048 signature is most of a token's cost, and it is ~25 % dearer when it runs between
 * other work (TLS, HTTP, SQLite, GC evict its code and data from the core's caches) than back to back
 * (bench/issuer, `node:https + sign`: 411–438 µs per token signing each on the libuv pool, 344–371 µs signing
 * the requests of one event-loop turn together). Requests that arrive in the same turn are gathered and signed
 * together; a lone request is a batch of one, signed in the same turn, so nothing waits for company.
 *
 * Where: with more than one core available, on signing threads (`rs256-sign-worker.ts`; one per spare core, at
 * most four), so the event loop never runs the RSA operation and signatures go on in parallel with HTTP; each
 * thread has one batch in flight, and what arrives meanwhile forms the next. With one core (a container or
 * process pinned to one CPU) there is no other core to hand off to, so batches are signed on the event loop,
 * at most `maxBatch` per turn (about 2 ms) so other requests are not held up longer than that.
 */
import type { KeyObject } from 'node:crypto';
import { sign } from 'node:crypto';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { LanyardError } from '../errors/lanyard-error.ts';
import type { SignBatch, SignResult } from './rs256-sign-worker.ts';

export interface Rs256Signer {
  /** 'inline': on the event loop; 'threads': on signing threads. */
  readonly mode: 'inline' | 'threads';
  /** Batches and signatures so far (how well requests are being gathered). */
  readonly stats: { batches: number; signatures: number };
  /** Signs a JWS signing input (ASCII) with `key`; resolves with the base64url signature. */
  sign(input: string, kid: string, key: KeyObject): Promise<string>;
  /** Signs what is queued, then stops the signing threads; later calls are refused. */
  close(): Promise<void>;
}

export interface Rs256SignerOptions {
  /** Signing threads; 0 signs on the event loop. Default: one per core beyond the first (1–4), 0 on one core. */
  threads?: number | undefined;
  /** Most signatures per batch (default 8 on the event loop, 16 on a thread). */
  maxBatch?: number | undefined;
  /** The signing thread's script (tests substitute one that fails); default rs256-sign-worker.ts. */
  workerScript?: URL | undefined;
}

interface Pending {
  input: string;
  kid: string;
  key: KeyObject;
  resolve: (signature: string) => void;
  reject: (err: Error) => void;
}

interface SignThread {
  worker: Worker;
  /** Key ids this thread already holds. */
  kids: Set<string>;
  inFlight: Pending[] | undefined;
}

const MAX_THREADS = 4;

/** Threads by default: one per core beyond the first that this process may run on, at most four. */
export function defaultSigningThreads(): number {
  return Math.min(MAX_THREADS, os.availableParallelism() - 1);
}

/** `LANYARD_SIGNING_THREADS`: a whole number 0–4, or unset for the default. */
export function signingThreadsFromEnv(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = env.LANYARD_SIGNING_THREADS;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX_THREADS) {
    throw new LanyardError(
      'ERR_VALIDATION',
      `LANYARD_SIGNING_THREADS must be a whole number from 0 to ${MAX_THREADS}`,
      {
        hint: 'Unset it to let Lanyard choose (one signing thread per spare core), or set 0 to sign on the event loop.',
      },
    );
  }
  return n;
}

const signingFailed = (message: string, cause?: unknown) =>
  new LanyardError('ERR_SIGNING', `the token could not be signed: ${message}`, { cause });

/** Takes from the head of the queue up to `max` requests that share the head's key. */
function takeBatch(queue: Pending[], max: number): Pending[] {
  const kid = queue[0]?.kid;
  let n = 0;
  while (n < queue.length && n < max && queue[n]!.kid === kid) n++;
  return queue.splice(0, n);
}

export function createRs256Signer(options: Rs256SignerOptions = {}): Rs256Signer {
  const threadCount = Math.max(0, Math.min(MAX_THREADS, options.threads ?? defaultSigningThreads()));
  const queue: Pending[] = [];
  let scheduled = false;
  let closed = false;
  let drained: (() => void) | undefined;
  const threads: (SignThread | undefined)[] = new Array(threadCount).fill(undefined);
  const stats = { batches: 0, signatures: 0 };

  const idle = () => queue.length === 0 && threads.every((t) => t?.inFlight === undefined);
  const checkDrained = () => {
    if (drained && idle()) drained();
  };

  const signInline = () => {
    const maxBatch = options.maxBatch ?? 8;
    scheduled = false;
    const batch = takeBatch(queue, maxBatch);
    stats.batches++;
    stats.signatures += batch.length;
    for (const p of batch) {
      try {
        p.resolve(sign('sha256', Buffer.from(p.input, 'ascii'), p.key).toString('base64url'));
      } catch (err) {
        p.reject(signingFailed((err as Error).message, err));
      }
    }
    if (queue.length > 0) schedule();
    else checkDrained();
  };

  const startThread = (slot: number): SignThread => {
    // No inherited flags: the thread needs none, and some (`--input-type`, `--eval`'s) are refused by a file.
    const script = options.workerScript ?? new URL('./rs256-sign-worker.ts', import.meta.url);
    const worker = new Worker(script, { execArgv: [] });
    const thread: SignThread = { worker, kids: new Set(), inFlight: undefined };
    worker.on('message', (result: SignResult) => {
      const batch = thread.inFlight ?? [];
      thread.inFlight = undefined;
      dispatch();
      batch.forEach((p, i) => {
        const s = result.signatures[i];
        if (typeof s === 'string') p.resolve(s);
        else p.reject(signingFailed(s?.error ?? 'no signature came back'));
      });
      checkDrained();
    });
    const fail = (reason: string, cause?: unknown) => {
      if (threads[slot] !== thread) return;
      threads[slot] = undefined;
      const batch = thread.inFlight ?? [];
      thread.inFlight = undefined;
      for (const p of batch) p.reject(signingFailed(reason, cause));
      void worker.terminate();
      dispatch();
      checkDrained();
    };
    worker.on('error', (err) => fail(`the signing thread failed (${err.message})`, err));
    worker.on('exit', (code) => fail(`the signing thread exited with code ${code}`));
    // Only a thread with work in flight keeps the process alive.
    worker.unref();
    threads[slot] = thread;
    return thread;
  };

  const dispatch = () => {
    scheduled = false;
    for (let slot = 0; slot < threads.length && queue.length > 0; slot++) {
      const thread = threads[slot] ?? startThread(slot);
      if (thread.inFlight) continue;
      const batch = takeBatch(queue, options.maxBatch ?? 16);
      const first = batch[0]!;
      const message: SignBatch = { kid: first.kid, inputs: batch.map((p) => p.input) };
      if (!thread.kids.has(first.kid)) {
        message.key = first.key;
        thread.kids.add(first.kid);
      }
      thread.inFlight = batch;
      stats.batches++;
      stats.signatures += batch.length;
      thread.worker.ref();
      thread.worker.postMessage(message);
    }
    for (const t of threads) if (t && !t.inFlight) t.worker.unref();
  };

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    // The check phase runs after every I/O callback of this turn: the turn's requests go as one batch.
    setImmediate(threadCount === 0 ? signInline : dispatch);
  };

  return {
    mode: threadCount === 0 ? 'inline' : 'threads',
    stats,
    sign(input, kid, key) {
      if (closed) return Promise.reject(signingFailed('the signer is closed (Lanyard is shutting down)'));
      return new Promise<string>((resolve, reject) => {
        queue.push({ input, kid, key, resolve, reject });
        schedule();
      });
    },
    async close() {
      closed = true;
      if (!idle()) {
        await new Promise<void>((resolve) => {
          drained = resolve;
        });
      }
      const running = threads.filter((t): t is SignThread => t !== undefined);
      threads.fill(undefined);
      await Promise.all(running.map((t) => t.worker.terminate()));
    },
  };
}
