/**
 * @module gateway/policies/backend-url
 * The backend URL as the URL policies see it: a **base** (the API's service URL, or what `set-backend-service`
 * put in its place) followed by the **operation path** (what followed the API's path suffix in the caller's URL,
 * or what `rewrite-uri` put in its place), then the **query**. `set-backend-service` changes only the base,
 * `rewrite-uri` only the path and query, `set-query-parameter` only the query — so they compose in any order,
 * as in API Management.
 *
 * `ctx.request.url` stays the one truth: the split is derived from it (its path ends with the operation path
 * the caller sent) and remembered per request, and derived again if something else replaced the URL.
 *
 * The query is edited as raw text, parameter by parameter, so parameters a policy does not touch go to the
 * backend exactly as the caller encoded them. Every URL a policy builds is bounded by `MAX_BACKEND_URL`.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { GatewayContext } from '../runtime/context.ts';
import { RequestLocal } from '../runtime/request-local.ts';

/** The longest backend URL a policy may build (16 KiB, within what common servers accept). */
export const MAX_BACKEND_URL = 16 * 1024;

interface Split {
  /** Origin + base path, no trailing slash (`http://backend/api`). */
  readonly base: string;
  /** The operation path: '' or starting with '/' (`/orders/42`). */
  readonly path: string;
}

const splits = new RequestLocal<Split & { readonly seen: string }>();

/** The caller's operation path as segments: their path after the API's path suffix, empty segments dropped. */
function callerOperationSegments(ctx: GatewayContext): string[] {
  const skip = ctx.api.path.split('/').filter((s) => s !== '').length;
  return ctx.originalUrl.pathname
    .split('/')
    .filter((s) => s !== '')
    .slice(skip);
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Base and operation path of the current backend URL. The operation path is the tail of the URL's path that
 * holds the caller's operation segments — compared decoded, since the front may encode a segment otherwise than
 * the caller did (`;` as `%3B`) — in the URL's own encoding, with its trailing slash.
 */
export function splitBackendUrl(ctx: GatewayContext): Split {
  const url = ctx.request.url;
  const known = splits.get(ctx);
  if (known && known.seen === url.origin + url.pathname) return known;
  const parts = url.pathname.split('/');
  const trailing = parts.length > 2 && parts.at(-1) === '';
  const segments = trailing ? parts.slice(0, -1) : parts;
  const op = callerOperationSegments(ctx);
  const at = segments.length - op.length;
  // When the path no longer ends with what the caller sent (a policy outside this module changed it), the
  // whole path counts as the base.
  const split =
    op.length > 0 && at >= 1 && op.every((s, i) => decoded(s) === decoded(segments[at + i]!))
      ? {
          base: url.origin + segments.slice(0, at).join('/'),
          path: `/${segments.slice(at).join('/')}${trailing ? '/' : ''}`,
        }
      : { base: url.origin + url.pathname.replace(/\/$/, ''), path: '' };
  splits.set(ctx, { ...split, seen: url.origin + url.pathname });
  return split;
}

/** Sets the backend URL from its three parts; `query` is raw (`a=1&b=2`, no `?`). */
export function setBackendUrl(
  ctx: GatewayContext,
  base: string,
  path: string,
  query: string,
  label: string,
): void {
  const text = `${base.replace(/\/$/, '')}${path}${query === '' ? '' : `?${query}`}`;
  if (text.length > MAX_BACKEND_URL) {
    throw new LanyardError(
      'ERR_GATEWAY_POLICY_RUNTIME',
      `${label}: the backend URL would be ${text.length} characters; at most ${MAX_BACKEND_URL} are allowed`,
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LanyardError(
      'ERR_GATEWAY_POLICY_RUNTIME',
      `${label}: the backend URL would not be a valid URL`,
    );
  }
  ctx.request.url = url;
  splits.set(ctx, { base: base.replace(/\/$/, ''), path, seen: url.origin + url.pathname });
}

/** Replaces only the query of the backend URL; `query` is raw (no `?`). The path is left exactly as it is. */
export function setBackendQuery(ctx: GatewayContext, query: string, label: string): void {
  const url = new URL(ctx.request.url);
  url.search = query === '' ? '' : `?${query}`;
  if (url.href.length > MAX_BACKEND_URL) {
    throw new LanyardError(
      'ERR_GATEWAY_POLICY_RUNTIME',
      `${label}: the backend URL would be ${url.href.length} characters; at most ${MAX_BACKEND_URL} are allowed`,
    );
  }
  ctx.request.url = url;
}

/** One raw `name=value` piece of a query, with its decoded name. */
export interface QueryPiece {
  readonly name: string;
  readonly raw: string;
}

export function decodeQueryPart(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** The pieces of a raw query (`?` optional); empty pieces (`a=1&&b=2`) are dropped. */
export function queryPieces(search: string): QueryPiece[] {
  const q = search.startsWith('?') ? search.slice(1) : search;
  if (q === '') return [];
  return q
    .split('&')
    .filter((p) => p !== '')
    .map((raw) => ({ name: decodeQueryPart(raw.split('=')[0]!), raw }));
}

/** `name=value`, both percent-encoded (a space as `%20`). */
export function queryPiece(name: string, value: string): QueryPiece {
  return { name, raw: `${encodeURIComponent(name)}=${encodeURIComponent(value)}` };
}

export function joinQuery(pieces: readonly QueryPiece[]): string {
  return pieces.map((p) => p.raw).join('&');
}

/** Parameter names of an operation template's query part: `/get?a={b}&c={d}` → a → b, c → d. */
export function templateQueryParams(urlTemplate: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = urlTemplate.split('?')[1];
  if (q === undefined) return out;
  for (const piece of q.split('&')) {
    const m = /^([^=]+)=\{([A-Za-z0-9_.-]{1,64})\}$/.exec(piece);
    if (m) out.set(decodeQueryPart(m[1]!), m[2]!);
  }
  return out;
}
