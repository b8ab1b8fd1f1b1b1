/**
 * @module net/fetch-json
 * Outbound JSON fetches for discovery documents and key sets, bounded (64 KiB, 3 s, https only; undici's
 * request never follows redirects; docs/security.md, "Outbound fetches"): a slow or hostile issuer must not
 * stall or flood Lanyard. Trusts the system roots plus Lanyard's local CA, so issuers served by another Lanyard
 * (or a test IdP) verify.
 */
import tls from 'node:tls';
import { Agent, request } from 'undici';

export interface FetchJsonOptions {
  maxBytes?: number | undefined;
  timeoutMs?: number | undefined;
  /** Extra trusted CA certificates (PEM). */
  ca?: readonly string[] | undefined;
  /** Allow http:// (tests of plain-HTTP peers only). */
  allowHttp?: boolean | undefined;
  /** Refuse an answer whose Content-Type is not JSON (`application/json`, `application/…+json`). */
  requireJsonType?: boolean | undefined;
}

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

export class FetchJsonError extends Error {
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FetchJsonError';
    this.url = url;
  }
}

const agents = new Map<string, Agent>();

function agentFor(ca: readonly string[]): Agent {
  const key = ca.join('\n');
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({ connect: { ca: [...tls.rootCertificates, ...ca] }, keepAliveTimeout: 10_000 });
    agents.set(key, agent);
  }
  return agent;
}

export async function fetchJson(url: string, options: FetchJsonOptions = {}): Promise<unknown> {
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const timeoutMs = options.timeoutMs ?? 3000;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FetchJsonError(url, 'is not a URL');
  }
  if (parsed.protocol !== 'https:' && !(options.allowHttp && parsed.protocol === 'http:')) {
    throw new FetchJsonError(url, 'must be an https:// URL');
  }
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(parsed, {
      method: 'GET',
      headers: { accept: 'application/json' },
      dispatcher: agentFor(options.ca ?? []),
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (err) {
    throw new FetchJsonError(url, `could not be fetched: ${(err as Error).message}`, { cause: err });
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new FetchJsonError(url, `answered HTTP ${res.statusCode}`);
  }
  const type = res.headers['content-type'];
  if (options.requireJsonType && (typeof type !== 'string' || !JSON_TYPE.test(type))) {
    await res.body.dump();
    throw new FetchJsonError(url, `answered Content-Type ${JSON.stringify(type ?? null)}, not JSON`);
  }
  const declared = Number(res.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    await res.body.dump();
    throw new FetchJsonError(url, `answered ${declared} bytes, more than the ${maxBytes}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new FetchJsonError(url, `answered more than the ${maxBytes}-byte limit`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof FetchJsonError) throw err;
    throw new FetchJsonError(url, `failed while reading: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new FetchJsonError(url, 'did not answer JSON');
  }
}
