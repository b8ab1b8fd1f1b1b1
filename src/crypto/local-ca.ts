/**
 * @module crypto/local-ca
 * The local certificate authority. Azure clients insist on HTTPS (Key Vault, the token authority), so on first
 * start Lanyard creates a CA in `<dataDir>/ca/` (0700, like the data folder: `ca.pem`, 0600; `ca.key`, PKCS#8
 * PEM or, given an envelope, sealed under the master key, 0600) and signs its listeners' certificates with it.
 * `lanyard ca path` prints `ca.pem` for NODE_EXTRA_CA_CERTS or a trust store. The CA is reused on every later start; deleting the
 * folder makes a new one, which clients must then trust again. Keys are ECDSA P-256: fast to make, accepted
 * by every TLS stack. Also here: self-signed certificates (the issuer's signing keys publish one as
 * `x5c`/`x5t`) and certificate thumbprints (app certificate credentials are registered by thumbprint).
 */
import {
  createHash,
  createPrivateKey,
  KeyObject,
  X509Certificate as NodeX509Certificate,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { LanyardError } from '../errors/lanyard-error.ts';
import { fsyncDir, writeFileAtomic } from './atomic-file.ts';
import type { Envelope } from './envelope.ts';
import { x509 } from './x509.ts';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export interface CertificateThumbprints {
  /** Uppercase hex, as Azure shows certificate thumbprints. */
  sha1Hex: string;
  /** `x5t`. */
  sha1B64url: string;
  sha256Hex: string;
  /** `x5t#S256`. */
  sha256B64url: string;
}

export interface CertificateBundle {
  certPem: string;
  certDer: Buffer;
  /** Standard (not URL-safe) base64 DER, as a JWK `x5c` entry. */
  x5c: string;
  thumbprints: CertificateThumbprints;
}

export interface IssuedCertificate extends CertificateBundle {
  /** The certificate followed by the CA certificate: what a TLS server passes as `cert`. */
  chainPem: string;
  /** PKCS#8 PEM of the generated key; absent when an existing public key was certified. */
  keyPem?: string;
}

export type ServerCertificate = IssuedCertificate & { keyPem: string };

export interface IssueCertificateOptions {
  /** Subject common name; defaults to the first host. */
  subjectCn?: string | undefined;
  /** DNS names (`*.` wildcards allowed) and IP addresses for the subjectAltName extension. */
  hosts?: readonly string[] | undefined;
  /** Certify this public key instead of generating a new P-256 key pair. */
  publicKey?: CryptoKey | undefined;
  /** Default `['serverAuth']`. */
  extendedKeyUsages?: readonly ('serverAuth' | 'clientAuth')[] | undefined;
  /** Validity in days, at most 397 (the most browsers and Apple platforms accept for TLS). Default 397. */
  days?: number | undefined;
}

export type SniCallback = (
  servername: string,
  cb: (err: Error | null, ctx?: tls.SecureContext) => void,
) => void;

export interface LocalCa {
  readonly caCertPem: string;
  readonly caCertPath: string;
  issueServerCertificate(
    hosts: readonly string[],
    opts?: { days?: number | undefined },
  ): Promise<ServerCertificate>;
  issueCertificate(opts: IssueCertificateOptions): Promise<IssuedCertificate>;
  /**
   * A `SNICallback` that gives each requested host name matching `hostPatterns` its own certificate, issued on
   * first use and cached. Needed for names like `app1.localhost`: TLS clients refuse a `*.localhost`
   * wildcard (a wildcard must sit above at least two labels). Other names get the server's default certificate.
   */
  sniCallback(hostPatterns: readonly string[]): SniCallback;
}

export interface EnsureLocalCaOptions {
  dataDir: string;
  /** When given, `ca.key` is stored sealed under the master key. */
  envelope?: Envelope | undefined;
}

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' };
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;
const SKEW_MS = 5 * 60_000; // notBefore in the past, so a client with a slightly late clock accepts new certs
const CA_DAYS = 3650;
const MAX_LEAF_DAYS = 397;
const CA_KEY_AAD = 'lanyard|local-ca|ca.key';
const SNI_CACHE_LIMIT = 1000;
const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function caPathFor(dataDir: string): string {
  return path.join(dataDir, 'ca', 'ca.pem');
}

interface CaState {
  cert: x509.X509Certificate;
  certPem: string;
  privateKey: CryptoKey;
}

/** Loads the CA from `<dataDir>/ca`, creating it on first use. */
export async function ensureLocalCa({ dataDir, envelope }: EnsureLocalCaOptions): Promise<LocalCa> {
  const ca = (await loadCa(dataDir, envelope)) ?? (await createCa(dataDir, envelope));
  const issueCertificate = (opts: IssueCertificateOptions) => issue(ca, opts);
  const issueServerCertificate = async (
    hosts: readonly string[],
    opts: { days?: number | undefined } = {},
  ) => {
    if (hosts.length === 0) throw invalid('A server certificate needs at least one host name or IP address.');
    return (await issue(ca, { hosts, days: opts.days })) as ServerCertificate;
  };
  return {
    caCertPem: ca.certPem,
    caCertPath: caPathFor(dataDir),
    issueCertificate,
    issueServerCertificate,
    sniCallback(hostPatterns) {
      const cache = new Map<string, Promise<tls.SecureContext>>();
      return (servername, cb) => {
        const name = servername.toLowerCase();
        if (!DNS_NAME.test(name) || name.startsWith('*') || !hostPatterns.some((p) => hostMatches(p, name))) {
          cb(null);
          return;
        }
        let ctx = cache.get(name);
        if (!ctx) {
          if (cache.size >= SNI_CACHE_LIMIT) cache.delete(cache.keys().next().value!);
          ctx = issueServerCertificate([name]).then((c) =>
            tls.createSecureContext({ key: c.keyPem, cert: c.chainPem }),
          );
          cache.set(name, ctx);
          ctx.catch(() => cache.delete(name));
        }
        ctx.then(
          (c) => cb(null, c),
          (err: Error) => cb(err),
        );
      };
    },
  };
}

/** A self-signed end-entity certificate for `keys` (RSA or ECDSA), e.g. to publish a signing key as `x5c`. */
export async function createSelfSignedCertificate({
  subjectCn,
  keys,
  days = 365,
}: {
  subjectCn: string;
  keys: CryptoKeyPair;
  days?: number | undefined;
}): Promise<CertificateBundle> {
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [subjectCn] }],
    notBefore: new Date(now - SKEW_MS),
    notAfter: new Date(now + days * DAY_MS),
    keys,
    signingAlgorithm: signingAlgorithmFor(keys.privateKey),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return bundle(cert);
}

