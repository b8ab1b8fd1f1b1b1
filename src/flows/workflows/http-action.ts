/**
 * @module flows/workflows/http-action
 * Runs one `Http` action of a workflow (docs/flows.md, "Http actions"): the engine evaluates the action's expressions and
 * hands over plain values; this sends the request — with a managed-identity token when the action has
 * `authentication` — retries it as its retry policy says, follows Azure's asynchronous pattern (202 + Location,
 * polled with GET), and returns what the run record shows: status, code, inputs without secrets, outputs,
 * error and retry history, plus the tokens the engine must mask.
 *
 * Nothing here waits unbounded: each request has `requestTimeoutMs`, the whole action `timeoutMs` (its
 * `limit.timeout`) or, while polling without one, DEFAULT_POLLING_LIMIT_MS; the engine's signal cancels
 * everything at once, a retry wait included; response bodies are read up to `maxResponseBytes`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type Dispatcher, request as undiciRequest } from 'undici';
import type { ManagedIdentityAuthentication, OperationOption, RetryPolicy } from '../definition/types.ts';
import { workflowDispatcher } from './http-client.ts';
import {
  authorizationSecrets,
  HttpInputError,
  type HttpMethod,
  headerName,
  MAX_URI_LENGTH,
  type PreparedRequest,
  prepareRequest,
  preview,
  reasonName,
  recordedInputs,
  responseBody,
} from './http-message.ts';
import { isRetriableStatus, retriesAllowed, retryAfterMs, waitBeforeRetry } from './http-retry.ts';
import type { RecordError, RetryRecord } from './records.ts';

/** Bodies larger than this fail the action unless the services say otherwise (Azure refuses past 100 MB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** One outbound request, connection to last byte: Azure's 120 s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
/** Between two polls of an asynchronous operation that sends no Retry-After: Logic Apps polls every 20 s. */
export const DEFAULT_POLL_INTERVAL_MS = 20_000;
/**
 * How long an action without `limit.timeout` polls before it times out. Azure lets polling run as long as the
 * run may (up to 90 days); a local run waiting that long on an operation that never ends is a mistake more
 * often than not, so Lanyard stops after an hour and says to set `limit.timeout` for longer.
 */
export const DEFAULT_POLLING_LIMIT_MS = 3_600_000;
/** A token older than this is fetched again before the next try: a day of retries must not send an expired one. */
const TOKEN_REFRESH_MS = 30 * 60_000;
/** A Retry-After on a 202 shorter than this is raised to it, so a service answering 0 is not polled in a loop. */
const MIN_POLL_INTERVAL_MS = 1_000;

export interface HttpActionRequest {
  readonly actionName: string;
  /** Evaluated; any case, sent upper case. */
  readonly method: string;
  /** Evaluated; absolute http(s), at most 2048 characters with the queries. */
  readonly uri: string;
  /** Evaluated: an object of string values (numbers and booleans are sent as text). */
  readonly headers?: unknown;
  /** Evaluated: an object, appended URL-encoded to the uri's query. */
  readonly queries?: unknown;
  /**
   * Evaluated: a string is sent as it is (`text/plain` unless a Content-Type header says otherwise); an object,
   * array, number or boolean as JSON (`application/json`); `{ "$content-type", "$content" }` as the decoded
   * base64 bytes with that type; undefined or null sends no body.
   */
  readonly body?: unknown;
  /** Evaluated `cookie` input: sent as the Cookie header. */
  readonly cookie?: unknown;
  readonly authentication?: ManagedIdentityAuthentication | undefined;
  readonly retryPolicy: RetryPolicy;
  /** The action's `limit.timeout`: the whole action, retries and polling included. */
  readonly timeoutMs?: number | undefined;
  readonly operationOptions: readonly OperationOption[];
  /** `x-ms-workflow-*` and User-Agent, computed by the engine; not sent with SuppressWorkflowHeaders. */
  readonly workflowHeaders: Readonly<Record<string, string>>;
}

