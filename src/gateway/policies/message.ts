/**
 * @module gateway/policies/message
 * Which message a shaping policy changes, and how a body a policy sets is made. In `inbound` and `backend` a
 * policy shapes the request the backend will get; in `outbound` and `on-error` the answer the caller will get.
 * Inside `return-response` (and only there) `set-status`, `set-header` and `set-body` shape the answer being
 * built instead, whatever the section: that answer is kept here, per request, while its children run.
 *
 * A body a policy sets is bytes, bounded by `MAX_POLICY_BODY`. The message's own `Content-Length` and
 * `Transfer-Encoding` are dropped with the old body: the sender frames the new bytes (writes their length)
 * when it sends them, so no stale length can ever go out with them.
 */
import { STATUS_CODES } from 'node:http';
import { LanyardError } from '../../errors/lanyard-error.ts';
import { formatValue } from '../expressions/index.ts';
import type { Dynamic } from '../policy/attributes.ts';
import type { CompileContext, CompiledPolicy } from '../policy/contract.ts';
import type { Body, GatewayContext, GatewayResponse } from '../runtime/context.ts';
import { HeaderMap } from '../runtime/headers.ts';
import { RequestLocal } from '../runtime/request-local.ts';

/** The largest body a policy may set (literal or computed): 1 MiB. */
export const MAX_POLICY_BODY = 1024 * 1024;

const building = new RequestLocal<GatewayResponse>();

/** The answer `return-response` is building for this request, if it is running now. */
export function responseUnderConstruction(ctx: GatewayContext): GatewayResponse | undefined {
  return building.get(ctx);
}

/** Runs `fill` (the children of `return-response`) with `start` as the message they shape; returns it. */
export async function constructResponse(
  ctx: GatewayContext,
  start: GatewayResponse,
  fill: CompiledPolicy,
): Promise<GatewayResponse> {
  building.set(ctx, start);
  try {
    const pending = fill.run(ctx);
    if (pending !== undefined) await pending;
  } finally {
    building.delete(ctx);
  }
  return start;
}

/** APIM's reason phrase for a code (`OK`, `Not Found`), or '' for a code without one. */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? '';
}

/** A new answer: the status, its standard reason, no headers, no body (what `<return-response/>` sends). */
export function emptyResponse(status = 200): GatewayResponse {
  return { status, reason: reasonPhrase(status), headers: new HeaderMap(), body: { kind: 'none' } };
}

/** Whether a shaping policy changes the backend request here (else the caller's answer). */
export function shapesRequest(ctx: GatewayContext): boolean {
  if (building.has(ctx)) return false;
  const phase = ctx.pipeline.phase;
  return phase === 'inbound' || phase === 'backend';
}

/**
 * The answer a policy shapes: the one being built, else the current one. In `inbound` there is none yet; one is
 * made (200, empty) so `set-status` has something to set — the backend's answer replaces it when the request is
 * forwarded.
 */
export function responseOf(ctx: GatewayContext): GatewayResponse {
  const b = building.get(ctx);
  if (b) return b;
  ctx.response ??= emptyResponse();
  return ctx.response;
}

/** UTF-8 bytes of a body a policy computed, refused past the bound. */
export function bodyBytes(text: string, label: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > MAX_POLICY_BODY) {
    throw new LanyardError(
      'ERR_GATEWAY_POLICY_RUNTIME',
      `${label}: the body is ${bytes.length} bytes; a policy may set at most ${MAX_POLICY_BODY}`,
    );
  }
  return bytes;
}

/** Lets a stream nobody will read drain, so its connection is freed (the caller's upload, a backend answer). */
export function dropBody(body: Body): void {
  if (body.kind === 'stream') body.stream.resume();
}

/** Makes `next` the caller's answer; the body of the answer it replaces is drained unless `next` carries it on. */
export function replaceResponse(ctx: GatewayContext, next: GatewayResponse): void {
  const old = ctx.response;
  if (old && old !== next && old.body !== next.body) dropBody(old.body);
  ctx.response = next;
}

/** Replaces the body of the message this policy shapes. */
export function setBody(ctx: GatewayContext, bytes: Buffer): void {
  const message = shapesRequest(ctx) ? ctx.request : responseOf(ctx);
  dropBody(message.body);
  message.body = { kind: 'bytes', bytes };
  message.headers.delete('Content-Length');
  message.headers.delete('Transfer-Encoding');
}

/**
 * A text value for this request: the constant, or the expression's result as C#'s `ToString()` writes it
 * (`True`, not `true`; null is '').
 */
export function textOf(d: Dynamic<string>, ctx: GatewayContext, cc: CompileContext): string {
  if (d.kind === 'constant') return d.value;
  return formatValue(d.expression.evaluate(cc.expressions(ctx)));
}
