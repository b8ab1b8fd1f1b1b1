/**
 * @module gateway/openapi-import
 * An OpenAPI 3.x or Swagger 2.0 document (JSON or YAML) turned into an API definition, as `az apim api import`
 * does: one operation per path and method, named by its `operationId` (made a valid name, or derived from the
 * method and path when missing: `get-items-id`), shown by its `summary`; the backend's URL from the document's
 * first server (OpenAPI 3) or `schemes`/`host`/`basePath` (Swagger 2) unless one is given; the title as display
 * name. Only paths, methods, operation ids and summaries matter, so `$ref`s are not resolved.
 *
 * Refused, as API Management refuses the import (a `LanyardError` `ERR_VALIDATION` with a hint): text over 4 MiB,
 * more than 2,000 operations, nesting deeper than 64, a document that is neither version, a path the gateway
 * cannot route (`/files/{name}.{ext}`), two paths that match the same requests with one method, and a relative
 * or missing server URL when no service URL is given. What is read but not carried over (API-key security
 * schemes with other key names, other security schemes, `x-ms-paths`) is listed in `warnings`.
 */
import { LineCounter, parseDocument } from 'yaml';
import { LanyardError } from '../errors/lanyard-error.ts';
import {
  type ApiDefinition,
  DEFAULT_KEY_HEADER,
  DEFAULT_KEY_QUERY,
  type OperationDefinition,
} from './model.ts';
import { compileTemplate } from './runtime/routing.ts';

export interface OpenApiImportOptions {
  /** The API's name (1-80 letters, digits, `.`, `_`, `-`, starting with a letter or digit). */
  readonly name: string;
  /** The path suffix on the gateway (`orders`, `shop/v1`, '' for the root); slashes at the ends are dropped. */
  readonly path: string;
  /** The backend's base URL; else the document's. */
  readonly serviceUrl?: string | undefined;
  /** Else the document's `info.title`. */
  readonly displayName?: string | undefined;
  /** Default true. */
  readonly subscriptionRequired?: boolean | undefined;
}

export interface OpenApiImport {
  readonly api: ApiDefinition;
  readonly warnings: string[];
}

export const MAX_OPENAPI_BYTES = 4 * 1024 * 1024;
export const MAX_OPENAPI_OPERATIONS = 2000;
export const MAX_OPENAPI_DEPTH = 64;
/** Unbalanced `[`/`{` in a YAML text before it is parsed: the YAML parser slows to seconds far below 4 MiB. */
const MAX_FLOW_NESTING = 256;
const MAX_ALIAS_COUNT = 100;
const MAX_NAME = 80;
const MAX_DISPLAY = 300;
const MAX_TEMPLATE = 1000;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;
const API_PATH = /^([A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)?$/;
const V3_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const V2_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

type Json = Record<string, unknown>;
type Version = 'openapi3' | 'swagger2';

function refuse(message: string, hint: string, details?: Record<string, unknown>): LanyardError {
  return new LanyardError('ERR_VALIDATION', message, { hint, details });
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function importOpenApi(text: string, options: OpenApiImportOptions): OpenApiImport {
  const warnings: string[] = [];
  const name = checkName(options.name);
  const apiPath = checkApiPath(options.path);
  const doc = parseText(text);
  const version = detectVersion(doc);
  const operations = readOperations(doc, version, warnings);
  const serviceUrl =
    options.serviceUrl !== undefined
      ? checkServiceUrl(options.serviceUrl, 'serviceUrl')
      : version === 'openapi3'
        ? serverUrl3(doc, warnings)
        : serverUrl2(doc, warnings);
  readSecurity(doc, version, warnings);
  readExtensions(doc, warnings);
  const api: ApiDefinition = {
    name,
    displayName: apiDisplayName(options.displayName, doc, name, warnings),
    path: apiPath,
    serviceUrl,
    protocols: ['https'],
    subscriptionRequired: options.subscriptionRequired ?? true,
    subscriptionKeyHeader: DEFAULT_KEY_HEADER,
    subscriptionKeyQuery: DEFAULT_KEY_QUERY,
    operations,
  };
  return { api, warnings };
}

// ---- options ----

function checkName(name: string): string {
  if (!NAME.test(name))
    throw refuse(
      `"${name}" is not a valid API name.`,
      'An API name is 1-80 letters, digits, ".", "_" or "-", starting with a letter or digit.',
    );
  return name;
}

function checkApiPath(path: string): string {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed.length > 400 || !API_PATH.test(trimmed))
    throw refuse(
      `"${path}" is not a valid API path suffix.`,
      'Give path segments of letters, digits, ".", "_", "~" or "-" separated by "/" (e.g. "orders" or "shop/v1"), or "" for the root.',
    );
  return trimmed;
}

function checkServiceUrl(url: string, where: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw refuse(
      `${where} "${url}" is not an absolute URL.`,
      'Give the backend base URL, such as https://backend.example.com/api, with --service-url.',
    );
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username !== '' || u.password !== '')
    throw refuse(
      `${where} "${url}" is not an http(s) URL without credentials.`,
      'The backend URL must start with http:// or https:// and hold no user name or password.',
    );
  if (url.length > 2048)
    throw refuse(`${where} is longer than 2048 characters.`, 'Give a shorter backend URL.');
  return url;
}

