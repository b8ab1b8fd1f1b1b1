/**
 * @module gateway/front
 * One gateway's listener: each request is matched to an API and operation, its subscription key checked, and
 * the operation's compiled pipeline run (for the request's product context); then the answer the policies left
 * is written, its body streamed from the backend when no policy replaced it. Unmatched requests get APIM's 404
 * `Resource not found`; every refusal carries APIM's JSON body and Lanyard's `x-lanyard-hint` header.
 *
 * `reconfigure` swaps the compiled gateway between requests: a request in flight finishes on the configuration
 * it started with.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type tls from 'node:tls';
import { LanyardError } from '../errors/lanyard-error.ts';
import { readBoundedBody } from '../http/http.ts';
import { type Listener, type ListenerLimits, logField, startListener } from '../http/listener.ts';
import type { Logger } from '../http/logger.ts';
import { newPipelineState } from '../http/pipeline.ts';
import type { CompiledGateway } from './compile-gateway.ts';
import { finishPreflight, isPreflight } from './policies/cors.ts';
import type { GatewayServices } from './policy/services.ts';
import { checkAccess, subscriptionKeyOf } from './runtime/access.ts';
import { BackendBody } from './runtime/backend-client.ts';
import type { GatewayContext } from './runtime/context.ts';
import { HeaderMap } from './runtime/headers.ts';
import { GatewayRefusal } from './runtime/refusal.ts';
import { rememberTrace, type TraceStore, tracingOn } from './runtime/traces.ts';

export interface GatewayFrontOptions {
  readonly compiled: CompiledGateway;
  readonly services: GatewayServices;
  /** The keyed hash subscription keys are stored under. */
  readonly hashKey: (key: string) => string;
  readonly host: string;
  readonly port: number;
  readonly tls?: Pick<tls.TlsOptions, 'key' | 'cert' | 'SNICallback'> | undefined;
  readonly limits?: Partial<ListenerLimits> | undefined;
  readonly logger?: Logger | undefined;
  readonly traces?: TraceStore | undefined;
  /** `context.Deployment.Region`. */
  readonly region?: string | undefined;
}

export interface GatewayFront {
  readonly url: string;
  readonly listener: Listener;
  reconfigure(compiled: CompiledGateway): void;
  close(): Promise<void>;
}

/** The most of a request body the gateway holds in memory for an expression that reads it. */
export const EXPRESSION_BODY_LIMIT = 4 * 1024 * 1024;

const NOT_FOUND = Buffer.from(JSON.stringify({ statusCode: 404, message: 'Resource not found' }));

function sendJson(res: ServerResponse, status: number, body: Buffer, hint?: string): void {
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
  };
  if (hint) headers['x-lanyard-hint'] = HeaderMap.printable(hint);
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * Streams a body to the caller: the backend's straight from its socket handler (`BackendBody.relayTo`), any
 * other stream by `pipe` with two listeners, not `stream.pipeline`, which makes and aborts an AbortController
 * (and a DOMException) per response (docs/performance.md, "Gateway"). A failed read ends the caller's
 * connection; a caller that goes away stops the read.
 */
