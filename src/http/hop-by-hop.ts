/**
 * @module http/hop-by-hop
 * Headers that belong to one connection, not to the message (RFC 9110 §7.6.1): a proxy never forwards them, nor
 * any header the message's own `Connection` header names. Easy Auth and the gateway both forward requests and
 * answers, and drop the same set.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The lower-case header names a `Connection` value lists, or undefined for none. `keep-alive` and `close`
 * (what almost every peer sends) name no other header, so the common case allocates nothing.
 */
export function namedByConnection(
  connection: string | readonly string[] | undefined,
): Set<string> | undefined {
  if (connection === undefined || connection === 'keep-alive' || connection === 'close') return undefined;
  const names = new Set(
    (typeof connection === 'string' ? connection : connection.join(','))
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
  return names.size ? names : undefined;
}