// ---- text ----

function parseText(raw: string): Json {
  const bytes = Buffer.byteLength(raw, 'utf8');
  if (bytes > MAX_OPENAPI_BYTES)
    throw refuse(
      `The document is ${bytes} bytes; at most ${MAX_OPENAPI_BYTES} (4 MiB) can be imported.`,
      'Split the API into several documents, or remove examples and long descriptions.',
      { bytes, max: MAX_OPENAPI_BYTES },
    );
  const text = raw.replace(/^\uFEFF/, '');
  const first = text.trimStart()[0];
  let data: unknown;
  if (first === '{' || first === '[') {
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw refuse(
        `The document starts like JSON but is not valid JSON: ${(err as Error).message}.`,
        'Fix the JSON, or give the YAML form of the document.',
      );
    }
  } else {
    if (flowNesting(text) > MAX_FLOW_NESTING) throw tooDeep();
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter });
    const error = doc.errors[0];
    if (error) {
      if (/call stack|stack overflow/i.test(error.message)) throw tooDeep();
      const { line, col } = lineCounter.linePos(error.pos[0]);
      throw refuse(
        `The document is not valid YAML (line ${line}, column ${col}): ${error.message.split('\n')[0]}`,
        'Give an OpenAPI 3.x or Swagger 2.0 document in JSON or YAML.',
      );
    }
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      if (err instanceof RangeError) throw tooDeep();
      throw refuse(
        `The YAML cannot be read: ${(err as Error).message}.`,
        `Write repeated values out instead of nesting aliases (*name); at most ${MAX_ALIAS_COUNT} expansions are allowed.`,
      );
    }
  }
  if (depthOf(data) > MAX_OPENAPI_DEPTH) throw tooDeep();
  if (!isObject(data))
    throw refuse(
      'The document is neither OpenAPI 3.x nor Swagger 2.0: its top level is not a JSON or YAML object.',
      'Give an OpenAPI 3.x (openapi: 3.0.x) or Swagger 2.0 (swagger: "2.0") document; WSDL, WADL and GraphQL schemas cannot be imported.',
    );
  return data;
}

function tooDeep(): LanyardError {
  return refuse(
    `The document nests deeper than ${MAX_OPENAPI_DEPTH} levels.`,
    'Move deeply nested inline schemas into components (or definitions) and refer to them with $ref.',
    { maxDepth: MAX_OPENAPI_DEPTH },
  );
}

