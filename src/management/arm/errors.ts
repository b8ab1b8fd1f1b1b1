/**
 * @module management/arm/errors
 * Resource Manager's refusals: `{"error":{"code","message"}}` with ARM's codes and message templates
 * (docs/management.md, "Errors"), so `az`, the ARM SDKs and scripts that match on `error.code` read them as
 * Azure's. Lanyard's own explanation — which role at which scope would grant a refused call, why a token was
 * refused — travels beside ARM's text: in `x-lanyard-hint` and as an `additionalInfo` entry of type
 * `LanyardHint`, which ARM's error shape allows and clients ignore.
 */

export interface ArmErrorOptions {
  readonly hint?: string | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly target?: string | undefined;
}

export class ArmError extends Error {
  readonly status: number;
  /** ARM's error code, e.g. `AuthorizationFailed`. */
  readonly code: string;
  readonly hint: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly target: string | undefined;

  constructor(status: number, code: string, message: string, options: ArmErrorOptions = {}) {
    super(message);
    this.name = 'ArmError';
    this.status = status;
    this.code = code;
    this.hint = options.hint;
    this.headers = options.headers ?? {};
    this.target = options.target;
  }

  body(): { error: Record<string, unknown> } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.target === undefined ? {} : { target: this.target }),
        ...(this.hint === undefined
          ? {}
          : { additionalInfo: [{ type: 'LanyardHint', info: { hint: this.hint } }] }),
      },
    };
  }
}

export const missingApiVersion = () =>
  new ArmError(
    400,
    'MissingApiVersionParameter',
    'The api-version query parameter (?api-version=) is required for all requests.',
    { hint: 'Add ?api-version=… (for example 2021-04-01); the SDKs and az send one.' },
  );

export const subscriptionNotFound = (id: string) =>
  new ArmError(404, 'SubscriptionNotFound', `The subscription '${id}' could not be found.`, {
    hint: 'List the subscriptions with `lanyard subscription list`; the caller sees those it holds a role in.',
  });

export const resourceGroupNotFound = (name: string) =>
  new ArmError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`, {
    hint: 'List them with `lanyard group list`.',
  });

export const resourceNotFound = (type: string, name: string, group: string) =>
  new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );

export const invalidRequest = (code: string, message: string, hint?: string) =>
  new ArmError(400, code, message, { hint });
