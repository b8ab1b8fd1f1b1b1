/**
 * @module gateway/policies/cors
 * `<cors allow-credentials terminate-unmatched-request>` with `<allowed-origins>`, `<allowed-methods
 * preflight-result-max-age>`, `<allowed-headers>` and `<expose-headers>` (inbound): cross-origin resource
 * sharing as API Management does it.
 *
 * A request without `Origin` is not cross-origin: `cors` does nothing. Otherwise:
 *
 * - **Preflight** (`OPTIONS` with `Origin` and `Access-Control-Request-Method`): answered by `cors` alone. The
 *   front runs `preflightPolicy(effective)` — the effective `inbound`'s `cors` policies and nothing else, in
 *   order — instead of the operation's pipeline, then `finishPreflight`. A `cors` whose settings match (origin,
 *   the requested method, every requested header) answers 200 with the `Access-Control-Allow-*` headers; one
 *   that does not match answers an empty 200 when `terminate-unmatched-request` is true, and otherwise leaves
 *   the preflight to the next `cors`; when none answered, the answer is an empty 200.
 * - **Actual request** with `Origin`: only the first `cors` to run applies. If the origin and method match, the
 *   backend's answer gets `Access-Control-Allow-Origin` (+ `-Credentials`, `-Expose-Headers`, `Vary: Origin`)
 *   when it arrives (`applyCorsHeaders`, called by `forward-request`; answers the gateway makes itself — errors,
 *   `return-response` — get none, as in APIM). If not: an empty 200 ends the request when
 *   `terminate-unmatched-request` is true, else the request goes on without CORS headers.
 *
 * Decisions, documented in docs/gateway.md: `terminate-unmatched-request` defaults to true (APIM's
 * troubleshooting text and observed behaviour; one version of its reference table says false). `cors` may stand
 * anywhere in `inbound` — it is neither refused nor warned about elsewhere, since scopes compose and the
 * preflight never runs the policies before it; on actual requests the policies before it run first, as APIM
 * runs them. `allow-credentials="true"` with the origin `*` is refused at load: browsers reject that answer.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import { endPipeline } from '../../http/pipeline.ts';
import {
  bool,
  constant,
  type Dynamic,
  int,
  onlyChildren,
  readAttributes,
  readText,
  resolve,
  str,
} from '../policy/attributes.ts';
import type { EffectivePolicy } from '../policy/compose.ts';
import { definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import type { ParsedElement } from '../policy/parse-xml.ts';
import type { GatewayContext, GatewayResponse } from '../runtime/context.ts';
import { HeaderMap } from '../runtime/headers.ts';
import { RequestLocal } from '../runtime/request-local.ts';
import { emptyResponse, replaceResponse, textOf } from './message.ts';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/;
const MAX_ITEMS = 100;
const DEFAULT_METHODS = ['GET', 'POST'];

interface RequestState {
  /** A `cors` has decided for this request (only the first applies). */
  decided: boolean;
  /** Headers the backend's answer gets. */
  pending: [string, string][] | undefined;
}

const states = new RequestLocal<RequestState>();

/** Whether the caller's request is a CORS preflight. */
export function isPreflight(method: string, headers: HeaderMap): boolean {
  return (
    method.toUpperCase() === 'OPTIONS' &&
    headers.has('origin') &&
    headers.has('access-control-request-method')
  );
}

/** The effective policy a preflight runs: the `cors` policies of `inbound`, nothing else. */
export function preflightPolicy(effective: EffectivePolicy): EffectivePolicy {
  return {
    inbound: effective.inbound.filter((p) => p.element.name === 'cors'),
    backend: [],
    outbound: [],
    'on-error': [],
  };
}

/** Whether the effective policy has a `cors` (a preflight is then the policy's to answer). */
export function hasCors(effective: EffectivePolicy): boolean {
  return effective.inbound.some((p) => p.element.name === 'cors');
}

/** After the preflight pipeline: the empty 200 when no `cors` answered. */
export function finishPreflight(ctx: GatewayContext): void {
  ctx.response ??= emptyResponse();
}

/** Adds the CORS headers an earlier `cors` decided on to the backend's answer. */
export function applyCorsHeaders(ctx: GatewayContext, response: GatewayResponse): void {
  const pending = states.get(ctx)?.pending;
  if (!pending) return;
  for (const [name, value] of pending) {
    // The backend's own Vary (Accept-Encoding…) stays; Origin joins it.
    const vary = name.toLowerCase() === 'vary' ? response.headers.joined('vary') : undefined;
    if (vary !== undefined && vary.trim() !== '') {
      if (!vary.split(',').some((v) => v.trim().toLowerCase() === 'origin' || v.trim() === '*')) {
        response.headers.set(name, [`${vary}, ${value}`]);
      }
    } else {
      response.headers.set(name, [value]);
    }
  }
}

