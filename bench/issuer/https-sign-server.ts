/**
 * @module bench/issuer/https-sign-server
 * A reference point between the raw ceiling and a real token endpoint: a bare node:https server (same kind of
 * certificate as Lanyard's) that reads the form, builds a JWT-sized claim set and signs it RS256 with Node's
 * crypto, and answers the token JSON — no client check, no directory, no audit, no log. What any Node token
 * endpoint on this core can at best reach once TLS and HTTP are paid for. It signs as Lanyard does (the
 * batching signer of src/issuer/rs256-signer.ts), so the comparison isolates everything else.
 * Prints `BENCH_READY <json>`.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ensureLocalCa } from '../../src/crypto/local-ca.ts';
import { createRs256Signer } from '../../src/issuer/rs256-signer.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'https-sign-bench-'));
const ca = await ensureLocalCa({ dataDir });
const cert = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = randomBytes(20).toString('base64url');
const signer = createRs256Signer();
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

const server = https.createServer(
  { key: cert.keyPem, cert: cert.chainPem, minVersion: 'TLSv1.2' },
  (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const now = Math.floor(Date.now() / 1000);
      const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64({
        aud: form.get('scope'),
        iss: 'https://localhost/00000000-0000-0000-0000-000000000002/v2.0',
        iat: now,
        nbf: now,
        exp: now + 3599,
        aio: randomBytes(36).toString('base64url'),
        oid: randomUUID(),
        rh: `0.${randomBytes(48).toString('base64url')}.`,
        sub: randomUUID(),
        tid: '00000000-0000-0000-0000-000000000002',
        uti: randomBytes(16).toString('base64url'),
        ver: '2.0',
        roles: ['Data.Read'],
        azp: form.get('client_id'),
        azpacr: '1',
      })}`;
      signer.sign(input, kid, privateKey).then(
        (signature) => {
          const body = JSON.stringify({
            token_type: 'Bearer',
            expires_in: 3599,
            ext_expires_in: 3599,
            access_token: `${input}.${signature}`,
          });
          res.writeHead(200, {
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'no-store',
          });
          res.end(body);
        },
        () => res.writeHead(500).end(),
      );
    });
  },
);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const body = new URLSearchParams({
  grant_type: 'client_credentials',
  client_id: randomUUID(),
  client_secret: randomBytes(30).toString('base64url'),
  scope: 'api://bench-api/.default',
}).toString();
const url = `https://localhost:${(server.address() as AddressInfo).port}/tenant/oauth2/v2.0/token`;
process.stdout.write(`BENCH_READY ${JSON.stringify({ url, body })}\n`);

process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  fs.rmSync(dataDir, { recursive: true, force: true });
});
