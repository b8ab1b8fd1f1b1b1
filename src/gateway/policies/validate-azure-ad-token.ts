/**
 * @module gateway/policies/validate-azure-ad-token
 * `<validate-azure-ad-token tenant-id="…">`: a token of one Entra tenant. The tenant's v2 discovery document
 * (`cc.services.tokens.azureAdDiscoveryUrl`, which the plane points at Lanyard's issuer like any copied Entra
 * URL) gives the keys and the tenant's id; both token versions of that tenant are accepted
 * (`https://sts.windows.net/{tid}/` and `https://login.microsoftonline.com/{tid}/v2.0`, plus the document's own
 * issuer). The validator's Entra rules hold (lifetime bound, `tid` bound to the issuer, claim shapes), the
 * clock skew is Entra's five minutes. Then `audiences` and `backend-application-ids` (any one in `aud`; no
 * audience check when both are left out, as in APIM), `client-application-ids` (`appid` or `azp`), and
 * `required-claims` (a `<claim name="x"/>` without values only asks for presence).
 */
import { tenantOfIssuer } from '../../validator/claim-rules.ts';
import type { ValidationPolicy } from '../../validator/policy.ts';
import { jwtFromParts } from '../expressions/jwt.ts';
import { onlyChildren, readAttributes, resolve, str } from '../policy/attributes.ts';
import { definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import {
  checkAudiences,
  checkRequiredClaims,
  FAILURE_ATTRIBUTES,
  outputVariable,
  problemOf,
  readList,
  readRequiredClaims,
  readToken,
  refuse,
  single,
  tokenLocation,
} from './token-checks.ts';

const TENANT =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9][a-z0-9.-]{0,253})$/i;

export const validateAzureAdToken = definePolicy({
  name: 'validate-azure-ad-token',
  sections: ['inbound'],
  compile(element, cc) {
    const a = readAttributes(element, { ...FAILURE_ATTRIBUTES, 'tenant-id': str({ required: true }) }, cc);
    onlyChildren(element, [
      'client-application-ids',
      'backend-application-ids',
      'audiences',
      'required-claims',
    ]);
    const tenant = (a['tenant-id'] as { value: string }).value.trim();
    if (!TENANT.test(tenant)) {
      throw new PolicyLoadError(
        element.valuePositions.get('tenant-id') ?? element.position,
        `tenant-id ${a['tenant-id'].secret ? '(a secret value)' : JSON.stringify(tenant.slice(0, 80))} is not a tenant id or domain`,
      );
    }
    const location = tokenLocation(element, a, 'Authorization');
    const clients = readList(single(element, 'client-application-ids'), 'application-id', cc);
    const backends = readList(single(element, 'backend-application-ids'), 'application-id', cc);
    const audiences = readList(single(element, 'audiences'), 'audience', cc);
    const claims = readRequiredClaims(single(element, 'required-claims'), cc);
    const output = outputVariable(element, a['output-token-variable-name']);
    const failure = {
      source: 'validate-azure-ad-token',
      status: a['failed-validation-httpcode'],
      message: a['failed-validation-error-message'],
    };
    const keys = cc.services.tokens.openIdConfig(cc.services.tokens.azureAdDiscoveryUrl(tenant));
    // The policy object changes only when the document's issuer does (first fetch, or a tenant renamed).
    let policy: ValidationPolicy | undefined;
    let policyIssuer: string | undefined;
    const policyFor = (iss: string | undefined): ValidationPolicy => {
      if (policy && policyIssuer === iss) return policy;
      const tid = iss === undefined ? undefined : tenantOfIssuer(iss);
      const issuers = tid
        ? [`https://sts.windows.net/${tid}/`, `https://login.microsoftonline.com/${tid}/v2.0`]
        : [];
      if (iss !== undefined && !issuers.includes(iss)) issuers.push(iss);
      policyIssuer = iss;
      policy = {
        issuers,
        audiences: [],
        keys,
        algorithms: ['RS256'],
        clockSkewSeconds: 300,
        validateAudience: false,
      };
      return policy;
    };
    return {
      async run(ctx) {
        const view = () => cc.expressions(ctx);
        const read = readToken(ctx, view, location, undefined);
        if ('missing' in read) {
          throw refuse(
            failure,
            { reason: 'TokenNotPresent', message: 'JWT not present.', hint: read.missing },
            view,
          );
        }
        const iss = await keys.issuer();
        const result = await cc.services.tokens.validator.validate(read.token, policyFor(iss));
        if (!result.ok) {
          const p = problemOf(result, read.token);
          throw refuse(
            failure,
            iss === undefined
              ? { ...p, hint: `${p.hint} The discovery document of tenant ${tenant} could not be fetched.` }
              : p,
            view,
          );
        }
        const c = result.claims;
        if (audiences || backends) {
          const allowed = [...(audiences ?? []), ...(backends ?? [])].map((d) => resolve(d, view));
          const bad = checkAudiences(c, allowed);
          if (bad) throw refuse(failure, bad, view);
        }
        if (clients) {
          const app = c.appid ?? c.azp;
          const allowed = clients.map((d) => resolve(d, view));
          if (typeof app !== 'string' || !allowed.includes(app)) {
            const name = c.appid !== undefined ? 'appid' : 'azp';
            throw refuse(
              failure,
              {
                reason: 'TokenClaimValueNotAllowed',
                message: `Claim ${name} value of ${String(app)} is not allowed. Access denied.`,
                hint: `The calling application ${String(app)} is not in client-application-ids (${allowed.join(', ')}).`,
              },
              view,
            );
          }
        }
        const missing = checkRequiredClaims(c, claims, view);
        if (missing) throw refuse(failure, missing, view);
        if (output) ctx.variables.set(output, jwtFromParts(result.header, c));
      },
    };
  },
});
