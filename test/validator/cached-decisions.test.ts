/**
 * @module test/validator/cached-decisions
 * What a cache hit may skip, and why that stays sound. A hit under the policy object every claim check passed
 * under re-runs only the clock checks, so a policy is frozen the first time a validator sees it: mutating it
 * throws, and a changed policy is a new object, checked in full. The clock checks are one function for hits
 * and for new tokens: at every instant around nbf, iat and exp, a validator answering from its cache says
 * exactly what one without a cache says.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import type { KeySource, TrustedKey } from '../../src/validator/key-sources.ts';
import {
  freezePolicy,
  TokenValidator,
  type ValidationPolicy,
  type ValidationResult,
} from '../../src/validator/validator.ts';
import { signJwt } from '../adversarial/forge.ts';

const ISS = 'https://login.microsoftonline.com/0b7c1f43-5a2e-4d8b-9c61-2f0e8d3a7b15/v2.0';
const APP = 'cc334b87-fdbe-4996-aa3f-5bad192a18a6';
const T0 = 1_900_000_000;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const trusted: TrustedKey = { kid: 'k1', alg: 'RS256', key: publicKey };
const keySource = (): KeySource => ({
  description: 'the test keys',
  key: async (kid) => (kid === 'k1' ? trusted : undefined),
  keyNow: (kid) => (kid === 'k1' ? trusted : undefined),
});

const token = (claims: Record<string, unknown> = {}) =>
  signJwt(
    { alg: 'RS256', typ: 'JWT', kid: 'k1' },
    {
      iss: ISS,
      aud: APP,
      ver: '2.0',
      iat: T0,
      nbf: T0,
      exp: T0 + 3600,
      azp: 'caller',
      sub: 'caller-object-id',
      tid: '0b7c1f43-5a2e-4d8b-9c61-2f0e8d3a7b15',
      roles: ['Read'],
      ...claims,
    },
    privateKey,
  );

const basePolicy = (): ValidationPolicy => ({
  issuers: [ISS],
  audiences: [APP],
  keys: keySource(),
  allowedApplications: ['caller'],
  requiredClaims: [{ name: 'roles', match: 'any', values: ['Read'] }],
});

/** Validates until the answer comes from the cache (admitted on second sight). */
async function primed(v: TokenValidator, t: string, policy: ValidationPolicy): Promise<ValidationResult> {
  for (let i = 0; i < 3; i++) {
    const r = await v.validate(t, policy);
    if (r.ok && r.cached) return r;
  }
  throw new Error('never served from the cache');
}

describe('policies are frozen when a validator first sees them', () => {
  it('after the first validation, the policy and its lists cannot be changed; its key source can', async () => {
    const policy = basePolicy();
    const keys = policy.keys;
    assert.equal(Object.isFrozen(policy), false);
    const v = new TokenValidator({ now: () => T0 * 1000 });
    assert.equal(v.validateNow(token(), policy)?.ok, true);
    assert.ok(Object.isFrozen(policy));
    for (const list of [
      policy.issuers,
      policy.audiences,
      policy.allowedApplications,
      policy.requiredClaims,
    ]) {
      assert.ok(Object.isFrozen(list));
    }
    assert.ok(Object.isFrozen(policy.requiredClaims![0]));
    assert.ok(Object.isFrozen(policy.requiredClaims![0]!.values));
    assert.equal(Object.isFrozen(keys), false, 'a key source keeps state of its own');
    const m = policy as { -readonly [K in keyof ValidationPolicy]: ValidationPolicy[K] };
    assert.throws(() => {
      m.audiences = ['someone-else'];
    }, TypeError);
    assert.throws(() => (policy.audiences as string[]).push('someone-else'), TypeError);
    assert.throws(() => (policy.issuers as string[]).splice(0, 1), TypeError);
    assert.throws(() => {
      (policy.requiredClaims![0]!.values as string[])[0] = 'Admin';
    }, TypeError);
    assert.throws(() => {
      m.clockSkewSeconds = 1_000_000;
    }, TypeError);
    assert.deepEqual(policy.audiences, [APP]);
    assert.equal(policy.clockSkewSeconds, undefined);
  });

  it('a cached decision cannot be carried over to a changed policy: the change is a new object, checked in full', async () => {
    const v = new TokenValidator({ now: () => T0 * 1000 });
    const t = token();
    const policy = basePolicy();
    await primed(v, t, policy);
    // The mutation that would have let the hit skip the audience check under the old object now throws…
    assert.throws(() => (policy.audiences as string[]).splice(0, 1, 'someone-else'), TypeError);
    const hit = v.validateNow(t, policy);
    assert.ok(hit?.ok && hit.cached);
    // …and the same change as a new policy object is checked in full, on the cache hit.
    for (const [change, reason] of [
      [{ audiences: ['someone-else'] }, 'audience_mismatch'],
      [{ issuers: ['https://elsewhere.example/'] }, 'issuer_mismatch'],
      [{ allowedApplications: ['another-caller'] }, 'application_not_allowed'],
      [{ requiredClaims: [{ name: 'roles', match: 'any', values: ['Admin'] }] }, 'role_missing'],
      [{ types: ['at+jwt'] }, 'typ_not_allowed'],
    ] as const) {
      const changed: ValidationPolicy = { ...policy, ...change };
      const r = v.validateNow(t, changed);
      assert.equal(r?.ok, false, JSON.stringify(change));
      assert.equal(!r?.ok && r?.reason, reason);
      assert.ok(Object.isFrozen(changed));
    }
    // The original policy answers as before.
    const again = v.validateNow(t, policy);
    assert.ok(again?.ok && again.cached);
    // Another key source must verify the signature itself, even with every list the same.
    const otherKeys = v.validateNow(t, { ...policy, keys: keySource() });
    assert.ok(otherKeys?.ok && !otherKeys.cached);
    // An algorithm the new policy does not allow refuses the hit (and drops the entry, as before).
    const alg = v.validateNow(t, { ...policy, algorithms: ['PS256'] });
    assert.equal(!alg?.ok && alg?.reason, 'alg_not_allowed');
  });

  it('freezePolicy freezes in place once, also the lists of a policy frozen only at its top', () => {
    const lists = { issuers: [ISS], audiences: [APP] };
    const policy = Object.freeze({ ...lists, keys: keySource() });
    assert.equal(freezePolicy(policy), policy);
    assert.ok(Object.isFrozen(lists.issuers) && Object.isFrozen(lists.audiences));
    assert.throws(() => lists.audiences.push('x'), TypeError);
    assert.equal(freezePolicy(policy), policy, 'idempotent');
  });
});

