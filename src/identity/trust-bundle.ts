/**
 * @module identity/trust-bundle
 * The CA file `lanyard run` (and a runbook job) gives programs that take one whole bundle rather than an extra certificate:
 * Python `requests` (REQUESTS_CA_BUNDLE), OpenSSL-based runtimes (SSL_CERT_FILE). Those variables *replace* the
 * trusted set, so the file holds what the program trusted before — the bundle the caller already named, or
 * else the system store — plus Lanyard's CA: calls to any other host verify exactly as they did.
 *
 * The file is named by a hash of its content (`<dataDir>/ca/bundle-<hash>.pem`): runs with the same content
 * share it, concurrent runs never race, and nothing needs removing when a run ends (it holds public
 * certificates only).
 */
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { writeFileAtomic } from '../crypto/atomic-file.ts';
import { PRIVATE_FILE_MODE } from '../files/file-modes.ts';

/** A caller's bundle larger than this is not read (the system store is about 250 KiB). */
const MAX_BASE_BYTES = 8 * 1024 * 1024;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of the caller's own bundle file, or undefined when there is none to read. */
function callerBundle(file: string | undefined): string[] | undefined {
  if (!file) return undefined;
  try {
    if (fs.statSync(file).size > MAX_BASE_BYTES) return undefined;
    const pems = fs.readFileSync(file, 'utf8').match(PEM_CERT);
    return pems ?? undefined;
  } catch {
    return undefined;
  }
}

function systemStore(): string[] {
  try {
    const system = tls.getCACertificates('system');
    if (system.length > 0) return system;
  } catch {
    // Older runtimes, or no readable system store: Node's own copy of the Mozilla list below.
  }
  return [...tls.rootCertificates];
}

/** One entry per certificate: the system store lists some twice (file and hashed directory). */
function dedupe(pems: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const pem of pems) {
    let key: string;
    try {
      key = new X509Certificate(pem).fingerprint256;
    } catch {
      continue;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(pem.trim());
  }
  return out;
}

/**
 * Writes (if not there yet) the bundle of `base` + Lanyard's CA and returns its path. `base` is the bundle the
 * caller's environment names (REQUESTS_CA_BUNDLE, then SSL_CERT_FILE), else the system store.
 */
export function ensureTrustBundle(
  dataDir: string,
  caCertPem: string,
  env: { REQUESTS_CA_BUNDLE?: string | undefined; SSL_CERT_FILE?: string | undefined },
): string {
  const base = callerBundle(env.REQUESTS_CA_BUNDLE) ?? callerBundle(env.SSL_CERT_FILE) ?? systemStore();
  const text = `${dedupe([...base, caCertPem]).join('\n')}\n`;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const file = path.join(dataDir, 'ca', `bundle-${hash}.pem`);
  if (!fs.existsSync(file)) writeFileAtomic(file, text, { mode: PRIVATE_FILE_MODE });
  return file;
}
