/**
 * @module gateway/policies/set-method
 * `<set-method>METHOD</set-method>` (inbound, on-error): the method the backend request is sent with
 * (`ctx.request.method`; `context.Request.Method` reads it from then on). The text may be an expression. A
 * method is an HTTP token of at most 32 characters, upper-cased as APIM sends it; a constant that is not one is
 * refused at load, a computed one fails the request.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import { onlyChildren, readAttributes, readText, str } from '../policy/attributes.ts';
import { definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import { textOf } from './message.ts';

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}$/;

export const setMethod = definePolicy({
  name: 'set-method',
  sections: ['inbound', 'on-error'],
  compile(element, cc) {
    readAttributes(element, {}, cc);
    onlyChildren(element, []);
    const text = readText(element, str({ expressions: true }), cc);
    const at = element.valuePositions.get('#text') ?? element.position;
    if (text === undefined || (text.kind === 'constant' && text.value.trim() === '')) {
      throw new PolicyLoadError(at, '<set-method> needs a method, e.g. <set-method>POST</set-method>');
    }
    if (text.kind === 'constant' && !METHOD.test(text.value.trim())) {
      throw new PolicyLoadError(
        at,
        `<set-method> ${JSON.stringify(text.value.trim().slice(0, 40))} is not an HTTP method`,
      );
    }
    return {
      run(ctx) {
        const method = textOf(text, ctx, cc).trim();
        if (!METHOD.test(method)) {
          throw new LanyardError(
            'ERR_GATEWAY_POLICY_RUNTIME',
            `set-method: ${JSON.stringify(method.slice(0, 40))} is not an HTTP method`,
          );
        }
        ctx.request.method = method.toUpperCase();
      },
    };
  },
});
