/**
 * @module easyauth/respond
 * Carries out a decision on the HTTP response: a refusal (audit row first, then Azure's status and body, and
 * `WWW-Authenticate` as easyauth/refusal builds it), `/.auth/me`'s JSON, or the request forwarded to the app
 * (502/504 when the app cannot answer). Every refusal is an audit event (plane `easyauth`) with its reason —
 * never the token, never the query (it may carry a Functions key).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditEvent } from '../audit/audit-log.ts';
import type { Decision, ForwardDecision, FrontRequest, RefuseDecision } from './decide.ts';
import { forward, upstreamFailureStatus } from './forward.ts';
import type { Front } from './front.ts';
import { canonicalTarget } from './paths.ts';
import { authMeBody } from './principal.ts';
import { AZURE_DENIED_BODY, type Refusal, wwwAuthenticate } from './refusal.ts';

/** Answers one request as decided; a promise when an audit row is written first (every refusal). */
export function respond(
  front: Front,
  decision: Decision,
  request: FrontRequest,
  req: IncomingMessage,
  res: ServerResponse,
): void | Promise<void> {
  if (decision.kind === 'forward') {
    if (decision.ignored === undefined) {
      send(front, decision, req, res);
      return;
    }
    return audit(front, decision.ignored, request, decision.matchPath, 'token.ignore').then(() =>
      send(front, decision, req, res),
    );
  }
  if (decision.kind === 'me') {
    const body = JSON.stringify(authMeBody(decision.claims, decision.token));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(request.method === 'HEAD' ? undefined : body);
    return;
  }
  return refuse(front, decision, request, res);
}

async function refuse(
  front: Front,
  decision: RefuseDecision,
  request: FrontRequest,
  res: ServerResponse,
): Promise<void> {
  await auditDecision(front, decision, request);
  const refusal = decision.refusal;
  const body = refusalBody(front, refusal);
  res.writeHead(refusal.status, [
    ...refusalHeaders(front, refusal),
    'content-length',
    String(Buffer.byteLength(body)),
  ]);
  res.end(request.method === 'HEAD' ? undefined : body);
}

function send(front: Front, decision: ForwardDecision, req: IncomingMessage, res: ServerResponse): void {
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  forward(
    front.upstream,
    req.method ?? 'GET',
    decision.path,
    decision.headers,
    hasBody ? req : null,
    res,
    upstreamFailed,
    front,
  );
}

/** The app could not answer (refused, timed out, reset) before any response header: 502 or 504. */
function upstreamFailed(err: Error, res: ServerResponse, front: Front): void {
  const status = upstreamFailureStatus(err);
  const code = (err as { code?: string }).code ?? err.name;
  const target = canonicalTarget(res.req.url);
  front.logger?.warn(
    { resource: front.resource.name, code, path: target.ok ? target.matchPath : undefined },
    'easy auth upstream failed',
  );
  const body =
    front.config.diagnostics === 'full'
      ? `Lanyard Easy Auth could not get an answer from ${front.config.upstream} (${code}).`
      : 'Bad Gateway';
  if (!res.headersSent) {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  }
  res.end(body);
}

/** The rows a refused request leaves: the token it ignored first (when one was), then the refusal. */
export async function auditDecision(
  front: Front,
  decision: RefuseDecision,
  request: FrontRequest,
): Promise<void> {
  if (decision.ignored) await audit(front, decision.ignored, request, decision.matchPath, 'token.ignore');
  await audit(front, decision.refusal, request, decision.matchPath);
}

/** Writes the audit row of a refusal; a failed write is logged, never the caller's problem. */
export async function audit(
  front: Front,
  refusal: Refusal,
  request: FrontRequest,
  matchPath: string | undefined,
  action = 'request.refuse',
): Promise<void> {
  const claims = refusal.claims;
  const actor = claims ? String(claims.appid ?? claims.azp ?? claims.oid ?? '') || undefined : undefined;
  const event: AuditEvent = {
    plane: 'easyauth',
    action,
    outcome: 'failure',
    tenantId: front.resource.tenantId,
    actor,
    target: front.resource.name,
    reason: refusal.reason,
    details: {
      status: refusal.status,
      method: request.method,
      // The path only: a query may carry a Functions key.
      path: matchPath ?? (request.url ?? '').split('?', 1)[0]!.slice(0, 512),
      message: refusal.message,
      ...(refusal.hint ? { hint: refusal.hint } : {}),
      ...(refusal.expected === undefined ? {} : { expected: refusal.expected }),
      ...(refusal.actual === undefined ? {} : { actual: refusal.actual }),
      ...(claims?.oid === undefined ? {} : { oid: claims.oid }),
      remote: request.remoteAddress,
    },
  };
  try {
    await front.audit.record(event);
  } catch (err) {
    front.logger?.error({ err, reason: refusal.reason }, 'easy auth audit write failed');
  }
}

/** Azure's body for a refusal; the reason itself only for a malformed request, and only with full diagnostics. */
export function refusalBody(front: Front, refusal: Refusal): string {
  if (refusal.category === 'function_key') return '';
  if (refusal.category === 'request') {
    return front.config.diagnostics === 'full' ? `Bad Request: ${refusal.message}.` : 'Bad Request';
  }
  return refusal.status === 404 ? 'Not Found' : AZURE_DENIED_BODY;
}

export function refusalHeaders(front: Front, refusal: Refusal): string[] {
  const headers = ['content-type', 'text/plain; charset=utf-8', 'cache-control', 'no-store'];
  const www = wwwAuthenticate(refusal, front.realm, front.config);
  if (www !== undefined) headers.push('www-authenticate', www);
  return headers;
}