/** Thumbprints of a certificate given as PEM, base64 DER (an `x5c` entry) or DER bytes. */
export function certificateThumbprints(cert: string | Uint8Array): CertificateThumbprints {
  let der: Buffer;
  try {
    const input =
      typeof cert === 'string' && !cert.includes('-----BEGIN') ? Buffer.from(cert, 'base64') : cert;
    der = new NodeX509Certificate(typeof input === 'string' ? input : Buffer.from(input)).raw;
  } catch (err) {
    throw invalid('The certificate is not a valid X.509 certificate in PEM or DER form.', err);
  }
  const sha1 = createHash('sha1').update(der).digest();
  const sha256 = createHash('sha256').update(der).digest();
  return {
    sha1Hex: sha1.toString('hex').toUpperCase(),
    sha1B64url: sha1.toString('base64url'),
    sha256Hex: sha256.toString('hex').toUpperCase(),
    sha256B64url: sha256.toString('base64url'),
  };
}

async function issue(ca: CaState, opts: IssueCertificateOptions): Promise<IssuedCertificate> {
  const hosts = (opts.hosts ?? []).map(normalizeHost);
  const days = opts.days ?? MAX_LEAF_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_LEAF_DAYS) {
    throw invalid(
      `Certificate validity must be a whole number of days from 1 to ${MAX_LEAF_DAYS}, not ${days}.`,
    );
  }
  const subjectCn = opts.subjectCn ?? hosts[0]?.value;
  if (!subjectCn) throw invalid('A certificate needs a subject common name or at least one host.');
  const generated = opts.publicKey
    ? undefined
    : await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const publicKey = opts.publicKey ?? generated!.publicKey;
  const caSki = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const now = Date.now();
  // A certificate never outlives its CA: clients would reject the chain from that day on anyway.
  const notAfter = new Date(Math.min(now + days * DAY_MS, ca.cert.notAfter.getTime()));
  const usage = publicKey.algorithm.name.startsWith('RSA')
    ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
    : x509.KeyUsageFlags.digitalSignature; // EC keys cannot encipher (RFC 5480 §3)
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [subjectCn] }],
    issuer: ca.cert.subjectName,
    notBefore: new Date(now - SKEW_MS),
    notAfter,
    publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usage, true),
      new x509.ExtendedKeyUsageExtension(
        (opts.extendedKeyUsages ?? ['serverAuth']).map((u) => x509.ExtendedKeyUsage[u]),
        false,
      ),
      ...(hosts.length > 0 ? [new x509.SubjectAlternativeNameExtension(hosts, false)] : []),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      ...(caSki ? [new x509.AuthorityKeyIdentifierExtension(caSki.keyId)] : []),
    ],
  });
  const result = bundle(cert);
  return {
    ...result,
    chainPem: result.certPem + ca.certPem,
    ...(generated ? { keyPem: toPkcs8Pem(generated.privateKey) } : {}),
  };
}

