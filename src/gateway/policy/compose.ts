/**
 * @module gateway/policy/compose
 * The effective policy of one operation: the documents of its scopes, broadest first (global → product → API →
 * operation), folded section by section from the narrowest. In each section `<base/>` stands for the parent
 * scope's effective section, at that exact position; a section without `<base/>` drops everything broader. A
 * scope with no document, or a document that leaves a section out, inherits that section whole (as if it held
 * only `<base/>`): APIM's default document for a new scope is `<base/>` in every section.
 *
 * `<base/>` is refused where it cannot mean anything: in the global scope (there is no parent), twice in one
 * section, or inside another policy.
 */
import { type PolicyElement, SECTIONS, type Section } from './element.ts';
import { PolicyLoadError } from './errors.ts';
import type { ParsedElement } from './parse-xml.ts';

export const SCOPES = ['global', 'product', 'api', 'operation'] as const;
export type ScopeKind = (typeof SCOPES)[number];

export interface ScopeDocument {
  readonly scope: ScopeKind;
  /** Shown in traces and `context.LastError.Scope`, e.g. `api orders`. */
  readonly label: string;
  readonly sections: Readonly<Record<Section, ParsedElement | undefined>> | undefined;
}

/** One policy of the effective document, with the scope it came from and its path (`choose[1]`, …). */
export interface ScopedPolicy {
  readonly element: ParsedElement;
  readonly scope: ScopeKind;
  readonly scopeLabel: string;
  /** APIM's path of the policy inside its section: the name and its 1-based index among same-named siblings. */
  readonly path: string;
}

export type EffectivePolicy = Readonly<Record<Section, readonly ScopedPolicy[]>>;

function checkNoNestedBase(element: PolicyElement): void {
  for (const child of element.children) {
    if (child.name === 'base') {
      throw new PolicyLoadError(
        child.position,
        `<base/> inside <${element.name}>: it stands only directly in a section`,
        'Move <base/> to the section level, where the broader scopes’ policies go.',
      );
    }
    checkNoNestedBase(child);
  }
}

function pathsOf(elements: readonly ParsedElement[]): string[] {
  const seen = new Map<string, number>();
  return elements.map((e) => {
    const n = (seen.get(e.name) ?? 0) + 1;
    seen.set(e.name, n);
    return `${e.name}[${n}]`;
  });
}

/** The effective policy for scopes given broadest first; scopes that do not apply are left out by the caller. */
export function composeScopes(scopes: readonly ScopeDocument[]): EffectivePolicy {
  let order = -1;
  for (const s of scopes) {
    const rank = SCOPES.indexOf(s.scope);
    if (rank <= order) throw new TypeError(`scopes out of order at ${s.scope}`);
    order = rank;
  }
  const result = {} as Record<Section, readonly ScopedPolicy[]>;
  for (const section of SECTIONS) {
    let parent: readonly ScopedPolicy[] = [];
    for (const s of scopes) {
      const element = s.sections?.[section];
      if (!element) continue; // inherits the parent's section whole
      const paths = pathsOf(element.children);
      const own: ScopedPolicy[] = [];
      let based = false;
      element.children.forEach((child, i) => {
        if (child.name === 'base') {
          if (s.scope === 'global') {
            throw new PolicyLoadError(
              child.position,
              '<base/> in the global scope: there is no broader scope to include',
              'Remove it; <base/> belongs in product, API and operation policies.',
            );
          }
          if (based) throw new PolicyLoadError(child.position, `<base/> appears twice in <${section}>`);
          based = true;
          own.push(...parent);
          return;
        }
        checkNoNestedBase(child);
        own.push({ element: child, scope: s.scope, scopeLabel: s.label, path: paths[i]! });
      });
      parent = own;
    }
    result[section] = parent;
  }
  return result;
}
