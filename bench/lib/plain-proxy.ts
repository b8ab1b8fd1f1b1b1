/**
 * The benches' baseline: a plain reverse proxy over one undici Pool, as lean as Node allows — `Pool.dispatch`
 * with a hand-written handler, headers passed as flat arrays, backpressure both ways. bench/easyauth (over
 * HTTPS) and bench/gateway (over HTTP) measure their fronts against it, so both use this one copy.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { type Dispatcher, Pool } from 'undici';
import { HOP_BY_HOP as CONNECTION_HEADERS } from '../../src/http/hop-by-hop.ts';

/** Not forwarded: the hop-by-hop set, and `host` (undici sets the upstream's). */
const HOP_BY_HOP = new Set([...CONNECTION_HEADERS, 'host']);

/** The same pool settings as Easy Auth's forwarder. */
export function openPlainPool(origin: string): Pool {
  return new Pool(origin, {
    connections: 128,
    pipelining: 1,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 600_000,
  });
}

export interface ForwardOptions {
  /** `X-Forwarded-Proto`. */
  readonly proto: 'http' | 'https';
  /** Extra request headers, name, value, … (a bench phase that adds identity headers). */
  readonly extra?: readonly string[] | undefined;
}

/** Forwards one request through `pool` and streams the answer back. */
export function forwardPlain(
  pool: Pool,
  origin: string,
  req: IncomingMessage,
  res: ServerResponse,
  o: ForwardOptions,
): void {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
  }
  if (o.extra) for (const h of o.extra) headers.push(h);
  headers.push(
    'x-forwarded-for',
    req.socket.remoteAddress ?? '',
    'x-forwarded-proto',
    o.proto,
    'x-forwarded-host',
    req.headers.host ?? '',
  );
  let controller: Dispatcher.DispatchController | undefined;
  const onDrain = () => controller?.resume();
  res.on('drain', onDrain);
  res.once('close', () => {
    res.off('drain', onDrain);
    if (!res.writableFinished) controller?.abort(new Error('the client closed the connection'));
  });
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  pool.dispatch(
    {
      origin,
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      path: req.url ?? '/',
      headers,
      body: hasBody ? req : null,
    },
    {
      onRequestStart(c) {
        controller = c;
      },
      onResponseStart(_c, status, resHeaders, message) {
        if (status < 200) return;
        const out: string[] = [];
        for (const [name, value] of Object.entries(resHeaders)) {
          if (value === undefined || HOP_BY_HOP.has(name)) continue;
          if (Array.isArray(value)) for (const v of value) out.push(name, v);
          else out.push(name, value);
        }
        res.writeHead(status, message || http.STATUS_CODES[status], out);
      },
      onResponseData(c, chunk) {
        if (!res.write(chunk)) c.pause();
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError(_c, err) {
        if (res.headersSent) res.destroy(err);
        else res.writeHead(502).end();
      },
    },
  );
}
