/**
 * @module gateway/policies/mock-response
 * `<mock-response status-code="200" content-type="…"/>` (inbound, outbound, on-error): answers with a made-up
 * response instead of the backend's. The status defaults to 200. The body is the operation's sample for that
 * status (and content type, when one is given) if the gateway has one (`GatewayServices.operationSample`),
 * else empty. `Content-Type` is the attribute's, else the sample's; with neither the answer has none.
 *
 * Like `return-response`, in `inbound` it ends the pipeline (`outbound` then runs on the mocked answer); in
 * `outbound` and `on-error` it replaces the answer. Both attributes may be expressions.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import { endPipeline } from '../../http/pipeline.ts';
import { int, onlyChildren, readAttributes, resolve, str } from '../policy/attributes.ts';
import { definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import { bodyBytes, emptyResponse, replaceResponse, textOf } from './message.ts';

const BAD_VALUE = /[\r\n\0]/;

export const mockResponse = definePolicy({
  name: 'mock-response',
  sections: ['inbound', 'outbound', 'on-error'],
  compile(element, cc) {
    const a = readAttributes(
      element,
      {
        'status-code': int({ expressions: true, min: 100, max: 599 }),
        'content-type': str({ expressions: true }),
      },
      cc,
    );
    onlyChildren(element, []);
    const ct = a['content-type'];
    if (
      ct?.kind === 'constant' &&
      (ct.value.trim() === '' || BAD_VALUE.test(ct.value) || ct.value.length > 256)
    ) {
      throw new PolicyLoadError(
        element.valuePositions.get('content-type') ?? element.position,
        '<mock-response> content-type must be a media type on one line (at most 256 characters)',
      );
    }
    return {
      run(ctx) {
        const status = a['status-code'] ? resolve(a['status-code'], () => cc.expressions(ctx)) : 200;
        const wanted = ct ? textOf(ct, ctx, cc).trim() : undefined;
        if (wanted !== undefined && (wanted === '' || BAD_VALUE.test(wanted) || wanted.length > 256)) {
          throw new LanyardError(
            'ERR_GATEWAY_POLICY_RUNTIME',
            'mock-response: the content type is not one line of at most 256 characters',
          );
        }
        const sample = cc.services.operationSample?.({
          apiId: ctx.api.id,
          operationId: ctx.operation.id,
          status,
          contentType: wanted,
        });
        const response = emptyResponse(status);
        const type = wanted ?? sample?.contentType;
        if (type) response.headers.set('Content-Type', [type]);
        if (sample) response.body = { kind: 'bytes', bytes: bodyBytes(sample.body, 'mock-response') };
        replaceResponse(ctx, response);
        if (ctx.pipeline.phase === 'inbound') endPipeline(ctx);
      },
    };
  },
});
