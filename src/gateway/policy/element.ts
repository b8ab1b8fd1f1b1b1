/**
 * @module gateway/policy/element
 * A policy document as the loader hands it on: elements with their attributes, text and children, each with
 * the line and column where it starts, so that every later refusal (an unknown policy, a bad attribute value, an
 * expression outside the supported subset) can point at the place in the file.
 *
 * Attribute values and text are kept exactly as written (entities decoded, expressions restored): named values
 * (`{{name}}`) and expressions (`@(…)`, `@{…}`) are resolved when a policy compiles them, not here.
 */

/** Where something starts in a policy document; lines and columns count from 1. */
export interface PolicyPosition {
  /** The manifest-relative file, or a label such as `api orders, operation get-order`. */
  readonly file?: string | undefined;
  readonly line: number;
  readonly column: number;
}

export interface PolicyElement {
  readonly name: string;
  /** Attribute values by name, in document order. */
  readonly attributes: ReadonlyMap<string, string>;
  /** Child elements in document order (text, comments and CDATA are not elements). */
  readonly children: readonly PolicyElement[];
  /** The element's own text (its text nodes joined, CDATA included), or undefined when it has none. */
  readonly text: string | undefined;
  readonly position: PolicyPosition;
}

export const SECTIONS = ['inbound', 'backend', 'outbound', 'on-error'] as const;
export type Section = (typeof SECTIONS)[number];

/** The four sections of one `<policies>` document; a section left out of the XML is `undefined`. */
export interface PolicyDocument {
  readonly sections: Readonly<Record<Section, PolicyElement | undefined>>;
  readonly position: PolicyPosition;
}

/** `file:line:column`, or `line:column` without a file. */
export function formatPosition(p: PolicyPosition): string {
  return `${p.file ? `${p.file}:` : ''}${p.line}:${p.column}`;
}