/**
 * An estimate of the flow-collection nesting of YAML text, before the parser sees it (on deeply nested input
 * it takes a minute to fail, far below 4 MiB): each `[` or `{` where a token may start (a line's start, after
 * `:`, `- `, `? `, `,`, `[`, `{`, an anchor or a tag) opens a level, each `]` or `}` closes one; quoted scalars
 * and comments are skipped; `- ` or `? ` repeated on one line counts too. Brackets inside plain text (`see [RFC 7231]`) are not where a token starts.
 */
function flowNesting(text: string): number {
  let depth = 0;
  let max = 0;
  let tokenStart = true;
  let compact = 0;
  const n = text.length;
  let i = 0;
  const space = (ch: string | undefined) => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      tokenStart = true;
      compact = 0;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#' && (i === 0 || space(text[i - 1]))) {
      while (i < n && text[i] !== '\n') i++;
    } else if (tokenStart && (c === '"' || c === "'")) {
      i++;
      while (i < n) {
        if (c === '"' && text[i] === '\\') i += 2;
        else if (text[i] === c && !(c === "'" && text[i + 1] === "'")) break;
        else i += c === "'" && text[i] === "'" ? 2 : 1;
      }
      i++;
      tokenStart = false;
    } else if (c === '[' || c === '{') {
      if (tokenStart) {
        depth++;
        if (depth > max) max = depth;
      }
      i++;
    } else if (c === ']' || c === '}') {
      if (depth > 0) depth--;
      tokenStart = false;
      i++;
    } else if (c === ',' || c === ':') {
      tokenStart = true;
      i++;
    } else if (tokenStart && (c === '-' || c === '?') && space(text[i + 1])) {
      // `- - - a`: sequences nested on one line.
      compact++;
      if (compact > max) max = compact;
      i++;
    } else if (tokenStart && (c === '&' || c === '!')) {
      while (i < n && !space(text[i]) && text[i] !== '[' && text[i] !== '{') i++;
    } else {
      tokenStart = false;
      i++;
    }
  }
  return max;
}

/** The nesting depth of parsed data, without recursion. */
function depthOf(data: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[data, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > max) max = depth;
    if (depth > MAX_OPENAPI_DEPTH) return depth;
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, depth + 1]);
  }
  return max;
}

function detectVersion(doc: Json): Version {
  const openapi = doc.openapi;
  const swagger = doc.swagger;
  if (openapi !== undefined && swagger !== undefined)
    throw refuse(
      'The document has both "openapi" and "swagger" fields.',
      'Keep "openapi: 3.x" for an OpenAPI 3 document or "swagger: \'2.0\'" for a Swagger 2.0 one.',
    );
  if (openapi !== undefined) {
    const v = String(openapi);
    if (/^3(\.\d+){0,2}$/.test(v)) return 'openapi3';
    throw refuse(
      `OpenAPI version "${v}" cannot be imported; 3.x and Swagger 2.0 can.`,
      'Convert the document to OpenAPI 3.0 or 3.1.',
    );
  }
  if (swagger !== undefined) {
    if (String(swagger) === '2.0' || swagger === 2) return 'swagger2';
    throw refuse(
      `Swagger version "${String(swagger)}" cannot be imported; Swagger 2.0 and OpenAPI 3.x can.`,
      'Convert the document to OpenAPI 3 (or Swagger 2.0).',
    );
  }
  throw refuse(
    'The document is neither OpenAPI 3.x nor Swagger 2.0: it has no "openapi" or "swagger" field.',
    'Give an OpenAPI 3.x (openapi: 3.0.x) or Swagger 2.0 (swagger: "2.0") document; WSDL, WADL and GraphQL schemas cannot be imported.',
  );
}

// ---- operations ----

interface Found {
  readonly method: string;
  readonly path: string;
  readonly operationId: string | undefined;
  readonly summary: string | undefined;
}