export interface HttpActionServices {
  /**
   * A bearer token for the workflow's identity (system-assigned when auth.identity is absent, else the
   * user-assigned identity's resource id) and auth.audience. Throws an Error with a clear message when it
   * cannot (unknown identity, audience not an app in the tenant…).
   */
  token(auth: ManagedIdentityAuthentication): Promise<string>;
  /** Default: one shared workflowDispatcher() (no local CA, no Azure host names). */
  readonly dispatcher?: Dispatcher | undefined;
  /** Waits between retries and polls; tests pass a fast one. Must reject promptly when signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** In [0, 1), for the exponential wait. */
  random(): number;
  /** Milliseconds since the epoch, for retry record times and Retry-After dates. */
  now(): number;
  /** One outbound request: DEFAULT_REQUEST_TIMEOUT_MS in Azure. */
  readonly requestTimeoutMs: number;
  /** A bigger response body fails the action (ResponseTooLarge): DEFAULT_MAX_RESPONSE_BYTES. */
  readonly maxResponseBytes: number;
  newGuid(): string;
  /** Polling without `timeoutMs` stops after this long: DEFAULT_POLLING_LIMIT_MS. */
  readonly pollingLimitMs?: number | undefined;
}

/** The action record's statuses an Http action can end with; `Cancelled` when the engine's signal aborted. */
export type HttpActionStatus = 'Succeeded' | 'Failed' | 'TimedOut' | 'Cancelled';

