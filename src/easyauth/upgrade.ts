/**
 * @module easyauth/upgrade
 * WebSocket upgrades: decided as any request (the same token, path and key checks), then relayed to the app
 * through the front's pool. Anything else that asks to upgrade, or a decision to answer `/.auth/me`, is refused
 * with 400 `upgrade_refused`. Refusals are written straight to the socket: no `ServerResponse` owns it.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { rawResponse } from '../http/listener.ts';
import { decide, type FrontRequest, requestRefusal } from './decide.ts';
import { forwardUpgrade, upstreamFailureStatus } from './forward.ts';
import type { Front } from './front.ts';
import type { Refusal } from './refusal.ts';
import { audit, auditDecision, refusalBody, refusalHeaders } from './respond.ts';

/** Decides and relays one upgrade; `tunnels` holds the live ones, so closing the front can end them. */
export async function handleUpgrade(
  front: Front,
  request: FrontRequest,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  tunnels: Set<Duplex>,
): Promise<void> {
  const decision = await decide(request, front);
  if (decision.kind === 'refuse') {
    await auditDecision(front, decision, request);
    refuse(front, decision.refusal, socket);
    return;
  }
  if (decision.kind === 'forward' && decision.ignored) {
    await audit(front, decision.ignored, request, decision.matchPath, 'token.ignore');
  }
  if (decision.kind !== 'forward' || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    const refusal = requestRefusal('upgrade_refused', 'only WebSocket upgrades are passed through');
    await audit(front, refusal, request, decision.kind === 'me' ? undefined : decision.matchPath);
    refuse(front, refusal, socket);
    return;
  }
  forwardUpgrade(
    front.upstream,
    { path: decision.path, headers: decision.headers, upgrade: 'websocket' },
    socket,
    head,
    tunnels,
    (err) => {
      socket.end(
        rawResponse(upstreamFailureStatus(err), ['content-type', 'text/plain; charset=utf-8'], 'Bad Gateway'),
      );
    },
  );
}

function refuse(front: Front, refusal: Refusal, socket: Duplex): void {
  socket.end(rawResponse(refusal.status, refusalHeaders(front, refusal), refusalBody(front, refusal)));
}