function readOperations(doc: Json, version: Version, warnings: string[]): OperationDefinition[] {
  const paths = doc.paths;
  if (paths === undefined || paths === null) {
    warnings.push('The document has no paths: the API has no operations.');
    return [];
  }
  if (!isObject(paths))
    throw refuse('"paths" is not an object.', 'Give "paths" as a map from path to its operations.');
  const methods = version === 'openapi3' ? V3_METHODS : V2_METHODS;

  const found: Found[] = [];
  for (const [path, item] of Object.entries(paths)) {
    if (path.startsWith('x-')) continue;
    if (item === null || item === undefined) continue;
    if (!isObject(item))
      throw refuse(`Path ${path} is not an object.`, 'Each path holds its operations by method.', { path });
    if (typeof item.$ref === 'string')
      warnings.push(
        `Path ${path} refers to ${item.$ref}, which is not followed: its operations there are not imported.`,
      );
    for (const m of methods) {
      const op = item[m];
      if (op === undefined || op === null) continue;
      const method = m.toUpperCase();
      if (!isObject(op))
        throw refuse(`${method} ${path} is not an object.`, 'Give each operation as an object.', {
          path,
          method,
        });
      found.push({ method, path, operationId: textOf(op.operationId), summary: textOf(op.summary) });
      if (found.length > MAX_OPENAPI_OPERATIONS)
        throw refuse(
          `The document has more than ${MAX_OPENAPI_OPERATIONS} operations.`,
          'Split the API into several documents and import each as its own API.',
          { max: MAX_OPENAPI_OPERATIONS },
        );
    }
  }

  checkTemplates(found);
  const names = nameOperations(found, warnings);
  return found.map((f, i) => {
    const name = names[i]!;
    let displayName = f.summary ?? f.operationId ?? name;
    if (displayName.length > MAX_DISPLAY) {
      warnings.push(
        `${f.method} ${f.path}: the summary is cut to ${MAX_DISPLAY} characters for the display name.`,
      );
      displayName = displayName.slice(0, MAX_DISPLAY);
    }
    return { name, displayName, method: f.method, urlTemplate: f.path };
  });
}

/** A non-empty string (numbers as written), trimmed; else undefined. */
function textOf(v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

/** Every path must be a template the gateway routes, and no two may match the same requests with one method. */
function checkTemplates(found: readonly Found[]): void {
  const shapes = new Map<string, string>();
  const checked = new Map<string, string>();
  for (const f of found) {
    let shape = checked.get(f.path);
    if (shape === undefined) {
      shape = templateShape(f.path);
      checked.set(f.path, shape);
    }
    const key = `${f.method} ${shape}`;
    const other = shapes.get(key);
    if (other !== undefined && other !== f.path)
      throw refuse(
        `Paths ${other} and ${f.path} both match the same requests for ${f.method}.`,
        'Paths that differ only in parameter names, letter case or slashes are the same route on the gateway: keep one.',
        { paths: [other, f.path], method: f.method },
      );
    shapes.set(key, f.path);
  }
}

function templateShape(path: string): string {
  const details = { path };
  if (!path.startsWith('/'))
    throw refuse(
      `Path "${path}" does not start with "/".`,
      'OpenAPI paths start with "/" (e.g. /items/{id}).',
      details,
    );
  if (path.includes('?'))
    throw refuse(
      `Path ${path} has a query part.`,
      'An OpenAPI path holds no query: declare query parameters with "in: query" instead.',
      details,
    );
  if (path.length > MAX_TEMPLATE)
    throw refuse(
      `Path ${path.slice(0, 60)}… is longer than ${MAX_TEMPLATE} characters.`,
      'Shorten the path.',
      {
        length: path.length,
      },
    );
  let compiled: ReturnType<typeof compileTemplate>;
  try {
    compiled = compileTemplate(path);
  } catch (err) {
    throw refuse(
      `Path ${path} cannot be routed by the gateway: ${(err as Error).message}.`,
      'Each path segment must be literal text or one whole {parameter} (letters, digits, "_", "." or "-"); change the path (e.g. /files/{name}.{ext} to /files/{file}).',
      details,
    );
  }
  return compiled.parts
    .map((p) => (p.literal !== undefined ? `/${p.literal}` : p.rest ? '/{*}' : '/{}'))
    .join('');
}

/**
 * Operation ids made valid names first (in document order; a repeated one gets `-2`, `-3`…), then names
 * derived from method and path for operations without one, so a derived name never takes an id's place.
 */
function nameOperations(found: readonly Found[], warnings: string[]): string[] {
  const taken = new Set<string>();
  const names: string[] = [];
  found.forEach((f, i) => {
    if (f.operationId === undefined) return;
    const valid = sanitize(f.operationId);
    if (valid === '') return;
    const name = unique(valid, taken);
    if (name !== f.operationId) {
      const why = name === valid ? 'is not a valid operation name' : 'is used by an earlier operation';
      warnings.push(`${f.method} ${f.path}: operationId "${f.operationId}" ${why}; imported as "${name}".`);
    }
    names[i] = name;
  });
  found.forEach((f, i) => {
    if (names[i] !== undefined) return;
    if (f.operationId !== undefined)
      warnings.push(
        `${f.method} ${f.path}: operationId "${f.operationId}" has no letter or digit; named from the path.`,
      );
    names[i] = unique(derivedName(f.method, f.path), taken);
  });
  return names;
}

/** Runs of characters a name may not hold become `-`; it starts with a letter or digit and is at most 80 long. */
function sanitize(id: string): string {
  return trimDashes(
    id
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, MAX_NAME),
  );
}

