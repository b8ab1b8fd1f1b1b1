/**
 * @module flows/workflows/request-host
 * Where Request triggers are called: the callback URLs `lanyard workflow callback-url` hands out,
 * `/workflows/<workflowId>/triggers/<trigger>/paths/invoke[/<relativePath>]?api-version=…&sp=…&sv=1.0&sig=…`
 * (and the older `…/triggers/<trigger>/run?…`), on the main listener. The signature is checked against the
 * workflow's two access keys before the body is read; the body becomes the trigger's outputs as Logic Apps
 * makes them (JSON parsed when the content type says JSON, anything else a `$content` envelope), with the
 * schema checked when the trigger enables schema validation. Then the caller gets Azure's answers: 202 with
 * the run id when the definition has no Response; the Response's status, headers and body when it comes within
 * 120 s; 504 when it does not; 502 `NoResponse` when the run ends without one. Errors use Logic Apps' envelope
 * `{ "error": { "code", "message" } }`, each message saying what to do. The request log shows the path only,
 * never the signature.
 */
import type { ServerResponse } from 'node:http';
import type { AuditLog } from '../../audit/audit-log.ts';
import type { Envelope } from '../../crypto/envelope.ts';
import type { Directory } from '../../directory/directory.ts';
import { isLanyardError } from '../../errors/lanyard-error.ts';
import { type RequestContext, readBoundedBody } from '../../http/http.ts';
import type { RouteGroup } from '../../http/route-group.ts';
import type { RequestTrigger } from '../definition/types.ts';
import type { JsonObject, JsonValue } from '../expressions/values.ts';
import { verifySignature } from './callback.ts';
import { schemaProblems } from './engine/parse-json.ts';
import type { ResponseRecord } from './records.ts';
import type { WorkflowRuntime } from './runtime.ts';
import { findCallbackTarget, type StoredWorkflow } from './store.ts';

/** Logic Apps takes up to 100 MB; a local trigger takes less. */
export const MAX_TRIGGER_BODY_BYTES = 10 * 1024 * 1024;
const SIGNATURE_PARAMS = new Set(['api-version', 'sp', 'sv', 'sig']);

export interface RequestHostDeps {
  readonly directory: Directory;
  readonly audit: Pick<AuditLog, 'record'>;
  readonly envelope: Pick<Envelope, 'open'>;
  /** The running runtime, or undefined while the plane is not started. */
  readonly runtime: () => WorkflowRuntime | undefined;
}

class TriggerError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text === '' ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
    ...headers,
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** `/workflows/<id>/triggers/<t>/paths/invoke[/…]` or `/workflows/<id>/triggers/<t>/run`. */
function parsePath(
  segments: readonly string[],
): { workflowId: string; trigger: string; rest: string[] } | undefined {
  if (segments.length < 5 || segments[0] !== 'workflows' || segments[2] !== 'triggers') return undefined;
  if (segments[4] === 'run' && segments.length === 5)
    return { workflowId: segments[1]!, trigger: segments[3]!, rest: [] };
  if (segments[4] === 'paths' && segments[5] === 'invoke')
    return { workflowId: segments[1]!, trigger: segments[3]!, rest: segments.slice(6) };
  return undefined;
}

/** `customer/{customerID}` against the rest of the path: the parameters, or undefined when it does not fit. */
export function matchRelativePath(
  template: string | undefined,
  rest: readonly string[],
): Record<string, string> | undefined {
  const parts = (template ?? '').split('/').filter((p) => p !== '');
  if (parts.length !== rest.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const m = /^\{([^{}]+)\}$/.exec(parts[i]!);
    if (m) params[m[1]!] = rest[i]!;
    else if (parts[i]!.toLowerCase() !== rest[i]!.toLowerCase()) return undefined;
  }
  return params;
}

function isJsonType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const t = contentType.split(';')[0]!.trim().toLowerCase();
  return t === 'application/json' || t.endsWith('+json');
}

/** The body as the trigger's outputs carry it. */
export function triggerBody(raw: Buffer, contentType: string | undefined): JsonValue | undefined {
  if (raw.length === 0) return undefined;
  if (isJsonType(contentType)) {
    try {
      return JSON.parse(raw.toString('utf8')) as JsonValue;
    } catch (err) {
      throw new TriggerError(
        400,
        'InvalidRequestContent',
        `The request content is not valid JSON: ${(err as Error).message}. Send JSON with Content-Type: application/json, or another Content-Type for other content.`,
      );
    }
  }
  return { '$content-type': contentType ?? 'application/octet-stream', $content: raw.toString('base64') };
}

