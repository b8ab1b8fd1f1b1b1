/**
 * @module management/graph/request
 * One Graph call as its handlers see it — the caller and its tenant's directory view — and Graph's answers:
 * a collection (`@odata.context`, `value`, `@odata.count` when asked, `@odata.nextLink` back at Lanyard while
 * pages remain), a single entity (`@odata.context` ending in `/$entity`), and the headers every answer
 * carries (`request-id`, the caller's `client-request-id` echoed, `x-ms-ags-diagnostic`, `OData-Version`).
 */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../http/http.ts';
import type { Caller } from '../arm/auth.ts';
import type { GraphTenantView } from './directory-view.ts';
import { encodeSkipToken, type GraphObject, pageOf, parseSelect, select } from './query.ts';

export interface GraphRequest {
  readonly http: RequestContext;
  readonly caller: Caller;
  readonly view: GraphTenantView;
  /** `https://<host>` the caller used: links point back at it. */
  readonly origin: string;
}

export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export const CONTENT_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

export interface GraphIds {
  readonly requestId: string;
  readonly clientRequestId: string;
}

export function graphIds(http: RequestContext): GraphIds {
  const requestId = randomUUID();
  const sent = http.req.headers['client-request-id'];
  const clientRequestId = typeof sent === 'string' && /^[\x21-\x7e]{1,200}$/.test(sent) ? sent : requestId;
  return { requestId, clientRequestId };
}

export function graphHeaders(ids: GraphIds): Record<string, string> {
  return {
    'request-id': ids.requestId,
    'client-request-id': ids.clientRequestId,
    'x-ms-ags-diagnostic': JSON.stringify({
      ServerInfo: { DataCenter: 'Lanyard', Slice: 'E', Ring: '0', ScaleUnit: '000', RoleInstance: 'lanyard' },
    }),
    'OData-Version': '4.0',
    'Cache-Control': 'no-cache',
  };
}

export function originOf(http: RequestContext): string {
  const host = String(http.req.headers.host ?? 'localhost');
  return `https://${/^[A-Za-z0-9.:[\]-]{1,300}$/.test(host) ? host : 'localhost'}`;
}

/** `…/v1.0/$metadata#servicePrincipals`, with `(a,b)` when `$select` narrowed it. */
function context(r: GraphRequest, entitySet: string, selected: readonly string[] | undefined): string {
  return `${r.origin}/v1.0/$metadata#${entitySet}${selected ? `(${selected.join(',')})` : ''}`;
}

/** A collection answer: the page asked for, filtered and selected already by the caller of this. */
export function collection(r: GraphRequest, entitySet: string, items: readonly GraphObject[]): Answer {
  const q = r.http.query;
  const selected = parseSelect(q.get('$select'));
  const page = pageOf(items, q);
  const body: GraphObject = { '@odata.context': context(r, entitySet, selected) };
  if (q.get('$count')?.toLowerCase() === 'true') body['@odata.count'] = items.length;
  if (page.next !== undefined) {
    const next = new URLSearchParams(q);
    next.set('$skiptoken', encodeSkipToken(page.next));
    body['@odata.nextLink'] = `${r.origin}${r.http.path}?${next.toString()}`;
  }
  body.value = page.value.map((o) => select(o, selected));
  return { status: 200, body };
}

/** A single entity, `$select` applied. */
export function entity(r: GraphRequest, entitySet: string, o: GraphObject, status = 200): Answer {
  const selected = parseSelect(r.http.query.get('$select'));
  return {
    status,
    body: { '@odata.context': `${context(r, entitySet, selected)}/$entity`, ...select(o, selected) },
  };
}
