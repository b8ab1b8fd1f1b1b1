/**
 * @module bench/types/autocannon
 * The part of autocannon's API the benchmarks use (it ships no types, and the project installs no @types
 * packages for benchmark-only tools). Ambient, so every bench script shares this one declaration.
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Histogram {
      average: number;
      mean: number;
      p50: number;
      p90: number;
      p99: number;
      max: number;
    }
    interface Result {
      '2xx': number;
      non2xx: number;
      errors: number;
      timeouts: number;
      /** Seconds the run lasted. */
      duration: number;
      latency: Histogram;
      requests: Histogram;
    }
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string;
    }
    interface Options {
      url: string;
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      /** Stop after this many requests. */
      amount?: number;
      requests?: Array<Request & { setupRequest?: (req: Request) => Request }>;
    }
    /** An event emitter (`done`, `error`, …) that is also a promise of the result. */
    interface Instance extends EventEmitter, PromiseLike<Result> {
      stop(): void;
    }
  }
  function autocannon(options: autocannon.Options): autocannon.Instance;
  export default autocannon;
}