async function createCa(dataDir: string, envelope: Envelope | undefined): Promise<CaState> {
  const keys = await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const shortId = createHash('sha256').update(spki).digest('hex').slice(0, 8);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [`Lanyard Local CA ${shortId}`] }, { O: ['Lanyard'] }],
    notBefore: new Date(now - SKEW_MS),
    notAfter: new Date(now + CA_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = bundle(cert).certPem;
  const keyPem = toPkcs8Pem(keys.privateKey);

  // Both files appear at once: they are written into a private temporary folder that is then renamed into
  // place. If another process got there first, the rename fails and its CA is used instead.
  const dir = path.dirname(caPathFor(dataDir));
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tmp = fs.mkdtempSync(path.join(dataDir, '.ca-'));
  try {
    writeFileAtomic(path.join(tmp, 'ca.key'), envelope ? envelope.seal(keyPem, CA_KEY_AAD) : keyPem, {
      mode: 0o600,
    });
    // Private like everything in the data folder (docs/security.md, "Data at rest"): the certificate is public,
    // but the folder it sits in is not, and its owner is who hands it to clients.
    writeFileAtomic(path.join(tmp, 'ca.pem'), certPem, { mode: 0o600 });
    fs.chmodSync(tmp, 0o700);
    fs.renameSync(tmp, dir);
    fsyncDir(dataDir);
  } catch (err) {
    const lost = fs.existsSync(caPathFor(dataDir));
    if (!lost) {
      throw caError(`Cannot create the local CA in ${dir}.`, 'Check that the data folder is writable.', err);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return (await loadCa(dataDir, envelope))!;
}

async function loadCa(dataDir: string, envelope: Envelope | undefined): Promise<CaState | undefined> {
  const certPath = caPathFor(dataDir);
  const keyPath = path.join(path.dirname(certPath), 'ca.key');
  const fresh = `Delete ${path.dirname(certPath)} to create a new CA; clients that trusted the old ca.pem must then trust the new one.`;
  const [hasCert, hasKey] = [fs.existsSync(certPath), fs.existsSync(keyPath)];
  if (!hasCert && !hasKey) return undefined;
  if (!hasCert || !hasKey) {
    throw caError(`The local CA is incomplete: ${hasCert ? keyPath : certPath} is missing.`, fresh);
  }

  const certPem = readText(certPath, fresh);
  let nodeCert: NodeX509Certificate;
  let keyObject: KeyObject;
  try {
    nodeCert = new NodeX509Certificate(certPem);
  } catch (err) {
    throw caError(`The local CA certificate ${certPath} cannot be read as a PEM certificate.`, fresh, err);
  }
  const stored = readText(keyPath, fresh);
  const mode = fs.statSync(keyPath).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw caError(
      `The local CA key ${keyPath} has mode ${mode.toString(8).padStart(4, '0')}: other users can read or change it.`,
      `Run \`chmod 600 ${keyPath}\`.`,
    );
  }
  const sealed = !stored.startsWith('-----BEGIN');
  if (sealed && !envelope) {
    throw caError(
      `The local CA key ${keyPath} is encrypted and no master key was supplied to open it.`,
      fresh,
    );
  }
  const keyPem = sealed ? envelope!.open(stored.trim(), CA_KEY_AAD).toString('utf8') : stored;
  try {
    keyObject = createPrivateKey(keyPem);
  } catch (err) {
    throw caError(`The local CA key ${keyPath} is not a readable private key.`, fresh, err);
  }
  if (!nodeCert.ca || !nodeCert.checkPrivateKey(keyObject)) {
    throw caError(`The local CA files in ${path.dirname(certPath)} do not belong together.`, fresh);
  }
  if (new Date(nodeCert.validTo).getTime() <= Date.now()) {
    throw caError(`The local CA certificate ${certPath} expired on ${nodeCert.validTo}.`, fresh);
  }
  return {
    cert: new x509.X509Certificate(certPem),
    certPem: certPem.endsWith('\n') ? certPem : `${certPem}\n`,
    privateKey: keyObject.toCryptoKey(EC_P256, false, ['sign']),
  };
}

function readText(file: string, hint: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw caError(
      `Cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'unknown error'}).`,
      hint,
      err,
    );
  }
}

