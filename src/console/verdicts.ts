/**
 * @module console/verdicts
 * What an explanation says about one front (an Easy Auth resource, Resource Manager, a vault, a gateway API):
 * whether it would let the token in, and each check in the front's own order, passed, failed with its fix, or
 * not checked. The explainers (explain.ts, explain-gateway.ts) answer in these shapes.
 */

export interface ExplainCheck {
  /** What is checked, in the validator's order: `token`, `header`, `signature`, `lifetime`, `issuer`, `audience`, `claims`, `caller`; then `tenant`, `authorization`. */
  name: string;
  status: 'passed' | 'failed' | 'not-checked';
  message?: string | undefined;
  expected?: unknown;
  actual?: unknown;
  fix?: string | undefined;
  /** The refusal's stable code (a validator reason, ARM's or Key Vault's code). */
  code?: string | undefined;
}

export interface FrontVerdict {
  /** The front: an Easy Auth resource, `Resource Manager`, a vault. */
  resource: string;
  accepted: boolean;
  /** What the front would answer: 200, 401, 403, 404. */
  status: number;
  reason?: string | undefined;
  message?: string | undefined;
  hint?: string | undefined;
  checks: ExplainCheck[];
}
