/**
 * @module gateway/policies/authentication-managed-identity
 * `<authentication-managed-identity resource="…" client-id="…" output-token-variable-name="…" ignore-error="…"/>`:
 * a token for one of the gateway's identities (`cc.services.managedIdentityToken`, which caches it until shortly
 * before it expires), for `resource` exactly as written (expressions allowed; it becomes the token's `aud`).
 * `client-id` picks a user-assigned identity (named values, no expressions, as in APIM); without it, the
 * system-assigned one. The token replaces the request's `Authorization` with `Bearer <token>`, or, with
 * `output-token-variable-name`, goes into that variable (as a string) and the header is left alone. A failure
 * stops the request (500 with APIM's message, reason `ManagedIdentityTokenFailure`) unless
 * `ignore-error="true"`, which goes on without a token.
 */
import { bool, readAttributes, resolve, str } from '../policy/attributes.ts';
import { definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import { traceStep } from '../runtime/context.ts';
import { GatewayRefusal } from '../runtime/refusal.ts';
import { outputVariable } from './token-checks.ts';

export const authenticationManagedIdentity = definePolicy({
  name: 'authentication-managed-identity',
  sections: ['inbound'],
  compile(element, cc) {
    onlyNoChildren(element);
    const a = readAttributes(
      element,
      {
        resource: str({ required: true, expressions: true }),
        'client-id': str(),
        'output-token-variable-name': str(),
        'ignore-error': bool(),
      },
      cc,
    );
    const clientId = a['client-id'] ? (a['client-id'] as { value: string }).value.trim() : undefined;
    if (clientId === '') {
      throw new PolicyLoadError(
        element.valuePositions.get('client-id') ?? element.position,
        'client-id is empty',
      );
    }
    const output = outputVariable(element, a['output-token-variable-name']);
    const ignoreError = a['ignore-error'] ? (a['ignore-error'] as { value: boolean }).value : false;
    return {
      async run(ctx) {
        const view = () => cc.expressions(ctx);
        const resource = resolve(a.resource, view);
        let token: string;
        try {
          if (resource.trim() === '') throw new Error('the resource is empty');
          token = (await cc.services.managedIdentityToken({ resource, clientId })).accessToken;
        } catch (err) {
          if (ignoreError) {
            traceStep(
              ctx,
              'authentication-managed-identity',
              'No managed identity token; ignore-error is set, the request goes on.',
            );
            return;
          }
          throw new GatewayRefusal({
            status: 500,
            source: 'authentication-managed-identity',
            reason: 'ManagedIdentityTokenFailure',
            message:
              'Managed service identity is not enabled for this service and authentication-managed-identity policy cannot be used.',
            hint: `No token for resource ${JSON.stringify(resource)}${clientId ? ` as identity ${clientId}` : ''}: ${(err as Error).message}`.slice(
              0,
              1000,
            ),
          });
        }
        if (output) {
          ctx.variables.set(output, token);
          return;
        }
        ctx.request.headers.set('Authorization', [`Bearer ${token}`]);
        traceStep(
          ctx,
          'authentication-managed-identity',
          'Managed identity token is added to Authorization header.',
        );
      },
    };
  },
});

function onlyNoChildren(element: Parameters<typeof readAttributes>[0]): void {
  const child = element.children[0];
  if (child) {
    throw new PolicyLoadError(child.position, `<${element.name}> holds no elements`);
  }
}