describe('one clock check for cache hits and new tokens', () => {
  const skew = 300;
  // Instants around each bound, in seconds, as both sides of the comparison see them.
  const around = (t: number) => [
    t - skew - 1,
    t - skew,
    t - 1,
    t,
    t + 1,
    t + skew - 1,
    t + skew,
    t + skew + 1,
  ];

  for (const [name, claims, bounds] of [
    ['nbf in the future', { nbf: T0 + 1000, iat: T0 }, [T0 + 1000]],
    ['iat in the future', { iat: T0 + 1000, nbf: undefined }, [T0 + 1000]],
    ['exp', { exp: T0 + 600 }, [T0 + 600]],
    ['exp with a negative skew', { exp: T0 + 600 }, [T0 + 600]],
    // A lifetime at the longest accepted (24 h 5 min + skew): iat grows too old while exp is within the skew.
    ['iat too old', { exp: T0 + 87_000 }, [T0 + 87_000]],
  ] as const) {
    it(`${name}: a hit answers as a validator without cache, at every instant`, async () => {
      const policySkew = name.includes('negative') ? -60 : skew;
      let clock = 0;
      const cached = new TokenValidator({ now: () => clock * 1000 });
      const uncached = new TokenValidator({ now: () => clock * 1000, cacheSize: 0 });
      const policy: ValidationPolicy = { ...basePolicy(), clockSkewSeconds: policySkew };
      const t = token(claims);
      // Primed (verified, admitted, every claim check passed under this policy) at an instant it is valid.
      clock = name.startsWith('exp') || name.startsWith('iat too old') ? T0 + 100 : bounds[0] + 1000;
      await primed(cached, t, policy);
      let hits = 0;
      const reasons = new Set<string>();
      for (const at of bounds.flatMap(around)) {
        clock = at;
        const want = uncached.validateNow(t, policy);
        const got = cached.validateNow(t, policy);
        assert.ok(want && got);
        if (got.ok && got.cached) hits++;
        if (!got.ok) reasons.add(got.reason);
        const strip = (r: ValidationResult) => (r.ok ? { ...r, cached: undefined } : r);
        assert.deepEqual(strip(got), strip(want), `at ${at - bounds[0]!} s from the bound`);
      }
      assert.ok(hits > 0, 'some answers came from the cache');
      if (name === 'iat too old') assert.ok(reasons.has('issued_too_long_ago'), [...reasons].join());
    });
  }

  it('a hit fails the clock check with the same reason, message and hint as a new token', async () => {
    let clock = T0 + 10;
    const cached = new TokenValidator({ now: () => clock * 1000 });
    const uncached = new TokenValidator({ now: () => clock * 1000, cacheSize: 0 });
    const policy = basePolicy();
    const t = token({ nbf: T0 + 5 });
    await primed(cached, t, policy);
    clock = T0 + 5 - skew - 1; // the clock stepped back past nbf − skew
    const got = cached.validateNow(t, policy);
    const want = uncached.validateNow(t, policy);
    assert.equal(got?.ok, false);
    assert.equal(!got?.ok && got?.reason, 'not_yet_valid');
    assert.deepEqual(got, want);
    assert.ok(!got?.ok && got?.claims, 'the claims come with the failure');
    clock = T0 + 10;
    const back = cached.validateNow(t, policy);
    assert.ok(back?.ok && back.cached, 'valid again, still from the cache');
  });
});
