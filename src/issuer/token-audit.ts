/**
 * @module issuer/token-audit
 * The one step that writes the issuer's audit rows. Every token pipeline — the HTTP token endpoints
 * (token-endpoint.ts) and `TokenService.mint`, which in-process callers such as the managed-identity endpoints
 * use — lists this same object in `outbound` and in `on-error`, so each run leaves exactly one row:
 * `token.issue`, or `token.refuse` with the AADSTS code that was answered. A new refusal needs no audit code:
 * whatever a step throws reaches `on-error` and is recorded here. Nothing else in the issuer records a row.
 *
 * Rows name who asked, for what, with which key and why refused; never a token, secret or assertion.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import type { PipelineContext, Step } from '../http/pipeline.ts';
import { AadstsError } from './aadsts.ts';

/** What the `token.issue` row says of a token. */
export interface IssuedFacts {
  readonly kid: string;
  readonly roles: readonly string[];
  readonly claims: { readonly ver: string; readonly uti: string; readonly exp: number };
}

/** What a token pipeline's context carries for its audit row; steps fill it in as they learn it. */
export interface TokenAuditContext extends PipelineContext {
  readonly audit: AuditLog;
  /** The tenant, once found. */
  tenant: { readonly id: string } | undefined;
  /** The client id: as presented, then as authenticated. */
  actor: string | undefined;
  /** The resource as requested, once named. */
  target: string | undefined;
  /** The endpoint or grant that asked, plus the client's authentication method once it is known. */
  via: string;
  issued: IssuedFacts | undefined;
  /** Set as the row is attempted: a run writes at most one row, even if a later step fails or the write did. */
  audited: boolean;
  /** The refusal of a failed run, once worked out (`refusalOf`): the row and the answer name the same code. */
  refusal: AadstsError | undefined;
}

/** An unexpected failure, as clients are told of it: Entra's retryable AADSTS90033, no internals. */
export function transientRefusal(): AadstsError {
  return new AadstsError(
    90033,
    'A transient error has occurred. Please try again.',
    'Lanyard: the server log has the detail.',
  );
}

/** The refusal a failed run answers: the AADSTS error a step threw, or AADSTS90033 for anything else. */
export function refusalOf(ctx: TokenAuditContext): AadstsError {
  const err = ctx.pipeline.error;
  ctx.refusal ??= err instanceof AadstsError ? err : transientRefusal();
  return ctx.refusal;
}

/**
 * In `outbound` it records the token issued, before anything is answered (fail-closed: if the row cannot be
 * written, `on-error` answers AADSTS90033 and the token is never sent); in `on-error`, the refusal.
 */
export const auditStep: Step<TokenAuditContext> = {
  name: 'audit',
  async run(ctx) {
    if (ctx.audited) return;
    ctx.audited = true;
    if (ctx.pipeline.phase !== 'on-error') {
      const issued = ctx.issued;
      if (!issued) throw new TypeError('The audit step ran in outbound with no token issued.');
      await ctx.audit.record({
        plane: 'issuer',
        action: 'token.issue',
        outcome: 'success',
        tenantId: ctx.tenant?.id,
        actor: ctx.actor,
        target: ctx.target,
        details: {
          via: ctx.via,
          kid: issued.kid,
          ver: issued.claims.ver,
          roles: issued.roles,
          uti: issued.claims.uti,
          exp: issued.claims.exp,
        },
      });
      return;
    }
    const refusal = refusalOf(ctx);
    await ctx.audit.record({
      plane: 'issuer',
      action: 'token.refuse',
      outcome: 'failure',
      tenantId: ctx.tenant?.id,
      actor: ctx.actor,
      target: ctx.target,
      reason: refusal.auditNote ? `AADSTS${refusal.code} ${refusal.auditNote}` : `AADSTS${refusal.code}`,
      details: { via: ctx.via, error: refusal.error, message: refusal.message },
    });
  },
};
