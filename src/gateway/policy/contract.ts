/**
 * @module gateway/policy/contract
 * What one policy module is: its element name, the sections (and scopes) where APIM allows it, and `compile`,
 * which reads the element once at load time — refusing anything wrong with its position — and returns what runs
 * per request. Modules live in `gateway/policies/`, one per file, and are listed in `policies/registry.ts`.
 */
import type { ExpressionContext } from '../expressions/index.ts';
import type { GatewayContext } from '../runtime/context.ts';
import type { ValueContext } from './attributes.ts';
import type { ScopeKind } from './compose.ts';
import type { Section } from './element.ts';
import type { ParsedElement } from './parse-xml.ts';
import type { GatewayServices } from './services.ts';

export interface CompiledPolicy {
  run(ctx: GatewayContext): void | Promise<void>;
}

export interface CompileContext extends ValueContext {
  readonly section: Section;
  readonly scope: ScopeKind;
  /** Compiles child policies (`choose`'s `when`, `retry`'s body) with the same rules; runs them in order. */
  compileBlock(children: readonly ParsedElement[]): CompiledPolicy;
  /** What policies use at run time: counters, managed-identity tokens, token validation, the clock. */
  readonly services: GatewayServices;
  /** The per-request view for policy expressions. */
  readonly expressions: (ctx: GatewayContext) => ExpressionContext;
}

export interface PolicyDefinition {
  readonly name: string;
  /** Sections where APIM allows the policy. */
  readonly sections: readonly Section[];
  /** Scopes where APIM allows it; every scope when left out. */
  readonly scopes?: readonly ScopeKind[] | undefined;
  compile(element: ParsedElement, cc: CompileContext): CompiledPolicy;
}

export const ALL_SECTIONS: readonly Section[] = ['inbound', 'backend', 'outbound', 'on-error'];

export function definePolicy(definition: PolicyDefinition): PolicyDefinition {
  return Object.freeze(definition);
}
