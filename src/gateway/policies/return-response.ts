/**
 * @module gateway/policies/return-response
 * `<return-response response-variable-name="…"?><set-status/>?<set-header/>*<set-body/>?</return-response>`
 * (every section): stops the request and answers the caller. The answer starts as `200 OK` with no headers and
 * no body, or as a copy of the answer held in `context.Variables[response-variable-name]` (what `send-request`
 * stored there); the children then change it, in order, and it becomes `ctx.response`.
 *
 * In `inbound` and `backend` it ends the pipeline (`endPipeline`): the policies after it and the backend call
 * are skipped; `outbound` runs on the answer, as the pipeline runs it after every early end. In `outbound` and
 * `on-error` there is nothing left to skip but the rest of that section, which the pipeline does not end:
 * the answer is replaced and the section's remaining policies run on it.
 *
 * The variable's name is a constant (APIM takes no expression); a variable that is missing or does not hold a
 * response fails the request (500), as APIM's cast would.
 */

import { LanyardError } from '../../errors/lanyard-error.ts';
import { endPipeline } from '../../http/pipeline.ts';
import { onlyChildren, readAttributes, str } from '../policy/attributes.ts';
import { ALL_SECTIONS, definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import type { GatewayResponse } from '../runtime/context.ts';
import { HeaderMap } from '../runtime/headers.ts';
import { constructResponse, emptyResponse, replaceResponse } from './message.ts';

/** Whether a variable's value is a response (`send-request`'s `response-variable-name`). */
export function isGatewayResponse(v: unknown): v is GatewayResponse {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<GatewayResponse>;
  return (
    typeof r.status === 'number' &&
    typeof r.reason === 'string' &&
    r.headers instanceof HeaderMap &&
    typeof r.body === 'object'
  );
}

export const returnResponse = definePolicy({
  name: 'return-response',
  sections: ALL_SECTIONS,
  compile(element, cc) {
    const a = readAttributes(element, { 'response-variable-name': str() }, cc);
    onlyChildren(element, ['set-status', 'set-header', 'set-body']);
    for (const name of ['set-status', 'set-body']) {
      const twice = element.children.filter((c) => c.name === name)[1];
      if (twice) throw new PolicyLoadError(twice.position, `<return-response> holds <${name}> twice`);
    }
    const variable =
      a['response-variable-name']?.kind === 'constant' ? a['response-variable-name'].value : undefined;
    const children = cc.compileBlock(element.children);
    return {
      async run(ctx) {
        let start: GatewayResponse = emptyResponse();
        if (variable !== undefined) {
          const held = ctx.variables.get(variable);
          if (!isGatewayResponse(held)) {
            throw new LanyardError(
              'ERR_GATEWAY_POLICY_RUNTIME',
              `return-response: the variable ${JSON.stringify(variable)} ${ctx.variables.has(variable) ? 'does not hold a response' : 'is not set'}`,
            );
          }
          start = {
            status: held.status,
            reason: held.reason,
            headers: held.headers.clone(),
            body: held.body,
          };
        }
        replaceResponse(ctx, await constructResponse(ctx, start, children));
        const phase = ctx.pipeline.phase;
        if (phase === 'inbound' || phase === 'backend') endPipeline(ctx);
      },
    };
  },
});
