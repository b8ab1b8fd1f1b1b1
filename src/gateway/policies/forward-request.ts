/**
 * @module gateway/policies/forward-request
 * `<forward-request timeout follow-redirects fail-on-error-status-code buffer-request-body buffer-response/>`:
 * sends the request to the backend (the gateway's default global policy holds one in `<backend>`; a document
 * without it never reaches the backend). The answer becomes `context.Response`; with
 * `fail-on-error-status-code="true"` a 4xx/5xx answer runs `on-error` instead of `outbound`.
 */
import { bool, int, readAttributes, resolve, str } from '../policy/attributes.ts';
import { definePolicy } from '../policy/contract.ts';
import { discardBody } from '../runtime/backend-client.ts';
import { GatewayRefusal } from '../runtime/refusal.ts';
import { applyCorsHeaders } from './cors.ts';

/** APIM's default: 300 seconds for the backend's status and headers. */
export const DEFAULT_TIMEOUT_SECONDS = 300;

export const forwardRequest = definePolicy({
  name: 'forward-request',
  sections: ['backend'],
  compile(element, cc) {
    const a = readAttributes(
      element,
      {
        timeout: int({ min: 0, max: 3600, expressions: true }),
        'timeout-ms': int({ min: 0, max: 3_600_000, expressions: true }),
        'follow-redirects': bool({ expressions: true }),
        'fail-on-error-status-code': bool(),
        // Accepted for documents copied from Azure; the gateway streams both ways either way.
        'buffer-request-body': bool(),
        'buffer-response': bool(),
        'http-version': str(),
      },
      cc,
    );
    return {
      async run(ctx) {
        const view = () => cc.expressions(ctx);
        const timeoutMs = a['timeout-ms']
          ? resolve(a['timeout-ms'], view)
          : (a.timeout ? resolve(a.timeout, view) : DEFAULT_TIMEOUT_SECONDS) * 1000;
        const followRedirects = a['follow-redirects'] ? resolve(a['follow-redirects'], view) : false;
        const response = await cc.services.backend.send(ctx, { timeoutMs, followRedirects });
        if (ctx.response) discardBody(ctx.response.body);
        // The backend's answer carries the CORS headers an earlier cors decided on (none on the gateway's own).
        applyCorsHeaders(ctx, response);
        ctx.response = response;
        if (
          a['fail-on-error-status-code'] &&
          resolve(a['fail-on-error-status-code'], view) &&
          response.status >= 400
        ) {
          throw new GatewayRefusal({
            status: response.status,
            source: 'forward-request',
            reason: 'BackendErrorStatusCode',
            message: `The backend answered ${response.status}.`,
          });
        }
      },
    };
  },
});
