/**
 * @module test/validator/token-cache
 * The verified-token cache on its own, with synthetic tokens whose last signature characters choose the
 * doorkeeper's slot and fingerprint: admission on second sight, a slot overwritten forgetting a first sight,
 * the forgetting window of max(capacity, 1024) first sights, eviction of the oldest sixteenth in insertion
 * order, expiry, and keying by the last 24 characters with the whole token compared.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KeySource } from '../../src/validator/key-sources.ts';
import { CACHE_KEY_CHARS, TokenCache, type VerifiedToken } from '../../src/validator/token-cache.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const c = (v: number) => ALPHABET[v & 63]!;

/**
 * A token whose doorkeeper slot is `slot` (0–16383) and fingerprint `fp` (30 bits): the 5 characters before the
 * last 4 carry the fingerprint, the next 3 the slot. `head` varies what lies before the last 24 characters.
 */
function tok(slot: number, fp = slot, head = 'h'): string {
  const fpChars = [24, 18, 12, 6, 0].map((shift) => c(fp >> shift)).join('');
  const slotChars = c(slot >> 8) + c(slot >> 2) + c(slot & 3);
  return `eyJhbGciOiJSUzI1NiJ9.eyJ9.${head}${'Q'.repeat(80)}${fpChars}${slotChars}A`;
}

const source = (description: string): KeySource => ({
  description,
  key: async () => undefined,
  keyNow: () => undefined,
});
const KEYS = source('test keys');
const EXP = 2_000_000_000;
const verified = (kid = 'k1'): VerifiedToken => ({ claims: { exp: EXP }, header: { alg: 'RS256' }, kid });
const NOW = EXP - 3600;

/** Offers `token` until it is admitted; how many offers that took. */
function admit(cache: TokenCache, token: string, exp = EXP): number {
  for (let n = 1; n <= 3; n++) if (cache.offer(token, verified(), exp, KEYS)) return n;
  throw new Error('not admitted in 3 offers');
}