function trimDashes(s: string): string {
  return s.replace(/-+$/, '');
}

/** `GET /items/{id}` → `get-items-id`; `GET /` → `get`. */
function derivedName(method: string, path: string): string {
  const words = path
    .toLowerCase()
    .replace(/[{}*]/g, '')
    .split(/[^a-z0-9._]+/)
    .filter((w) => w !== '');
  return sanitize([method.toLowerCase(), ...words].join('-'));
}

function unique(base: string, taken: Set<string>): string {
  let name = base;
  for (let n = 2; taken.has(name.toLowerCase()); n++) {
    const suffix = `-${n}`;
    name = trimDashes(base.slice(0, MAX_NAME - suffix.length)) + suffix;
  }
  taken.add(name.toLowerCase());
  return name;
}

// ---- service URL ----

function serverUrl3(doc: Json, warnings: string[]): string {
  const servers = doc.servers;
  const noUrl = (why: string, details?: Record<string, unknown>) =>
    refuse(
      `${why}, and no service URL was given.`,
      'Give the backend base URL with --service-url (serviceUrl), or an absolute servers[0].url in the document.',
      details,
    );
  if (!Array.isArray(servers) || servers.length === 0)
    throw noUrl('The document has no servers (its operations are relative to where it was served from)');
  const server = servers[0];
  if (!isObject(server) || typeof server.url !== 'string') throw noUrl('servers[0] has no url');
  const variables = isObject(server.variables) ? server.variables : {};
  const url = server.url.replace(/\{([^{}]*)\}/g, (_, v: string) => {
    const variable = variables[v];
    const value = isObject(variable) ? textOf(variable.default) : undefined;
    if (value === undefined)
      throw refuse(
        `servers[0].url ${server.url} uses the variable {${v}}, which has no default.`,
        `Declare servers[0].variables.${v}.default, or give the service URL with --service-url.`,
        { url: server.url, variable: v },
      );
    return value;
  });
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url)) throw noUrl(`servers[0].url "${url}" is relative`, { url });
  const serviceUrl = checkServiceUrl(dropTrailingSlash(url), 'servers[0].url');
  if (servers.length > 1)
    warnings.push(
      `The document lists ${servers.length} servers; the service URL is the first, ${serviceUrl}.`,
    );
  return serviceUrl;
}

