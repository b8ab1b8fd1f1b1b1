/**
 * @module gateway/policies/check-header
 * `<check-header name failed-check-httpcode failed-check-error-message ignore-case><value>…</value>*</check-header>`
 * (all four attributes required, as in APIM): the request must carry the header and, when values are listed,
 * one of its values must equal one of them (`ignore-case` compares without case). Otherwise the request is
 * refused with the given status and message: reason `HeaderNotFound` or `HeaderValueNotAllowed`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { bool, int, onlyChildren, readAttributes, readText, resolve, str } from '../policy/attributes.ts';
import { definePolicy } from '../policy/contract.ts';
import { GatewayRefusal } from '../runtime/refusal.ts';

export const checkHeader = definePolicy({
  name: 'check-header',
  sections: ['inbound'],
  compile(element, cc) {
    const a = readAttributes(
      element,
      {
        name: str({ required: true, expressions: true }),
        'failed-check-httpcode': int({ required: true, min: 100, max: 599, expressions: true }),
        'failed-check-error-message': str({ required: true, expressions: true }),
        'ignore-case': bool({ required: true, expressions: true }),
      },
      cc,
    );
    onlyChildren(element, ['value']);
    const values = element.children.map((v) => {
      onlyChildren(v, []);
      readAttributes(v, {}, cc);
      return (
        readText(v, str({ expressions: true }), cc) ?? { kind: 'constant' as const, value: '', secret: false }
      );
    });
    return {
      run(ctx) {
        const view = () => cc.expressions(ctx);
        const name = resolve(a.name, view);
        const present = ctx.request.headers.get(name);
        const refuse = (reason: string, hint: string) =>
          new GatewayRefusal({
            status: resolve(a['failed-check-httpcode'], view),
            source: 'check-header',
            reason,
            message: resolve(a['failed-check-error-message'], view),
            hint,
          });
        if (present === undefined) throw refuse('HeaderNotFound', `The request has no ${name} header.`);
        if (values.length === 0) return;
        const ignoreCase = resolve(a['ignore-case'], view);
        const digest = (s: string) =>
          createHash('sha256')
            .update(ignoreCase ? s.toLowerCase() : s)
            .digest();
        const allowed = values.map((v) => digest(resolve(v, view)));
        const sent = [...present, ...(present.length > 1 ? [present.join(',')] : [])].map(digest);
        // The allowed values are often a shared secret (an API key from a secret named value): every pair is
        // compared, in constant time, so timing tells nothing about how close a guess came.
        let match = false;
        for (const s of sent) for (const v of allowed) match = timingSafeEqual(s, v) || match;
        if (match) return;
        throw refuse(
          'HeaderValueNotAllowed',
          `The ${name} header's value is not one of the ${allowed.length} allowed value(s)${ignoreCase ? ' (case ignored)' : ' (case counts)'}.`,
        );
      },
    };
  },
});