function relay(body: Readable, res: ServerResponse): void {
  if (body instanceof BackendBody) {
    body.relayTo(res);
    return;
  }
  body.once('error', () => res.destroy());
  res.once('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  body.pipe(res);
}

/** The answer the policies left (200 and no body when nothing answered), its body streamed or written. */
function writeResponse(ctx: GatewayContext, res: ServerResponse): void {
  const r = ctx.response;
  if (!r) {
    res.writeHead(200, { 'content-length': 0 });
    res.end();
    return;
  }
  const headers = r.headers;
  if (r.body.kind === 'bytes') headers.set('Content-Length', [String(r.body.bytes.length)]);
  else if (r.body.kind === 'none') headers.set('Content-Length', ['0']);
  res.writeHead(r.status, r.reason || undefined, headers.flat());
  if (r.body.kind === 'bytes') res.end(r.body.bytes);
  else if (r.body.kind === 'none') res.end();
  else relay(r.body.stream, res);
}

export async function startGatewayFront(o: GatewayFrontOptions): Promise<GatewayFront> {
  let compiled = o.compiled;
  const region = o.region ?? 'local';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const gateway = compiled;
    const scheme = o.tls ? 'https' : 'http';
    let originalUrl: URL;
    try {
      originalUrl = new URL(req.url ?? '/', `${scheme}://${req.headers.host ?? 'localhost'}`);
    } catch {
      sendJson(res, 400, Buffer.from(JSON.stringify({ statusCode: 400, message: 'Bad request' })));
      return;
    }
    const apiMatch = gateway.matchApi(originalUrl.pathname);
    const method = req.method ?? 'GET';
    const headers = HeaderMap.fromRaw(req.rawHeaders);
    let opMatch = apiMatch && gateway.matchOperation(apiMatch.api, method, apiMatch.rest);
    // A CORS preflight with no OPTIONS operation of its own is the policy's of the operation it asks about, and
    // carries no subscription key: its `cors` policies answer it (an empty 200 when none matches).
    const preflight = !opMatch && apiMatch !== undefined && isPreflight(method, headers);
    if (preflight) {
      const asked = headers.joined('access-control-request-method')?.trim().toUpperCase() ?? '';
      opMatch = gateway.matchOperation(apiMatch.api, asked, apiMatch.rest);
    }
    if (!apiMatch || !opMatch) {
      logField(res, 'reason', 'ResourceNotFound');
      sendJson(
        res,
        404,
        NOT_FOUND,
        apiMatch
          ? `No operation of API ${apiMatch.api.definition.name} matches ${method} ${originalUrl.pathname}.`
          : `No API of gateway ${gateway.definition.name} has a path that starts ${originalUrl.pathname}.`,
      );
      return;
    }
    const { api, rest } = apiMatch;
    const { operation, parameters } = opMatch;
    if (preflight && !operation.preflight) {
      logField(res, 'reason', 'ResourceNotFound');
      sendJson(res, 404, NOT_FOUND, `No cors policy of API ${api.definition.name} answers this preflight.`);
      return;
    }
    let access: ReturnType<typeof checkAccess> | undefined;
    let accessRefusal: GatewayRefusal | undefined;
    if (!preflight) {
      const key = subscriptionKeyOf(api, (n) => headers.joined(n), originalUrl);
      try {
        access = checkAccess(gateway, api, key, o.hashKey);
      } catch (err) {
        if (!(err instanceof GatewayRefusal)) throw err;
        accessRefusal = err;
      }
    }
    const product = access?.product;
    const pipeline =
      preflight && operation.preflight
        ? operation.preflight
        : (operation.pipelines.get(product?.name ?? '') ?? operation.pipelines.get('')!);
    const backendUrl = new URL(
      `${api.serviceBase}/${rest.map(encodeURIComponent).join('/')}${originalUrl.search}`,
    );
    const s = access?.subscription;
    const traced =
      (s?.allowTracing === true && headers.joined('ocp-apim-trace')?.toLowerCase() === 'true') ||
      (o.traces !== undefined && tracingOn(o.traces, gateway.definition.name));
    const length = Number(req.headers['content-length']);
    const ctx: GatewayContext = {
      pipeline: newPipelineState(traced),
      requestId: randomUUID(),
      startedAt: performance.now(),
      timestamp: new Date(),
      clientIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
      originalUrl,
      originalMethod: method,
      gateway: { name: gateway.definition.name, region },
      api: { id: api.definition.name, name: api.definition.displayName, path: api.definition.path },
      operation: {
        id: operation.definition.name,
        name: operation.definition.displayName,
        method: operation.definition.method,
        urlTemplate: operation.definition.urlTemplate,
      },
      product: product ? { id: product.name, name: product.displayName } : undefined,
      subscription: s
        ? {
            id: s.name,
            name: s.displayName,
            key: access?.key ?? '',
            primaryKey: '',
            secondaryKey: '',
            allowTracing: s.allowTracing,
          }
        : undefined,
      matchedParameters: parameters,
      request: {
        method,
        url: backendUrl,
        headers,
        body:
          method === 'GET' ||
          method === 'HEAD' ||
          (req.headers['content-length'] === undefined && !req.headers['transfer-encoding'])
            ? { kind: 'none' }
            : { kind: 'stream', stream: req, length: Number.isFinite(length) ? length : undefined },
      },
      response: undefined,
      variables: new Map(),
      lastError: undefined,
      accessRefusal,
      trace: traced ? [] : undefined,
    };
    if (operation.readsRequestBody && ctx.request.body.kind === 'stream') {
      try {
        ctx.request.body = { kind: 'bytes', bytes: await readBoundedBody(req, EXPRESSION_BODY_LIMIT) };
      } catch (err) {
        if (!(err instanceof LanyardError) || err.code !== 'ERR_REQUEST_TOO_LARGE') throw err;
        sendJson(
          res,
          413,
          Buffer.from(JSON.stringify({ statusCode: 413, message: 'Request entity too large' })),
          `A policy expression of this operation reads context.Request.Body; bodies up to ${EXPRESSION_BODY_LIMIT / 1024 / 1024} MiB are read for it.`,
        );
        return;
      }
    }
    logField(res, 'api', api.definition.name);
    logField(res, 'operation', operation.definition.name);
    try {
      await pipeline.run(ctx);
    } catch (err) {
      // A failure inside on-error: APIM's last resort.
      o.logger?.error(
        { err, gateway: gateway.definition.name, api: api.definition.name },
        'gateway on-error failed',
      );
      if (ctx.response?.body.kind === 'stream') ctx.response.body.stream.resume();
      ctx.response = undefined;
      if (!res.headersSent) {
        sendJson(
          res,
          500,
          Buffer.from(JSON.stringify({ statusCode: 500, message: 'Internal server error' })),
        );
      }
      return;
    }
    if (preflight) finishPreflight(ctx);
    if (ctx.lastError) logField(res, 'reason', ctx.lastError.reason);
    if (ctx.trace && o.traces) {
      const id = rememberTrace(o.traces, ctx);
      ctx.response?.headers.set('Apim-Trace-Id', [id]);
    }
    if (ctx.request.body.kind === 'stream' && !ctx.request.body.stream.readableEnded) req.resume();
    writeResponse(ctx, res);
  };

  const listener = await startListener({
    name: `gateway ${o.compiled.definition.name}`,
    host: o.host,
    port: o.port,
    tls: o.tls,
    limits: { requestTimeout: 300_000, ...o.limits },
    logger: o.logger,
    requestLog: o.logger
      ? { logger: o.logger, level: 'debug', fields: { gateway: o.compiled.definition.name } }
      : undefined,
    handler: (req, res) => {
      handle(req, res).catch((err: unknown) => {
        o.logger?.error({ err, gateway: compiled.definition.name }, 'gateway request failed');
        if (!res.headersSent) {
          sendJson(
            res,
            500,
            Buffer.from(JSON.stringify({ statusCode: 500, message: 'Internal server error' })),
          );
        } else {
          res.destroy();
        }
      });
    },
  });

  return {
    url: listener.origin,
    listener,
    reconfigure(next) {
      compiled = next;
    },
    close: () => listener.close(),
  };
}
