/**
 * @module management/rbac/permissions
 * What a role's permission blocks allow, as Azure evaluates them: an operation is allowed by a block when one
 * of its `actions` matches and none of its `notActions` does — `notActions` only take away from that block's
 * own `actions`, they never deny what another block or role grants. Data operations (`dataActions` minus
 * `notDataActions`) are a separate world: `actions: ["*"]` grants no data operation at all. Matching ignores
 * case, and `*` stands for any run of characters (`Microsoft.KeyVault/vaults/*`, or a leading `*` followed by
 * `/read`); a `*` that is a whole segment (between two slashes) may also stand for no segment, so
 * `Microsoft.KeyVault/vaults/` + `*` + `/read` matches `Microsoft.KeyVault/vaults/read` too — the built-in roles
 * rely on that (docs/management.md, "Actions and wildcards"). Patterns are compiled once per role
 * definition, so a decision is a few string comparisons.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';

/** One permission block of a role definition, as ARM spells it. */
export interface RolePermission {
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly dataActions: readonly string[];
  readonly notDataActions: readonly string[];
}

/** Whether an operation is checked against `actions` (control plane) or `dataActions` (data plane). */
export interface ActionKind {
  readonly dataAction: boolean;
}

const OPERATION = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)+$/;
const PATTERN_SEGMENT = /^[A-Za-z0-9._*-]+$/;
const MAX_OPERATION = 512;

function actionError(what: string, value: string, problem: string): LanyardError {
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return new LanyardError('ERR_RBAC_ACTION', `The ${what} ${JSON.stringify(shown)} ${problem}`, {
    hint: 'Operations read {Namespace}/{type}[/{childType}…]/{read|write|delete|action}; patterns may use * for any run of characters.',
    details: { [what === 'operation' ? 'operation' : 'pattern']: shown },
  });
}

/**
 * Checks an operation string as a caller asks for it (`Microsoft.KeyVault/vaults/secrets/getSecret/action`):
 * at least two segments, no wildcard. Returns it lower-cased, the form every matcher takes.
 */
export function normaliseOperation(operation: string): string {
  let normal = NORMALISED.get(operation);
  if (normal === undefined) {
    normal = normalise(operation);
    if (NORMALISED.size >= MAX_NORMALISED) NORMALISED.clear();
    NORMALISED.set(operation, normal);
  }
  return normal;
}

// A plane asks about a few hundred operations at most: checked ones are kept, up to a bound.
const NORMALISED = new Map<string, string>();
const MAX_NORMALISED = 4_096;

function normalise(operation: string): string {
  if (typeof operation !== 'string' || operation.length === 0 || operation.length > MAX_OPERATION) {
    throw actionError('operation', String(operation), `must be 1–${MAX_OPERATION} characters`);
  }
  if (operation.includes('*'))
    throw actionError('operation', operation, 'is a pattern; ask for one operation');
  if (!OPERATION.test(operation)) {
    throw actionError(
      'operation',
      operation,
      'is not {Namespace}/{type}/…/{verb} (letters, digits, . _ - and /)',
    );
  }
  return operation.toLowerCase();
}

// A permission pattern: `*`, `*/read`, `Microsoft.Authorization/*/Delete`.
/** Checks a permission pattern; throws ERR_RBAC_ACTION. */
export function checkPattern(pattern: string): void {
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > MAX_OPERATION) {
    throw actionError('permission pattern', String(pattern), `must be 1–${MAX_OPERATION} characters`);
  }
  if (pattern === '*') return;
  const segments = pattern.split('/');
  if (segments.length < 2 || !segments.every((s) => PATTERN_SEGMENT.test(s))) {
    throw actionError(
      'permission pattern',
      pattern,
      'is not {Namespace}/{type}/…/{verb} with optional * (letters, digits, . _ - * and /)',
    );
  }
}

/** A compiled pattern: true when the (lower-case) operation matches. */
export type OperationMatcher = (operation: string) => boolean;