function bundle(cert: x509.X509Certificate): CertificateBundle {
  const certDer = Buffer.from(cert.rawData);
  return {
    certPem: `${cert.toString('pem').trim()}\n`,
    certDer,
    x5c: certDer.toString('base64'),
    thumbprints: certificateThumbprints(certDer),
  };
}

function toPkcs8Pem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** 128 random bits with the top bit clear and the next set: a positive, minimally encoded DER integer. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return bytes.toString('hex');
}

function signingAlgorithmFor(key: CryptoKey): { name: string; hash: string } {
  const alg = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
  if (alg.name === 'ECDSA') {
    const hash = { 'P-384': 'SHA-384', 'P-521': 'SHA-512' }[alg.namedCurve ?? ''] ?? 'SHA-256';
    return { name: 'ECDSA', hash };
  }
  if (alg.name === 'RSASSA-PKCS1-v1_5' || alg.name === 'RSA-PSS') {
    return { name: alg.name, hash: alg.hash?.name ?? 'SHA-256' };
  }
  throw invalid(`Certificates can be made for RSA and ECDSA keys, not ${alg.name}.`);
}

function normalizeHost(host: string): { type: 'dns' | 'ip'; value: string } {
  const value = host.trim().toLowerCase();
  if (net.isIP(value)) return { type: 'ip', value };
  if (DNS_NAME.test(value)) return { type: 'dns', value };
  throw invalid(`"${host}" is neither a DNS name nor an IP address.`);
}

/** RFC 6125 matching: exact, or `*.` standing for exactly one label. */
function hostMatches(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  if (!p.startsWith('*.')) return p === name;
  const label = name.slice(0, name.length - p.length + 1);
  return name.endsWith(p.slice(1)) && label.length > 0 && !label.includes('.');
}

function invalid(message: string, cause?: unknown): LanyardError {
  return new LanyardError('ERR_VALIDATION', message, { cause });
}

function caError(message: string, hint: string, cause?: unknown): LanyardError {
  return new LanyardError('ERR_LOCAL_CA', message, { hint, cause });
}
