/**
 * @module directory/identifier-uris
 * App ID URIs, checked as Entra's default policy does: `api://…` of any form, `https://` only on one of the
 * tenant's domains (Entra: a verified domain), `urn:` names; no wildcards, queries or fragments. Uniqueness is
 * per tenant, compared case-insensitively and ignoring a trailing slash, as token requests match them.
 */
import { LanyardError } from '../errors/lanyard-error.ts';

export const MAX_IDENTIFIER_URI_LENGTH = 255;

/** The key two URIs share when a token request for one would match the other. */
export function identifierUriKey(uri: string): string {
  return uri.trim().toLowerCase().replace(/\/+$/, '');
}

export function validateIdentifierUris(uris: string[], tenantDomains: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const uri of uris) {
    const fail = (why: string, hint?: string): never => {
      throw new LanyardError('ERR_VALIDATION', `Invalid identifier URI "${uri}": ${why}`, {
        ...(hint === undefined ? {} : { hint }),
        details: { uri },
      });
    };
    if (uri.length === 0 || uri.length > MAX_IDENTIFIER_URI_LENGTH)
      fail(`must be 1-${MAX_IDENTIFIER_URI_LENGTH} characters.`);
    if (/\s/.test(uri)) fail('must not contain white space.');
    if (uri.includes('*')) fail('wildcards are not allowed.');
    if (uri.includes('#') || uri.includes('?')) fail('query strings and fragments are not allowed.');
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
    if (scheme === 'api') {
      if (!/^api:\/\/[^/]+/.test(uri))
        fail('must look like api://<name> or api://<appId>.', 'Example: api://my-function');
    } else if (scheme === 'https') {
      let host: string;
      try {
        host = new URL(uri).hostname.toLowerCase();
      } catch {
        return fail('is not a valid URL.');
      }
      const allowed = tenantDomains.some((d) => host === d || host.endsWith(`.${d}`));
      if (!allowed) {
        fail(
          `https identifier URIs must be on one of the tenant's domains (${tenantDomains.join(', ') || 'none'}), as Entra requires a verified domain.`,
          `Add ${host} to the tenant's domains, or use an api:// URI such as api://${host.split('.')[0]}.`,
        );
      }
    } else if (scheme === 'urn') {
      if (!/^urn:[a-zA-Z0-9][a-zA-Z0-9-]{0,31}:.+/.test(uri)) fail('is not a valid URN.');
    } else {
      fail('must use the api://, https:// or urn: scheme.', 'Example: api://my-function');
    }
    const key = identifierUriKey(uri);
    if (seen.has(key)) fail('is listed twice.');
    seen.add(key);
    out.push(uri);
  }
  return out;
}