function workflowHeaders(wf: StoredWorkflow, run: string, tracking: string): Record<string, string> {
  return {
    'x-ms-workflow-run-id': run,
    'x-ms-correlation-id': tracking,
    'x-ms-client-tracking-id': tracking,
    'x-ms-trigger-history-name': run,
    'x-ms-execution-location': 'local',
    'x-ms-workflow-system-id': `/locations/local/scaleunits/lanyard/workflows/${wf.workflowId}`,
    'x-ms-workflow-id': wf.workflowId,
    'x-ms-workflow-version': wf.version,
    'x-ms-workflow-name': wf.name,
    'x-ms-tracking-id': tracking,
  };
}

function sendResponse(res: ServerResponse, r: ResponseRecord, extra: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { ...extra };
  const given = new Map(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), [k, v] as const]));
  for (const [k, v] of given.values()) headers[k] = v;
  let payload: Buffer;
  const body = r.body;
  if (body === undefined || body === null) payload = Buffer.alloc(0);
  else if (typeof body === 'object' && body !== null && '$content' in (body as JsonObject)) {
    const env = body as JsonObject;
    payload = Buffer.from(String(env.$content), 'base64');
    if (!given.has('content-type') && typeof env['$content-type'] === 'string')
      headers['Content-Type'] = env['$content-type'];
  } else if (typeof body === 'string') {
    payload = Buffer.from(body, 'utf8');
    if (!given.has('content-type')) headers['Content-Type'] = 'text/plain; charset=utf-8';
  } else {
    payload = Buffer.from(JSON.stringify(body), 'utf8');
    if (!given.has('content-type')) headers['Content-Type'] = 'application/json; charset=utf-8';
  }
  headers['Content-Length'] = String(payload.length);
  res.writeHead(r.statusCode, headers);
  res.end(payload);
}

export function requestTriggerRoutes(deps: RequestHostDeps): RouteGroup {
  return {
    name: 'workflows',
    matches: (ctx) => parsePath(ctx.segments) !== undefined,
    async handle(ctx) {
      try {
        await invoke(deps, ctx, parsePath(ctx.segments)!);
      } catch (err) {
        if (err instanceof TriggerError) {
          ctx.res.setHeader('Connection', ctx.req.complete ? 'keep-alive' : 'close');
          send(ctx.res, err.status, { error: { code: err.code, message: err.message } });
          return;
        }
        if (isLanyardError(err)) {
          send(ctx.res, err.status, {
            error: { code: err.code, message: err.message + (err.hint ? ` ${err.hint}` : '') },
          });
          return;
        }
        throw err;
      }
    },
  };
}