describe('TokenCache', () => {
  it('admits a token on its second offer, with what was verified and by which source', () => {
    const cache = new TokenCache(100);
    const t = tok(1);
    assert.equal(cache.offer(t, verified('kid-a'), EXP, KEYS), false, 'first sight: not admitted');
    assert.equal(cache.lookup(t, NOW), undefined);
    assert.equal(cache.size, 0);
    assert.equal(cache.offer(t, verified('kid-a'), EXP, KEYS), true, 'second sight: admitted');
    const entry = cache.lookup(t, NOW);
    assert.ok(entry);
    assert.equal(entry.token, t);
    assert.equal(entry.kid, 'kid-a');
    assert.equal(entry.exp, EXP);
    assert.equal(entry.source, KEYS);
    assert.deepEqual(entry.claims, { exp: EXP });
    assert.equal(entry.passed, undefined);
    assert.equal(cache.size, 1);
  });

  it('a first sight is forgotten when another token takes its slot (only caching moves)', () => {
    const cache = new TokenCache(100);
    assert.equal(cache.offer(tok(7, 1), verified(), EXP, KEYS), false);
    assert.equal(cache.offer(tok(7, 2), verified(), EXP, KEYS), false, 'same slot, another fingerprint');
    assert.equal(cache.offer(tok(7, 1), verified(), EXP, KEYS), false, 'its first sight was overwritten');
    assert.equal(cache.offer(tok(7, 1), verified(), EXP, KEYS), true);
    // Other slots are untouched by it.
    assert.equal(cache.offer(tok(8, 1), verified(), EXP, KEYS), false);
    assert.equal(cache.offer(tok(9), verified(), EXP, KEYS), false);
    assert.equal(cache.offer(tok(8, 1), verified(), EXP, KEYS), true);
  });

  for (const capacity of [16, 2000]) {
    const window = Math.max(capacity, 1024);
    it(`forgets every first sight after ${window} of them (capacity ${capacity})`, () => {
      const others = (from: number, n: number) => {
        for (let i = 0; i < n; i++) assert.equal(cache.offer(tok(from + i), verified(), EXP, KEYS), false);
      };
      let cache = new TokenCache(capacity);
      const a = tok(0, 12345);
      // Within the window: `a`'s first sight plus window − 1 others.
      assert.equal(cache.offer(a, verified(), EXP, KEYS), false);
      others(1, window - 1);
      assert.equal(cache.offer(a, verified(), EXP, KEYS), true, 'seen again within the window: admitted');
      // One more first sight resets the doorkeeper: `a`'s first sight is gone.
      cache = new TokenCache(capacity);
      assert.equal(cache.offer(a, verified(), EXP, KEYS), false);
      others(1, window);
      assert.equal(cache.offer(a, verified(), EXP, KEYS), false, 'seen again after the reset: a first sight');
      assert.equal(cache.offer(a, verified(), EXP, KEYS), true, 'and admitted on the sight after');
    });
  }

  it('evicts the oldest sixteenth in insertion order when full (a lookup does not refresh)', () => {
    const cache = new TokenCache(32);
    const tokens = Array.from({ length: 40 }, (_, i) => tok(100 + i));
    for (const t of tokens.slice(0, 32)) assert.equal(admit(cache, t), 2);
    assert.equal(cache.size, 32);
    assert.ok(cache.lookup(tokens[0]!, NOW), 'the oldest, looked up just before the cache overflows');
    admit(cache, tokens[32]!);
    assert.equal(cache.size, 31, '32 >> 4 = 2 dropped, 1 added');
    assert.equal(cache.lookup(tokens[0]!, NOW), undefined);
    assert.equal(cache.lookup(tokens[1]!, NOW), undefined);
    for (const t of tokens.slice(2, 33)) assert.ok(cache.lookup(t, NOW));
    admit(cache, tokens[33]!);
    assert.equal(cache.size, 32);
    admit(cache, tokens[34]!);
    assert.equal(cache.size, 31);
    assert.equal(cache.lookup(tokens[2]!, NOW), undefined);
    assert.equal(cache.lookup(tokens[3]!, NOW), undefined);
    assert.ok(cache.lookup(tokens[4]!, NOW));
    // A tiny cache drops at least one.
    const tiny = new TokenCache(2);
    for (const t of tokens.slice(0, 3)) admit(tiny, t);
    assert.equal(tiny.size, 2);
    assert.equal(tiny.lookup(tokens[0]!, NOW), undefined);
    assert.ok(tiny.lookup(tokens[1]!, NOW) && tiny.lookup(tokens[2]!, NOW));
  });

  it('an entry is returned until its exp and dropped from then on; tokens without a finite exp never enter', () => {
    const cache = new TokenCache(100);
    const t = tok(200);
    admit(cache, t, 1000);
    assert.equal(cache.lookup(t, 999.999)?.exp, 1000);
    assert.equal(cache.size, 1);
    assert.equal(cache.lookup(t, 1000), undefined, 'expired at exp');
    assert.equal(cache.size, 0, 'and dropped');
    assert.equal(cache.lookup(t, 500), undefined, 'gone for good, even for an earlier clock');
    const forever = tok(201);
    for (let i = 0; i < 3; i++) {
      assert.equal(cache.offer(forever, verified(), Number.POSITIVE_INFINITY, KEYS), false);
      assert.equal(cache.offer(forever, verified(), Number.NaN, KEYS), false);
    }
    assert.equal(cache.offer(forever, verified(), EXP, KEYS), false, 'those offers left no first sight');
    assert.equal(cache.offer(forever, verified(), EXP, KEYS), true);
  });

  it(`keys by the last ${CACHE_KEY_CHARS} characters, yet hits only the very same token`, () => {
    const cache = new TokenCache(100);
    const a = tok(300, 300, 'a');
    const b = tok(300, 300, 'b');
    assert.equal(a.slice(-CACHE_KEY_CHARS), b.slice(-CACHE_KEY_CHARS));
    admit(cache, a);
    assert.equal(cache.lookup(b, NOW), undefined, 'same key, another token');
    const copy = Buffer.from(a, 'latin1').toString('latin1');
    assert.equal(cache.lookup(copy, NOW)?.token, a, 'an equal string from elsewhere is a hit');
    cache.forget(b);
    assert.ok(cache.lookup(a, NOW), 'forgetting another token with the same key leaves the entry');
    // Admitting the other token replaces the entry under the shared key.
    assert.equal(cache.offer(b, verified('kid-b'), EXP, KEYS), false, 'admitting a emptied the shared slot');
    assert.equal(cache.offer(b, verified('kid-b'), EXP, KEYS), true);
    assert.equal(cache.size, 1);
    assert.equal(cache.lookup(a, NOW), undefined);
    assert.equal(cache.lookup(b, NOW)?.kid, 'kid-b');
    cache.forget(b);
    assert.equal(cache.lookup(b, NOW), undefined);
    assert.equal(cache.size, 0);
    // Tokens differing anywhere in the last characters are separate entries.
    admit(cache, tok(301));
    admit(cache, tok(302));
    assert.equal(cache.size, 2);
    // Too short to carry a signature: never admitted.
    for (let i = 0; i < 3; i++) assert.equal(cache.offer('a.b.c', verified(), EXP, KEYS), false);
  });

  it('capacity 0 admits nothing; clear() forgets entries and first sights', () => {
    const off = new TokenCache(0);
    for (let i = 0; i < 3; i++) assert.equal(off.offer(tok(400), verified(), EXP, KEYS), false);
    assert.equal(off.size, 0);
    const cache = new TokenCache(100);
    admit(cache, tok(401));
    assert.equal(cache.offer(tok(402), verified(), EXP, KEYS), false);
    cache.clear();
    assert.equal(cache.size, 0);
    assert.equal(cache.lookup(tok(401), NOW), undefined);
    assert.equal(cache.offer(tok(402), verified(), EXP, KEYS), false, 'its first sight was forgotten');
    assert.equal(cache.offer(tok(402), verified(), EXP, KEYS), true);
  });
});
