/**
 * @module easyauth/request-headers
 * The headers a client sent, made safe to forward, in one pass over `rawHeaders` (every duplicate and every
 * spelling seen, docs/security.md, "Easy Auth: identity headers", "…: method overrides", "…: request smuggling and hop-by-hop headers"):
 * - identity headers only the front may produce are dropped on EVERY request, whatever their case and with `_`
 *   read as `-`: `X-MS-CLIENT-PRINCIPAL*`, `X-MS-TOKEN-*`, `X-Forwarded-*` (the front sets its own), `Forwarded`,
 *   `X-Auth-Request-*`, `X-Original-URL`/`X-Rewrite-URL`, `X-ZUMO-AUTH`;
 * - method overrides (`X-HTTP-Method-Override`, `X-HTTP-Method`, `X-Method-Override`) are dropped;
 * - hop-by-hop headers are dropped, with every header the `Connection` header names — and a `Connection`
 *   that names an end-to-end or security header (`Authorization`, `Host`, `X-MS-*` …) is refused outright;
 * - underscore spellings of framing and credential headers (`Content_Length`, `Authorization_`…) are dropped,
 *   since some servers read `_` as `-`;
 * - a second `Host` is refused (RFC 9112 §3.2).
 * What is left is a flat `[name, value, …]` list for undici; the Authorization values and the first
 * `x-functions-key` are returned for the front's own checks.
 */

export interface PreparedHeaders {
  /** Flat name/value list to forward (names as the client spelled them). */
  forward: string[];
  /** Every Authorization header value, in order. */
  authorization: string[];
  /** The first `x-functions-key` value. */
  functionsKey: string | undefined;
  host: string | undefined;
  /** The `Upgrade` header's value (lower-cased), for WebSocket requests. */
  upgrade: string | undefined;
}

export interface RefusedHeaders {
  refused: string;
}

const DROP_PREFIXES = ['x-ms-client-principal', 'x-ms-token-', 'x-forwarded-', 'x-auth-request-'];
const DROP = new Set([
  'forwarded',
  'x-real-ip',
  'x-original-url',
  'x-rewrite-url',
  'x-zumo-auth',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  // hop-by-hop (RFC 9110 §7.6.1) and what undici sets itself
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'expect',
  'http2-settings',
]);

/** Names a `Connection` header may not list: removing them would strip what a later hop relies on. */
const PROTECTED = new Set([
  'authorization',
  'host',
  'content-length',
  'content-type',
  'cookie',
  'transfer-encoding',
  'x-functions-key',
  'forwarded',
]);
const PROTECTED_PREFIXES = ['x-ms-', 'x-forwarded-'];

/** Underscore spellings that must never reach a server that folds `_` into `-`. */
const UNDERSCORE_SENSITIVE = new Set([
  'authorization',
  'host',
  'content-length',
  'transfer-encoding',
  'cookie',
]);

const isReserved = (norm: string): boolean => {
  if (DROP.has(norm)) return true;
  for (const p of DROP_PREFIXES) if (norm.startsWith(p)) return true;
  return false;
};

export function prepareHeaders(raw: readonly string[]): PreparedHeaders | RefusedHeaders {
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      for (const token of raw[i + 1]!.split(',')) {
        const t = token.trim().toLowerCase().replaceAll('_', '-');
        if (t === '' || t === 'close' || t === 'keep-alive' || t === 'upgrade') continue;
        if (PROTECTED.has(t) || PROTECTED_PREFIXES.some((p) => t.startsWith(p))) {
          return { refused: `the Connection header names ${t}, an end-to-end header the front must deliver` };
        }
        named ??= new Set();
        named.add(t);
      }
    }
  }
  const forward: string[] = [];
  const authorization: string[] = [];
  let functionsKey: string | undefined;
  let host: string | undefined;
  let upgrade: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    const norm = lower.includes('_') ? lower.replaceAll('_', '-') : lower;
    if (norm !== lower && UNDERSCORE_SENSITIVE.has(norm)) continue;
    if (lower === 'authorization') authorization.push(value);
    else if (lower === 'host') {
      // RFC 9112 §3.2: more than one Host is a 400 (Node's parser lets it through; which one would decide?).
      if (host !== undefined) return { refused: 'the request has more than one Host header' };
      host = value;
    } else if (lower === 'upgrade') upgrade ??= value.toLowerCase();
    else if (lower === 'x-functions-key') functionsKey ??= value;
    if (isReserved(norm) || named?.has(norm)) continue;
    forward.push(name, value);
  }
  return { forward, authorization, functionsKey, host, upgrade };
}
