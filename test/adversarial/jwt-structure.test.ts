/**
 * @module test/adversarial/jwt-structure
 * Catalogue A of docs/security.md ("Adversarial test catalogue") (JWT structure and algorithm) against a real Easy Auth front: every hostile token
 * is sent over HTTPS as `Authorization: Bearer …` to a protected path; each must be refused with 401 and
 * `WWW-Authenticate: Bearer … error="invalid_token", error_description="<reason>: …"`, and NOTHING may reach
 * the upstream (its request count is compared before and after). Genuine-looking tokens are signed here with
 * the runtime's current signing key, so only the attack itself differs from a token the front accepts.
 *
 * Catalogue A cases not tested here, and why:
 * - A9 "no file read (fs spy)": the kid is only ever a Map key (validator/key-sources); an fs spy cannot see
 *   reads done through ESM named imports, so it would prove nothing. The kid strings are still sent (401).
 * - A14/A15 (ES256 zero/DER signatures) need an issuer with an EC key: Lanyard's own issuer has only RS256
 *   keys, and this front allows only RS256 (an ES256 token here is `alg_not_allowed`, tested). They run against
 *   a foreign issuer publishing an EC key in jwks-tenants.test.ts.
 * - A22 (RSA-1024 key in the JWKS) also needs a foreign JWKS: jwks-tenants.test.ts and test/validator.
 * - A31 (`typ`): a `typ` other than JWT/at+jwt is refused in claim-shape.test.ts; here, parity — `typ: JWT`
 *   (what Entra and Lanyard issue) or no `typ` is accepted.
 * - A32 (an ID token from the front's own login): the front has no browser login, so it issues no ID tokens.
 */
import assert from 'node:assert/strict';
import { createPublicKey, KeyObject, randomBytes, sign, webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CompactEncrypt } from 'jose';
import { createSelfSignedCertificate } from '../../src/crypto/local-ca.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { alterTrailingBits, attackerEc, attackerRsa, b64u, signJwt, split } from './forge.ts';
import { type Adversary, openAdversary, rawExchange, statuses } from './harness.ts';
import { startSinkhole } from './oidc-issuer.ts';

const INVALID = { status: 401, error: 'invalid_token' } as const;

