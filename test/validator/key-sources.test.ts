/**
 * @module test/validator/key-sources
 * Where the validator's keys come from, with real parts: LocalKeySource over the runtime's KeyManager (both
 * store dialects; rotation and revocation), and DiscoveryKeySource against a real https OIDC issuer started
 * here (test/adversarial/oidc-issuer.ts) — caching, one refetch per cooldown for unknown kids (50 at once =
 * one fetch), waiting for a fetch under way, last-known-good through an outage, and every hostile answer
 * (docs/security.md, "Key sources: JWKS and discovery"; catalogue C43–C50): symmetric keys, private members, RSA-1024, repeated kids, more than
 * 100 keys, redirects, HTML, more than 64 KiB, a foreign issuer, a JWKS on another host or over http.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ensureLocalCa, type LocalCa } from '../../src/crypto/local-ca.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { DiscoveryKeySource, importJwks, LocalKeySource } from '../../src/validator/key-sources.ts';
import { attackerEc, attackerRsa } from '../adversarial/forge.ts';
import { startOidcIssuer, startSinkhole, type TestIssuer } from '../adversarial/oidc-issuer.ts';
import { STORE_KINDS, tempDir, testLocation } from '../helpers/stores.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('importJwks', () => {
  const rsa = attackerRsa();
  const good = { ...rsa.jwk, kid: 'good', use: 'sig', alg: 'RS256' };

  it('imports RSA (RS*/PS*) and EC P-256 keys with the algorithm each may verify', () => {
    const ec = attackerEc();
    const map = importJwks({
      keys: [
        good,
        { ...rsa.jwk, kid: 'ps', alg: 'PS256' },
        { ...rsa.jwk, kid: 'noalg' },
        { ...ec.jwk, kid: 'ec' },
      ],
    });
    assert.deepEqual(
      [...map.values()].map((k) => [k.kid, k.alg]),
      [
        ['good', 'RS256'],
        ['ps', 'PS256'],
        ['noalg', 'RS256'],
        ['ec', 'ES256'],
      ],
    );
  });

  it('skips hostile or useless entries and keeps the rest', () => {
    const priv = attackerRsa(2048, 'private').privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const small = attackerRsa(1024).jwk;
    const map = importJwks({
      keys: [
        good,
        { kty: 'oct', k: Buffer.from('secret').toString('base64url'), kid: 'oct', alg: 'HS256' },
        { ...priv, kid: 'private' },
        { ...rsa.jwk, kid: 'private-d-only', d: 'AAAA' },
        { ...small, kid: 'rsa1024' },
        { ...rsa.jwk, kid: 'enc', use: 'enc' },
        { ...rsa.jwk, kid: 'hs', alg: 'HS256' },
        { ...rsa.jwk, kid: 'none', alg: 'none' },
        { ...attackerEc().jwk, kid: 'p384', crv: 'P-384' },
        { kty: 'RSA', kid: 'broken', n: '!!', e: 'AQAB' },
        { ...rsa.jwk, kid: 42 },
        { ...rsa.jwk },
        null,
        'x',
      ],
    });
    assert.deepEqual([...map.keys()], ['good']);
  });

  it('a repeated kid is trusted under neither entry', () => {
    const other = attackerRsa(2048, 'other').jwk;
    const map = importJwks({ keys: [good, { ...other, kid: 'good' }, { ...other, kid: 'ok' }] });
    assert.deepEqual([...map.keys()], ['ok']);
  });

  it('refuses a whole set of more than 100 keys, or something that is not a key set', () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ ...good, kid: `k${i}` }));
    assert.throws(() => importJwks({ keys: many }), /at most 100/);
    assert.equal(importJwks({ keys: many.slice(0, 100) }).size, 100);
    for (const bad of [null, {}, { keys: {} }, [good], 'keys']) assert.throws(() => importJwks(bad));
  });
});

