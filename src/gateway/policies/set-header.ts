/**
 * @module gateway/policies/set-header
 * `<set-header name exists-action><value>…</value>*</set-header>`: sets, appends, keeps or deletes a header —
 * of the request to the backend in `inbound`/`backend`, of the answer in `outbound`/`on-error`. Several values
 * become one comma-joined value, except for the headers that HTTP repeats instead (`Set-Cookie`, …), which go
 * out once per value. The framing headers (`Connection`, `Content-Length`, `Keep-Alive`, `Transfer-Encoding`)
 * are the gateway's: a policy naming one is refused at load.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import { oneOf, onlyChildren, readAttributes, readText, resolve, str } from '../policy/attributes.ts';
import { ALL_SECTIONS, definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import type { GatewayContext } from '../runtime/context.ts';
import { HeaderMap } from '../runtime/headers.ts';
import { responseUnderConstruction } from './message.ts';

/** Headers APIM emits once per value rather than comma-joined. */
const REPEATED = new Set(
  [
    'user-agent',
    'www-authenticate',
    'proxy-authenticate',
    'cookie',
    'set-cookie',
    'warning',
    'date',
    'expires',
    'if-modified-since',
    'if-unmodified-since',
    'last-modified',
    'retry-after',
  ].map((h) => h.toLowerCase()),
);
const FRAMING = new Set(['connection', 'content-length', 'keep-alive', 'transfer-encoding']);

/**
 * The headers a policy in this section changes: the backend request's, or the answer's — or, inside
 * `return-response`, those of the answer it is building.
 */
export function headersOf(ctx: GatewayContext): HeaderMap | undefined {
  const building = responseUnderConstruction(ctx);
  if (building) return building.headers;
  const phase = ctx.pipeline.phase;
  return phase === 'inbound' || phase === 'backend' ? ctx.request.headers : ctx.response?.headers;
}

export const setHeader = definePolicy({
  name: 'set-header',
  sections: ALL_SECTIONS,
  compile(element, cc) {
    const a = readAttributes(
      element,
      {
        name: str({ required: true, expressions: true }),
        'exists-action': oneOf(['override', 'skip', 'append', 'delete'] as const, { expressions: true }),
      },
      cc,
    );
    onlyChildren(element, ['value']);
    const values = element.children.map((v) => {
      onlyChildren(v, []);
      return (
        readText(v, str({ expressions: true }), cc) ?? { kind: 'constant' as const, value: '', secret: false }
      );
    });
    if (a.name.kind === 'constant') {
      const name = a.name.value;
      try {
        HeaderMap.check(name);
      } catch (err) {
        throw new PolicyLoadError(
          element.valuePositions.get('name') ?? element.position,
          (err as Error).message,
        );
      }
      if (FRAMING.has(name.toLowerCase())) {
        throw new PolicyLoadError(
          element.valuePositions.get('name') ?? element.position,
          `<set-header> cannot change ${name}: the gateway frames the message itself`,
        );
      }
    }
    return {
      run(ctx) {
        const headers = headersOf(ctx);
        if (!headers) return;
        const view = () => cc.expressions(ctx);
        const name = resolve(a.name, view);
        if (FRAMING.has(name.toLowerCase())) {
          throw new LanyardError('ERR_GATEWAY_POLICY_RUNTIME', `set-header cannot change ${name}`);
        }
        const action = a['exists-action'] ? resolve(a['exists-action'], view) : 'override';
        if (action === 'delete') {
          headers.delete(name);
          return;
        }
        if (action === 'skip' && headers.has(name)) return;
        const computed = values.map((v) => resolve(v, view));
        const out = REPEATED.has(name.toLowerCase())
          ? computed
          : computed.length
            ? [computed.join(',')]
            : [''];
        if (action === 'append') headers.append(name, out);
        else headers.set(name, out);
      },
    };
  },
});