const ANY: OperationMatcher = () => true;

/**
 * Compiles one pattern. No wildcard: plain equality. Otherwise a regular expression built from escaped literal
 * pieces: `*` → any run of characters; a `*` that is a whole segment (between slashes) → zero or more whole
 * segments.
 */
export function compilePattern(pattern: string): OperationMatcher {
  checkPattern(pattern);
  const p = pattern.toLowerCase();
  if (p === '*') return ANY;
  if (!p.includes('*')) return (op) => op === p;
  let source = '^';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c !== '*') {
      source += c === '.' ? '\\.' : c;
      continue;
    }
    if (p[i - 1] === '/' && p[i + 1] === '/') {
      // `a/*/b`: the `/` before is already written; match `a/b`, `a/x/b`, `a/x/y/b`.
      source += '(?:.*/)?';
      i++;
    } else {
      source += '.*';
    }
  }
  const re = new RegExp(`${source}$`);
  return (op) => re.test(op);
}

/** Whether `pattern` matches `operation`, ignoring case. For one-off checks; roles compile theirs once. */
export function actionMatches(pattern: string, operation: string): boolean {
  return compilePattern(pattern)(normaliseOperation(operation));
}

interface CompiledBlock {
  readonly actions: readonly OperationMatcher[];
  readonly notActions: readonly OperationMatcher[];
  readonly dataActions: readonly OperationMatcher[];
  readonly notDataActions: readonly OperationMatcher[];
}

/** A role's permission blocks, compiled: what the evaluator asks per decision. */
export interface CompiledPermissions {
  /** Whether some block allows the (already normalised, lower-case) operation of that kind. */
  allows(operation: string, kind: ActionKind): boolean;
}

export function compilePermissions(blocks: readonly RolePermission[]): CompiledPermissions {
  const compiled: CompiledBlock[] = blocks.map((b) => ({
    actions: b.actions.map(compilePattern),
    notActions: b.notActions.map(compilePattern),
    dataActions: b.dataActions.map(compilePattern),
    notDataActions: b.notDataActions.map(compilePattern),
  }));
  return {
    allows(operation, kind) {
      for (const b of compiled) {
        const grants = kind.dataAction ? b.dataActions : b.actions;
        const takes = kind.dataAction ? b.notDataActions : b.notActions;
        if (grants.some((m) => m(operation)) && !takes.some((m) => m(operation))) return true;
      }
      return false;
    },
  };
}

/** Whether the blocks allow the operation: the uncompiled form of `compilePermissions(…).allows`. */
export function permits(blocks: readonly RolePermission[], operation: string, kind: ActionKind): boolean {
  return compilePermissions(blocks).allows(normaliseOperation(operation), kind);
}

/**
 * How much one granting pattern reaches, for ranking roles from least to most privileged: 1 for a plain
 * operation; for a wildcard, 10^(6 − the literal segments before the first `*`), a tenth of that when text
 * follows the `*` (a `*` then `/read` reaches less than `*`). `*` alone is 10^6.
 */
export function patternBreadth(pattern: string): number {
  if (!pattern.includes('*')) return 1;
  const star = pattern.indexOf('*');
  const literalSegments = pattern.slice(0, star).split('/').length - 1;
  const narrowed = star < pattern.length - 1 ? 10 : 1;
  return Math.max(1, 10 ** Math.max(0, 6 - literalSegments) / narrowed);
}

/**
 * A role's reach, control and data operations together: the sum of its granting patterns' breadths. Used only to
 * order would-grant suggestions; `notActions` break ties (the role that takes more away reaches less).
 */
export function permissionsBreadth(blocks: readonly RolePermission[]): { reach: number; removed: number } {
  let reach = 0;
  let removed = 0;
  for (const b of blocks) {
    for (const p of [...b.actions, ...b.dataActions]) reach += patternBreadth(p);
    removed += b.notActions.length + b.notDataActions.length;
  }
  return { reach, removed };
}
