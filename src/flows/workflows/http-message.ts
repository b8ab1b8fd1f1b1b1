/**
 * @module flows/workflows/http-message
 * The two ends of an `Http` action's exchange as plain data (docs/flows.md, "Http actions"): its evaluated inputs checked
 * and turned into the request to send (method, URL with `queries`, headers, body bytes), what the run history
 * shows of them (never an `Authorization` header), and an answer's body turned into what `outputs.body` holds
 * (parsed JSON, text, or a `$content-type`/`$content` envelope). Every refusal is an `HttpInputError` whose
 * message names the input and says how to write it.
 */
import type { ManagedIdentityAuthentication } from '../definition/types.ts';
import { HTTP_METHODS } from '../definition/types.ts';

/** Azure's limit on an `Http` action's URI: 2 KB, queries included. */
export const MAX_URI_LENGTH = 2048;
/** Headers an action may set; more is refused rather than sent to a server that would refuse it. */
export const MAX_REQUEST_HEADERS = 100;
/** Their names and values together, in bytes; Node and most servers refuse more than 16 KiB of head. */
export const MAX_REQUEST_HEADER_BYTES = 16 * 1024;

export type HttpMethod = (typeof HTTP_METHODS)[number];

/** The action's inputs cannot make a request; code `InvalidHttpRequest`, never retried. */
export class HttpInputError extends Error {
  readonly code = 'InvalidHttpRequest';
  override readonly name = 'HttpInputError';
}

/** The request as it will be sent, before the token and the workflow headers are added. */
export interface PreparedRequest {
  readonly method: HttpMethod;
  /** The URI with `queries` appended; no fragment. */
  readonly url: URL;
  /** The action's own headers, by the name written (names unique without case), with a default Content-Type. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
}

/** The inputs that matter here, as the engine evaluated them. */
export interface HttpInputs {
  readonly method: unknown;
  readonly uri: unknown;
  readonly headers?: unknown;
  readonly queries?: unknown;
  readonly body?: unknown;
  readonly cookie?: unknown;
  readonly authentication?: ManagedIdentityAuthentication | undefined;
}

/**
 * Headers the HTTP connection itself decides; setting one would break the exchange or, for `Host`, send the
 * request to another name than the URI's (and change the TLS server name undici derives from it).
 */
const CONNECTION_HEADERS: Readonly<Record<string, string>> = {
  host: 'the host is the one in the uri',
  'content-length': 'the length is computed from the body',
  'transfer-encoding': 'the body is sent with a computed length',
  connection: 'connections are managed by Lanyard',
  'keep-alive': 'connections are managed by Lanyard',
  'proxy-connection': 'connections are managed by Lanyard',
  upgrade: 'an Http action cannot switch protocols',
  te: 'the response encoding is negotiated by Lanyard',
  trailer: 'an Http action sends no trailers',
  expect: 'the body is sent without waiting for 100 Continue',
};

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What undici (and HTTP) accept in a header value: no control characters but tab, nothing past Latin-1. */
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** A short, single-line view of a value for messages. */
export function preview(value: unknown, max = 120): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A header or query value as text: strings as they are, numbers and booleans as JSON writes them. */
function scalarText(value: unknown, what: string, howToFix: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  throw new HttpInputError(
    `${what} is ${typeName(value)} (${preview(value, 60)}); it must be a string, a number or true/false. ${howToFix}`,
  );
}

export function normalizeMethod(method: unknown): HttpMethod {
  if (typeof method !== 'string' || method.trim() === '')
    throw new HttpInputError(
      `The 'method' input is ${typeName(method)}; it must be one of ${HTTP_METHODS.join(', ')}.`,
    );
  const upper = method.trim().toUpperCase();
  const found = HTTP_METHODS.find((m) => m === upper);
  if (!found)
    throw new HttpInputError(
      `The method '${preview(method, 40)}' is not one an Http action sends; use one of ${HTTP_METHODS.join(', ')}.`,
    );
  return found;
}

/** `?k=v` pairs encoded as URI components (a space is `%20`, never `+`). */
function appendQueries(url: URL, queries: unknown): void {
  if (queries === undefined || queries === null) return;
  if (!isRecord(queries))
    throw new HttpInputError(
      `The 'queries' input is ${typeName(queries)}; it must be an object of parameter names and values, such as { "api-version": "2022-09-01" }.`,
    );
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(queries)) {
    const text = scalarText(
      value,
      `The query parameter '${name}'`,
      "Write a list as one text (join(…, ',')), or use coalesce() for a value that may be null.",
    );
    pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(text)}`);
  }
  if (pairs.length === 0) return;
  const search = url.search.length > 1 ? `${url.search}&` : '?';
  url.search = `${search}${pairs.join('&')}`;
}

/** The URI checked (absolute http(s), no credentials, 2 KB) and with `queries` appended. */
export function requestUrl(uri: unknown, queries: unknown): URL {
  if (typeof uri !== 'string' || uri === '')
    throw new HttpInputError(
      `The 'uri' input is ${uri === '' ? 'empty' : typeName(uri)}; it must be an absolute http or https URI.`,
    );
  if (uri.length > MAX_URI_LENGTH)
    throw new HttpInputError(
      `The uri is ${uri.length} characters long; an Http action's uri may have at most ${MAX_URI_LENGTH} (Azure's 2 KB limit). Send long data in the body instead.`,
    );
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new HttpInputError(
      `The uri '${preview(uri, 200)}' is not an absolute URI; write it with its scheme and host, such as https://example.localhost/path.`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new HttpInputError(
      `The uri '${preview(uri, 200)}' uses '${url.protocol.slice(0, -1)}'; an Http action calls http or https URIs only.`,
    );
  if (url.username !== '' || url.password !== '')
    throw new HttpInputError(
      `The uri '${url.host}${url.pathname}' carries a user name or password; credentials are not sent from the uri. Use the action's authentication, or an Authorization header.`,
    );
  url.hash = '';
  appendQueries(url, queries);
  if (url.href.length > MAX_URI_LENGTH)
    throw new HttpInputError(
      `The uri with its queries is ${url.href.length} characters long; an Http action's uri may have at most ${MAX_URI_LENGTH} (Azure's 2 KB limit). Send long data in the body instead.`,
    );
  return url;
}

