/**
 * @module gateway/policy/attributes
 * Reading a policy's attributes and text at load time, against the policy's own declaration: an attribute the
 * policy does not know is refused (every policy also takes `id`, for `context.LastError.PolicyId`), a required one
 * that is missing is refused, and a constant value of the wrong kind (`clock-skew="soon"`) is refused — each at its
 * position. Named values are substituted first. Where APIM allows a policy expression, the value may be `@(…)` or
 * `@{…}`: it is compiled now and evaluated per request; elsewhere an expression is refused.
 */

import { LanyardError } from '../../errors/lanyard-error.ts';
import {
  type CompiledExpression,
  compileExpression,
  type ExpressionContext,
  isExpression,
} from '../expressions/index.ts';
import type { PolicyPosition } from './element.ts';
import { PolicyLoadError } from './errors.ts';
import { type NamedValueLookup, substituteNamedValues } from './named-values.ts';
import type { ParsedElement } from './parse-xml.ts';

/** A value known at load time, or an expression evaluated per request. */
export type Dynamic<T> =
  | { readonly kind: 'constant'; readonly value: T; readonly secret: boolean }
  | {
      readonly kind: 'expression';
      readonly expression: CompiledExpression;
      readonly convert: (v: unknown) => T;
      readonly secret: boolean;
    };

export function constant<T>(value: T): Dynamic<T> {
  return { kind: 'constant', value, secret: false };
}

/** The value for this request. A conversion failure is a run-time policy error (APIM answers 500). */
export function resolve<T>(d: Dynamic<T>, ctx: () => ExpressionContext): T {
  if (d.kind === 'constant') return d.value;
  return d.convert(d.expression.evaluate(ctx()));
}

export type AttributeKind =
  | { type: 'string' }
  | { type: 'int'; min?: number; max?: number }
  | { type: 'bool' }
  | { type: 'enum'; values: readonly string[] };

export interface AttributeSpec {
  readonly kind: AttributeKind;
  readonly required?: boolean;
  /** Whether APIM accepts a policy expression here. */
  readonly expressions?: boolean;
}

export type AttributeSpecs = Readonly<Record<string, AttributeSpec>>;

interface SpecOptions<R extends boolean> {
  required?: R;
  expressions?: boolean;
}

function spec<K extends AttributeKind, R extends boolean>(kind: K, o: SpecOptions<R>) {
  return { kind, required: (o.required ?? false) as R, expressions: o.expressions ?? false };
}

export const str = <const R extends boolean = false>(o: SpecOptions<R> = {}) =>
  spec({ type: 'string' } as const, o);
export const int = <const R extends boolean = false>(
  o: SpecOptions<R> & { min?: number; max?: number } = {},
) =>
  spec(
    {
      type: 'int' as const,
      ...(o.min === undefined ? {} : { min: o.min }),
      ...(o.max === undefined ? {} : { max: o.max }),
    },
    o,
  );
export const bool = <const R extends boolean = false>(o: SpecOptions<R> = {}) =>
  spec({ type: 'bool' } as const, o);
export const oneOf = <const V extends readonly string[], const R extends boolean = false>(
  values: V,
  o: SpecOptions<R> = {},
) => spec({ type: 'enum' as const, values }, o);

/** The TypeScript type an attribute of this kind reads as. */
export type KindValue<K> = K extends { type: 'int' }
  ? number
  : K extends { type: 'bool' }
    ? boolean
    : K extends { type: 'enum'; values: readonly (infer V)[] }
      ? V
      : string;

/** What compiling needs besides the element: the gateway's named values. */
export interface ValueContext {
  readonly namedValues: NamedValueLookup;
}

