/**
 * @module console/web/api
 * Every request the console makes: same origin only, the session cookie sent by the browser, the session's
 * CSRF token in `X-CSRF-Token` on every write, `no-store`. An answer that is not 2xx becomes an `ApiError`
 * carrying the server's `{ error: { code, message, hint?, details? } }` (errors/lanyard-error.ts), shown as
 * the CLI shows it. A 401 tells the session (session.ts) that it has ended. Paths are built with `path`,
 * which encodes each value as one segment, as the admin API expects (docs/admin-api.md, "Paths").
 *
 * The views read the admin API the CLI uses; the few answers whose shape only the console reads (graph,
 * access, explain, keys) are turned into the views' shapes by the adapters at the end of this file, so a
 * change of shape is a change here.
 */

import type { AccessAnswer, AuditEvent, ExplainAnswer, FrontKind, Graph, KeysState } from './models.ts';

export interface ErrorBody {
  code: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, body: ErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.hint = body.hint;
    this.details = body.details;
  }

  /**
   * The message for each field the server named: `details.issues[].path` (schema refusals), or `details.field`
   * (a store's refusal of one field). Forms show these next to their fields.
   */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    const issues = this.details?.issues;
    if (Array.isArray(issues)) {
      for (const i of issues as { path?: unknown; message?: unknown }[]) {
        const p = Array.isArray(i.path) ? i.path.join('.') : typeof i.path === 'string' ? i.path : '';
        const top = p.split('.')[0] ?? '';
        if (top !== '' && typeof i.message === 'string') out[top] ??= i.message;
      }
    }
    const field = this.details?.field;
    if (typeof field === 'string' && out[field] === undefined) out[field] = this.message;
    return out;
  }
}

/** Turns anything thrown into what the page shows. */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(0, {
    code: 'ERR_NETWORK',
    message: `Lanyard did not answer: ${message}`,
    hint: 'Is the server still running? `lanyard status` says what runs.',
  });
}

let csrfToken: string | undefined;
let onUnauthenticated: ((err: ApiError) => void) | undefined;

/** Set by the session after sign-in (and cleared at sign-out): sent on every write. */
export function setCsrf(token: string | undefined): void {
  csrfToken = token;
}

/** Called when any answer says the session has ended (401). */
export function whenUnauthenticated(handler: (err: ApiError) => void): void {
  onUnauthenticated = handler;
}

const READS = new Set(['GET', 'HEAD']);

export interface RequestOptions {
  query?: Readonly<Record<string, string | number | boolean | undefined>> | undefined;
  signal?: AbortSignal | undefined;
  /** A 401 is the caller's to handle (the sign-in form), not the end of the session. */
  quiet401?: boolean | undefined;
}

/** One JSON request; resolves to the parsed body (undefined for 204), rejects with an `ApiError`. */
export async function request<T>(
  method: string,
  url: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (!READS.has(method) && csrfToken !== undefined) headers['X-CSRF-Token'] = csrfToken;
  let target = url;
  if (options.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query)) if (v !== undefined && v !== '') q.set(k, String(v));
    const qs = q.toString();
    if (qs !== '') target += `?${qs}`;
  }
  let res: Response;
  try {
    res = await fetch(target, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw asApiError(err);
  }
  const text = await res.text();
  let data: unknown;
  if (text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const e = (data as { error?: ErrorBody } | undefined)?.error;
    const err = new ApiError(
      res.status,
      e && typeof e.code === 'string' && typeof e.message === 'string'
        ? e
        : { code: `HTTP_${res.status}`, message: `Lanyard answered ${res.status} ${res.statusText}.` },
    );
    if (res.status === 401 && !options.quiet401) onUnauthenticated?.(err);
    throw err;
  }
  return data as T;
}

export const get = <T>(url: string, options?: RequestOptions) => request<T>('GET', url, undefined, options);
export const post = <T>(url: string, body?: unknown, options?: RequestOptions) =>
  request<T>('POST', url, body ?? {}, options);
export const put = <T>(url: string, body?: unknown, options?: RequestOptions) =>
  request<T>('PUT', url, body ?? {}, options);
export const patch = <T>(url: string, body: unknown, options?: RequestOptions) =>
  request<T>('PATCH', url, body, options);
export const del = <T>(url: string, options?: RequestOptions) =>
  request<T>('DELETE', url, undefined, options);

/**
 * A path with each interpolated value encoded as one segment:
 * path`/admin/tenants/${t}/apps/${'api://orders'}` → `/admin/tenants/contoso/apps/api%3A%2F%2Forders`.
 */
export function path(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += encodeURIComponent(String(v)) + (strings[i + 1] ?? '');
  });
  return out;
}

// ---- The console plane's routes (console/admin-routes.ts). Their answers are typed in models.ts; if a shape
// changes, these functions are where the views' view of it is kept. ----

/** `GET /admin/tenants/:tenant/graph`: nodes and edges of who may call what. */
export function fetchGraph(tenant: string, signal?: AbortSignal): Promise<Graph> {
  return get<Graph>(path`/admin/tenants/${tenant}/graph`, { signal });
}

/** `POST /admin/tenants/:tenant/access`: "may `principal` call `target`?" with the chain of reasons. */
export function askAccess(
  tenant: string,
  question: {
    principal: string;
    target: string;
    action?: string | undefined;
    dataAction?: boolean | undefined;
  },
): Promise<AccessAnswer> {
  const body: Record<string, unknown> = { principal: question.principal, target: question.target };
  if (question.action) body.action = question.action;
  if (question.dataAction !== undefined && question.action) body.dataAction = question.dataAction;
  return post<AccessAnswer>(path`/admin/tenants/${tenant}/access`, body);
}

/**
 * `POST /admin/tenants/:tenant/explain`: the token goes in the body of this one request to Lanyard (never in
 * an address, never stored), with the front to judge it against (`name` omitted: every Easy Auth front).
 */
export function explainToken(
  tenant: string,
  token: string,
  front: { kind: FrontKind; name?: string | undefined },
): Promise<ExplainAnswer> {
  return post<ExplainAnswer>(path`/admin/tenants/${tenant}/explain`, {
    token,
    front: front.name ? { kind: front.kind, name: front.name } : { kind: front.kind },
  });
}

/** `GET /admin/keys`: signing keys and rotation state, master-key state. */
export function fetchKeys(signal?: AbortSignal): Promise<KeysState> {
  return get<KeysState>('/admin/keys', { signal });
}

/** `GET /admin/audit`: recent audit events, newest first (the explainer's "recent issuances"). */
export function fetchAudit(
  filter: {
    tenant?: string | undefined;
    action?: string | undefined;
    outcome?: string | undefined;
    limit?: number | undefined;
  },
  signal?: AbortSignal,
): Promise<AuditEvent[]> {
  return get<AuditEvent[]>('/admin/audit', { signal, query: filter });
}