/** The action's headers, checked; names keep their case and must be unique without it. */
export function requestHeaders(headers: unknown): Record<string, string> {
  if (headers === undefined || headers === null) return {};
  if (!isRecord(headers))
    throw new HttpInputError(
      `The 'headers' input is ${typeName(headers)} (${preview(headers, 60)}); it must be an object of header names and values, such as { "Accept": "application/json" }.`,
    );
  const out: Record<string, string> = {};
  const seen = new Map<string, string>();
  let bytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name))
      throw new HttpInputError(
        `'${preview(name, 60)}' is not a header name: a name is letters, digits and !#$%&'*+-.^_\`|~, without spaces or colons.`,
      );
    const lower = name.toLowerCase();
    const why = CONNECTION_HEADERS[lower];
    if (why !== undefined)
      throw new HttpInputError(`The header '${name}' cannot be set on an Http action: ${why}. Remove it.`);
    const earlier = seen.get(lower);
    if (earlier !== undefined)
      throw new HttpInputError(
        `The headers '${earlier}' and '${name}' are the same header (names ignore case); keep one.`,
      );
    seen.set(lower, name);
    const text = scalarText(
      value,
      `The value of the header '${name}'`,
      'Use coalesce() for a value that may be null, or string() for an object.',
    );
    if (BAD_HEADER_VALUE.test(text))
      throw new HttpInputError(
        `The value of the header '${name}' has a line break, a control character or a character outside Latin-1, which HTTP headers cannot carry. Encode it first, such as with encodeUriComponent() or base64().`,
      );
    bytes += name.length + text.length + 4;
    out[name] = text;
  }
  const count = Object.keys(out).length;
  if (count > MAX_REQUEST_HEADERS)
    throw new HttpInputError(
      `The action sets ${count} headers; at most ${MAX_REQUEST_HEADERS} are sent. Move data to the body.`,
    );
  if (bytes > MAX_REQUEST_HEADER_BYTES)
    throw new HttpInputError(
      `The action's headers are ${bytes} bytes; at most ${MAX_REQUEST_HEADER_BYTES} are sent (servers refuse larger request heads). Move data to the body.`,
    );
  return out;
}

/** The name under which `headers` has `name`, ignoring case. */
export function headerName(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(headers).find((k) => k.toLowerCase() === lower);
}

interface EncodedBody {
  readonly bytes: Buffer;
  readonly contentType: string;
}

