import assert from 'node:assert/strict';
import { X509Certificate as NodeX509Certificate, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { createEnvelope } from '../../src/crypto/envelope.ts';
import {
  caPathFor,
  certificateThumbprints,
  createSelfSignedCertificate,
  ensureLocalCa,
  type LocalCa,
  type ServerCertificate,
} from '../../src/crypto/local-ca.ts';
import { masterKeyFromBytes } from '../../src/crypto/master-key.ts';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';

const posix = process.platform !== 'win32';
const tmpDirs: string[] = [];
const newDataDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-'));
  tmpDirs.push(dir);
  return path.join(dir, 'data');
};
after(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function errorWithCode(code: string) {
  return (err: unknown) => {
    assert.ok(isLanyardError(err), String(err));
    assert.equal(err.code, code);
    return true;
  };
}

let dataDir: string;
let ca: LocalCa;
let server: ServerCertificate;
before(async () => {
  dataDir = newDataDir();
  ca = await ensureLocalCa({ dataDir });
  server = await ca.issueServerCertificate(['localhost', '*.localhost', '127.0.0.1', '::1']);
});

test('the CA is created once, with the right files and shape, and reused', async () => {
  const caDir = path.join(dataDir, 'ca');
  assert.equal(ca.caCertPath, caPathFor(dataDir));
  assert.equal(fs.readFileSync(ca.caCertPath, 'utf8'), ca.caCertPem);
  assert.deepEqual(fs.readdirSync(caDir).sort(), ['ca.key', 'ca.pem']);
  assert.match(fs.readFileSync(path.join(caDir, 'ca.key'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  if (posix) {
    assert.equal(fs.statSync(ca.caCertPath).mode & 0o777, 0o600);
    assert.equal(fs.statSync(caDir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(caDir, 'ca.key')).mode & 0o777, 0o600);
  }
  const cert = new NodeX509Certificate(ca.caCertPem);
  assert.equal(cert.ca, true);
  assert.match(cert.subject, /CN=Lanyard Local CA [0-9a-f]{8}/);
  const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365 * 86_400_000);
  assert.ok(years > 9.9 && years < 10.1, `validity ${years} years`);

  const again = await ensureLocalCa({ dataDir });
  assert.equal(again.caCertPem, ca.caCertPem);
  const leaf = new NodeX509Certificate((await again.issueServerCertificate(['localhost'])).certPem);
  assert.ok(leaf.checkIssued(cert) && leaf.verify(cert.publicKey));
});

test('server certificates carry SANs, serverAuth, a random serial and at most 397 days', () => {
  const leaf = new NodeX509Certificate(server.certPem);
  const caCert = new NodeX509Certificate(ca.caCertPem);
  assert.equal(
    leaf.subjectAltName,
    'DNS:localhost, DNS:*.localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
  );
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(leaf.ca, false);
  assert.ok(leaf.checkIssued(caCert) && leaf.verify(caCert.publicKey));
  const days = (Date.parse(leaf.validTo) - Date.now()) / 86_400_000;
  assert.ok(days > 396 && days <= 397, `validity ${days} days`);
  assert.match(leaf.serialNumber, /^[4-7][0-9A-F]{31}$/);
  assert.equal(server.chainPem, server.certPem + ca.caCertPem);
  assert.match(server.keyPem, /^-----BEGIN PRIVATE KEY-----/);
});

// --- the certificate must work for real TLS clients ---

// The server sends its chain (leaf + CA): a client that does not trust the CA sees a self-signed root.
const UNTRUSTED = { code: 'SELF_SIGNED_CERT_IN_CHAIN' };

async function listen(options: https.ServerOptions, host = '127.0.0.1'): Promise<https.Server> {
  const srv = https.createServer(options, (_req, res) => res.end('hello'));
  await new Promise<void>((resolve) => srv.listen(0, host, resolve));
  return srv;
}

function close(srv: https.Server): Promise<void> {
  srv.closeAllConnections();
  return new Promise((resolve) => srv.close(() => resolve()));
}

function get(
  srv: https.Server,
  opts: { host?: string; servername?: string; ca?: string },
): Promise<{ body: string; subject: string }> {
  const { port } = srv.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, agent: false, ...opts }, (res) => {
      const subject = String((res.socket as TLSSocket).getPeerCertificate().subject.CN);
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ body, subject }));
    });
    req.on('error', reject);
  });
}

