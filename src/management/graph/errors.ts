/**
 * @module management/graph/errors
 * Microsoft Graph's refusals: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`
 * with Graph's codes and message texts (docs/management.md, "Microsoft Graph"). `message` is always there:
 * `az` reads `error.message` without checking and crashes on a body that lacks it. Lanyard's explanation —
 * which permission would grant a refused call, why a token was refused — goes in `x-lanyard-hint`, beside
 * Graph's text, never in place of it.
 */

export interface GraphErrorOptions {
  readonly hint?: string | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

export class GraphError extends Error {
  readonly status: number;
  /** Graph's error code, e.g. `Authorization_RequestDenied`. */
  readonly code: string;
  readonly hint: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, options: GraphErrorOptions = {}) {
    super(message);
    this.name = 'GraphError';
    this.status = status;
    this.code = code;
    this.hint = options.hint;
    this.headers = options.headers ?? {};
  }

  body(requestId: string, clientRequestId: string, now: Date): { error: Record<string, unknown> } {
    return {
      error: {
        code: this.code,
        message: this.message,
        innerError: {
          // Graph writes the date without fraction or zone.
          date: now.toISOString().slice(0, 19),
          'request-id': requestId,
          'client-request-id': clientRequestId,
        },
      },
    };
  }
}

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** Graph's challenge on a 401 (no `claims=`: the SDKs would take it for a claims challenge and retry). */
const CHALLENGE = {
  'WWW-Authenticate': `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
};

/**
 * The Authenticator's refusals (ARM's codes) as Graph words them: every one is `InvalidAuthenticationToken`,
 * the message says which check failed, and Lanyard's hint keeps the detail (the audience the token had).
 */
export function graphTokenRefusal(code: string, message: string, hint: string | undefined): GraphError {
  const text: Record<string, string> = {
    AuthenticationFailed: 'Access token is empty.',
    AuthenticationFailedInvalidHeader: 'Access token validation failure. Invalid authorization header.',
    InvalidAuthenticationTokenAudience: 'Access token validation failure. Invalid audience.',
    ExpiredAuthenticationToken: 'Lifetime validation failed, the token is expired.',
  };
  const detail = code === 'InvalidAuthenticationTokenAudience' ? `${message} ${hint ?? ''}`.trim() : hint;
  return new GraphError(401, 'InvalidAuthenticationToken', text[code] ?? 'Access token validation failure.', {
    hint: detail ?? message,
    headers: CHALLENGE,
  });
}

export const denied = (hint: string) =>
  new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.', {
    hint,
  });

export const notFound = (id: string, hint?: string) =>
  new GraphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    { hint },
  );

export const badRequest = (message: string, hint?: string) =>
  new GraphError(400, 'Request_BadRequest', message, { hint });

export const invalidId = (value: string) =>
  badRequest(`Invalid object identifier '${value}'.`, 'Object ids are GUIDs (the `id` of a listed object).');

export const invalidProperties = (hint: string) => badRequest('One or more properties are invalid.', hint);

export const unsupportedQuery = (message: string, hint?: string) =>
  new GraphError(400, 'Request_UnsupportedQuery', message, { hint });