function describe(kind: AttributeKind): string {
  switch (kind.type) {
    case 'string':
      return 'text';
    case 'int':
      return `a whole number${kind.min !== undefined ? ` from ${kind.min}` : ''}${kind.max !== undefined ? ` to ${kind.max}` : ''}`;
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${kind.values.join(', ')}`;
  }
}

/** Converts text to the kind; undefined when it does not fit. */
function convertText(kind: AttributeKind, text: string): unknown {
  switch (kind.type) {
    case 'string':
      return text;
    case 'int': {
      const t = text.trim();
      if (!/^-?\d{1,15}$/.test(t)) return undefined;
      const n = Number(t);
      if ((kind.min !== undefined && n < kind.min) || (kind.max !== undefined && n > kind.max))
        return undefined;
      return n;
    }
    case 'bool': {
      const t = text.trim().toLowerCase();
      return t === 'true' ? true : t === 'false' ? false : undefined;
    }
    case 'enum': {
      const t = text.trim();
      return kind.values.find((v) => v.toLowerCase() === t.toLowerCase());
    }
  }
}

/** The C# static types an expression may have where a value of this kind is needed (text takes any). */
const STATIC_TYPES: Readonly<Record<AttributeKind['type'], readonly string[] | undefined>> = {
  string: undefined,
  int: ['int', 'long', 'string'],
  bool: ['bool', 'string'],
  enum: ['string'],
};

/** Converts an expression's result at request time. */
function runtimeConverter(kind: AttributeKind, label: string): (v: unknown) => unknown {
  return (v) => {
    if (kind.type === 'string') return v === null || v === undefined ? '' : String(v);
    if (kind.type === 'bool' && typeof v === 'boolean') return v;
    if (kind.type === 'int' && typeof v === 'number' && Number.isInteger(v)) {
      const c = convertText(kind, String(v));
      if (c !== undefined) return c;
    }
    const c = typeof v === 'string' ? convertText(kind, v) : undefined;
    if (c === undefined) {
      throw new LanyardError(
        'ERR_GATEWAY_POLICY_RUNTIME',
        `${label}: the expression gave ${JSON.stringify(v)?.slice(0, 80) ?? String(v)}, not ${describe(kind)}`,
      );
    }
    return c;
  };
}

/** A value (attribute or text) read against its spec: named values, then a constant or a compiled expression. */
export function readValue(
  raw: string,
  spec: AttributeSpec,
  at: PolicyPosition,
  label: string,
  vc: ValueContext,
): Dynamic<unknown> {
  const { value, secret } = substituteNamedValues(raw, vc.namedValues, at);
  if (isExpression(value)) {
    if (!spec.expressions) {
      throw new PolicyLoadError(
        at,
        `${label} does not take a policy expression`,
        'Give a constant value here.',
      );
    }
    const expression = compileExpression(value.trim(), at, { redact: secret });
    const wanted = STATIC_TYPES[spec.kind.type];
    if (wanted && !wanted.includes(expression.type) && expression.type !== 'object') {
      throw new PolicyLoadError(
        at,
        `${label} needs ${describe(spec.kind)}, but the expression's type is ${expression.type}`,
      );
    }
    return {
      kind: 'expression',
      expression,
      convert: runtimeConverter(spec.kind, label),
      secret,
    };
  }
  const converted = convertText(spec.kind, value);
  if (converted === undefined) {
    throw new PolicyLoadError(
      at,
      `${label} is ${secret ? 'a secret value' : JSON.stringify(value.slice(0, 80))}; it must be ${describe(spec.kind)}`,
    );
  }
  return { kind: 'constant', value: converted, secret };
}

export type ReadAttributes<S extends AttributeSpecs> = {
  readonly [K in keyof S]: S[K]['required'] extends true
    ? Dynamic<KindValue<S[K]['kind']>>
    : Dynamic<KindValue<S[K]['kind']>> | undefined;
};

/**
 * The element's attributes read against `specs`; `id` is always allowed. Refuses an unknown attribute (naming
 * the ones the policy takes), a missing required one, and a bad constant.
 */
export function readAttributes<S extends AttributeSpecs>(
  element: ParsedElement,
  specs: S,
  vc: ValueContext,
): ReadAttributes<S> {
  const out: Record<string, Dynamic<unknown> | undefined> = {};
  for (const [name, raw] of element.attributes) {
    if (name === 'id') continue;
    const spec = specs[name];
    const at = element.valuePositions.get(name) ?? element.position;
    if (!spec) {
      const known = Object.keys(specs);
      throw new PolicyLoadError(
        at,
        `<${element.name}> has no attribute "${name}"`,
        known.length ? `It takes: ${known.join(', ')}, id.` : `<${element.name}> takes no attributes but id.`,
      );
    }
    out[name] = readValue(raw, spec, at, `<${element.name}> ${name}`, vc);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && out[name] === undefined) {
      throw new PolicyLoadError(element.position, `<${element.name}> needs the attribute "${name}"`);
    }
  }
  return out as ReadAttributes<S>;
}

/** Refuses child elements other than `allowed` (by name), at the first stray one. */
export function onlyChildren(element: ParsedElement, allowed: readonly string[]): void {
  for (const child of element.children) {
    if (!allowed.includes(child.name)) {
      throw new PolicyLoadError(
        child.position,
        `<${element.name}> cannot hold <${child.name}>`,
        allowed.length
          ? `It holds: ${allowed.map((a) => `<${a}>`).join(', ')}.`
          : `<${element.name}> holds no elements.`,
      );
    }
  }
}

/** The element's text read as a value (named values, expression if allowed); undefined when it has none. */
export function readText<S extends AttributeSpec>(
  element: ParsedElement,
  spec: S,
  vc: ValueContext,
): Dynamic<KindValue<S['kind']>> | undefined {
  if (element.text === undefined) return undefined;
  const text = element.text;
  const trimmed = text.trim();
  if (trimmed === '' && spec.kind.type === 'string') return constant('') as Dynamic<KindValue<S['kind']>>;
  return readValue(
    isExpression(trimmed) ? trimmed : text,
    spec,
    element.valuePositions.get('#text') ?? element.position,
    `<${element.name}>`,
    vc,
  ) as Dynamic<KindValue<S['kind']>>;
}