function formData(items: unknown): Buffer {
  if (!Array.isArray(items))
    throw new HttpInputError(
      `The body's '$formdata' is ${typeName(items)}; it must be an array of { "key": …, "value": … } items.`,
    );
  const pairs = items.map((item, i) => {
    if (!isRecord(item) || typeof item.key !== 'string')
      throw new HttpInputError(
        `Item ${i} of the body's '$formdata' must be { "key": "<name>", "value": <text> }; it is ${preview(item, 60)}.`,
      );
    const text = scalarText(item.value, `The '$formdata' value of '${item.key}'`, 'Use coalesce() for null.');
    return `${encodeURIComponent(item.key)}=${encodeURIComponent(text)}`;
  });
  return Buffer.from(pairs.join('&'), 'utf8');
}

/**
 * The body's bytes and the Content-Type it implies: text as UTF-8 (`text/plain`), the `$content-type` +
 * base64 `$content` envelope decoded, `$formdata` URL-encoded, any other JSON value as JSON. undefined and null
 * send no body: an expression that found nothing (`triggerBody()?['x']`) should not send the text "null".
 */
export function encodeBody(body: unknown): EncodedBody | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string')
    return { bytes: Buffer.from(body, 'utf8'), contentType: 'text/plain; charset=utf-8' };
  if (isRecord(body) && Object.hasOwn(body, '$content-type')) {
    const type = body['$content-type'];
    if (typeof type !== 'string' || type.trim() === '' || BAD_HEADER_VALUE.test(type))
      throw new HttpInputError(
        `The body's '$content-type' is ${typeName(type)}; it must be a media type such as "application/pdf".`,
      );
    if (Object.hasOwn(body, '$formdata')) return { bytes: formData(body.$formdata), contentType: type };
    const content = body.$content;
    if (typeof content !== 'string')
      throw new HttpInputError(
        `The body has '$content-type' but ${Object.hasOwn(body, '$content') ? `its '$content' is ${typeName(content)}` : "no '$content'"}: an envelope body is { "$content-type": "<type>", "$content": "<base64>" } (or '$formdata' for a form). '$multipart' bodies are not supported.`,
      );
    const compact = content.replace(/\s+/g, '');
    if (compact.length % 4 === 1 || !BASE64.test(compact))
      throw new HttpInputError(
        `The body's '$content' is not base64 (${preview(content, 40)}); it holds the bytes to send, as base64() or an earlier action's body gives them.`,
      );
    return { bytes: Buffer.from(compact, 'base64'), contentType: type };
  }
  return { bytes: Buffer.from(JSON.stringify(body), 'utf8'), contentType: 'application/json; charset=utf-8' };
}

/**
 * The inputs as a request: method, URL, the action's headers (a `cookie` input as `Cookie`, the body's
 * Content-Type unless a header sets one) and the body. Throws HttpInputError.
 */
export function prepareRequest(inputs: HttpInputs): PreparedRequest {
  const method = normalizeMethod(inputs.method);
  const url = requestUrl(inputs.uri, inputs.queries);
  const headers = requestHeaders(inputs.headers);
  if (inputs.cookie !== undefined && inputs.cookie !== null) {
    if (typeof inputs.cookie !== 'string' || BAD_HEADER_VALUE.test(inputs.cookie))
      throw new HttpInputError(
        `The 'cookie' input is ${typeName(inputs.cookie)}; it must be the text of a Cookie header, such as "a=1; b=2".`,
      );
    const given = headerName(headers, 'cookie');
    if (given !== undefined)
      throw new HttpInputError(`The action has both a 'cookie' input and a '${given}' header; keep one.`);
    headers.Cookie = inputs.cookie;
  }
  const body = encodeBody(inputs.body);
  if (body && headerName(headers, 'content-type') === undefined) headers['Content-Type'] = body.contentType;
  return { method, url, headers, body: body?.bytes };
}

/**
 * What the run history shows as the inputs: the method, the URI with its queries, the headers as written (values
 * as text) without any `Authorization`, the body as given, and the authentication without secrets. Built from
 * the raw inputs, so an action refused for its inputs still shows what it was given.
 */
export function recordedInputs(inputs: HttpInputs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  out.method = typeof inputs.method === 'string' ? inputs.method.trim().toUpperCase() : inputs.method;
  let uri: unknown = inputs.uri;
  try {
    uri = requestUrl(inputs.uri, inputs.queries).href;
  } catch {
    if (inputs.queries !== undefined) out.queries = inputs.queries;
  }
  out.uri = uri;
  if (isRecord(inputs.headers)) {
    const shown: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(inputs.headers)) {
      if (name.toLowerCase() === 'authorization') continue;
      shown[name] = typeof value === 'number' || typeof value === 'boolean' ? String(value) : (value ?? null);
    }
    out.headers = shown;
  } else if (inputs.headers !== undefined) out.headers = inputs.headers;
  if (inputs.cookie !== undefined) out.cookie = inputs.cookie;
  if (inputs.body !== undefined) out.body = inputs.body;
  const auth = inputs.authentication;
  if (auth) {
    out.authentication = {
      type: auth.type,
      audience: auth.audience,
      ...(auth.identity !== undefined ? { identity: auth.identity } : {}),
    };
  }
  return out;
}

