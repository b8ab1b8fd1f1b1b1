/**
 * @module directory/optional-claims
 * The optional claims an app registration asks for in the access tokens issued *for* it (Entra's
 * `optionalClaims.accessToken`: the resource owns its tokens, so the audience's app decides, never the
 * caller). Lanyard accepts only the claims its issuer knows how to emit, each with the additional properties
 * that change it; any other name is refused with the list of those it knows, so a registration copied from
 * Entra never silently loses a claim an API relies on. docs/directory.md lists them; docs/issuer.md says what
 * each one puts in a token.
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import type { OptionalClaim, OptionalClaims } from './types.ts';

interface OptionalClaimSpec {
  /** The `additionalProperties` values Entra defines for the claim. */
  readonly additionalProperties: readonly string[];
  /**
   * Emitted by Entra only in tokens for some of Microsoft's own resources: no app registration can ask for
   * it, so it appears only on the pre-registered first-party apps.
   */
  readonly firstPartyOnly?: boolean;
}

/** What the issuer can emit in an access token, by claim name. */
export const ACCESS_TOKEN_OPTIONAL_CLAIMS: Readonly<Record<string, OptionalClaimSpec>> = {
  // "app" in app-only tokens; include_user_token adds it to user tokens, which Lanyard does not issue.
  idtyp: { additionalProperties: ['include_user_token'] },
  // Without use_guid the claim changes nothing (aud is always present).
  aud: { additionalProperties: ['use_guid'] },
  // The tenant's creation time; Entra puts it in tokens for Resource Manager and Microsoft Graph.
  xms_tcdt: { additionalProperties: [], firstPartyOnly: true },
};

/** The names an app registration may ask for, for messages and help. */
export const REQUESTABLE_CLAIMS: readonly string[] = Object.entries(ACCESS_TOKEN_OPTIONAL_CLAIMS)
  .filter(([, spec]) => !spec.firstPartyOnly)
  .map(([name]) => name);

/** The optional claims of an app that asks for none. */
export function noOptionalClaims(): OptionalClaims {
  return { accessToken: [], idToken: [], saml2Token: [] };
}

/** One access-token optional claim as Entra shows it, from its name and additional properties. */
export function optionalClaim(name: string, additionalProperties: readonly string[] = []): OptionalClaim {
  return { name, source: null, essential: false, additionalProperties: [...additionalProperties] };
}

export interface OptionalClaimInputShape {
  name: string;
  source?: string | null | undefined;
  essential?: boolean | undefined;
  additionalProperties?: readonly string[] | undefined;
}

/** The field of the optional claim at fault, so the manifest can point at its line. */
export type OptionalClaimField = 'name' | 'source' | 'additionalProperties';

function refuse(message: string, hint: string, claim: string, field: OptionalClaimField): LanyardError {
  return new LanyardError('ERR_VALIDATION', message, { hint, details: { claim, field } });
}

/**
 * Checks an app's access-token optional claims against what Lanyard emits and returns them in Entra's shape
 * (defaults filled, additional properties de-duplicated). Throws ERR_VALIDATION naming the offending claim.
 */
export function normaliseAccessTokenClaims(inputs: readonly OptionalClaimInputShape[]): OptionalClaim[] {
  const seen = new Set<string>();
  return inputs.map((input) => {
    const spec = Object.hasOwn(ACCESS_TOKEN_OPTIONAL_CLAIMS, input.name)
      ? ACCESS_TOKEN_OPTIONAL_CLAIMS[input.name]
      : undefined;
    if (!spec || spec.firstPartyOnly) {
      throw refuse(
        spec
          ? `The optional claim "${input.name}" cannot be asked for: Entra emits it only in tokens for some Microsoft resources.`
          : `Lanyard does not emit the optional claim "${input.name}" in access tokens.`,
        `Optional claims Lanyard emits in access tokens: ${REQUESTABLE_CLAIMS.join(', ')}.`,
        input.name,
        'name',
      );
    }
    if (seen.has(input.name)) {
      throw refuse(
        `The optional claim "${input.name}" is listed twice.`,
        'List each claim once.',
        input.name,
        'name',
      );
    }
    seen.add(input.name);
    if (input.source !== undefined && input.source !== null) {
      throw refuse(
        `The optional claim "${input.name}" has source "${input.source}"; Lanyard emits only standard claims (source null).`,
        'Sources name user or directory-extension attributes, which Lanyard does not hold; omit source.',
        input.name,
        'source',
      );
    }
    const properties = [...new Set(input.additionalProperties ?? [])];
    for (const property of properties) {
      if (!spec.additionalProperties.includes(property)) {
        throw refuse(
          `The optional claim "${input.name}" has no additional property "${property}".`,
          spec.additionalProperties.length > 0
            ? `Additional properties of ${input.name}: ${spec.additionalProperties.join(', ')}.`
            : `${input.name} takes no additional properties.`,
          input.name,
          'additionalProperties',
        );
      }
    }
    return {
      name: input.name,
      source: null,
      essential: input.essential ?? false,
      additionalProperties: properties,
    };
  });
}
