/**
 * @module gateway/policies/set-status
 * `<set-status code="…" reason="…"/>` (every section): the status code and reason phrase of the answer. Inside
 * `return-response` it shapes the answer being built; elsewhere the current answer (`ctx.response`) — in
 * `inbound` one is made to hold it, which the backend's answer replaces if the request is forwarded. Both
 * attributes are required, as in APIM's reference; both may be expressions. The code is 100–599; the reason is
 * one line of at most 512 characters.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import { int, onlyChildren, readAttributes, resolve, str } from '../policy/attributes.ts';
import { ALL_SECTIONS, definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import { responseOf, textOf } from './message.ts';

const MAX_REASON = 512;
const BAD_REASON = /[\r\n\0]/;

export const setStatus = definePolicy({
  name: 'set-status',
  sections: ALL_SECTIONS,
  compile(element, cc) {
    const a = readAttributes(
      element,
      {
        code: int({ required: true, expressions: true, min: 100, max: 599 }),
        reason: str({ required: true, expressions: true }),
      },
      cc,
    );
    onlyChildren(element, []);
    if (
      a.reason.kind === 'constant' &&
      (BAD_REASON.test(a.reason.value) || a.reason.value.length > MAX_REASON)
    ) {
      throw new PolicyLoadError(
        element.valuePositions.get('reason') ?? element.position,
        `<set-status> reason must be one line of at most ${MAX_REASON} characters`,
      );
    }
    return {
      run(ctx) {
        const code = resolve(a.code, () => cc.expressions(ctx));
        const reason = textOf(a.reason, ctx, cc);
        if (BAD_REASON.test(reason) || reason.length > MAX_REASON) {
          throw new LanyardError(
            'ERR_GATEWAY_POLICY_RUNTIME',
            `set-status: the reason must be one line of at most ${MAX_REASON} characters`,
          );
        }
        const response = responseOf(ctx);
        response.status = code;
        response.reason = reason;
      },
    };
  },
});