// The two store dialects run side by side (their worlds share nothing); tests within one run in order.
describe('catalogue A: JWT structure and algorithm at the Easy Auth front', { concurrency: true }, () => {
  for (const kind of STORE_KINDS) {
    describe(kind, { concurrency: 1 }, () => {
      let a: Adversary;
      const sent: string[] = [];
      before(async () => {
        a = await openAdversary(kind);
      });
      after(() => a.cleanup());

      const refuse = async (token: string, reason: string, what: string) => {
        sent.push(token);
        try {
          await a.refusedToken(token, { ...INVALID, reason });
        } catch (err) {
          (err as Error).message = `${what}: ${(err as Error).message}`;
          throw err;
        }
      };

      it('control: a token forged with the runtime key and unchanged claims is accepted', async () => {
        await a.accepted('/api/admin', { headers: a.bearer(await a.forge()) });
      });

      it('A1–A3: alg none, None, NONE, nOnE — with an empty, a random and a real signature', async () => {
        const key = await a.w.runtime.keys.signingKey();
        const claims = b64u(a.claims({ roles: ['Admin'] }));
        for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
          const h = b64u({ alg, typ: 'JWT', kid: key.kid });
          await refuse(`${h}.${claims}.`, 'token_malformed', `${alg} empty signature`);
          await refuse(`${h}.${claims}.${randomBytes(32).toString('base64url')}`, 'alg_not_allowed', alg);
          const realSig = split(await a.forge()).s;
          await refuse(`${h}.${claims}.${realSig}`, 'alg_not_allowed', `${alg} with a real signature`);
        }
        // No kid at all, none: still the algorithm that is refused first.
        await refuse(`${b64u({ alg: 'none' })}.${claims}.AAAA`, 'alg_not_allowed', 'none without kid');
      });

      it('A4–A5: HS256 keyed with the public key as PEM, DER, JWK JSON, padded PEM and PKCS#1 PEM', async () => {
        const key = await a.w.runtime.keys.signingKey();
        const pub = createPublicKey({ key: { kty: 'RSA', n: key.jwk.n, e: key.jwk.e }, format: 'jwk' });
        const pem = pub.export({ type: 'spki', format: 'pem' }) as string;
        const secrets: [string, Buffer | string][] = [
          ['PEM SPKI', pem],
          ['DER SPKI', pub.export({ type: 'spki', format: 'der' })],
          ['JWK JSON (as published)', JSON.stringify(key.jwk)],
          ['JWK JSON (n, e)', JSON.stringify({ kty: 'RSA', n: key.jwk.n, e: key.jwk.e })],
          ['PEM with leading whitespace', `\n  ${pem}`],
          ['BEGIN RSA PUBLIC KEY', pub.export({ type: 'pkcs1', format: 'pem' }) as string],
          ['empty key', Buffer.alloc(0)],
        ];
        for (const [what, secret] of secrets) {
          for (const alg of ['HS256', 'HS384', 'HS512']) {
            const t = signJwt({ alg, typ: 'JWT', kid: key.kid }, a.claims(), secret, 'HS256');
            await refuse(t, 'alg_not_allowed', `${alg} ${what}`);
          }
        }
      });

      it('A6: attacker key embedded in the jwk header (own kid, our kid, no kid)', async () => {
        const evil = attackerRsa();
        const ourKid = await a.kid();
        const claims = a.claims({ roles: ['Admin'] });
        await refuse(
          signJwt({ alg: 'RS256', kid: 'evil', jwk: { ...evil.jwk, kid: 'evil' } }, claims, evil.privateKey),
          'key_unknown',
          'jwk, attacker kid',
        );
        await refuse(
          signJwt({ alg: 'RS256', kid: ourKid, jwk: { ...evil.jwk, kid: ourKid } }, claims, evil.privateKey),
          'signature_invalid',
          'jwk, our kid',
        );
        await refuse(
          signJwt({ alg: 'RS256', jwk: evil.jwk }, claims, evil.privateKey),
          'key_unknown',
          'jwk, no kid',
        );
      });

      it('A7: jku and x5u pointing at a sinkhole → 401 and not a single outbound connection', async () => {
        const sink = await startSinkhole();
        try {
          const evil = attackerRsa();
          const ourKid = await a.kid();
          const claims = a.claims();
          for (const url of [`${sink.url}/jwks.json`, `${sink.url.replace('https', 'http')}/jwks.json`]) {
            for (const kid of ['evil', ourKid, undefined]) {
              for (const header of [{ jku: url }, { x5u: url }, { jku: url, x5u: url }]) {
                const t = signJwt(
                  { alg: 'RS256', ...(kid ? { kid } : {}), ...header },
                  claims,
                  evil.privateKey,
                );
                await refuse(
                  t,
                  kid === ourKid ? 'signature_invalid' : 'key_unknown',
                  `${JSON.stringify(header)}`,
                );
              }
            }
          }
          await new Promise((r) => setTimeout(r, 100));
          assert.equal(sink.connections(), 0, 'the front never fetched a URL from a token');
        } finally {
          await sink.close();
        }
      });

      it('A8: x5c with an attacker certificate (and x5t of it)', async () => {
        const pair = (await webcrypto.subtle.generateKey(
          {
            name: 'RSASSA-PKCS1-v1_5',
            modulusLength: 2048,
            publicExponent: new Uint8Array([1, 0, 1]),
            hash: 'SHA-256',
          },
          true,
          ['sign', 'verify'],
        )) as webcrypto.CryptoKeyPair;
        const cert = await createSelfSignedCertificate({
          subjectCn: 'login.microsoftonline.com',
          keys: pair,
        });
        const priv = KeyObject.from(pair.privateKey);
        const ourKid = await a.kid();
        const header = { alg: 'RS256', x5c: [cert.x5c], x5t: cert.thumbprints.sha1B64url };
        await refuse(
          signJwt({ ...header, kid: cert.thumbprints.sha1B64url }, a.claims(), priv),
          'key_unknown',
          'x5c own kid',
        );
        await refuse(
          signJwt({ ...header, kid: ourKid }, a.claims(), priv),
          'signature_invalid',
          'x5c our kid',
        );
      });

      it('A9–A11: kid injection strings and kid of the wrong type or size', async () => {
        const evil = attackerRsa();
        const claims = a.claims();
        const ourKid = await a.kid();
        const injections = [
          '../../../../dev/null',
          '/dev/null',
          "x' UNION SELECT 'secret'--",
          "k1' OR '1'='1",
          'a;id',
          '$(id)',
          '`id`',
          'k1\u0000',
          `${ourKid}\u0000`,
          `${ourKid} `,
          ourKid.toUpperCase() === ourKid ? ourKid.toLowerCase() : ourKid.toUpperCase(),
          'http://127.0.0.1:1/jwks.json',
        ];
        for (const kid of injections) {
          await refuse(
            signJwt({ alg: 'HS256', kid }, claims, Buffer.alloc(0)),
            'alg_not_allowed',
            `HS256 ${kid}`,
          );
          await refuse(
            signJwt({ alg: 'RS256', kid }, claims, evil.privateKey),
            'key_unknown',
            `RS256 ${kid}`,
          );
        }
        for (const kid of [42, 0, null, true, { kid: ourKid }, [ourKid], '', 'k'.repeat(8 * 1024)]) {
          await refuse(
            signJwt({ alg: 'RS256', kid }, claims, evil.privateKey),
            'key_unknown',
            `kid ${JSON.stringify(kid).slice(0, 20)}`,
          );
        }
      });

      it('A12–A13: signature stripped, emptied, truncated, from another token, payload swapped', async () => {
        const t = await a.forge();
        const { h, p, s } = split(t);
        await refuse(`${h}.${p}.`, 'token_malformed', 'h.p.');
        await refuse(`${h}.${p}`, 'token_malformed', 'h.p');
        await refuse(`${h}.${p}.AAAA`, 'signature_invalid', 'AAAA');
        await refuse(`${h}.${p}.${s.slice(0, 100)}`, 'signature_invalid', 'truncated');
        const other = await a.forge({ oid: '00000000-0000-4000-8000-0000000000ad', roles: ['Admin'] });
        await refuse(`${h}.${split(other).p}.${s}`, 'signature_invalid', 'payload swapped');
        await refuse(
          `${split(other).h}.${p}.${split(other).s}`,
          'signature_invalid',
          'payload from the first',
        );
        const flipped = Buffer.from(s, 'base64url');
        flipped[10]! ^= 1;
        await refuse(`${h}.${p}.${flipped.toString('base64url')}`, 'signature_invalid', 'one bit');
      });

      it('A16–A20: crit, b64:false, zip, PBES2 p2c, cty JWT, JWE (5 segments), JWS JSON serialisation', async () => {
        await refuse(await a.forge({}, { crit: ['x-policy'], 'x-policy': 1 }), 'header_not_allowed', 'crit');
        await refuse(await a.forge({}, { crit: ['exp'] }), 'header_not_allowed', 'crit exp');
        const key = await a.w.runtime.keys.signingKey();
        const rawPayload = JSON.stringify(a.claims());
        // RFC 7797: the payload travels unencoded; the signing input is header.payload-as-is.
        const b64Header = b64u({ alg: 'RS256', kid: key.kid, b64: false, crit: ['b64'] });
        const unencodedSig = sign('sha256', Buffer.from(`${b64Header}.${rawPayload}`), key.privateKey);
        await refuse(
          `${b64Header}.${b64u(rawPayload)}.${unencodedSig.toString('base64url')}`,
          'header_not_allowed',
          'b64',
        );
        await refuse(await a.forge({}, { zip: 'DEF' }), 'header_not_allowed', 'zip');
        await refuse(await a.forge({}, { cty: 'JWT' }), 'header_not_allowed', 'cty JWT');
        const started = performance.now();
        await refuse(
          await a.forge({}, { alg: 'PBES2-HS512+A256KW', p2c: 2_000_000_000, p2s: 'AAAAAAAAAAAAAAAAAAAAAA' }),
          'alg_not_allowed',
          'PBES2',
        );
        await refuse(await a.forge({}, { p2c: 2_000_000_000, p2s: 'AAAA' }), 'header_not_allowed', 'p2c');
        assert.ok(performance.now() - started < 1_000);
        const pub = createPublicKey({ key: { kty: 'RSA', n: key.jwk.n, e: key.jwk.e }, format: 'jwk' });
        const jwe = await new CompactEncrypt(new TextEncoder().encode(await a.forge()))
          .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: key.kid })
          .encrypt(pub);
        assert.equal(jwe.split('.').length, 5);
        const r = await a.refusedToken(jwe, { ...INVALID, reason: 'token_malformed' });
        assert.match(r.headers['www-authenticate'] as string, /JWE/);
        const { h, p, s } = split(await a.forge());
        const jsonSerialised = JSON.stringify({ protected: h, payload: p, signature: s });
        await refuse(jsonSerialised, 'token_malformed', 'JWS JSON serialisation');
        await refuse(
          JSON.stringify({ payload: p, signatures: [{ protected: h, signature: s }] }),
          'token_malformed',
          'general JSON serialisation',
        );
      });

      it('A21: RS384, RS512, PS256 and ES256 signed with the RS256 key (or an EC key) → the key decides', async () => {
        const key = await a.w.runtime.keys.signingKey();
        for (const alg of ['RS384', 'RS512', 'PS256'] as const) {
          await refuse(
            signJwt({ alg, kid: key.kid }, a.claims(), key.privateKey, alg),
            'alg_not_allowed',
            alg,
          );
        }
        const ec = attackerEc();
        await refuse(
          signJwt({ alg: 'ES256', kid: key.kid }, a.claims(), ec.privateKey),
          'alg_not_allowed',
          'ES256',
        );
        await refuse(
          `${b64u({ alg: 'ES256', kid: key.kid })}.${b64u(a.claims())}.${b64u(Buffer.alloc(64))}`,
          'alg_not_allowed',
          'ES256 zero signature',
        );
        await refuse(await a.forge({}, { alg: 'rs256' }), 'alg_not_allowed', 'rs256 (case)');
        await refuse(await a.forge({}, { alg: 'RS256 ' }), 'alg_not_allowed', 'RS256 + space');
        await refuse(await a.forge({}, { alg: ['RS256'] }), 'alg_not_allowed', 'alg array');
      });

      it('A23–A24, A30: repeated header or claim names (even escaped), non-object payloads', async () => {
        const claims = JSON.stringify(a.claims());
        const hdr = (kid: string) => `{"alg":"RS256","typ":"JWT","kid":"${kid}"}`;
        for (const [what, h, p] of [
          [
            'alg none then RS256',
            (k: string) => `{"alg":"none","typ":"JWT","kid":"${k}","alg":"RS256"}`,
            claims,
          ],
          ['kid twice', (k: string) => `{"alg":"RS256","kid":"evil","kid":"${k}"}`, claims],
          [
            'oid user then admin',
            hdr,
            `${claims.slice(0, -1)},"oid":"00000000-0000-4000-8000-0000000000ad"}`,
          ],
          ['aud twice', hdr, `${claims.slice(0, -1)},"aud":"https://evil.example"}`],
          ['roles escaped', hdr, `${claims.slice(0, -1)},"\\u0072oles":["Admin"]}`],
          ['array payload', hdr, '[1,2,3]'],
          ['array of claims', hdr, `[${claims}]`],
          ['string payload', hdr, '"admin"'],
          ['null payload', hdr, 'null'],
          ['array header', (k: string) => `[{"alg":"RS256","kid":"${k}"}]`, claims],
          [
            'payload nested 5000 deep',
            hdr,
            `${claims.slice(0, -1)},"x":${'['.repeat(5000)}${']'.repeat(5000)}}`,
          ],
          ['trailing garbage', hdr, `${claims}x`],
          ['BOM', hdr, `\ufeff${claims}`],
        ] as const) {
          await refuse(await a.forgeRaw(h, p), 'token_malformed', what);
        }
      });

      it('A25–A26: non-canonical base64url: padding, standard alphabet, altered trailing bits, stray bytes', async () => {
        let t = await a.forge();
        while (!/[-_]/.test(split(t).s)) t = await a.forge({ uti: randomBytes(8).toString('hex') });
        const { h, p, s } = split(t);
        // Sanity: the altered spelling decodes to the very same signature bytes.
        const altered = alterTrailingBits(s);
        assert.notEqual(altered, s);
        assert.deepEqual(Buffer.from(altered, 'base64url'), Buffer.from(s, 'base64url'));
        for (const [what, token] of [
          ['sig ==', `${h}.${p}.${s}==`],
          ['sig =', `${h}.${p}.${s}=`],
          ['header =', `${h}=.${p}.${s}`],
          ['sig +/', `${h}.${p}.${s.replaceAll('-', '+').replaceAll('_', '/')}`],
          ['trailing bits', `${h}.${p}.${altered}`],
          ['sig with %', `${h}.${p}.${s.slice(0, -2)}%3D`],
          ['sig with *', `${h}.${p}.${s}*`],
          ['payload with !', `${h}.${p}!.${s}`],
          ['extra dot', `${h}.${p}.${s}.`],
          ['leading dot', `.${h}.${p}.${s}`],
        ] as const) {
          await refuse(token, 'token_malformed', what);
        }
        // Header and payload too: a payload whose length leaves spare bits.
        let u = await a.forge({ x: 'a' });
        for (let i = 0; split(u).p.length % 4 === 0 && i < 10; i++)
          u = await a.forge({ x: 'a'.repeat(i + 2) });
        await refuse(
          `${split(u).h}.${alterTrailingBits(split(u).p)}.${split(u).s}`,
          'token_malformed',
          'payload bits',
        );
      });

      it('A27: scheme case, extra spaces and other schemes are defined behaviour', async () => {
        const t = await a.forge();
        await a.accepted('/api/admin', { headers: { authorization: `bearer ${t}` } });
        await a.accepted('/api/admin', { headers: { authorization: `BEARER  ${t}` } });
        await a.accepted('/api/admin', { headers: { authorization: `Bearer ${t}   ` } });
        const noError = { status: 401, reason: 'token_missing' } as const;
        for (const value of [
          `Basic ${t}`,
          `Bearer`,
          `Bearer `,
          `Token ${t}`,
          `Bearer\t${t}`,
          t,
          `MAC ${t}`,
        ]) {
          await a.refused('/api/admin', { headers: { authorization: value } }, noError);
        }
        const basic = await a.refused('/api/admin', { headers: { authorization: 'Basic dTpw' } }, noError);
        assert.match(
          basic.headers['www-authenticate'] as string,
          /'Basic' scheme; Easy Auth reads only Bearer/,
        );
        // RFC 6750 §3.1: another scheme is "no bearer token", which carries no error code.
        assert.doesNotMatch(basic.headers['www-authenticate'] as string, /error="/);
        // A bare token is not echoed back as if it were a scheme name (nor written to the audit log).
        const bare = await a.refused('/api/admin', { headers: { authorization: t } }, noError);
        assert.ok(!(bare.headers['www-authenticate'] as string).includes(split(t).s.slice(0, 40)));
        assert.match(bare.headers['www-authenticate'] as string, /a bare token\?/);
        await refuse(`${t} ${t}`, 'token_malformed', 'two tokens in one header');
      });

      it('A28–A29: oversized tokens: 17 KiB → 431; a 2.6 MB nested header → 431 (or reset) quickly', async () => {
        const big = await a.forge({ pad: 'x'.repeat(17 * 1024) });
        const before = a.seenCount();
        const r = await a.w.call(a.front, '/api/admin', { headers: a.bearer(big) });
        assert.equal(r.status, 431);
        const nested = `${b64u('['.repeat(2_600_000))}.${b64u(a.claims())}.AAAA`;
        const started = performance.now();
        const raw = await rawExchange(
          a.front,
          a.w.ca,
          `GET /api/admin HTTP/1.1\r\nHost: protected-func.localhost\r\nAuthorization: Bearer ${nested}\r\n\r\n`,
        );
        assert.ok(performance.now() - started < 2_000, 'refused without reading 2.6 MB');
        const got = statuses(raw);
        assert.ok(got.length === 0 || (got.length === 1 && got[0] === 431), raw.slice(0, 80));
        const deep = `${b64u({ alg: 'RS256', kid: await a.kid() })}.${b64u(`{"x":${'['.repeat(50_000)}${']'.repeat(50_000)}}`)}.AAAA`;
        const r2 = await a.w.call(a.front, '/api/admin', { headers: a.bearer(deep) });
        assert.equal(r2.status, 431);
        assert.equal(a.seenCount(), before);
        // The front is still serving.
        await a.accepted('/api/admin', { headers: a.bearer(await a.forge()) });
      });

      it('A31 parity: typ JWT (what Entra issues) or no typ is accepted, as Azure does', async () => {
        await a.accepted('/api/admin', { headers: a.bearer(await a.forge({}, { typ: 'JWT' })) });
        await a.accepted('/api/admin', { headers: a.bearer(await a.forge({}, { typ: undefined })) });
      });

      it('every refusal above is in the audit log with its reason, and no token is', async () => {
        const events = await a.w.runtime.audit.list({
          plane: 'easyauth',
          action: 'request.refuse',
          limit: 1000,
        });
        const reasons = new Set(events.map((e) => e.reason));
        for (const r of [
          'token_malformed',
          'alg_not_allowed',
          'key_unknown',
          'signature_invalid',
          'header_not_allowed',
          'token_missing',
          'headers_too_large',
        ]) {
          assert.ok(reasons.has(r), `audit has ${r}`);
        }
        const text = JSON.stringify(events);
        const leaked = sent.filter((t) => {
          const sig = split(t).s;
          return sig.length > 40 && text.includes(sig);
        });
        assert.deepEqual(leaked, [], 'no signature of a presented token is in the audit log');
      });
    });
  }
});
