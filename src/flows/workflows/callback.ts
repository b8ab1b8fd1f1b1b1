/**
 * @module flows/workflows/callback
 * A `Request` trigger's callback URL as Logic Apps (Consumption) writes it, and the check of its signature
 * (docs/flows.md, "Callback URLs"):
 *
 *   <origin>/workflows/<workflowId>/triggers/<trigger>/paths/invoke[/<relativePath>]
 *     ?api-version=2016-10-01&sp=%2Ftriggers%2F<trigger>%2Frun&sv=1.0&sig=<sig>
 *
 * `sp` is the permission the URL grants (running that trigger), `sv` the signature version and `sig` the
 * signature: base64url without padding of HMAC-SHA256, keyed with one of the workflow's access keys (store.ts),
 * over `<workflowId>\n<sp>\n<sv>`. Regenerating a key invalidates every URL signed with it. Only `Request`
 * triggers have a callback URL. The origin is the main listener's: where a running server on the data folder
 * says it listens (server.json), else the default `https://localhost:8443`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { LanyardError } from '../../errors/lanyard-error.ts';
import { readServerInfo } from '../../identity/server-info.ts';
import type { RequestTrigger, WorkflowDefinition } from '../definition/types.ts';
import type { AccessKeys, AccessKeyType } from './store.ts';

/** The `api-version` callback URLs carry (what Azure writes for a Request trigger's `paths/invoke`). */
export const CALLBACK_API_VERSION = '2016-10-01';
/** The only signature version (`sv`). */
export const SIGNATURE_VERSION = '1.0';
/**
 * The main listener's default origin, when no running server says otherwise: the host's DEFAULT_PORT
 * (host/listener-defaults.ts), repeated because a plane may not import the host.
 */
export const DEFAULT_CALLBACK_ORIGIN = 'https://localhost:8443';

/** What a callback URL is made of: the workflow's id and definition. */
export interface CallbackWorkflow {
  readonly name: string;
  readonly workflowId: string;
  readonly definition: WorkflowDefinition;
}

/** Azure's `listCallbackUrl` answer (WorkflowTriggerCallbackUrl). */
export interface CallbackUrl {
  /** The whole URL, `sp` percent-encoded. */
  readonly value: string;
  readonly method: string;
  /** The URL up to `paths/invoke`, without the relative path and the query. */
  readonly basePath: string;
  /** The query parameters, `sp` not encoded. */
  readonly queries: {
    readonly 'api-version': string;
    readonly sp: string;
    readonly sv: string;
    readonly sig: string;
  };
  /** The trigger's `relativePath`, when it has one, without a leading `/` (`customers/{id}`). */
  readonly relativePath?: string;
  /** The `{names}` in the relative path. */
  readonly relativePathParameters?: readonly string[];
}

/** Why a signature was not accepted. */
export type SignatureFailure =
  | 'missing-signature'
  | 'unsupported-version'
  | 'other-trigger'
  | 'wrong-signature';

export type SignatureCheck =
  | { readonly ok: true; readonly keyType: AccessKeyType }
  | { readonly ok: false; readonly reason: SignatureFailure; readonly message: string };

/** The query of a request to a callback URL. */
export type CallbackQuery = URLSearchParams | Readonly<Record<string, string | undefined>>;

/** The main listener's origin: a running server's on this data folder (server.json), else the default. */
export function callbackOrigin(dataDir: string): string {
  const running = readServerInfo(dataDir)?.url;
  if (running) {
    try {
      return new URL(running).origin;
    } catch {
      // A server.json that does not parse says nothing about the origin.
    }
  }
  return DEFAULT_CALLBACK_ORIGIN;
}

/** The permission (`sp`) a callback URL of this trigger grants. */
export const triggerScope = (trigger: string): string => `/triggers/${trigger}/run`;

/** base64url (no padding, 43 characters) of HMAC-SHA256(key, `<workflowId>\n<sp>\n<sv>`). */
export function signCallback(
  key: string,
  workflowId: string,
  sp: string,
  sv: string = SIGNATURE_VERSION,
): string {
  return createHmac('sha256', key).update(`${workflowId}\n${sp}\n${sv}`, 'utf8').digest('base64url');
}

