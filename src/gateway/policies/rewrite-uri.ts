/**
 * @module gateway/policies/rewrite-uri
 * `<rewrite-uri template="/v2/{id}?x=1" copy-unmatched-params="true"/>` (inbound): replaces the operation part
 * of the backend URL. Precisely (backend-url.ts): the backend URL is *base* + *operation path* + *query*, where
 * the base is the API's service URL (or `set-backend-service`'s) and the operation path is what followed the
 * API's path suffix in the caller's URL. The template's path becomes the operation path — it is relative to
 * the base, never to the gateway or the host: with the service URL `http://backend/api`, `/v2/{id}` sends
 * `http://backend/api/v2/42`.
 *
 * `{name}` takes the operation's matched template parameter `name` (path parameters, and the names in the
 * operation template's query part, `/get?a={b}`, read from the caller's query), percent-encoded: a `{*rest}`
 * parameter keeps its slashes, any other parameter is one segment (a `/` in it stays `%2F`), and a value with a
 * `.` or `..` segment fails the request, so it can never climb out of the base. A name the operation does not match fails the request.
 * The template's query part is added as written (its `{name}`s filled the same way). With
 * `copy-unmatched-params` (default true) the query parameters of the request that the operation template's query
 * part does not match, and the template does not set, follow, as the caller encoded them.
 *
 * The template may be one expression (the whole value, as APIM requires); its result is then used as the
 * path and query, with no `{…}` filling. A constant template is checked at load: relative, no fragment,
 * braces balanced around parameter names.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import { bool, onlyChildren, readAttributes, str } from '../policy/attributes.ts';
import { definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import type { GatewayContext } from '../runtime/context.ts';
import {
  decodeQueryPart,
  joinQuery,
  type QueryPiece,
  queryPieces,
  setBackendUrl,
  splitBackendUrl,
  templateQueryParams,
} from './backend-url.ts';
import { textOf } from './message.ts';

const PARAM = /\{([A-Za-z0-9_.-]{1,64})\}/g;

/** Why a constant template is not usable, or undefined. */
function templateProblem(t: string): string | undefined {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(t.trim()) || t.trim().startsWith('//')) {
    return 'is an absolute URL; it is relative to the backend base URL (change the base with <set-backend-service>)';
  }
  if (t.includes('#')) return 'holds a fragment (#)';
  if (/[\s]/.test(t)) return 'holds whitespace';
  const stripped = t.replace(PARAM, '');
  if (stripped.includes('{') || stripped.includes('}'))
    return 'has a { or } that is not around a parameter name';
  return undefined;
}

/**
 * A parameter value for the path. A `.` or `..` segment is refused rather than encoded: URL parsers read
 * `%2E%2E` as `..` too, and the value must never climb out of the base.
 */
function encodeValue(name: string, value: string, keepSlashes: boolean): string {
  const segments = keepSlashes ? value.split('/') : [value];
  if (segments.some((s) => s === '.' || s === '..')) {
    throw new LanyardError(
      'ERR_GATEWAY_POLICY_RUNTIME',
      `rewrite-uri: the value of {${name}} holds a "." or ".." segment, which would leave the backend base`,
    );
  }
  return segments.map((s) => encodeURIComponent(s)).join('/');
}

export const rewriteUri = definePolicy({
  name: 'rewrite-uri',
  sections: ['inbound'],
  compile(element, cc) {
    const a = readAttributes(
      element,
      { template: str({ required: true, expressions: true }), 'copy-unmatched-params': bool() },
      cc,
    );
    onlyChildren(element, []);
    if (a.template.kind === 'constant') {
      const problem = templateProblem(a.template.value);
      if (problem) {
        throw new PolicyLoadError(
          element.valuePositions.get('template') ?? element.position,
          `<rewrite-uri> template ${problem}`,
        );
      }
    }
    const copy = a['copy-unmatched-params'];
    const copyUnmatched = copy?.kind === 'constant' ? copy.value : true;
    const fromTemplate = a.template.kind === 'constant';
    return {
      run(ctx) {
        const template = textOf(a.template, ctx, cc).trim();
        if (!fromTemplate) {
          const problem = templateProblem(template);
          if (problem)
            throw new LanyardError('ERR_GATEWAY_POLICY_RUNTIME', `rewrite-uri: the template ${problem}`);
        }
        const queryNames = templateQueryParams(ctx.operation.urlTemplate);
        const callerQuery = queryPieces(ctx.request.url.search);
        const fill = (text: string, inPath: boolean) =>
          fromTemplate
            ? text.replace(PARAM, (_, name: string) => paramValue(ctx, name, queryNames, callerQuery, inPath))
            : text;
        const q = template.indexOf('?');
        let path = fill(q === -1 ? template : template.slice(0, q), true);
        if (path !== '' && !path.startsWith('/')) path = `/${path}`;
        const set: QueryPiece[] = q === -1 ? [] : queryPieces(fill(template.slice(q + 1), false));
        const setNames = new Set(set.map((p) => p.name));
        const matched = new Set(queryNames.keys());
        const copied = copyUnmatched
          ? callerQuery.filter((p) => !matched.has(p.name) && !setNames.has(p.name))
          : [];
        setBackendUrl(ctx, splitBackendUrl(ctx).base, path, joinQuery([...set, ...copied]), 'rewrite-uri');
      },
    };
  },
});

function paramValue(
  ctx: GatewayContext,
  name: string,
  queryNames: ReadonlyMap<string, string>,
  callerQuery: readonly QueryPiece[],
  inPath: boolean,
): string {
  const matched = ctx.matchedParameters.get(name);
  if (matched !== undefined) {
    const rest = inPath && ctx.operation.urlTemplate.includes(`{*${name}}`);
    return encodeValue(name, matched, rest);
  }
  for (const [queryName, param] of queryNames) {
    if (param !== name) continue;
    const piece = callerQuery.find((p) => p.name === queryName);
    if (!piece) continue;
    const raw = piece.raw.includes('=') ? piece.raw.slice(piece.raw.indexOf('=') + 1) : '';
    // In the query the caller's encoding is kept; in the path the value is one segment like any other.
    return inPath ? encodeValue(name, decodeQueryPart(raw), false) : raw;
  }
  throw new LanyardError(
    'ERR_GATEWAY_POLICY_RUNTIME',
    `rewrite-uri: the template names {${name}}, which operation ${ctx.operation.name} does not match`,
  );
}
