/**
 * @module gateway/policies/set-backend-service
 * `<set-backend-service base-url="…"/>` or `<set-backend-service backend-id="…"/>` (inbound, backend): sends
 * the request to another backend. Only the base of the backend URL changes (backend-url.ts): the operation
 * path and the query stay, so `http://contoso.com/api/8.2/` + `/partners/15?version=…` is what goes out.
 *
 * Exactly one of the two attributes; both may be expressions. `backend-id` names one of the gateway's backend
 * entities (`GatewayServices.backendEntity`): a constant name the gateway does not have is refused at load, a
 * computed one fails the request. A base URL is absolute `http` or `https`, without credentials, query or
 * fragment. The Service Fabric attributes (`sf-*`) are refused: there is no Service Fabric here.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import { onlyChildren, readAttributes, str } from '../policy/attributes.ts';
import { definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import { MAX_BACKEND_URL, setBackendUrl, splitBackendUrl } from './backend-url.ts';
import { textOf } from './message.ts';

const SERVICE_FABRIC = [
  'sf-resolve-condition',
  'sf-service-instance-name',
  'sf-partition-key',
  'sf-listener-name',
  'sf-replica-type',
];

/** Why a base URL is not usable, or undefined. */
export function baseUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return 'is not an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be http or https';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.search || url.hash) return 'must not carry a query or fragment';
  if (url.href.length > MAX_BACKEND_URL) return `is longer than ${MAX_BACKEND_URL} characters`;
  return undefined;
}

export const setBackendService = definePolicy({
  name: 'set-backend-service',
  sections: ['inbound', 'backend'],
  compile(element, cc) {
    for (const sf of SERVICE_FABRIC) {
      if (element.attributes.has(sf)) {
        throw new PolicyLoadError(
          element.valuePositions.get(sf) ?? element.position,
          `<set-backend-service> ${sf} is not supported by Lanyard: there are no Service Fabric backends`,
        );
      }
    }
    const a = readAttributes(
      element,
      { 'base-url': str({ expressions: true }), 'backend-id': str({ expressions: true }) },
      cc,
    );
    onlyChildren(element, []);
    const baseUrl = a['base-url'];
    const backendId = a['backend-id'];
    if ((baseUrl === undefined) === (backendId === undefined)) {
      throw new PolicyLoadError(
        element.position,
        '<set-backend-service> needs exactly one of base-url and backend-id',
      );
    }
    if (baseUrl?.kind === 'constant') {
      const problem = baseUrlProblem(baseUrl.value);
      if (problem) {
        throw new PolicyLoadError(
          element.valuePositions.get('base-url') ?? element.position,
          `<set-backend-service> base-url ${problem}`,
        );
      }
    }
    if (backendId?.kind === 'constant' && !cc.services.backendEntity?.(backendId.value)) {
      throw new PolicyLoadError(
        element.valuePositions.get('backend-id') ?? element.position,
        `<set-backend-service> backend-id ${JSON.stringify(backendId.value)} names no backend of this gateway`,
        "Declare it under the gateway's backends, or give base-url instead.",
      );
    }
    return {
      run(ctx) {
        let base: string;
        if (baseUrl) {
          base = textOf(baseUrl, ctx, cc).trim();
          const problem = baseUrlProblem(base);
          if (problem)
            throw new LanyardError(
              'ERR_GATEWAY_POLICY_RUNTIME',
              `set-backend-service: the base URL ${problem}`,
            );
        } else {
          const id = textOf(backendId!, ctx, cc);
          const entity = cc.services.backendEntity?.(id);
          if (!entity) {
            throw new LanyardError(
              'ERR_GATEWAY_POLICY_RUNTIME',
              `set-backend-service: no backend named ${JSON.stringify(id.slice(0, 80))}`,
            );
          }
          base = entity.url;
          const problem = baseUrlProblem(base);
          if (problem)
            throw new LanyardError(
              'ERR_GATEWAY_POLICY_RUNTIME',
              `set-backend-service: backend ${id}'s URL ${problem}`,
            );
        }
        const { path } = splitBackendUrl(ctx);
        const url = new URL(base);
        setBackendUrl(
          ctx,
          url.origin + url.pathname,
          path,
          ctx.request.url.search.replace(/^\?/, ''),
          'set-backend-service',
        );
      },
    };
  },
});
