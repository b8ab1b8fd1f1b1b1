/**
 * @module test/issuer/keys
 * The signing-key life cycle on both dialects, driven by an injected clock: the first key, what JWKS
 * publishes, rotation with its lead time and overlap, immediate rotation, revocation, automatic rotation,
 * a restart over the same store, private keys sealed at rest, and (PostgreSQL) one key when two nodes start
 * at once.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { createEnvelope, type Envelope } from '../../src/crypto/envelope.ts';
import { masterKeyFromBytes } from '../../src/crypto/master-key.ts';
import { MIGRATIONS } from '../../src/host/planes.ts';
import { DEFAULT_KEY_POLICY, KeyManager, type PublicJwk } from '../../src/issuer/signing-keys.ts';
import type { IssuerTables } from '../../src/issuer/tables.ts';
import { tablesOf } from '../../src/store/handle.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/stores.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const P = DEFAULT_KEY_POLICY;
/** How long a retired key stays published after it stops signing. */
const OVERLAP = P.maxTokenLifetimeMs + P.skewMs;

/** The RSA encryption OID 1.2.840.113549.1.1.1 as it appears inside PKCS#8 DER. */
const RSA_OID = Buffer.from('2a864886f70d010101', 'hex');

/** Every base64 / base64url rendering of `bytes` at each of the three alignments, trimmed of edge chars. */
function base64Forms(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let pad = 0; pad < 3; pad++) {
    const shifted = Buffer.concat([Buffer.alloc(pad), bytes]);
    const b64 = shifted.toString('base64');
    // Skip the characters touched by the padding bytes and the partial tail.
    const inner = b64.slice(Math.ceil((pad * 4) / 3) + 1, Math.floor(((pad + bytes.length) * 4) / 3) - 1);
    out.push(inner, inner.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

async function sign(km: KeyManager, claims: Record<string, unknown> = { sub: 'x' }): Promise<string> {
  const key = await km.signingKey();
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(key.privateKey);
}

const kids = (keys: PublicJwk[]) => keys.map((k) => k.kid).sort();

for (const kind of STORE_KINDS) {
  describe(`signing keys (${kind})`, () => {
    let ts: TestStore;
    let envelope: Envelope;
    const clock = { now: Date.now() };
    const now = () => new Date(clock.now);
    const manager = (store: Store = ts.store) =>
      new KeyManager({ db: store.db, dialect: store.dialect, envelope, now, policy: { refreshMs: 0 } });

    before(async () => {
      ts = await openTestStore(kind);
      envelope = createEnvelope({ current: masterKeyFromBytes(randomBytes(32)) });
    });
    after(() => ts?.cleanup());

    it('creates a signing key on first ensureReady, published with the fields validators need', async () => {
      const km = manager();
      assert.deepEqual(await km.publishedKeys(), []);
      await km.ensureReady();
      const [info, ...more] = await km.list();
      assert.equal(more.length, 0);
      assert.equal(info!.state, 'active');
      assert.equal(info!.activateAt, info!.publishAt, 'the first key signs at once');
      const published = await km.publishedKeys();
      assert.equal(published.length, 1);
      const jwk = published[0]!;
      assert.equal(jwk.kty, 'RSA');
      assert.equal(jwk.use, 'sig');
      assert.equal(jwk.alg, 'RS256');
      assert.equal(jwk.kid, info!.kid);
      assert.equal(jwk.x5t, jwk.kid, 'x5t = kid');
      assert.equal(jwk.e, 'AQAB');
      assert.ok(Buffer.from(jwk.n, 'base64url').length >= 256, 'a 2048-bit modulus');
      assert.equal(jwk.x5c.length, 1);
      const der = Buffer.from(jwk.x5c[0]!, 'base64');
      assert.equal(
        createHash('sha1').update(der).digest('base64url'),
        jwk.kid,
        'kid is the SHA-1 thumbprint of x5c',
      );
      assert.equal(createHash('sha256').update(der).digest('base64url'), jwk['x5t#S256']);
      const certKey = new X509Certificate(der).publicKey.export({ format: 'jwk' }) as { n: string };
      assert.equal(certKey.n, jwk.n, 'the certificate certifies the published key');
      for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.ok(!(k in jwk), `no private member ${k}`);
      const key = await km.signingKey();
      assert.equal(key.kid, jwk.kid);
      // A second ensureReady changes nothing.
      await km.ensureReady();
      assert.equal((await km.list()).length, 1);
    });

    it('keeps private keys sealed at rest: no PEM, no PKCS#8 RSA OID (hex or base64), no JWK d', async () => {
      const km = manager();
      const key = await km.signingKey();
      const d = (key.privateKey.export({ format: 'jwk' }) as { d: string }).d;
      const rows = await tablesOf<IssuerTables>(ts.store.db).selectFrom('signing_keys').selectAll().execute();
      assert.ok(rows.length >= 1);
      for (const row of rows) {
        const sealed = row.private_key_sealed;
        assert.ok(!sealed.includes('BEGIN'), 'no PEM header');
        assert.ok(!sealed.toLowerCase().includes(RSA_OID.toString('hex')), 'no OID in hex');
        // (The public certificate in x5c does carry the OID: only the private-key column is checked for it.)
        for (const form of base64Forms(RSA_OID))
          assert.ok(!sealed.includes(form), `no OID in base64 (${form})`);
        const text = JSON.stringify(row);
        assert.ok(!text.includes('PRIVATE KEY'), 'no PEM private key anywhere in the row');
        assert.ok(!text.includes(d.slice(0, 24)), 'no JWK d');
        assert.ok(
          !text.includes(Buffer.from(d, 'base64url').toString('base64').slice(0, 24)),
          'no d in base64',
        );
        assert.ok(!text.includes(Buffer.from(d, 'base64url').toString('hex').slice(0, 32)), 'no d in hex');
      }
      // The sealed value does open, with the AAD naming the key, into PKCS#8 DER holding the OID.
      const row = rows.find((r) => r.kid === key.kid)!;
      const der = envelope.open(row.private_key_sealed, `lanyard|signing-key|${key.kid}`);
      assert.ok(der.includes(RSA_OID));
      assert.throws(() => envelope.open(row.private_key_sealed, 'lanyard|signing-key|other'));
    });

    it('rotate(): the new key is published at once, signs after the lead time; the old stays published for the overlap', async () => {
      const km = manager();
      const old = await km.signingKey();
      const oldToken = await sign(km);
      clock.now += HOUR;
      const t0 = clock.now;
      const next = await km.rotate();
      assert.notEqual(next.kid, old.kid);
      assert.equal(next.state, 'pending');
      assert.equal(Date.parse(next.activateAt) - Date.parse(next.publishAt), P.leadTimeMs);
      assert.deepEqual(kids(await km.publishedKeys()), [old.kid, next.kid].sort(), 'both published at once');
      assert.equal((await km.signingKey()).kid, old.kid, 'the old key keeps signing');

      clock.now = t0 + P.leadTimeMs - 1;
      assert.equal((await km.signingKey()).kid, old.kid, 'still the old key just before the lead time ends');
      clock.now = t0 + P.leadTimeMs;
      assert.equal((await km.signingKey()).kid, next.kid, 'the new key signs once the lead time has passed');
      const states = Object.fromEntries((await km.list()).map((k) => [k.kid, k.state]));
      assert.equal(states[old.kid], 'retired');
      assert.equal(states[next.kid], 'active');

      // Old tokens still verify while the old key is published.
      clock.now = t0 + P.leadTimeMs + OVERLAP - 1;
      assert.deepEqual(kids(await km.publishedKeys()), [old.kid, next.kid].sort());
      await jwtVerify(oldToken, createLocalJWKSet({ keys: await km.publishedKeys() }));

      clock.now = t0 + P.leadTimeMs + OVERLAP;
      assert.deepEqual(
        kids(await km.publishedKeys()),
        [next.kid],
        'the old key is gone after retire + lifetime + skew',
      );
      await assert.rejects(jwtVerify(oldToken, createLocalJWKSet({ keys: await km.publishedKeys() })), {
        code: 'ERR_JWKS_NO_MATCHING_KEY',
      });
      assert.equal((await km.list()).find((k) => k.kid === old.kid)?.state, 'unpublished');
    });

    it('rotate({ immediate: true }): the new key signs at once; the old one stays published', async () => {
      const km = manager();
      const current = await km.signingKey();
      clock.now += HOUR;
      const next = await km.rotate({ immediate: true });
      assert.equal(next.state, 'active');
      assert.equal((await km.signingKey()).kid, next.kid);
      assert.ok(kids(await km.publishedKeys()).includes(current.kid), 'the replaced key is still published');
      assert.equal((await km.list()).find((k) => k.kid === current.kid)?.state, 'retired');
    });

    it('revoke(kid): gone from JWKS at once, and a replacement signs', async () => {
      const km = manager();
      const victim = await km.signingKey();
      const published = kids(await km.publishedKeys());
      clock.now += 1000;
      await km.revoke(victim.kid);
      const after = kids(await km.publishedKeys());
      assert.ok(!after.includes(victim.kid), 'the revoked key is unpublished at once');
      const replacement = await km.signingKey();
      assert.notEqual(replacement.kid, victim.kid);
      assert.ok(after.includes(replacement.kid));
      for (const kid of published.filter((k) => k !== victim.kid))
        assert.ok(after.includes(kid), 'others stay');
      assert.equal((await km.list()).find((k) => k.kid === victim.kid)?.state, 'revoked');
    });

    it('rotates by itself when the newest key is older than the rotation interval', async () => {
      const km = manager();
      const current = await km.signingKey();
      const newest = (await km.list()).at(-1)!;
      clock.now = Date.parse(newest.createdAt) + P.rotationIntervalMs - 1;
      await km.ensureReady();
      assert.equal((await km.list()).at(-1)!.kid, newest.kid, 'not due yet');
      clock.now = Date.parse(newest.createdAt) + P.rotationIntervalMs;
      await km.ensureReady();
      const rotated = (await km.list()).at(-1)!;
      assert.notEqual(rotated.kid, newest.kid, 'a new key was made');
      assert.equal(rotated.state, 'pending');
      assert.ok(kids(await km.publishedKeys()).includes(rotated.kid));
      assert.equal((await km.signingKey()).kid, current.kid, 'published before it signs');
      clock.now += P.leadTimeMs;
      assert.equal((await km.signingKey()).kid, rotated.kid);
      // Nothing more is due.
      await km.ensureReady();
      assert.equal((await km.list()).at(-1)!.kid, rotated.kid);
    });

    it('a restarted KeyManager over the same store signs with the same kid and verifies old tokens', async () => {
      const first = manager();
      const key = await first.signingKey();
      const token = await sign(first, { sub: 'before-restart' });
      const second = manager();
      await second.ensureReady();
      assert.equal((await second.signingKey()).kid, key.kid);
      const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: await second.publishedKeys() }));
      assert.equal(payload.sub, 'before-restart');
      // And the other way round: the new process's tokens verify with what the old one publishes.
      const later = await sign(second, { sub: 'after-restart' });
      await jwtVerify(later, createLocalJWKSet({ keys: await first.publishedKeys() }));
      // A process with another master key cannot open the private key.
      const stranger = new KeyManager({
        db: ts.store.db,
        dialect: ts.store.dialect,
        envelope: createEnvelope({ current: masterKeyFromBytes(randomBytes(32)) }),
        now,
      });
      await assert.rejects(stranger.signingKey());
    });

    if (kind === 'postgres') {
      it('rotate() sees its own key while requests keep re-reading the table (no stale shared read)', async () => {
        const fresh = await openTestStore('postgres');
        try {
          const km = manager(fresh.store);
          await km.ensureReady();
          let stop = false;
          const readers = Array.from({ length: 6 }, async () => {
            while (!stop) await km.publishedKeys();
          });
          try {
            for (let i = 0; i < 20; i++) {
              const info = await km.rotate({ immediate: true });
              assert.equal(info.state, 'active');
              assert.ok(kids(await km.publishedKeys()).includes(info.kid));
            }
          } finally {
            stop = true;
            await Promise.all(readers);
          }
        } finally {
          await fresh.cleanup();
        }
      });

      it('two nodes starting at once on an empty table create exactly one active key (advisory lock)', async () => {
        const fresh = await openTestStore('postgres');
        const other = await openStore({
          location: fresh.location,
          dataDir: fresh.dataDir,
          migrations: MIGRATIONS,
        });
        try {
          const a = manager(fresh.store);
          const b = manager(other);
          await Promise.all([a.ensureReady(), b.ensureReady(), a.ensureReady(), b.ensureReady()]);
          const rows = await tablesOf<IssuerTables>(fresh.store.db)
            .selectFrom('signing_keys')
            .selectAll()
            .execute();
          assert.equal(rows.length, 1, 'one key, not one per node');
          assert.equal((await a.signingKey()).kid, (await b.signingKey()).kid);
          const key = createPublicKey({ key: JSON.parse(rows[0]!.public_jwk), format: 'jwk' });
          assert.equal(key.asymmetricKeyType, 'rsa');
        } finally {
          await other.close();
          await fresh.cleanup();
        }
      });
    }
  });
}

// The rotation timeline in the assertions above assumes the documented defaults.
assert.equal(P.leadTimeMs, DAY);
assert.equal(P.rotationIntervalMs, 30 * DAY);