for (const kind of STORE_KINDS) {
  describe(`LocalKeySource (${kind})`, () => {
    let runtime: Runtime;
    let dataDir: string;
    let drop: () => Promise<void>;
    before(async () => {
      dataDir = tempDir('lanyard-keysource-');
      const loc = testLocation(kind, dataDir);
      drop = loc.drop;
      runtime = await openRuntime({ dataDir, store: loc.location, env: {} });
      await runtime.keys.ensureReady();
    });
    after(async () => {
      await runtime.close();
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('serves the signing key as RS256, knows nothing else, and sees a rotation on the next unknown kid', async () => {
      const source = new LocalKeySource(runtime.keys);
      const { kid, jwk } = await runtime.keys.signingKey();
      const found = await source.key(kid);
      assert.equal(found?.alg, 'RS256');
      assert.deepEqual(found?.key.export({ format: 'jwk' }), { kty: 'RSA', n: jwk.n, e: jwk.e });
      assert.equal(source.keyNow(kid)?.kid, kid, 'loaded: answered without I/O');
      const rotated = await runtime.keys.rotate({ immediate: true });
      assert.equal(source.keyNow(rotated.kid), undefined, 'not loaded yet');
      assert.equal((await source.key(rotated.kid))?.kid, rotated.kid, 'an unknown kid re-reads the store');
      assert.ok(await source.key(kid), 'the previous key stays published for its tokens');
      assert.equal(await source.key('not-a-kid'), undefined);
      assert.equal(source.description, "Lanyard's issuer");
    });

    it('50 concurrent lookups of a just-rotated kid all find it (they wait for the one re-read)', async () => {
      const source = new LocalKeySource(runtime.keys);
      await source.key((await runtime.keys.signingKey()).kid);
      const rotated = await runtime.keys.rotate({ immediate: true });
      const found = await Promise.all(Array.from({ length: 50 }, () => source.key(rotated.kid)));
      assert.equal(found.filter((k) => k?.kid === rotated.kid).length, 50);
    });

    it('forgets a revoked key within its reload interval', async () => {
      const source = new LocalKeySource(runtime.keys, { reloadMs: 100 });
      const { kid } = await runtime.keys.signingKey();
      assert.ok(await source.key(kid));
      await runtime.keys.revoke(kid);
      await sleep(150);
      assert.equal(await source.key(kid), undefined);
      assert.equal(source.keyNow(kid), undefined);
    });
  });
}

describe('DiscoveryKeySource against a real https issuer', () => {
  let dir: string;
  let ca: LocalCa;
  let issuer: TestIssuer;
  const sources: DiscoveryKeySource[] = [];
  before(async () => {
    dir = tempDir('lanyard-discovery-');
    ca = await ensureLocalCa({ dataDir: dir });
    issuer = await startOidcIssuer(ca);
    issuer.addRsaKey('k1');
    issuer.addEcKey('e1');
  });
  after(async () => {
    await issuer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const reset = () => {
    issuer.jwksMode = { kind: 'keys' };
    issuer.extraJwks = [];
    issuer.discoveryOverride = {};
  };
  const source = (o: { cacheMs?: number; cooldownMs?: number; expectedIssuer?: string } = {}) => {
    reset();
    const s = new DiscoveryKeySource({
      discoveryUrl: issuer.issuer,
      expectedIssuer: o.expectedIssuer ?? issuer.issuer,
      ca: [ca.caCertPem],
      cacheMs: o.cacheMs,
      cooldownMs: o.cooldownMs,
    });
    sources.push(s);
    return s;
  };

  it('fetches discovery and JWKS once and answers from the cache after', async () => {
    const s = source();
    const before = { all: issuer.count(), jwks: issuer.jwksCount() };
    assert.equal((await s.key('k1'))?.alg, 'RS256');
    assert.equal((await s.key('e1'))?.alg, 'ES256');
    for (let i = 0; i < 20; i++) await s.key('k1');
    assert.equal(issuer.count() - before.all, 2, 'one discovery document and one JWKS');
    assert.equal(issuer.jwksCount() - before.jwks, 1);
    assert.equal(s.description, issuer.issuer);
  });

  it('a cold start with 50 concurrent lookups makes one fetch, and all of them find the key', async () => {
    const s = source();
    const before = issuer.jwksCount();
    const found = await Promise.all(Array.from({ length: 50 }, () => s.key('k1')));
    assert.equal(found.filter((k) => k?.kid === 'k1').length, 50);
    assert.equal(issuer.jwksCount() - before, 1);
  });

  it('an unknown kid refetches at most once per cooldown; 50 concurrent unknown kids make one fetch', async () => {
    const s = source({ cooldownMs: 300 });
    await s.key('k1');
    const base = issuer.jwksCount();
    assert.equal(await s.key('unknown-1'), undefined);
    assert.equal(issuer.jwksCount(), base, 'within the cooldown of the first fetch: no refetch');
    await sleep(350);
    const results = await Promise.all(Array.from({ length: 50 }, () => s.key(randomUUID())));
    assert.ok(results.every((k) => k === undefined));
    assert.equal(issuer.jwksCount() - base, 1, 'one fetch for 50 unknown kids');
    // A sustained flood: at most one fetch per 300 ms cooldown (plus the one at the start).
    const floodStart = issuer.jwksCount();
    const started = Date.now();
    while (Date.now() < started + 600) {
      await Promise.all(Array.from({ length: 20 }, () => s.key(randomUUID())));
      await sleep(10);
    }
    const fetched = issuer.jwksCount() - floodStart;
    assert.ok(fetched <= Math.ceil((Date.now() - started) / 300) + 1, `${fetched} fetches`);
  });

  it('a key the issuer starts publishing is found after the cooldown (rotation)', async () => {
    const s = source({ cooldownMs: 200 });
    await s.key('k1');
    const k3 = issuer.addRsaKey('k3');
    try {
      await sleep(250);
      assert.equal((await s.key('k3'))?.kid, 'k3');
    } finally {
      issuer.removeKey(k3.kid);
    }
  });

  it('keeps the last good key set through an outage; an unknown kid is then undefined, not an error', async () => {
    const s = source({ cacheMs: 50, cooldownMs: 50 });
    assert.ok(await s.key('k1'));
    for (const mode of [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 404 },
    ] as const) {
      issuer.jwksMode = mode;
      await sleep(80);
      const before = issuer.jwksCount();
      assert.equal((await s.key('k1'))?.kid, 'k1', 'known kid still served');
      assert.ok(issuer.jwksCount() > before, 'a refresh was attempted');
      assert.match(s.lastError ?? '', new RegExp(`HTTP ${mode.status}`));
      assert.equal(await s.key('never-published'), undefined);
    }
    issuer.jwksMode = { kind: 'keys' };
    await sleep(80);
    assert.ok(await s.key('k1'));
    assert.equal(s.lastError, undefined, 'recovered');
  });

  it('an issuer that cannot be reached at all gives no keys and says why', async () => {
    const s = new DiscoveryKeySource({ discoveryUrl: 'https://127.0.0.1:1/nobody', ca: [ca.caCertPem] });
    assert.equal(await s.key('k1'), undefined);
    assert.match(s.lastError ?? '', /could not be fetched/);
  });

  it('hostile JWKS entries are skipped, the good keys stay usable', async () => {
    const s = source();
    const priv = attackerRsa(2048, 'private').privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const dup = attackerRsa(2048, 'dup-a').jwk;
    issuer.extraJwks = [
      { kty: 'oct', k: Buffer.from('secret').toString('base64url'), kid: 'oct', alg: 'HS256' },
      { ...priv, kid: 'private' },
      { ...attackerRsa(1024).jwk, kid: 'rsa1024' },
      { ...dup, kid: 'dup' },
      { ...attackerRsa(2048, 'dup-b').jwk, kid: 'dup' },
      { ...dup, kid: 'k1' }, // a second entry for the real key's kid: neither is trusted
    ];
    for (const kid of ['oct', 'private', 'rsa1024', 'dup', 'k1'])
      assert.equal(await s.key(kid), undefined, kid);
    assert.equal((await s.key('e1'))?.alg, 'ES256');
  });

  const refusedSet = async (
    what: string,
    setup: () => void,
    error: RegExp,
    s = source({ cacheMs: 50, cooldownMs: 50 }),
  ) => {
    assert.ok(await s.key('k1'), `a good set first (${s.lastError})`);
    setup();
    await sleep(80);
    assert.ok(await s.key('k1'), `${what}: the last good set is kept`);
    assert.match(s.lastError ?? '', error, what);
    assert.equal(await s.key('k-new'), undefined);
  };

  it('more than 100 keys: the whole set is refused, the last good one kept', async () => {
    const jwk = attackerRsa().jwk;
    const many = Array.from({ length: 101 }, (_, i) => ({ ...jwk, kid: `m${i}`, use: 'sig' }));
    await refusedSet('101 keys', () => (issuer.extraJwks = many), /at most 100 keys/);
  });

  it('a redirect is an error and is not followed', async () => {
    const sink = await startSinkhole();
    try {
      await refusedSet(
        '302',
        () => (issuer.jwksMode = { kind: 'redirect', location: `${sink.url}/jwks.json` }),
        /HTTP 302/,
      );
      assert.equal(sink.connections(), 0);
    } finally {
      await sink.close();
    }
  });

  it('text/html (even holding valid JSON), no content type, or a body over 64 KiB are refused', async () => {
    const body = JSON.stringify({ keys: issuer.keys.map((k) => k.jwk) });
    await refusedSet(
      'text/html',
      () => (issuer.jwksMode = { kind: 'body', body, contentType: 'text/html' }),
      /Content-Type "text\/html", not JSON/,
    );
    await refusedSet('no type', () => (issuer.jwksMode = { kind: 'body', body }), /Content-Type null/);
    const big = JSON.stringify({ keys: issuer.keys.map((k) => k.jwk), pad: 'x'.repeat(70 * 1024) });
    await refusedSet(
      '70 KiB',
      () => (issuer.jwksMode = { kind: 'body', body: big, contentType: 'application/json' }),
      /65536-byte limit/,
    );
    await refusedSet(
      'not JSON',
      () => (issuer.jwksMode = { kind: 'body', body: '<html>', contentType: 'application/json' }),
      /did not answer JSON/,
    );
    // application/jwk-set+json is JSON.
    const s = source({ cacheMs: 0, cooldownMs: 0 });
    issuer.jwksMode = { kind: 'body', body, contentType: 'application/jwk-set+json; charset=utf-8' };
    assert.ok(await s.key('k1'));
  });

  it('a discovery document naming another issuer is refused', async () => {
    const s = source({ expectedIssuer: `${issuer.issuer}/other` });
    assert.equal(await s.key('k1'), undefined);
    assert.match(s.lastError ?? '', /names issuer .* not .*\/other/);
  });

  it('a jwks_uri over http, or on another host, is refused', async () => {
    for (const [jwks, why] of [
      [`http://127.0.0.1:${new URL(issuer.origin).port}/tenant-x/keys`, /not https/],
      [`https://localhost:${new URL(issuer.origin).port}/tenant-x/keys`, /not https on the issuer's host/],
      ['not a url', /not a URL/],
    ] as const) {
      const s = source();
      issuer.discoveryOverride = { jwks_uri: jwks };
      const before = issuer.jwksCount();
      assert.equal(await s.key('k1'), undefined, jwks);
      assert.match(s.lastError ?? '', why);
      assert.equal(issuer.jwksCount(), before, 'the foreign JWKS was never fetched');
    }
  });
});