/** `scheme://host[:port]` of an origin, or undefined when it is not one. */
function normalOrigin(text: string): string | undefined {
  try {
    const u = new URL(text.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

function single(element: ParsedElement, name: string): ParsedElement | undefined {
  const found = element.children.filter((c) => c.name === name);
  if (found.length > 1) throw new PolicyLoadError(found[1]!.position, `<cors> holds <${name}> twice`);
  return found[0];
}

/** The items of a list element (`<origin>`, `<method>`, `<header>`), at least one, at most MAX_ITEMS. */
function items(list: ParsedElement, item: string): ParsedElement[] {
  onlyChildren(list, [item]);
  if (list.children.length === 0)
    throw new PolicyLoadError(list.position, `<${list.name}> needs at least one <${item}>`);
  if (list.children.length > MAX_ITEMS) {
    throw new PolicyLoadError(
      list.children[MAX_ITEMS]!.position,
      `<${list.name}> holds more than ${MAX_ITEMS} <${item}>`,
    );
  }
  for (const c of list.children) onlyChildren(c, []);
  return [...list.children];
}

function headerNames(
  list: ParsedElement | undefined,
  cc: Parameters<typeof readText>[2],
): string[] | undefined {
  if (!list) return undefined;
  readAttributes(list, {}, cc);
  return items(list, 'header').map((h) => {
    const text = readText(h, str(), cc);
    const name = (text?.kind === 'constant' ? text.value : '').trim();
    if (name !== '*' && !TOKEN.test(name)) {
      throw new PolicyLoadError(
        h.valuePositions.get('#text') ?? h.position,
        `<header> ${JSON.stringify(name.slice(0, 60))} is not a header name`,
      );
    }
    return name;
  });
}

export const cors = definePolicy({
  name: 'cors',
  sections: ['inbound'],
  compile(element, cc) {
    const a = readAttributes(
      element,
      {
        'allow-credentials': bool({ expressions: true }),
        'terminate-unmatched-request': bool({ expressions: true }),
      },
      cc,
    );
    onlyChildren(element, ['allowed-origins', 'allowed-methods', 'allowed-headers', 'expose-headers']);
    const originsEl = single(element, 'allowed-origins');
    const methodsEl = single(element, 'allowed-methods');
    const headersEl = single(element, 'allowed-headers');
    const exposeEl = single(element, 'expose-headers');
    if (!originsEl) throw new PolicyLoadError(element.position, '<cors> needs <allowed-origins>');
    if (!headersEl) {
      throw new PolicyLoadError(
        element.position,
        '<cors> needs <allowed-headers>',
        'Name the request headers callers may send, or <allowed-headers><header>*</header></allowed-headers>.',
      );
    }

    readAttributes(originsEl, {}, cc);
    const originItems = items(originsEl, 'origin');
    let anyOrigin = false;
    const origins = new Set<string>();
    for (const o of originItems) {
      const text = readText(o, str(), cc);
      const value = text?.kind === 'constant' ? text.value.trim() : '';
      const at = o.valuePositions.get('#text') ?? o.position;
      if (value === '*') {
        anyOrigin = true;
        continue;
      }
      const origin = normalOrigin(value);
      if (!origin) {
        throw new PolicyLoadError(
          at,
          `<origin> ${JSON.stringify(value.slice(0, 80))} is not an origin`,
          'An origin is * or scheme://host[:port], e.g. https://app.contoso.com.',
        );
      }
      origins.add(origin);
    }
    if (anyOrigin && originItems.length > 1) {
      throw new PolicyLoadError(
        originsEl.position,
        '<allowed-origins> holds * and other origins; * stands alone',
      );
    }

    let methods: Dynamic<string>[] | '*' = DEFAULT_METHODS.map((m) => constant(m));
    let maxAge: Dynamic<number> | undefined;
    if (methodsEl) {
      maxAge = readAttributes(
        methodsEl,
        { 'preflight-result-max-age': int({ min: 0, max: 2_147_483_647, expressions: true }) },
        cc,
      )['preflight-result-max-age'];
      const list = items(methodsEl, 'method').map((m) => {
        const d = readText(m, str({ expressions: true }), cc) ?? constant('');
        if (d.kind === 'constant' && d.value.trim() !== '*' && !TOKEN.test(d.value.trim())) {
          throw new PolicyLoadError(
            m.valuePositions.get('#text') ?? m.position,
            `<method> ${JSON.stringify(d.value.trim().slice(0, 40))} is not an HTTP method`,
          );
        }
        return d;
      });
      methods = list.some((d) => d.kind === 'constant' && d.value.trim() === '*') ? '*' : list;
    }
    const allowedHeaders = headerNames(headersEl, cc)!;
    const anyHeader = allowedHeaders.includes('*');
    const allowedSet = new Set(allowedHeaders.map((h) => h.toLowerCase()));
    const expose = headerNames(exposeEl, cc) ?? [];

    const credentials = a['allow-credentials'];
    if (anyOrigin && credentials?.kind === 'constant' && credentials.value) {
      throw new PolicyLoadError(
        element.valuePositions.get('allow-credentials') ?? element.position,
        '<cors allow-credentials="true"> with the origin * : browsers refuse credentials for any origin',
        'List the origins that may send credentials.',
      );
    }

    return {
      run(ctx) {
        const origin = ctx.request.headers.joined('origin');
        if (origin === undefined) return;
        const state = states.get(ctx) ?? { decided: false, pending: undefined };
        states.set(ctx, state);
        if (state.decided) return;
        const view = () => cc.expressions(ctx);
        const allowCredentials = credentials ? resolve(credentials, view) : false;
        const terminate = a['terminate-unmatched-request']
          ? resolve(a['terminate-unmatched-request'], view)
          : true;
        const normal = normalOrigin(origin);
        const originOk = anyOrigin || (normal !== undefined && origins.has(normal));
        const methodList =
          methods === '*' ? '*' : methods.map((m) => textOf(m, ctx, cc).trim().toUpperCase());
        const methodOk = (m: string) => methodList === '*' || methodList.includes(m.toUpperCase());
        const allowOrigin = anyOrigin && !allowCredentials ? '*' : origin;
        if (anyOrigin && allowCredentials) {
          throw new LanyardError(
            'ERR_GATEWAY_POLICY_RUNTIME',
            'cors: allow-credentials is true with the origin *',
          );
        }

        const common = (h: HeaderMap) => {
          h.set('Access-Control-Allow-Origin', [allowOrigin]);
          if (allowCredentials) h.set('Access-Control-Allow-Credentials', ['true']);
          if (allowOrigin !== '*') h.set('Vary', ['Origin']);
        };
        const answerEmpty = () => {
          state.decided = true;
          replaceResponse(ctx, emptyResponse());
          endPipeline(ctx);
        };

        if (isPreflight(ctx.originalMethod, ctx.request.headers)) {
          const requested = ctx.request.headers.joined('access-control-request-method')!.trim();
          const requestedHeaders = (ctx.request.headers.joined('access-control-request-headers') ?? '')
            .split(',')
            .map((h) => h.trim())
            .filter((h) => h !== '');
          const headersOk = anyHeader || requestedHeaders.every((h) => allowedSet.has(h.toLowerCase()));
          if (originOk && methodOk(requested) && headersOk) {
            const response = emptyResponse();
            common(response.headers);
            response.headers.set('Access-Control-Allow-Methods', [
              methodList === '*' ? requested : methodList.join(', '),
            ]);
            if (requestedHeaders.length > 0) {
              response.headers.set('Access-Control-Allow-Headers', [
                anyHeader ? requestedHeaders.join(', ') : allowedHeaders.join(', '),
              ]);
            }
            const age = maxAge ? resolve(maxAge, view) : 0;
            if (age > 0) response.headers.set('Access-Control-Max-Age', [String(age)]);
            state.decided = true;
            replaceResponse(ctx, response);
            endPipeline(ctx);
            return;
          }
          // Unmatched: end here, or leave the preflight to the next cors of inbound.
          if (terminate) answerEmpty();
          return;
        }

        state.decided = true;
        if (originOk && methodOk(ctx.originalMethod)) {
          const h = new HeaderMap();
          common(h);
          if (expose.length > 0) h.set('Access-Control-Expose-Headers', [expose.join(', ')]);
          state.pending = [...h.entries()].map(([name, values]) => [name, values.join(',')]);
          return;
        }
        if (terminate) answerEmpty();
      },
    };
  },
});
