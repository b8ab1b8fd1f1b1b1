/**
 * @module demo/words
 * Turning what the seed stories' programs saw — status codes, `WWW-Authenticate` headers, AADSTS errors, the
 * principal a function was handed — into short plain sentences, and the shell commands the demo prints for the
 * user to try. Pure functions: the tests check the demo's printed story against these same shapes.
 */
import path from 'node:path';

export interface Refusal {
  /** Easy Auth's reason code (`audience_mismatch`, `token_missing`, …), when the header carries one. */
  reason: string | undefined;
  /** The audience Easy Auth says to request instead, when it says one. */
  useAudience: string | undefined;
  description: string | undefined;
}

/** Reads an Easy Auth `WWW-Authenticate: Bearer realm=…, error=…, error_description="<reason>: …"`. */
export function readWwwAuthenticate(header: string | null | undefined): Refusal {
  const description = header ? /error_description="([^"]*)"/.exec(header)?.[1] : undefined;
  return {
    reason: description ? /^([a-z_]+):/.exec(description)?.[1] : undefined,
    useAudience: description ? /Request a token for (\S+) instead/.exec(description)?.[1] : undefined,
    description,
  };
}

/** "401 audience_mismatch — request cc334b87-… instead", or the description when it names no audience. */
export function describeRefusal(status: number, header: string | null | undefined): string {
  const r = readWwwAuthenticate(header);
  if (r.reason === undefined) return `${status}${r.description ? ` (${r.description})` : ''}`;
  if (r.useAudience) return `${status} ${r.reason} — request ${r.useAudience} instead`;
  const rest = r.description!.slice(r.reason.length + 1).trim();
  return `${status} ${r.reason} — ${rest}`;
}

/** The first sentence of an AADSTS error in a client's error text: `AADSTS501051: Application '…' is not …`. */
export function aadstsOf(message: string): string | undefined {
  return /AADSTS\d+:[^.]*\./.exec(message)?.[0];
}

/** The principal an example function app echoes (examples/seeds/apps/function.mjs). */
export interface EchoedPrincipal {
  id: string | null;
  appid: string | null;
  oid: string | null;
  /** The token's audience. */
  aud: string | null;
  roles: string[];
}

/** The `principal` of an example function's JSON answer, or undefined. */
export function principalFrom(body: unknown): EchoedPrincipal | undefined {
  if (typeof body === 'string') {
    try {
      return principalFrom(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  if (body === null || typeof body !== 'object') return undefined;
  const p = (body as { principal?: unknown }).principal;
  return p && typeof p === 'object' ? (p as EchoedPrincipal) : undefined;
}

export { shellQuote } from '../plane/cli-output.ts';

/** An occurrence as printed: ISO 8601 UTC to the second (`2025-06-01T12:00:00Z`), or `never`. */
export function when(date: Date | null | undefined): string {
  return date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : 'never';
}

/** A path as the user in `cwd` would type it: relative when it is below `cwd`. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