/** The values of `Authorization` headers in the inputs, and their credentials alone, for masking. */
export function authorizationSecrets(headers: unknown): string[] {
  if (!isRecord(headers)) return [];
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'authorization' || typeof value !== 'string') continue;
    out.push(value);
    const credential = /^\S+\s+(\S.*)$/.exec(value.trim())?.[1];
    if (credential) out.push(credential);
  }
  return out;
}

/** .NET's `HttpStatusCode` names, which Logic Apps shows as an Http action's `code`. */
const REASONS: Readonly<Record<number, string>> = {
  100: 'Continue',
  101: 'SwitchingProtocols',
  102: 'Processing',
  103: 'EarlyHints',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'NonAuthoritativeInformation',
  204: 'NoContent',
  205: 'ResetContent',
  206: 'PartialContent',
  207: 'MultiStatus',
  208: 'AlreadyReported',
  226: 'IMUsed',
  300: 'Ambiguous',
  301: 'Moved',
  302: 'Redirect',
  303: 'RedirectMethod',
  304: 'NotModified',
  305: 'UseProxy',
  306: 'Unused',
  307: 'TemporaryRedirect',
  308: 'PermanentRedirect',
  400: 'BadRequest',
  401: 'Unauthorized',
  402: 'PaymentRequired',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  407: 'ProxyAuthenticationRequired',
  408: 'RequestTimeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'LengthRequired',
  412: 'PreconditionFailed',
  413: 'RequestEntityTooLarge',
  414: 'RequestUriTooLong',
  415: 'UnsupportedMediaType',
  416: 'RequestedRangeNotSatisfiable',
  417: 'ExpectationFailed',
  421: 'MisdirectedRequest',
  422: 'UnprocessableEntity',
  423: 'Locked',
  424: 'FailedDependency',
  426: 'UpgradeRequired',
  428: 'PreconditionRequired',
  429: 'TooManyRequests',
  431: 'RequestHeaderFieldsTooLarge',
  451: 'UnavailableForLegalReasons',
  500: 'InternalServerError',
  501: 'NotImplemented',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
  505: 'HttpVersionNotSupported',
  506: 'VariantAlsoNegotiates',
  507: 'InsufficientStorage',
  508: 'LoopDetected',
  510: 'NotExtended',
  511: 'NetworkAuthenticationRequired',
};

/** The status's name (`NotFound`), or its number as text for a status .NET has no name for, as .NET prints it. */
export function reasonName(status: number): string {
  return REASONS[status] ?? String(status);
}

function mediaType(contentType: string | undefined): { type: string; charset: string | undefined } {
  if (contentType === undefined) return { type: '', charset: undefined };
  const [type = '', ...params] = contentType.split(';');
  let charset: string | undefined;
  for (const p of params) {
    const m = /^\s*charset\s*=\s*"?([^";\s]+)"?\s*$/i.exec(p);
    if (m) charset = m[1];
  }
  return { type: type.trim().toLowerCase(), charset };
}

function decodeText(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    // An unknown charset label: UTF-8 is what nearly every service means.
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** Whether `contentType` is JSON: `application/json`, `text/json`, or any `+json` type. */
export function isJsonType(contentType: string | undefined): boolean {
  const { type } = mediaType(contentType);
  return type === 'application/json' || type === 'text/json' || type.endsWith('+json');
}

/**
 * An answer's body as `outputs.body` holds it: JSON parsed when the type says JSON (text when it does not parse),
 * text for `text/*` and XML, otherwise (or with no Content-Type) the `$content-type`/`$content` envelope Logic
 * Apps uses for bytes. An empty body is absent.
 */
export function responseBody(bytes: Buffer, contentType: string | undefined): unknown {
  if (bytes.length === 0) return undefined;
  const { type, charset } = mediaType(contentType);
  if (isJsonType(contentType)) {
    const text = decodeText(bytes, charset);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  if (type.startsWith('text/') || type === 'application/xml' || type.endsWith('+xml'))
    return decodeText(bytes, charset);
  return { '$content-type': contentType ?? 'application/octet-stream', $content: bytes.toString('base64') };
}
