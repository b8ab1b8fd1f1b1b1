/**
 * @module gateway/policy/named-values
 * `{{name}}` in a policy's attribute values and text, replaced by the named value before the policy compiles, as
 * API Management does: anywhere in a value, whole or part (`name="X-{{suffix}}"`). A value is not scanned again,
 * so a named value cannot pull in another (`{{a}}` inside b's value stays literal); a value that is itself an
 * expression (`@(…)`) is then compiled like one written in place. A reference to a name that is not defined
 * refuses the document, naming the reference and its position.
 */
import type { PolicyPosition } from './element.ts';
import { PolicyLoadError } from './errors.ts';

/** APIM's rule for a named value's display name. */
export const NAMED_VALUE_NAME = /^[A-Za-z0-9._-]{1,256}$/;
const REFERENCE = /\{\{([^{}]*)\}\}/g;

export interface NamedValue {
  readonly value: string;
  /** A secret value is masked in traces and never printed. */
  readonly secret: boolean;
}

export type NamedValueLookup = (name: string) => NamedValue | undefined;

export interface Substituted {
  readonly value: string;
  /** Whether a secret named value went into it (traces mask the whole value). */
  readonly secret: boolean;
  /** The names used, for "which policies use this named value". */
  readonly names: readonly string[];
}

/** Replaces every `{{name}}` in `text`; `at` is where the value starts, for the error. */
export function substituteNamedValues(
  text: string,
  lookup: NamedValueLookup,
  at: PolicyPosition,
): Substituted {
  if (!text.includes('{{')) return { value: text, secret: false, names: [] };
  let secret = false;
  const names: string[] = [];
  const value = text.replace(REFERENCE, (whole, rawName: string) => {
    const name = rawName.trim();
    if (!NAMED_VALUE_NAME.test(name)) {
      throw new PolicyLoadError(
        at,
        `${whole} is not a named value reference: names are 1–256 letters, digits, '.', '-' or '_'`,
      );
    }
    const found = lookup(name);
    if (!found) {
      throw new PolicyLoadError(
        at,
        `the named value {{${name}}} is not defined`,
        `Define it: lanyard gateway named-value set --gateway <gateway> --name ${name} --value …`,
      );
    }
    secret ||= found.secret;
    if (!names.includes(name)) names.push(name);
    return found.value;
  });
  return { value, secret, names };
}