export interface HttpActionOutputs {
  readonly statusCode: number;
  /** Response headers, names in lower case as received, repeated ones joined with `, `. */
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

export interface HttpActionResult {
  readonly status: HttpActionStatus;
  /**
   * The HTTP reason name of the last answer ('OK', 'NotFound', 'TooManyRequests'…), or why there was none:
   * 'ActionTimedOut', 'RequestTimedOut', 'ConnectionFailed', 'ManagedIdentityTokenFailed',
   * 'InvalidHttpRequest', 'ResponseTooLarge', 'InvalidLocationHeader', 'ActionCancelled'.
   */
  readonly code: string;
  /** { method, uri (with queries), headers, cookie?, body?, authentication? }: never an Authorization header. */
  readonly inputs: Record<string, unknown>;
  /** The last answer, whenever one came (4xx and 5xx included). */
  readonly outputs?: HttpActionOutputs;
  readonly error?: RecordError;
  /** One entry per try that was retried: all tries but the last of each request. */
  readonly retryHistory: readonly RetryRecord[];
  /** Tokens and Authorization values used: the engine masks them wherever they appear in run records. */
  readonly secrets: readonly string[];
}

/** A sleep for HttpActionServices.sleep: real time, rejected at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal });
}

/** Why the action's own limit stopped it: `limit.timeout`, or the polling limit when it has none. */
class ActionLimitReached extends Error {
  readonly kind: 'timeout' | 'polling';
  readonly limitMs: number;
  constructor(kind: 'timeout' | 'polling', limitMs: number) {
    super(kind === 'timeout' ? 'the action timed out' : 'the action polled too long');
    this.kind = kind;
    this.limitMs = limitMs;
  }
}

/** services.token failed: code ManagedIdentityTokenFailed, never retried. */
class TokenFailure extends Error {
  readonly code = 'ManagedIdentityTokenFailed';
}

/** A 202 whose Location cannot be polled. */
class LocationFailure extends Error {
  readonly code = 'InvalidLocationHeader';
  readonly answer: Answer;
  constructor(message: string, answer: Answer) {
    super(message);
    this.answer = answer;
  }
}

/** One request of the action: the first, or a poll of its asynchronous operation. */
interface Spec {
  readonly method: HttpMethod;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
  /** Whether the managed-identity token goes with it (not to a Location on another origin). */
  readonly withToken: boolean;
  /** What the message calls it. */
  readonly label: string;
}

interface TryTimes {
  readonly startTime: string;
  readonly endTime: string;
  readonly clientRequestId: string;
}

interface Answer extends TryTimes {
  readonly kind: 'answer';
  readonly spec: Spec;
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Absent when the body was larger than allowed and not read. */
  readonly bytes: Buffer | undefined;
}

interface NoAnswer extends TryTimes {
  readonly kind: 'none';
  readonly spec: Spec;
  readonly code: 'ConnectionFailed' | 'RequestTimedOut';
  readonly reason: string;
  readonly retriable: boolean;
}

type TryResult = Answer | NoAnswer;

const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** `https://host/path`: a URI for messages, without the query (it may carry a signature). */
function place(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR_CONNECT') return code;
  }
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Why a request got no answer, in words that point at the fix; certificate failures are not worth retrying. */
function describeFailure(err: unknown, url: URL): { reason: string; retriable: boolean } {
  const code = errorCode(err);
  const where = url.host;
  if (code !== undefined && (CERTIFICATE_CODES.has(code) || code.startsWith('ERR_TLS_CERT')))
    return {
      reason: `the TLS certificate of ${where} was not accepted (${errorText(err)}). It must name the host and chain to a CA of the system or to Lanyard's local CA (\`lanyard ca path\` prints it)`,
      retriable: false,
    };
  switch (code) {
    case 'ECONNREFUSED':
      return {
        reason: `nothing accepted the connection to ${where} (connection refused): check that the service runs and the port is right`,
        retriable: true,
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { reason: `the host name ${url.hostname} could not be resolved (${code})`, retriable: true };
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return { reason: `the connection to ${where} could not be made in time`, retriable: true };
    case 'ECONNRESET':
    case 'EPIPE':
      return {
        reason: `the connection to ${where} was closed before a complete answer came (${code})`,
        retriable: true,
      };
    default:
      return {
        reason: `the request to ${where} failed: ${errorText(err)}${code ? ` (${code})` : ''}`,
        retriable: true,
      };
  }
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** `p`, or a rejection with the signal's reason as soon as `signal` aborts, whatever `p` does. */
function bounded<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function outputsOf(a: Answer): HttpActionOutputs {
  const body = a.bytes === undefined ? undefined : responseBody(a.bytes, a.headers['content-type']);
  return { statusCode: a.status, headers: a.headers, ...(body === undefined ? {} : { body }) };
}

/** The running action: its services, limits and what has happened so far. */
class HttpActionRun {
  readonly request: HttpActionRequest;
  readonly services: HttpActionServices;
  /** Aborts on the engine's cancel and on the action's own limits. */
  readonly signal: AbortSignal;
  readonly limits: AbortController;
  readonly retryHistory: RetryRecord[] = [];
  readonly secrets: string[];
  readonly dispatcher: Dispatcher;
  /** What the action was doing, for a timeout's message. */
  activity = 'preparing the request';
  lastAnswer: Answer | undefined = undefined;
  /** Tries of the request under way (the first request, or the current poll). */
  tries = 0;
  #token: { value: string; at: number } | undefined = undefined;
  #pollingTimer: NodeJS.Timeout | undefined = undefined;

  constructor(request: HttpActionRequest, services: HttpActionServices, engine: AbortSignal) {
    this.request = request;
    this.services = services;
    this.limits = new AbortController();
    this.signal = AbortSignal.any([engine, this.limits.signal]);
    this.secrets = authorizationSecrets(request.headers);
    this.dispatcher = services.dispatcher ?? defaultDispatcher();
  }

  get suppressWorkflowHeaders(): boolean {
    return this.request.operationOptions.includes('SuppressWorkflowHeaders');
  }

  /** Starts the polling limit once, when the action has no limit.timeout of its own. */
  startPollingLimit(): void {
    if (this.#pollingTimer !== undefined || this.hasTimeout) return;
    const ms = this.services.pollingLimitMs ?? DEFAULT_POLLING_LIMIT_MS;
    this.#pollingTimer = setTimeout(() => this.limits.abort(new ActionLimitReached('polling', ms)), ms);
  }

  get hasTimeout(): boolean {
    const t = this.request.timeoutMs;
    return t !== undefined && Number.isFinite(t);
  }

  stop(): void {
    clearTimeout(this.#pollingTimer);
  }

  /** `Bearer <token>`, fetched on first use and again when older than TOKEN_REFRESH_MS. */
  async authorization(auth: ManagedIdentityAuthentication): Promise<string> {
    const now = this.services.now();
    if (this.#token && now - this.#token.at < TOKEN_REFRESH_MS) return `Bearer ${this.#token.value}`;
    const before = this.activity;
    this.activity = `getting the managed identity token for audience '${auth.audience}'`;
    let token: string;
    try {
      token = await bounded(
        Promise.resolve().then(() => this.services.token(auth)),
        this.signal,
      );
    } catch (err) {
      if (this.signal.aborted) throw err;
      throw new TokenFailure(tokenMessage(auth, err));
    }
    if (typeof token !== 'string' || token === '')
      throw new TokenFailure(tokenMessage(auth, new Error('the token service returned no token')));
    this.#token = { value: token, at: now };
    if (!this.secrets.includes(token)) this.secrets.push(token);
    this.activity = before;
    return `Bearer ${token}`;
  }

  /**
   * The headers of one try: workflow headers, the action's own (which win), the token, and a new
   * `x-ms-client-request-id` unless the action sets one; returns the id the retry record names.
   */
  async headersFor(spec: Spec): Promise<{ headers: Record<string, string>; clientRequestId: string }> {
    const headers: Record<string, string> = {};
    if (!this.suppressWorkflowHeaders) {
      for (const [name, value] of Object.entries(this.request.workflowHeaders))
        if (headerName(spec.headers, name) === undefined) headers[name] = value;
    }
    Object.assign(headers, spec.headers);
    const auth = this.request.authentication;
    if (auth && spec.withToken) headers.Authorization = await this.authorization(auth);
    const given = headerName(headers, 'x-ms-client-request-id');
    if (given !== undefined) return { headers, clientRequestId: headers[given]! };
    const clientRequestId = this.services.newGuid();
    if (!this.suppressWorkflowHeaders) headers['x-ms-client-request-id'] = clientRequestId;
    return { headers, clientRequestId };
  }

  iso(): string {
    return new Date(this.services.now()).toISOString();
  }

  /** One try of `spec`: an answer (its body read, up to the limit) or why none came. */
  async send(spec: Spec, attempt: number): Promise<TryResult> {
    const { headers, clientRequestId } = await this.headersFor(spec);
    const { requestTimeoutMs, maxResponseBytes } = this.services;
    const startTime = this.iso();
    this.activity = `the request ${spec.label} (try ${attempt})`;
    const perTry = new AbortController();
    const timer = setTimeout(() => perTry.abort(new Error('request timed out')), requestTimeoutMs);
    const signal = AbortSignal.any([this.signal, perTry.signal]);
    const base = { spec, clientRequestId, startTime };
    try {
      const res = await undiciRequest(spec.url, {
        dispatcher: this.dispatcher,
        method: spec.method,
        headers,
        body: spec.body ?? null,
        signal,
        headersTimeout: requestTimeoutMs,
        bodyTimeout: requestTimeoutMs,
      });
      const resHeaders = flattenHeaders(res.headers);
      const declared = Number(resHeaders['content-length']);
      let bytes: Buffer | undefined;
      if (spec.method !== 'HEAD' && Number.isFinite(declared) && declared > maxResponseBytes) {
        // Not read at all; the connection is dropped (destroying emits an abort error nobody needs).
        res.body.on('error', () => {});
        res.body.destroy();
      } else {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          size += chunk.length;
          // Leaving the loop destroys the body, and with it the connection: the rest is never read.
          if (size > maxResponseBytes) break;
          chunks.push(chunk);
        }
        if (size <= maxResponseBytes) bytes = Buffer.concat(chunks, size);
      }
      const answer: Answer = {
        ...base,
        kind: 'answer',
        endTime: this.iso(),
        status: res.statusCode,
        headers: resHeaders,
        bytes,
      };
      this.lastAnswer = answer;
      return answer;
    } catch (err) {
      if (this.signal.aborted) throw this.signal.reason;
      const code = errorCode(err);
      if (code === 'UND_ERR_INVALID_ARG')
        throw new HttpInputError(`The request cannot be sent as written: ${errorText(err)}.`);
      const endTime = this.iso();
      if (perTry.signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
        return {
          ...base,
          kind: 'none',
          endTime,
          code: 'RequestTimedOut',
          reason: `no complete answer came within ${seconds(requestTimeoutMs)}, the timeout of one outbound request`,
          retriable: true,
        };
      return { ...base, kind: 'none', endTime, code: 'ConnectionFailed', ...describeFailure(err, spec.url) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** `spec` sent until an answer or failure the retry policy does not retry, or the retries run out. */
  async sendWithRetries(spec: Spec): Promise<TryResult> {
    const policy = this.request.retryPolicy;
    const allowed = retriesAllowed(policy);
    for (let retry = 0; ; retry++) {
      this.tries = retry + 1;
      const result = await this.send(spec, retry + 1);
      const retriable =
        result.kind === 'answer'
          ? result.bytes !== undefined && isRetriableStatus(result.status)
          : result.retriable;
      if (!retriable || retry >= allowed) return result;
      this.retryHistory.push(retryRecord(result));
      const status = result.kind === 'answer' ? result.status : undefined;
      const after =
        result.kind === 'answer'
          ? retryAfterMs(result.headers['retry-after'], this.services.now())
          : undefined;
      const wait = waitBeforeRetry(policy, retry + 1, this.services.random(), status, after);
      this.activity = `the wait of ${seconds(wait)} before retry ${retry + 1} of ${spec.label}`;
      await bounded(
        Promise.resolve().then(() => this.services.sleep(wait, this.signal)),
        this.signal,
      );
    }
  }

  /** The request, then its asynchronous operation polled until an answer other than 202 + Location. */
  async run(first: Spec): Promise<TryResult> {
    const asyncPattern = !this.request.operationOptions.includes('DisableAsyncPattern');
    let spec = first;
    for (;;) {
      const result = await this.sendWithRetries(spec);
      if (result.kind !== 'answer' || result.status !== 202 || !asyncPattern) return result;
      const location = result.headers.location;
      if (location === undefined || location === '') return result;
      const next = pollSpec(first, spec.url, location, result);
      this.startPollingLimit();
      const asked = retryAfterMs(result.headers['retry-after'], this.services.now());
      const wait = asked === undefined ? DEFAULT_POLL_INTERVAL_MS : Math.max(asked, MIN_POLL_INTERVAL_MS);
      this.activity = `the wait of ${seconds(wait)} before polling ${place(next.url)}`;
      await bounded(
        Promise.resolve().then(() => this.services.sleep(wait, this.signal)),
        this.signal,
      );
      spec = next;
    }
  }
}

let sharedDispatcher: Dispatcher | undefined;
function defaultDispatcher(): Dispatcher {
  sharedDispatcher ??= workflowDispatcher();
  return sharedDispatcher;
}

function tokenMessage(auth: ManagedIdentityAuthentication, err: unknown): string {
  const who =
    auth.identity === undefined
      ? "the workflow's system-assigned identity"
      : `the user-assigned identity '${auth.identity}'`;
  const why = errorText(err).replace(/\.?\s*$/, '');
  return (
    `The managed identity token for audience '${auth.audience}' could not be obtained for ${who}: ${why}. ` +
    'Check that the workflow has this identity (the identity block of its resource) and that the audience is ' +
    'the application ID URI or client id of an app in the tenant, or a resource Lanyard serves ' +
    '(such as https://management.azure.com/ or https://vault.azure.net).'
  );
}

/**
 * The GET that polls `location` (resolved against the URL that answered 202). The action's headers but the
 * body's (`Content-*`) go along, and the token, only while the Location stays on the first request's origin:
 * a credential is not handed to a host the workflow did not name.
 */
function pollSpec(first: Spec, answered: URL, location: string, answer: Answer): Spec {
  let url: URL;
  try {
    url = new URL(location, answered);
  } catch {
    throw new LocationFailure(
      `The 202 (Accepted) answer of ${first.label} has a Location header that is not a URI ('${preview(location, 200)}'), so the asynchronous operation cannot be polled. Fix the service, or add DisableAsyncPattern to the action's operationOptions to take the 202 as the answer.`,
      answer,
    );
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.href.length > MAX_URI_LENGTH)
    throw new LocationFailure(
      `The 202 (Accepted) answer of ${first.label} points to '${preview(location, 200)}', which is not an http(s) URI of at most ${MAX_URI_LENGTH} characters, so it is not polled. Fix the service, or add DisableAsyncPattern to the action's operationOptions.`,
      answer,
    );
  url.hash = '';
  const sameOrigin = url.origin === first.url.origin;
  const headers: Record<string, string> = {};
  if (sameOrigin) {
    for (const [name, value] of Object.entries(first.headers))
      if (!name.toLowerCase().startsWith('content-')) headers[name] = value;
  }
  return { method: 'GET', url, headers, body: undefined, withToken: sameOrigin, label: `GET ${place(url)}` };
}

function retryRecord(result: TryResult): RetryRecord {
  const times = {
    startTime: result.startTime,
    endTime: result.endTime,
    clientRequestId: result.clientRequestId,
  };
  if (result.kind === 'none')
    return { ...times, code: result.code, error: { code: result.code, message: `${result.reason}.` } };
  const code = reasonName(result.status);
  const serviceRequestId = result.headers['x-ms-request-id'] ?? result.headers['request-id'];
  const body =
    result.bytes === undefined ? undefined : responseBody(result.bytes, result.headers['content-type']);
  return {
    ...times,
    code,
    ...(serviceRequestId !== undefined ? { serviceRequestId } : {}),
    error: {
      code,
      message: `${result.spec.label} returned ${result.status} (${code})${body === undefined ? '' : `: ${preview(body, 300)}`}`,
    },
  };
}

function triesText(tries: number): string {
  return tries > 1 ? ` after ${tries} tries` : '';
}

/** What a failed answer's message adds: where to look. */
function statusHint(status: number, a: Answer, auth: ManagedIdentityAuthentication | undefined): string {
  if (status === 401)
    return auth && a.spec.withToken
      ? ` The service did not accept the token for audience '${auth.audience}': check that this is the audience (resource) the service expects.`
      : ' The service wants credentials: give the action an authentication of type ManagedServiceIdentity with the audience the service expects.';
  if (status === 403)
    return auth && a.spec.withToken
      ? ' The identity was recognised but is not allowed: give it a role assignment (or an access policy) on the resource it calls.'
      : '';
  if (status === 404) return ' Check the uri: its host, path and any api-version.';
  if (status >= 300 && status < 400) {
    const to = a.headers.location;
    return ` Redirects are not followed${to ? `: call the uri in the Location header (${preview(to, 200)}) instead` : ''}.`;
  }
  if (isRetriableStatus(status))
    return ' The service may be down or overloaded; the retry policy decides how often it is tried.';
  return '';
}

function answerResult(
  run: HttpActionRun,
  a: Answer,
  tries: number,
  inputs: Record<string, unknown>,
): HttpActionResult {
  const common = { inputs, retryHistory: run.retryHistory, secrets: run.secrets, outputs: outputsOf(a) };
  const { maxResponseBytes } = run.services;
  if (a.bytes === undefined) {
    const message = `The answer to ${a.spec.label} (${a.status} ${reasonName(a.status)}) has a body larger than the ${maxResponseBytes} bytes an Http action reads, so the action failed and the body was not kept. Ask for less (paging, a filter, a range) or fetch large content another way.`;
    return {
      ...common,
      status: 'Failed',
      code: 'ResponseTooLarge',
      error: { code: 'ResponseTooLarge', message },
    };
  }
  const code = reasonName(a.status);
  if (a.status >= 200 && a.status < 300) return { ...common, status: 'Succeeded', code };
  const body = common.outputs.body;
  const said = body === undefined ? '' : ` The response said: ${preview(body, 300)}`;
  const message = `The request ${a.spec.label} returned ${a.status} (${code})${triesText(tries)}.${statusHint(a.status, a, run.request.authentication)}${said}`;
  return { ...common, status: 'Failed', code, error: { code, message } };
}

function noAnswerResult(
  run: HttpActionRun,
  r: NoAnswer,
  tries: number,
  inputs: Record<string, unknown>,
): HttpActionResult {
  const common = { inputs, retryHistory: run.retryHistory, secrets: run.secrets };
  if (r.code === 'RequestTimedOut') {
    // Azure shows an Http action whose request never answered as timed out, so the last try's request timeout
    // is TimedOut too; its code keeps it apart from the action's own limit.timeout (ActionTimedOut).
    const message = `The request ${r.spec.label} got no answer${triesText(tries)}: ${r.reason}. Make the service answer sooner, or have it answer 202 (Accepted) with a Location header to poll, Azure's asynchronous pattern.`;
    return { ...common, status: 'TimedOut', code: r.code, error: { code: r.code, message } };
  }
  const message = `The request ${r.spec.label} could not be sent${triesText(tries)}: ${r.reason}.`;
  return { ...common, status: 'Failed', code: r.code, error: { code: r.code, message } };
}

function stoppedResult(
  run: HttpActionRun,
  engine: AbortSignal,
  inputs: Record<string, unknown>,
): HttpActionResult {
  const last = run.lastAnswer;
  const common = {
    inputs,
    retryHistory: run.retryHistory,
    secrets: run.secrets,
    ...(last ? { outputs: outputsOf(last) } : {}),
  };
  if (engine.aborted) {
    const message = `The run was cancelled while the Http action was running (${run.activity}); nothing more was sent.`;
    return {
      ...common,
      status: 'Cancelled',
      code: 'ActionCancelled',
      error: { code: 'ActionCancelled', message },
    };
  }
  const reason = run.limits.signal.reason as ActionLimitReached;
  const message =
    reason.kind === 'timeout'
      ? `The Http action did not finish within its limit.timeout of ${seconds(reason.limitMs)}; it stopped during ${run.activity}. Raise the action's limit.timeout, make the service answer sooner, or use a retry policy with fewer or shorter waits.`
      : `The asynchronous operation was still running (202 Accepted) after ${seconds(reason.limitMs)} of polling, Lanyard's limit for an Http action without limit.timeout; it stopped during ${run.activity}. Set the action's limit.timeout to wait longer, or add DisableAsyncPattern to its operationOptions to take the 202 as the answer.`;
  return {
    ...common,
    status: 'TimedOut',
    code: 'ActionTimedOut',
    error: { code: 'ActionTimedOut', message },
  };
}

function failed(
  run: HttpActionRun,
  inputs: Record<string, unknown>,
  code: string,
  message: string,
  answer?: Answer,
): HttpActionResult {
  return {
    status: 'Failed',
    code,
    inputs,
    ...(answer ? { outputs: outputsOf(answer) } : {}),
    error: { code, message },
    retryHistory: run.retryHistory,
    secrets: run.secrets,
  };
}

function initialSpec(request: HttpActionRequest, prepared: PreparedRequest): Spec {
  const auth = request.authentication;
  if (auth) {
    if (auth.type !== 'ManagedServiceIdentity')
      throw new HttpInputError(
        `The authentication type '${String(auth.type)}' is not supported; only ManagedServiceIdentity is.`,
      );
    if (typeof auth.audience !== 'string' || auth.audience.trim() === '')
      throw new HttpInputError(
        "The authentication's audience is empty or not text; it must be the resource the token is for, such as https://management.azure.com/.",
      );
    if (auth.identity !== undefined && (typeof auth.identity !== 'string' || auth.identity.trim() === ''))
      throw new HttpInputError(
        "The authentication's identity is empty or not text; it must be a user-assigned identity's resource id, or absent for the system-assigned identity.",
      );
    const given = headerName(prepared.headers, 'authorization');
    if (given !== undefined)
      throw new HttpInputError(
        `The action has both a ManagedServiceIdentity authentication and an '${given}' header, which Azure refuses. Remove the header: the identity's token is sent as 'Authorization: Bearer …'.`,
      );
  }
  return {
    ...prepared,
    withToken: auth !== undefined,
    label: `${prepared.method} ${place(prepared.url)}`,
  };
}

/**
 * Runs the action. Never rejects for the action's own reasons: a refusal, an error answer, a timeout or a
 * cancel is a result with its status, code and message. `signal` is the engine's: aborting it ends the action
 * at once as Cancelled.
 */
export async function runHttpAction(
  request: HttpActionRequest,
  services: HttpActionServices,
  signal: AbortSignal,
): Promise<HttpActionResult> {
  const inputs = recordedInputs(request);
  const run = new HttpActionRun(request, services, signal);
  if (signal.aborted) return stoppedResult(run, signal, inputs);
  let timer: NodeJS.Timeout | undefined;
  try {
    const first = initialSpec(request, prepareRequest(request));
    if (run.hasTimeout) {
      const ms = Math.max(0, request.timeoutMs!);
      timer = setTimeout(() => run.limits.abort(new ActionLimitReached('timeout', ms)), ms);
    }
    const result = await run.run(first);
    return result.kind === 'answer'
      ? answerResult(run, result, run.tries, inputs)
      : noAnswerResult(run, result, run.tries, inputs);
  } catch (err) {
    if (run.signal.aborted) return stoppedResult(run, signal, inputs);
    if (err instanceof HttpInputError || err instanceof TokenFailure)
      return failed(run, inputs, err.code, err.message);
    if (err instanceof LocationFailure) return failed(run, inputs, err.code, err.message, err.answer);
    return failed(run, inputs, 'HttpActionError', `Lanyard could not run the Http action: ${errorText(err)}`);
  } finally {
    clearTimeout(timer);
    run.stop();
  }
}
