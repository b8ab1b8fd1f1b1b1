/**
 * @module gateway/runtime/headers
 * HTTP headers as policies see them: names case-insensitive, each with a list of values, the spelling of the
 * first writer kept for the wire. Values are checked once when they are set (no CR, LF or NUL, bounded size), so
 * a policy expression can never split a header or smuggle a second request.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/;
// Line breaks and NUL split or end a header; HTTP header values are Latin-1 bytes, so nothing above U+00FF.
const BAD_VALUE = /[\r\n\0\u0100-\uffff]/;
export const MAX_HEADER_VALUE = 16 * 1024;

interface Entry {
  name: string;
  values: string[];
}

/**
 * Also a live `ReadonlyMap` of name → values (case-insensitive `get`/`has`, names as first spelled), which is
 * what policy expressions read as `context.Request.Headers`.
 */
export class HeaderMap implements ReadonlyMap<string, readonly string[]> {
  readonly #entries = new Map<string, Entry>();

  /** From Node's `rawHeaders` (name, value, name, value, …): repeated headers keep every value. */
  static fromRaw(raw: readonly string[]): HeaderMap {
    const h = new HeaderMap();
    for (let i = 0; i + 1 < raw.length; i += 2) h.#add(raw[i]!, raw[i + 1]!);
    return h;
  }

  /**
   * From a parsed response's headers (undici's lower-case name → value or values), leaving out the names
   * `skip` says to. Not checked again: the HTTP parser accepted them, so they hold no line break or NUL.
   */
  static fromParsed(
    headers: Record<string, string | string[] | undefined>,
    skip: (lowerName: string) => boolean,
  ): HeaderMap {
    const h = new HeaderMap();
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || skip(name)) continue;
      if (typeof value === 'string') h.#add(name, value);
      else for (const v of value) h.#add(name, v);
    }
    return h;
  }

  #add(name: string, value: string): void {
    const key = name.toLowerCase();
    const e = this.#entries.get(key);
    if (e) e.values.push(value);
    else this.#entries.set(key, { name, values: [value] });
  }

  static check(name: string, value?: string): void {
    if (!TOKEN.test(name)) {
      throw new LanyardError(
        'ERR_GATEWAY_POLICY_RUNTIME',
        `"${name.slice(0, 64)}" is not a valid header name`,
      );
    }
    if (value !== undefined && (BAD_VALUE.test(value) || value.length > MAX_HEADER_VALUE)) {
      throw new LanyardError(
        'ERR_GATEWAY_POLICY_RUNTIME',
        `the value for header ${name} holds a line break, NUL or a character beyond Latin-1, or is longer than ${MAX_HEADER_VALUE} characters`,
      );
    }
  }

  /** A hint or message as a header value: one line, printable ASCII ('…' becomes '...'), bounded. */
  static printable(text: string, max = 1024): string {
    return text
      .replace(/\u2026/g, '...')
      .replace(/[\r\n\t]+/g, ' ')
      .replace(/[^\x20-\x7e]/g, '?')
      .slice(0, max);
  }

  has(name: string): boolean {
    return this.#entries.has(name.toLowerCase());
  }

  /** Every value of the header, or undefined. */
  get(name: string): readonly string[] | undefined {
    return this.#entries.get(name.toLowerCase())?.values;
  }

  /** The values joined with `,` (APIM's `GetValueOrDefault`), or undefined. */
  joined(name: string): string | undefined {
    return this.#entries.get(name.toLowerCase())?.values.join(',');
  }

  get size(): number {
    return this.#entries.size;
  }

  *entries(): MapIterator<[string, readonly string[]]> {
    for (const e of this.#entries.values()) yield [e.name, e.values];
  }

  *keys(): MapIterator<string> {
    for (const e of this.#entries.values()) yield e.name;
  }

  *values(): MapIterator<readonly string[]> {
    for (const e of this.#entries.values()) yield e.values;
  }

  [Symbol.iterator](): MapIterator<[string, readonly string[]]> {
    return this.entries();
  }

  forEach(
    fn: (value: readonly string[], key: string, map: ReadonlyMap<string, readonly string[]>) => void,
  ): void {
    for (const e of this.#entries.values()) fn(e.values, e.name, this);
  }

  set(name: string, values: readonly string[]): void {
    HeaderMap.check(name);
    for (const v of values) HeaderMap.check(name, v);
    const key = name.toLowerCase();
    const spelled = this.#entries.get(key)?.name ?? name;
    this.#entries.set(key, { name: spelled, values: [...values] });
  }

  append(name: string, values: readonly string[]): void {
    HeaderMap.check(name);
    for (const v of values) {
      HeaderMap.check(name, v);
      this.#add(name, v);
    }
  }

  delete(name: string): boolean {
    return this.#entries.delete(name.toLowerCase());
  }

  /** name, value, name, value … as undici and `writeHead` take them; a header with several values repeats. */
  flat(): string[] {
    const out: string[] = [];
    for (const e of this.#entries.values()) for (const v of e.values) out.push(e.name, v);
    return out;
  }

  /** Like `flat`, leaving out the headers whose lower-case name `skip` says to. */
  flatWithout(skip: (lowerName: string) => boolean): string[] {
    const out: string[] = [];
    for (const [key, e] of this.#entries) {
      if (skip(key)) continue;
      for (const v of e.values) out.push(e.name, v);
    }
    return out;
  }

  clone(): HeaderMap {
    const h = new HeaderMap();
    for (const [k, e] of this.#entries) h.#entries.set(k, { name: e.name, values: [...e.values] });
    return h;
  }
}