test('https works for localhost, 127.0.0.1 and ::1 when the client trusts the CA', async () => {
  const options = { key: server.keyPem, cert: server.chainPem };
  const v4 = await listen(options);
  const v6 = await listen(options, '::1');
  try {
    assert.equal((await get(v4, { servername: 'localhost', ca: ca.caCertPem })).body, 'hello');
    assert.equal((await get(v4, { ca: ca.caCertPem })).body, 'hello');
    assert.equal((await get(v6, { host: '::1', ca: ca.caCertPem })).body, 'hello');
    await assert.rejects(get(v4, { servername: 'localhost' }), UNTRUSTED);
    const stranger = await ensureLocalCa({ dataDir: newDataDir() });
    await assert.rejects(get(v4, { servername: 'localhost', ca: stranger.caCertPem }), UNTRUSTED);
    await assert.rejects(get(v4, { servername: 'example.com', ca: ca.caCertPem }), {
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  } finally {
    await Promise.all([close(v4), close(v6)]);
  }
});

test('foo.localhost: refused under a *.localhost wildcard, accepted through the SNI callback', async () => {
  const wildcardOnly = await listen({ key: server.keyPem, cert: server.chainPem });
  const withSni = await listen({
    key: server.keyPem,
    cert: server.chainPem,
    SNICallback: ca.sniCallback(['*.localhost', 'vault.localhost']),
  });
  try {
    // Node, like browsers and curl, refuses a wildcard directly above a single label (RFC 6125 practice).
    await assert.rejects(get(wildcardOnly, { servername: 'foo.localhost', ca: ca.caCertPem }), {
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    const foo = await get(withSni, { servername: 'foo.localhost', ca: ca.caCertPem });
    assert.deepEqual(foo, { body: 'hello', subject: 'foo.localhost' });
    assert.equal(
      (await get(withSni, { servername: 'foo.localhost', ca: ca.caCertPem })).subject,
      'foo.localhost',
    );
    assert.equal(
      (await get(withSni, { servername: 'vault.localhost', ca: ca.caCertPem })).subject,
      'vault.localhost',
    );
    // Names outside the patterns get the default certificate.
    assert.equal((await get(withSni, { servername: 'localhost', ca: ca.caCertPem })).subject, 'localhost');
    await assert.rejects(get(withSni, { servername: 'a.b.localhost', ca: ca.caCertPem }), {
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    await assert.rejects(get(withSni, { servername: 'foo.localhost' }), UNTRUSTED);
  } finally {
    await Promise.all([close(wildcardOnly), close(withSni)]);
  }
});

test('a wildcard one level deeper (*.vault.localhost) is accepted by Node', async () => {
  const cert = await ca.issueServerCertificate(['*.vault.localhost']);
  const srv = await listen({ key: cert.keyPem, cert: cert.chainPem });
  try {
    assert.equal((await get(srv, { servername: 'kv1.vault.localhost', ca: ca.caCertPem })).body, 'hello');
  } finally {
    await close(srv);
  }
});

// --- other certificates ---

test('issueCertificate certifies an existing key for clientAuth, without a key in the result', async () => {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const issued = await ca.issueCertificate({
    subjectCn: 'workload-1',
    publicKey: keys.publicKey,
    extendedKeyUsages: ['clientAuth'],
    days: 30,
  });
  assert.equal('keyPem' in issued, false);
  const cert = new NodeX509Certificate(issued.certPem);
  assert.equal(cert.subject, 'CN=workload-1');
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.ok(cert.verify(new NodeX509Certificate(ca.caCertPem).publicKey));
  await assert.rejects(
    ca.issueCertificate({ hosts: ['localhost'], days: 398 }),
    errorWithCode('ERR_VALIDATION'),
  );
  await assert.rejects(ca.issueServerCertificate(['bad host!']), errorWithCode('ERR_VALIDATION'));
  await assert.rejects(ca.issueServerCertificate([]), errorWithCode('ERR_VALIDATION'));
});

test('self-signed certificates for RSA and ECDSA signing keys, with x5c and thumbprints', async () => {
  const rsa = await webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
  const ec = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, [
    'sign',
    'verify',
  ]);
  for (const [keys, sigAlg] of [
    [rsa, 'sha256WithRSAEncryption'],
    [ec, 'ecdsa-with-SHA384'],
  ] as const) {
    const bundle = await createSelfSignedCertificate({ subjectCn: 'Lanyard signing key', keys, days: 30 });
    const cert = new NodeX509Certificate(bundle.certPem);
    assert.equal(cert.subject, 'CN=Lanyard signing key');
    assert.ok(cert.verify(cert.publicKey), sigAlg);
    assert.deepEqual(Buffer.from(bundle.x5c, 'base64'), cert.raw);
    assert.deepEqual(bundle.certDer, cert.raw);
    assert.equal(bundle.thumbprints.sha1Hex, cert.fingerprint.replaceAll(':', ''));
    assert.equal(bundle.thumbprints.sha256Hex, cert.fingerprint256.replaceAll(':', ''));
    assert.equal(
      Buffer.from(bundle.thumbprints.sha1B64url, 'base64url').toString('hex').toUpperCase(),
      bundle.thumbprints.sha1Hex,
    );
    assert.equal(Buffer.from(bundle.thumbprints.sha256B64url, 'base64url').length, 32);
  }
});

test('certificateThumbprints accepts PEM, DER and base64 DER, and refuses garbage', () => {
  const der = new NodeX509Certificate(server.certPem).raw;
  const expected = certificateThumbprints(server.certPem);
  assert.deepEqual(certificateThumbprints(der), expected);
  assert.deepEqual(certificateThumbprints(der.toString('base64')), expected);
  assert.deepEqual(expected, server.thumbprints);
  assert.throws(() => certificateThumbprints('not a certificate'), errorWithCode('ERR_VALIDATION'));
  assert.throws(() => certificateThumbprints(new Uint8Array([1, 2, 3])), errorWithCode('ERR_VALIDATION'));
});

// --- CA storage ---

test('two starts racing on a new data folder end up with the same CA', async () => {
  const dir = newDataDir();
  const [a, b] = await Promise.all([ensureLocalCa({ dataDir: dir }), ensureLocalCa({ dataDir: dir })]);
  assert.equal(a.caCertPem, b.caCertPem);
  assert.equal(fs.readFileSync(caPathFor(dir), 'utf8'), a.caCertPem);
  assert.deepEqual(fs.readdirSync(dir), ['ca']);
});

test('with an envelope, ca.key is sealed under the master key and needs it to load', async () => {
  const dir = newDataDir();
  const envelope = createEnvelope({ current: masterKeyFromBytes(Buffer.alloc(32, 7)) });
  const first = await ensureLocalCa({ dataDir: dir, envelope });
  const keyFile = path.join(dir, 'ca', 'ca.key');
  assert.match(fs.readFileSync(keyFile, 'utf8'), /^lk1\./);
  const again = await ensureLocalCa({ dataDir: dir, envelope });
  assert.equal(again.caCertPem, first.caCertPem);
  await again.issueServerCertificate(['localhost']);
  await assert.rejects(ensureLocalCa({ dataDir: dir }), errorWithCode('ERR_LOCAL_CA'));
  const wrongKey = createEnvelope({ current: masterKeyFromBytes(Buffer.alloc(32, 8)) });
  await assert.rejects(ensureLocalCa({ dataDir: dir, envelope: wrongKey }), errorWithCode('ERR_DECRYPT'));
});

test('refuses an incomplete CA folder, an exposed key and a key from another CA', async () => {
  const dir = newDataDir();
  await ensureLocalCa({ dataDir: dir });
  const caDir = path.join(dir, 'ca');
  const keyFile = path.join(caDir, 'ca.key');

  if (posix) {
    fs.chmodSync(keyFile, 0o644);
    await assert.rejects(ensureLocalCa({ dataDir: dir }), (err: unknown) => {
      assert.ok(errorWithCode('ERR_LOCAL_CA')(err) && isLanyardError(err));
      assert.ok(err.hint?.includes(`chmod 600 ${keyFile}`));
      return true;
    });
    fs.chmodSync(keyFile, 0o600);
  }

  const other = newDataDir();
  await ensureLocalCa({ dataDir: other });
  fs.writeFileSync(keyFile, fs.readFileSync(path.join(other, 'ca', 'ca.key')));
  await assert.rejects(ensureLocalCa({ dataDir: dir }), /do not belong together/);

  fs.rmSync(keyFile);
  await assert.rejects(ensureLocalCa({ dataDir: dir }), (err: unknown) => {
    assert.ok(errorWithCode('ERR_LOCAL_CA')(err) && isLanyardError(err));
    assert.ok(err.message.includes(keyFile) && err.hint?.includes(caDir));
    return true;
  });
});
