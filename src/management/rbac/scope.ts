/**
 * @module management/rbac/scope
 * ARM scope ids, parsed and normalised: the tenant root `/`, a subscription, a resource group, and a resource in
 * a resource group with any chain of child resources. ARM compares ids without regard to case, so every scope
 * carries two spellings: `id`, the caller's (with ARM's keywords `subscriptions`, `resourceGroups` and
 * `providers` in their usual case), for display; and `key`, all lower case, which is what scopes are compared
 * and indexed on. A scope's ancestors are its key cut at segment boundaries, worked out once at parse time, so
 * RBAC walks a request's chain without parsing again. Kinds the emulated model does not have (management
 * groups, subscription-level and extension resources) are refused, not guessed at.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';

export type ScopeKind = 'root' | 'subscription' | 'resourceGroup' | 'resource';

/** One resource level under a resource group: `vaults/kv1`, then `secrets/s1` for a child. */
export interface ResourceLevel {
  readonly type: string;
  readonly name: string;
}

export interface Scope {
  readonly kind: ScopeKind;
  /** The caller's spelling, with ARM's keywords normalised; no trailing slash (except the root `/`). */
  readonly id: string;
  /** `id` in lower case: what scopes are compared and indexed on. */
  readonly key: string;
  /**
   * The keys of this scope and every scope above it, the root first and this scope's own key last. Nothing is
   * in between but real scopes: `/`, the subscription, the resource group, the resource, each child.
   */
  readonly chain: readonly string[];
  /** The display ids of the same scopes, in the same order (`chainIds.at(-1)` is `id`). */
  readonly chainIds: readonly string[];
  readonly subscriptionId?: string;
  readonly resourceGroup?: string;
  /** The resource provider namespace (`Microsoft.KeyVault`), for a resource. */
  readonly namespace?: string;
  /** The resource's levels from the top-level resource down to this one, for a resource. */
  readonly resources?: readonly ResourceLevel[];
}

/** Why a scope id is refused: `details.reason` of the error, stable for callers that map it. */
export type ScopeProblem =
  | 'empty'
  | 'no-leading-slash'
  | 'empty-segment'
  | 'bad-subscription-id'
  | 'bad-resource-group'
  | 'bad-namespace'
  | 'bad-resource-type'
  | 'bad-resource-name'
  | 'incomplete'
  | 'unsupported';

export class ScopeError extends LanyardError {
  readonly scope: string;
  readonly reason: ScopeProblem;

