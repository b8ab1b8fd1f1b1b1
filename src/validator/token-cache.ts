/**
 * @module validator/token-cache
 * Verified tokens, remembered so that a repeated token costs a map lookup instead of a signature check. An
 * entry says only that `source` verified this exact token's signature, and until when (`exp`): it decides
 * nothing, the validator applies its policy to every hit. Three parts, all bounded: the map of entries (keyed
 * by the token's last characters, oldest evicted first), a memo of the last token's key, and a doorkeeper that
 * admits a token on its second verification.
 */

import { B64URL_VALUE } from './base64url.ts';
import type { KeySource } from './key-sources.ts';
import type { ValidationPolicy } from './policy.ts';
import type { Claims } from './result.ts';

/** What a verified token leaves behind. */
export interface VerifiedToken {
  readonly claims: Claims;
  readonly header: Record<string, unknown>;
  readonly kid: string;
}

export interface CacheEntry extends VerifiedToken {
  /** The whole token: entries are found by signature, and only the very same token is a hit. */
  readonly token: string;
  /** Seconds; the entry is not returned from then on. */
  readonly exp: number;
  /** The source whose key verified the signature: a hit under another source proves nothing. */
  readonly source: KeySource;
  /**
   * Set by the validator: the last policy every claim check passed under. The claims never change and a
   * policy is frozen, so a hit under that same object only needs the clock checks again.
   */
  passed: ValidationPolicy | undefined;
}

/**
 * Characters the map is keyed by: the end of the signature. A map lookup hashes its key, and every request
 * brings a new token string: finding the last dot and hashing the whole signature (342 characters for RS256)
 * were ~2 µs of each new token's validation in profiles. 24 base64url characters of a signature (≥ 132 random
 * bits) tell tokens apart as well; a hit must be the very same token, compared in full, and only verified
 * tokens are offered.
 */
export const CACHE_KEY_CHARS = 24;

export class TokenCache {
  /** Entries at most; 0 disables the cache. */
  readonly capacity: number;
  readonly #map = new Map<string, CacheEntry>();

  // The key of the last token looked up: a miss is followed by an offer of the same string (and, when keys must
  // be fetched, by another lookup), and a reused key string keeps its computed hash.
  #lastToken = '';
  #lastKey = '';

  /**
   * Admission on second sight: a verified token enters the cache the second time it is offered. Tokens seen
   * once — a flood of distinct valid tokens, or a cycle longer than the cache — then cannot evict the tokens
   * callers keep reusing, and leave nothing long-lived behind (entries that would be evicted unused were most
   * of the fresh-token path's garbage-collection time). A reused token pays one extra verification.
   * The doorkeeper remembers a 30-bit fingerprint of each offered signature in a slot chosen by 14 more bits
   * (a signature is random, and only verified tokens get here): no allocation per token, a fixed 64 KiB. A slot
   * overwritten by another token forgets the first sight (that token is admitted a sight later); a fingerprint
   * collision admits a token a sight early. Both only move caching, never a decision.
   * It forgets everything after `#window` first sights (TinyLFU's reset): a token admitted after recurring
   * more slowly than that would be evicted by as many newer entries before its next use, so its entry would
   * only be garbage. Without the reset a 20,000-token cycle still admitted ~30 % of its tokens (slots that no
   * other token had overwritten) and churned the cache for no hit (bench/easyauth's fresh phase).
   */
  readonly #seen = new Uint32Array(1 << 14);
  readonly #window: number;
  #firstSights = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    // Small caches (tests, tight memory) still get a window of a thousand sights.
    this.#window = Math.max(capacity, 1024);
  }

  get size(): number {
    return this.#map.size;
  }

  /** The entry for this very token, unless it expired at `nowSec` (then it is dropped). */
  lookup(token: string, nowSec: number): CacheEntry | undefined {
    const key = this.#keyOf(token);
    const entry = this.#map.get(key);
    if (entry === undefined || entry.token !== token) return undefined;
    if (entry.exp > nowSec) return entry;
    this.#map.delete(key);
    return undefined;
  }

  /** Drops this token's entry, if it has one. */
  forget(token: string): void {
    const key = this.#keyOf(token);
    if (this.#map.get(key)?.token === token) this.#map.delete(key);
  }

  /**
   * Offers a token whose signature `source` verified; it enters on its second offer (see `#seen`) when it has a
   * finite `exp`, evicting the oldest entries when full. Whether it entered.
   */
  offer(token: string, verified: VerifiedToken, exp: number, source: KeySource): boolean {
    if (this.capacity <= 0 || !Number.isFinite(exp) || !this.#admit(token)) return false;
    if (this.#map.size >= this.capacity) this.#evictOldest();
    this.#map.set(this.#keyOf(token), {
      token,
      claims: verified.claims,
      header: verified.header,
      kid: verified.kid,
      exp,
      source,
      passed: undefined,
    });
    return true;
  }

  /** Forgets every entry and every first sight (e.g. after an emergency key revocation). */
  clear(): void {
    this.#map.clear();
    this.#seen.fill(0);
    this.#firstSights = 0;
  }

  #keyOf(token: string): string {
    if (token !== this.#lastToken) {
      this.#lastToken = token;
      this.#lastKey = token.length > CACHE_KEY_CHARS ? token.slice(-CACHE_KEY_CHARS) : token;
    }
    return this.#lastKey;
  }

  #admit(token: string): boolean {
    // The 8 signature characters before the last one (which may carry only 2 or 4 bits): base64url, 6 random bits
    // each. Only verified tokens get here, and every accepted algorithm's signature is at least 86 characters.
    const at = token.length - 9;
    if (at < 0) return false;
    let fp = 0;
    for (let i = 0; i < 5; i++) fp = (fp << 6) | B64URL_VALUE[token.charCodeAt(at + i) & 0x7f]!;
    const slot =
      (B64URL_VALUE[token.charCodeAt(at + 5) & 0x7f]! << 8) |
      (B64URL_VALUE[token.charCodeAt(at + 6) & 0x7f]! << 2) |
      (B64URL_VALUE[token.charCodeAt(at + 7) & 0x7f]! & 0x03);
    // +1: a zero slot means empty.
    const mark = fp + 1;
    if (this.#seen[slot] === mark) {
      this.#seen[slot] = 0;
      return true;
    }
    if (++this.#firstSights > this.#window) {
      this.#seen.fill(0);
      this.#firstSights = 1;
    }
    this.#seen[slot] = mark;
    return false;
  }

  /**
   * Drops the oldest sixteenth of the entries in one pass. One `keys().next()` + `delete` per insert costs
   * O(size) in V8, whose Map keeps deleted entries at its front until it rehashes: ~10 µs per new token on a
   * full 10,000-entry cache (bench/easyauth, docs/performance.md), against well under 1 µs this way.
   */
  #evictOldest(): void {
    let drop = Math.max(1, this.capacity >> 4);
    for (const key of this.#map.keys()) {
      this.#map.delete(key);
      if (--drop === 0) break;
    }
  }
}