function serverUrl2(doc: Json, warnings: string[]): string {
  const host = textOf(doc.host);
  if (host === undefined)
    throw refuse(
      'The document has no host (its operations are relative to where it was served from), and no service URL was given.',
      'Give the backend base URL with --service-url (serviceUrl), or "host" (and "schemes", "basePath") in the document.',
    );
  const schemes = Array.isArray(doc.schemes) ? doc.schemes.map((s) => String(s).toLowerCase()) : [];
  let scheme = schemes.find((s) => s === 'https' || s === 'http');
  if (scheme === undefined) {
    scheme = 'https';
    warnings.push(
      schemes.length === 0
        ? 'The document has no schemes; the service URL uses https.'
        : `The document's schemes (${schemes.join(', ')}) hold neither http nor https; the service URL uses https.`,
    );
  }
  const basePath = textOf(doc.basePath) ?? '';
  const url = `${scheme}://${host}${basePath === '' || basePath.startsWith('/') ? '' : '/'}${basePath}`;
  return checkServiceUrl(dropTrailingSlash(url), 'The URL from schemes, host and basePath');
}

function dropTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

// ---- what is read but not carried over ----

function readSecurity(doc: Json, version: Version, warnings: string[]): void {
  const components = isObject(doc.components) ? doc.components : {};
  const schemes = version === 'openapi3' ? components.securitySchemes : doc.securityDefinitions;
  if (!isObject(schemes)) return;
  for (const [id, scheme] of Object.entries(schemes)) {
    if (!isObject(scheme)) continue;
    const type = String(scheme.type ?? '');
    if (type === 'apiKey') {
      const where = String(scheme.in ?? '');
      const keyName = String(scheme.name ?? '');
      if (where === 'header' && keyName.toLowerCase() === DEFAULT_KEY_HEADER.toLowerCase()) continue;
      if (where === 'query' && keyName === DEFAULT_KEY_QUERY) continue;
      warnings.push(
        `Security scheme "${id}" (an API key in ${where} "${keyName}") is ignored: callers send the subscription key in header ${DEFAULT_KEY_HEADER} or query parameter ${DEFAULT_KEY_QUERY}; change the API's subscription key names to use "${keyName}".`,
      );
    } else if (type !== '') {
      warnings.push(
        `Security scheme "${id}" (${type}) is not enforced by the import; add a policy (validate-jwt, validate-azure-ad-token, check-header) to the API.`,
      );
    }
  }
}

function readExtensions(doc: Json, warnings: string[]): void {
  const msPaths = doc['x-ms-paths'];
  if (isObject(msPaths))
    warnings.push(
      `x-ms-paths (${Object.keys(msPaths).length} paths) is not imported: only "paths" become operations.`,
    );
  const others = Object.keys(doc).filter((k) => k.startsWith('x-ms-') && k !== 'x-ms-paths');
  if (others.length > 0) warnings.push(`Ignored extensions: ${others.join(', ')}.`);
  if (isObject(doc.webhooks)) warnings.push('webhooks are not operations of the API; they are not imported.');
}

function apiDisplayName(given: string | undefined, doc: Json, name: string, warnings: string[]): string {
  if (given !== undefined) {
    if (given.length < 1 || given.length > MAX_DISPLAY)
      throw refuse(
        'The display name must be 1-300 characters.',
        'Give a shorter (or non-empty) display name.',
      );
    return given;
  }
  const title = isObject(doc.info) ? textOf(doc.info.title) : undefined;
  if (title === undefined) return name;
  if (title.length > MAX_DISPLAY) {
    warnings.push(`info.title is cut to ${MAX_DISPLAY} characters for the display name.`);
    return title.slice(0, MAX_DISPLAY);
  }
  return title;
}