  constructor(scope: string, reason: ScopeProblem, problem: string) {
    const shown = scope.length > 300 ? `${scope.slice(0, 300)}…` : scope;
    super('ERR_RBAC_SCOPE', `The scope ${JSON.stringify(shown)} is not valid: ${problem}`, {
      hint: 'A scope is /, /subscriptions/{id}, /subscriptions/{id}/resourceGroups/{name}, or /subscriptions/{id}/resourceGroups/{name}/providers/{namespace}/{type}/{name}[/{childType}/{childName}…].',
      details: { scope: shown, reason },
    });
    this.name = 'ScopeError';
    this.scope = shown;
    this.reason = reason;
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// ARM's rule for resource group names: 1–90 letters, digits, `.`, `_`, `-`, `(`, `)`, not ending in `.`.
const RESOURCE_GROUP = /^[\p{L}\p{N}._()-]{1,90}$/u;
const NAMESPACE = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$/;
const RESOURCE_TYPE = /^[A-Za-z][A-Za-z0-9_-]*$/;
// A resource name is one path segment; control characters, and `?`/`#` (which never survive a URL), are refused.
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const BAD_NAME = /[\u0000-\u001f\u007f?#\\]/;
const MAX_SCOPE = 2048;

export const ROOT_SCOPE: Scope = Object.freeze({
  kind: 'root',
  id: '/',
  key: '/',
  chain: Object.freeze(['/']),
  chainIds: Object.freeze(['/']),
});

// Scopes are immutable, and a plane asks about the same few over and over: parsed ones are kept, up to a bound.
const PARSED = new Map<string, Scope>();
const MAX_PARSED = 10_000;

/** Parses and normalises a scope id; throws `ScopeError` (ERR_RBAC_SCOPE) with the reason when it is not one. */
export function parseScope(raw: string): Scope {
  let scope = PARSED.get(raw);
  if (scope === undefined) {
    scope = parse(raw);
    if (PARSED.size >= MAX_PARSED) PARSED.clear();
    PARSED.set(raw, scope);
  }
  return scope;
}

function parse(raw: string): Scope {
  if (typeof raw !== 'string' || raw === '') throw new ScopeError(String(raw), 'empty', 'it is empty');
  if (raw.length > MAX_SCOPE) {
    throw new ScopeError(raw, 'unsupported', `it is longer than ${MAX_SCOPE} characters`);
  }
  if (!raw.startsWith('/')) throw new ScopeError(raw, 'no-leading-slash', 'it must start with "/"');
  if (raw === '/') return ROOT_SCOPE;
  // One trailing slash is tolerated (`/subscriptions/{s}/`), as ARM does; `//` anywhere else is not.
  const body = raw.endsWith('/') ? raw.slice(1, -1) : raw.slice(1);
  const parts = body.split('/');
  if (parts.some((p) => p === ''))
    throw new ScopeError(raw, 'empty-segment', 'it has an empty segment ("//")');

  const first = parts[0]!.toLowerCase();
  if (first === 'providers') {
    const what =
      parts[1]?.toLowerCase() === 'microsoft.management'
        ? 'management-group scopes are not modelled'
        : 'a tenant-level provider path is not a scope';
    throw new ScopeError(raw, 'unsupported', what);
  }
  if (first !== 'subscriptions') {
    throw new ScopeError(
      raw,
      'unsupported',
      `"${parts[0]}" is not a scope segment (expected "subscriptions")`,
    );
  }
  const sub = parts[1];
  if (sub === undefined) throw new ScopeError(raw, 'incomplete', 'the subscription id is missing');
  if (!GUID.test(sub)) throw new ScopeError(raw, 'bad-subscription-id', `"${sub}" is not a GUID`);
  const subId = `/subscriptions/${sub}`;
  const subScope = { subscriptionId: sub };
  if (parts.length === 2) return build('subscription', [subId], subScope);

  if (parts[2]!.toLowerCase() !== 'resourcegroups') {
    if (parts[2]!.toLowerCase() === 'providers') {
      throw new ScopeError(raw, 'unsupported', 'subscription-level resources are not modelled as scopes');
    }
    throw new ScopeError(
      raw,
      'unsupported',
      `"${parts[2]}" cannot follow a subscription (expected "resourceGroups")`,
    );
  }
  const rg = parts[3];
  if (rg === undefined) throw new ScopeError(raw, 'incomplete', 'the resource group name is missing');
  if (!RESOURCE_GROUP.test(rg) || rg.endsWith('.')) {
    throw new ScopeError(raw, 'bad-resource-group', `"${rg}" is not a valid resource group name`);
  }
  const rgId = `/resourceGroups/${rg}`;
  const rgScope = { subscriptionId: sub, resourceGroup: rg };
  if (parts.length === 4) return build('resourceGroup', [subId, rgId], rgScope);

  if (parts[4]!.toLowerCase() !== 'providers') {
    throw new ScopeError(
      raw,
      'unsupported',
      `"${parts[4]}" cannot follow a resource group (expected "providers")`,
    );
  }
  const ns = parts[5];
  if (ns === undefined) throw new ScopeError(raw, 'incomplete', 'the provider namespace is missing');
  if (!NAMESPACE.test(ns)) {
    throw new ScopeError(
      raw,
      'bad-namespace',
      `"${ns}" is not a provider namespace (like Microsoft.KeyVault)`,
    );
  }
  const rest = parts.slice(6);
  if (rest.length === 0) throw new ScopeError(raw, 'incomplete', 'the resource type and name are missing');
  if (rest.length % 2 !== 0) {
    throw new ScopeError(raw, 'incomplete', `the resource type "${rest.at(-1)}" has no name after it`);
  }
  const pieces = [subId, rgId];
  const levels: ResourceLevel[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const type = rest[i]!;
    const name = rest[i + 1]!;
    if (type.toLowerCase() === 'providers') {
      throw new ScopeError(
        raw,
        'unsupported',
        'extension resources (a second "providers") are not modelled as scopes',
      );
    }
    if (!RESOURCE_TYPE.test(type))
      throw new ScopeError(raw, 'bad-resource-type', `"${type}" is not a resource type`);
    if (BAD_NAME.test(name)) {
      throw new ScopeError(raw, 'bad-resource-name', `the name of the ${type} has a character ARM refuses`);
    }
    // The first level carries the namespace, so it is one step of the chain: the resource itself.
    pieces.push(i === 0 ? `/providers/${ns}/${type}/${name}` : `/${type}/${name}`);
    levels.push(Object.freeze({ type, name }));
  }
  return build('resource', pieces, { ...rgScope, namespace: ns, resources: Object.freeze(levels) });
}

/** A scope from the pieces of its id, each piece one level deeper; the chain is their running join. */
function build(kind: ScopeKind, pieces: readonly string[], parts: Partial<Scope>): Scope {
  const chain = ['/'];
  const chainIds = ['/'];
  let id = '';
  for (const piece of pieces) {
    id += piece;
    chainIds.push(id);
    chain.push(id.toLowerCase());
  }
  return Object.freeze({
    ...parts,
    kind,
    id,
    key: chain.at(-1)!,
    chain: Object.freeze(chain),
    chainIds: Object.freeze(chainIds),
  });
}

/** A parsed scope for either form. */
export function toScope(scope: string | Scope): Scope {
  return typeof scope === 'string' ? parseScope(scope) : scope;
}

/** The canonical (lower-case) key of a scope id: what two spellings of one scope share. */
export function scopeKey(scope: string | Scope): string {
  return toScope(scope).key;
}

/** Whether two ids name the same scope, ignoring case. */
export function sameScope(a: string | Scope, b: string | Scope): boolean {
  return toScope(a).key === toScope(b).key;
}

/**
 * The scope and every scope above it, **the root first and the scope itself last**, each with its own kind and
 * the caller's spelling of its part of the id.
 */
export function ancestorScopes(scope: string | Scope): Scope[] {
  return toScope(scope).chainIds.map(parseScope);
}

/** The scope directly above, or undefined for the root. */
export function parentScope(scope: string | Scope): Scope | undefined {
  const parentId = toScope(scope).chainIds.at(-2);
  return parentId === undefined ? undefined : parseScope(parentId);
}

/**
 * Whether `child` is `parent` or lies below it (an assignment at `parent` applies at `child`). Equal scopes count
 * as within each other.
 */
export function isWithin(child: string | Scope, parent: string | Scope): boolean {
  const c = toScope(child);
  const p = toScope(parent);
  // Both are parsed, so a prefix ending at a segment boundary is always an ancestor, never a look-alike.
  return p.key === '/' || c.key === p.key || c.key.startsWith(`${p.key}/`);
}
