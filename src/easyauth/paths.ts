/**
 * @module easyauth/paths
 * One canonical request path for both the decision (excluded path? which Functions route?) and the request
 * sent upstream, so that no encoding trick makes the front and the app disagree about which path was asked
 * for (docs/security.md, "Easy Auth: one canonical path"; Envoy, oauth2-proxy and middie all had such bypasses). Ambiguous targets are refused,
 * never "fixed": encoded `/`, `\`, `.`, `%`, `;` and NUL, literal `;`, `\`, `//`, dot segments, segments ending
 * in a dot (IIS drops them), fragments, malformed or non-canonical Unicode (full-width look-alikes).
 * What passes is forwarded byte for byte; matching uses its percent-decoded, lower-cased form (excluded paths
 * are case-insensitive, as on IIS), and never the query string.
 */

export interface CanonicalTarget {
  ok: true;
  /** The raw path as received (it passed every check): what is forwarded. */
  path: string;
  /** Decoded and lower-cased: what patterns are matched against. */
  matchPath: string;
  /** The query without `?`, method-override parameters removed; '' when none. */
  query: string;
  /** Whether an `access_token` parameter is present (a token outside the Authorization header). */
  hasAccessToken: boolean;
  /** The first `code` parameter, decoded (a Functions key). */
  code: string | undefined;
}

export interface RefusedTarget {
  ok: false;
  message: string;
}

// %2F / %5C / %2E / %25 (double encoding) / %3B / %00 / %23, and any encoded control character.
const FORBIDDEN_ENCODED = /%(2f|5c|2e|25|3b|23|[01][0-9a-f]|7f)/i;
const VISIBLE_ASCII = /^[\x21-\x7e]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function refuse(message: string): RefusedTarget {
  return { ok: false, message };
}

function decodeName(part: string): string {
  const name = part.split('=', 1)[0]!.replaceAll('+', ' ');
  try {
    return decodeURIComponent(name).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/** Checks and splits a request target (`req.url`). */
export function canonicalTarget(raw: string | undefined): CanonicalTarget | RefusedTarget {
  const target = raw ?? '';
  if (!target.startsWith('/')) return refuse('the request target must be a path starting with "/"');
  if (!VISIBLE_ASCII.test(target)) return refuse('the request target contains spaces or non-ASCII bytes');
  if (target.includes('#')) return refuse('the request target contains a fragment ("#")');
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const rawQuery = q === -1 ? '' : target.slice(q + 1);
  if (path.includes('\\')) return refuse('the path contains "\\"');
  if (path.includes(';')) return refuse('the path contains ";" (matrix parameters)');
  if (FORBIDDEN_ENCODED.test(path)) {
    return refuse('the path contains an encoded "/", "\\", ".", "%", ";", "#" or control character');
  }
  const segments = path.split('/').slice(1);
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === '' && i < segments.length - 1) return refuse('the path contains "//"');
    if (s === '.' || s === '..') return refuse('the path contains a "." or ".." segment');
    if (s.endsWith('.')) return refuse('a path segment ends with "." (servers differ on dropping it)');
  }
  // Without percent-encoding the path is visible ASCII already: nothing to decode or normalise.
  let decoded = path;
  if (path.includes('%')) {
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return refuse('the path has malformed percent-encoding');
    }
    if (CONTROL.test(decoded)) return refuse('the path decodes to a control character');
    if (decoded.normalize('NFKC') !== decoded) {
      return refuse('the path decodes to characters with look-alike forms (full-width or compatibility)');
    }
  }

  let query = rawQuery;
  let hasAccessToken = false;
  let code: string | undefined;
  if (rawQuery !== '') {
    const kept: string[] = [];
    for (const part of rawQuery.split('&')) {
      const name = decodeName(part);
      // An anonymous GET must never become another method at the app (docs/security.md, "Easy Auth: method overrides").
      if (name === '_method') continue;
      if (name === 'access_token') hasAccessToken = true;
      if (name === 'code' && code === undefined) {
        const value = part.slice(part.indexOf('=') + 1 || part.length).replaceAll('+', ' ');
        try {
          code = decodeURIComponent(value);
        } catch {
          code = value;
        }
      }
      kept.push(part);
    }
    query = kept.join('&');
  }
  return { ok: true, path, matchPath: decoded.toLowerCase(), query, hasAccessToken, code };
}

/** A matcher for `/exact` and `/prefix/*` patterns, case-insensitive; a trailing `/` on the path is ignored. */
export function pathMatcher(patterns: readonly string[]): (matchPath: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of patterns) {
    const lower = p.toLowerCase();
    if (lower.endsWith('/*')) prefixes.push(lower.slice(0, -1));
    else exact.add(lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower);
  }
  if (exact.size === 0 && prefixes.length === 0) return () => false;
  return (matchPath) => {
    const trimmed = matchPath.length > 1 && matchPath.endsWith('/') ? matchPath.slice(0, -1) : matchPath;
    if (exact.has(trimmed)) return true;
    for (const prefix of prefixes) if (matchPath.startsWith(prefix)) return true;
    return false;
  };
}
