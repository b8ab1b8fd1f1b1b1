/**
 * @module flows/masking
 * What a run or job record must never hold in clear: access tokens (any JWT-shaped text — a program that prints
 * the endpoint's answer prints one), the workload secret a job was started with, and values the definition marks
 * secure or that were read from a vault. Each is replaced by `***` before the text is stored or logged, as
 * Logic Apps hides `secureData` inputs and outputs in run history.
 */

export const MASK = '***';

/** Three base64url segments, the first a JSON header (`eyJ`): a JWS or the head of a JWE. */
const JWT = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;

/** Values shorter than this are not masked: masking `1` or `true` everywhere would hide everything. */
export const MIN_MASKED_LENGTH = 4;

export class Masker {
  readonly #values: string[];

  /** `values`: exact texts to hide (the workload secret, secure values); short ones are ignored. */
  constructor(values: readonly string[] = []) {
    // Longest first, so a value that contains another is hidden whole.
    this.#values = [...new Set(values.filter((v) => v.length >= MIN_MASKED_LENGTH))].sort(
      (a, b) => b.length - a.length,
    );
  }

  /** A masker that also hides `more`. */
  with(more: readonly string[]): Masker {
    return new Masker([...this.#values, ...more]);
  }

  text(input: string): string {
    let out = input.replace(JWT, MASK);
    for (const v of this.#values) if (out.includes(v)) out = out.split(v).join(MASK);
    return out;
  }

  /** Every string inside a JSON value, masked; the shape is kept. */
  json(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.json(v));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.json(v);
      return out;
    }
    return value;
  }
}