async function invoke(
  deps: RequestHostDeps,
  ctx: RequestContext,
  target: { workflowId: string; trigger: string; rest: string[] },
): Promise<void> {
  const found = await findCallbackTarget(deps.directory, deps.envelope, target.workflowId);
  if (!found)
    throw new TriggerError(
      404,
      'WorkflowNotFound',
      `No workflow has the id '${target.workflowId.slice(0, 40)}'. Get the current callback URL: lanyard workflow callback-url <workflow>.`,
    );
  const wf = found.workflow;
  const trigger = wf.definition.triggers.find((t) => t.name.toLowerCase() === target.trigger.toLowerCase());
  if (trigger?.type !== 'Request')
    throw new TriggerError(
      404,
      'TriggerNotFound',
      `The workflow '${wf.name}' has no Request trigger '${target.trigger.slice(0, 80)}'. Its triggers: ${wf.definition.triggers.map((t) => `${t.name} (${t.type})`).join(', ')}.`,
    );
  const check = verifySignature(wf.workflowId, ctx.query, found.keys, trigger.name);
  if (!check.ok) {
    ctx.logger.warn(
      { workflow: wf.name, trigger: trigger.name, reason: check.reason },
      'flows: callback refused',
    );
    await deps.audit.record({
      plane: 'flows',
      action: 'callback.refuse',
      outcome: 'failure',
      tenantId: wf.tenantId,
      target: `workflow:${wf.name}`,
      reason: check.reason,
      details: { trigger: trigger.name },
    });
    throw new TriggerError(
      401,
      check.reason === 'missing-signature'
        ? 'DirectApiAuthorizationRequired'
        : 'DirectApiInvalidAuthorizationSignature',
      `${check.message} Get a valid URL with: lanyard workflow callback-url ${wf.name}${check.reason === 'wrong-signature' ? ' (a regenerated access key invalidates the URLs signed with the old one)' : ''}.`,
    );
  }
  const t = trigger as RequestTrigger;
  const method = t.inputs.method;
  if (method !== undefined && ctx.method.toUpperCase() !== method)
    throw new TriggerError(
      405,
      'TriggerRequestMethodNotValid',
      `The trigger '${trigger.name}' of workflow '${wf.name}' takes ${method} requests, not ${ctx.method}.`,
    );
  const relativePathParameters = matchRelativePath(t.inputs.relativePath, target.rest);
  if (relativePathParameters === undefined)
    throw new TriggerError(
      404,
      'TriggerRelativePathNotMatched',
      `The path '/${target.rest.join('/').slice(0, 200)}' does not match the trigger's relativePath '${t.inputs.relativePath ?? ''}'.`,
    );
  if (wf.state !== 'Enabled')
    throw new TriggerError(
      409,
      'WorkflowDisabled',
      `The workflow '${wf.name}' is disabled, so its triggers do not fire. Enable it: lanyard workflow enable ${wf.name}.`,
    );
  const runtime = deps.runtime();
  if (!runtime)
    throw new TriggerError(
      503,
      'ServiceUnavailable',
      'Workflows are not running in this server yet; try again.',
    );

  let raw: Buffer;
  try {
    raw = await readBoundedBody(ctx.req, MAX_TRIGGER_BODY_BYTES);
  } catch (err) {
    if (isLanyardError(err) && err.code === 'ERR_REQUEST_TOO_LARGE')
      throw new TriggerError(
        413,
        'RequestContentTooLarge',
        `The request content is larger than ${MAX_TRIGGER_BODY_BYTES} bytes.`,
      );
    throw err;
  }
  const body = triggerBody(raw, ctx.req.headers['content-type']);
  if (t.schemaValidation && t.inputs.schema !== undefined) {
    const problems = schemaProblems(t.inputs.schema, body ?? null);
    if (problems.length > 0)
      throw new TriggerError(
        400,
        'TriggerInputSchemaMismatch',
        `The input body for trigger '${trigger.name}' of type 'Request' did not match its schema definition: ${problems.join('; ')}.`,
      );
  }
  const headers: JsonObject = {};
  for (const [k, v] of Object.entries(ctx.req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const queries: JsonObject = {};
  for (const [k, v] of ctx.query) if (!SIGNATURE_PARAMS.has(k.toLowerCase())) queries[k] = v;
  const outputs: JsonObject = {
    headers,
    ...(body === undefined ? {} : { body }),
    ...(Object.keys(queries).length > 0 ? { queries } : {}),
    ...(Object.keys(relativePathParameters).length > 0 ? { relativePathParameters } : {}),
  };
  const gone = new AbortController();
  ctx.res.on('close', () => {
    if (!ctx.res.writableEnded) gone.abort();
  });
  const tracking = ctx.req.headers['x-ms-client-tracking-id'];
  const fired = await runtime.fire({
    tenant: wf.tenantId,
    workflow: wf.resourceId,
    stored: wf,
    trigger: trigger.name,
    outputs,
    wait: true,
    callerGone: gone.signal,
    ...(typeof tracking === 'string' && tracking.length <= 256 ? { clientTrackingId: tracking } : {}),
  });
  const suppress = trigger.operationOptions.includes('SuppressWorkflowHeadersOnResponse');
  const xms = suppress
    ? {}
    : workflowHeaders(wf, fired.run.name, typeof tracking === 'string' ? tracking : fired.run.name);
  switch (fired.outcome) {
    case 'accepted':
      send(ctx.res, 202, undefined, xms);
      return;
    case 'answered':
      sendResponse(ctx.res, fired.response!, xms);
      return;
    case 'timeout':
      send(
        ctx.res,
        504,
        {
          error: {
            code: 'GatewayTimeout',
            message: `The workflow run '${fired.run.name}' did not reach its Response action within 120 seconds; the run goes on. See it with: lanyard workflow run show ${wf.name} ${fired.run.name}.`,
          },
        },
        xms,
      );
      return;
    case 'no-response':
      send(
        ctx.res,
        502,
        {
          error: {
            code: 'NoResponse',
            message: `The server did not receive a response from an upstream server. Request tracking id '${fired.run.name}'. The run ended ${fired.run.status} before any Response action ran; see why with: lanyard workflow run show ${wf.name} ${fired.run.name}.`,
          },
        },
        xms,
      );
      return;
  }
}
