/**
 * @module http/http
 * The small HTTP toolkit every JSON route group shares: the request path split into canonical segments,
 * bounded JSON body reading, JSON responses with safe headers, and the mapping from errors to responses.
 * No framework: the planes need only this much, and every byte of request parsing stays in view.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLanyardError, LanyardError } from '../errors/lanyard-error.ts';
import type { Logger } from './logger.ts';

/** Headers on every JSON response: never cached (bodies hold secrets once), never content-sniffed. */
export const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
} as const;

export const ADMIN_BODY_LIMIT = 1024 * 1024;

/** One request as route groups see it. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** The raw path, without the query string; what the request log shows. */
  readonly path: string;
  /** The path's segments, each percent-decoded exactly once. */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  readonly logger: Logger;
}

export interface ParsedTarget {
  path: string;
  segments: string[];
  query: URLSearchParams;
}

/**
 * Splits a request target into path segments and query. Only origin-form targets (`/…`) are accepted, and
 * ambiguous paths are refused rather than normalised (docs/security.md, "Easy Auth: one canonical path"): empty segments (`//`), `.` and
 * `..` (literal or encoded), malformed percent-encoding, and control characters after decoding. A segment may
 * decode to text containing `/` (an identifier URI such as `api://orders`): it stays one segment.
 */
export function parseTarget(url: string | undefined): ParsedTarget {
  let target = url ?? '';
  // The ARM SDKs join their endpoint and a scope that starts with "/" into `//subscriptions/…` (scope-based
  // routes such as role assignments), and Resource Manager takes it: one leading "//" before an ARM path only.
  if (/^\/\/(subscriptions|providers)\//i.test(target)) target = target.slice(1);
  if (!target.startsWith('/')) throw badPath('The request target must be a path starting with "/".');
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : target.slice(q + 1));
  if (path.includes('#')) throw badPath('The request path must not contain "#".');
  const raw = path === '/' ? [] : path.slice(1).split('/');
  const segments = raw.map((segment, i) => {
    if (segment === '' && i !== raw.length - 1)
      throw badPath('The request path has an empty segment ("//").');
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw badPath('The request path has a malformed percent-encoding.');
    }
    if (decoded === '.' || decoded === '..') throw badPath('The request path has a "." or ".." segment.');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (/[\u0000-\u001f\u007f]/.test(decoded)) throw badPath('The request path has a control character.');
    return decoded;
  });
  // A trailing slash leaves one empty last segment; routes never match it, so it ends in a 404, not a redirect.
  return { path, segments, query };
}

function badPath(message: string): LanyardError {
  return new LanyardError('ERR_VALIDATION', message, {
    hint: 'Percent-encode each path segment once (encodeURIComponent), e.g. api%3A%2F%2Forders for api://orders.',
  });
}

/**
 * Reads and parses a JSON body of at most `limit` bytes. A larger body is refused as soon as its declared
 * length or the bytes received pass the limit, without buffering the rest. An empty body reads as undefined.
 */
export async function readJsonBody(req: IncomingMessage, limit = ADMIN_BODY_LIMIT): Promise<unknown> {
  const body = await readBoundedBody(req, limit);
  const size = body.length;
  if (size === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new LanyardError('ERR_BAD_JSON', 'The request body is not valid UTF-8.');
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // JSON.parse's message quotes the body, which may hold a secret: say only where it broke.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new LanyardError('ERR_BAD_JSON', 'The request body is not valid JSON.', {
      hint: 'Send a JSON object with Content-Type: application/json.',
      ...(at === undefined ? {} : { details: { position: Number(at) } }),
    });
  }
}

/**
 * Collects the raw body up to `limit` bytes (413 ERR_REQUEST_TOO_LARGE past it); route groups with other body
 * formats (the token endpoint's form bodies) use it with their own limit. Listening to `data` rather than async iteration matters: leaving a
 * `for await` early destroys the request and its socket, and the 413 could never be sent.
 */
export function readBoundedBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new LanyardError('ERR_REQUEST_TOO_LARGE', `The request body is larger than ${limit} bytes.`, {
      details: { limit },
    });
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge());
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop here; the error response carries `Connection: close`, so the rest is dropped, never buffered.
        cleanup();
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(
        new LanyardError('ERR_VALIDATION', 'The request body could not be read to its end.', { cause: err }),
      );
    };
    const onClose = () => onError(new Error('connection closed before the body ended'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, ...headers, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Sends the response for a thrown error: a LanyardError as its status and `toJSON()` body; anything else as
 * a 500 with a generic message, its detail going only to the log. A request whose body was not read to the
 * end (too large, or refused before reading) is answered with `Connection: close` so the rest is discarded.
 */
export function sendError(ctx: Pick<RequestContext, 'req' | 'res' | 'logger'>, err: unknown): void {
  const headers: Record<string, string> = {};
  if (!ctx.req.complete) headers.Connection = 'close';
  if (isLanyardError(err)) {
    if (err.code === 'ERR_ADMIN_UNAUTHORIZED') headers['WWW-Authenticate'] = 'Bearer realm="lanyard-admin"';
    if (err.code === 'ERR_ADMIN_METHOD' && Array.isArray(err.details?.allow))
      headers.Allow = (err.details.allow as string[]).join(', ');
    sendJson(ctx.res, err.status, err.toJSON(), headers);
    return;
  }
  ctx.logger.error({ err }, 'unexpected error while handling a request');
  sendJson(
    ctx.res,
    500,
    new LanyardError('ERR_INTERNAL', 'Lanyard failed to handle the request; the server log has the detail.', {
      hint: 'Run with LANYARD_LOG_LEVEL=debug and report the logged error if it repeats.',
    }).toJSON(),
    headers,
  );
}