/** The workflow's Request trigger of that name (without case); refused for another type or an unknown name. */
export function requestTrigger(workflow: CallbackWorkflow, trigger: string): RequestTrigger {
  const found = workflow.definition.triggers.find((t) => t.name.toLowerCase() === trigger.toLowerCase());
  if (!found) {
    const names = workflow.definition.triggers.map((t) => t.name).join(', ');
    throw new LanyardError('ERR_NOT_FOUND', `Workflow ${workflow.name} has no trigger ${trigger}.`, {
      hint: `Its triggers: ${names || 'none'}.`,
    });
  }
  if (found.type !== 'Request') {
    throw new LanyardError(
      'ERR_VALIDATION',
      `Trigger ${found.name} of workflow ${workflow.name} is a ${found.type} trigger; only Request triggers have a callback URL.`,
      {
        hint: 'A Recurrence trigger fires on its schedule while the server runs; a Request trigger is called over HTTP.',
      },
    );
  }
  return found;
}

/** The first Request trigger of the workflow (a workflow has one trigger); refused when it has none. */
export function defaultRequestTrigger(workflow: CallbackWorkflow): RequestTrigger {
  const first = workflow.definition.triggers[0];
  if (!first) {
    throw new LanyardError('ERR_VALIDATION', `Workflow ${workflow.name} has no trigger, so no callback URL.`);
  }
  return requestTrigger(workflow, first.name);
}

/** Azure's `listCallbackUrl` answer for the trigger, signed with `key`. */
export function listCallbackUrl(
  origin: string,
  workflow: CallbackWorkflow,
  trigger: string,
  key: string,
): CallbackUrl {
  const t = requestTrigger(workflow, trigger);
  const base = origin.replace(/\/+$/, '');
  const basePath = `${base}/workflows/${workflow.workflowId}/triggers/${encodeURIComponent(t.name)}/paths/invoke`;
  const sp = triggerScope(t.name);
  const queries = {
    'api-version': CALLBACK_API_VERSION,
    sp,
    sv: SIGNATURE_VERSION,
    sig: signCallback(key, workflow.workflowId, sp),
  };
  const query = Object.entries(queries)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  const relativePath = t.inputs.relativePath?.replace(/^\/+/, '');
  if (!relativePath) {
    return { value: `${basePath}?${query}`, method: t.inputs.method ?? 'POST', basePath, queries };
  }
  return {
    value: `${basePath}/${relativePath}?${query}`,
    method: t.inputs.method ?? 'POST',
    basePath,
    queries,
    relativePath,
    relativePathParameters: [...relativePath.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]!),
  };
}

/** The callback URL of the trigger, signed with `key`. */
export function callbackUrl(
  origin: string,
  workflow: CallbackWorkflow,
  trigger: string,
  key: string,
): string {
  return listCallbackUrl(origin, workflow, trigger, key).value;
}

function param(query: CallbackQuery, name: string): string | undefined {
  if (query instanceof URLSearchParams) return query.get(name) ?? undefined;
  const exact = query[name];
  if (exact !== undefined) return exact;
  // Query parameter names are matched without case, as Azure matches them.
  const key = Object.keys(query).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : query[key];
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks a request's `sp`, `sv` and `sig` for the trigger it calls against both access keys, in constant time
 * for a given signature length. The reason on failure is for the log and the caller's 401.
 */
export function verifySignature(
  workflowId: string,
  query: CallbackQuery,
  keys: AccessKeys,
  trigger: string,
): SignatureCheck {
  const sig = param(query, 'sig');
  const sp = param(query, 'sp');
  const sv = param(query, 'sv');
  if (!sig || !sp || !sv) {
    return {
      ok: false,
      reason: 'missing-signature',
      message:
        'The request has no signature: a callback URL carries sp, sv and sig (lanyard workflow callback-url).',
    };
  }
  if (sv !== SIGNATURE_VERSION) {
    return {
      ok: false,
      reason: 'unsupported-version',
      message: `The signature version '${sv.slice(0, 20)}' is not supported; it is ${SIGNATURE_VERSION}.`,
    };
  }
  if (sp.toLowerCase() !== triggerScope(trigger).toLowerCase()) {
    return {
      ok: false,
      reason: 'other-trigger',
      message: `The signature grants '${sp.slice(0, 200)}', not running trigger ${trigger}.`,
    };
  }
  // Both compared, whichever matches: how long the check takes does not tell which key signed.
  const primary = sameText(sig, signCallback(keys.primary, workflowId, sp, sv));
  const secondary = sameText(sig, signCallback(keys.secondary, workflowId, sp, sv));
  if (primary) return { ok: true, keyType: 'Primary' };
  if (secondary) return { ok: true, keyType: 'Secondary' };
  return {
    ok: false,
    reason: 'wrong-signature',
    message: 'The signature is not valid for this workflow: the URL was changed, or its key was regenerated.',
  };
}
