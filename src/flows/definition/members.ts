/**
 * @module flows/definition/members
 * Azure reads a definition's fixed members without regard to case (`"RunAfter"` is `runAfter`), as its JSON
 * reader does; names the user chooses (actions, parameters, `runAfter` keys) are data and keep their case.
 * A member is renamed to its canonical spelling before the shape is checked; two spellings of one member are
 * refused rather than one silently winning.
 */
import { invalid } from './problems.ts';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of `value` with the members in `known` spelled as there; other members as they are. */
export function canonicalMembers(value: unknown, known: readonly string[], path: string): unknown {
  if (!isRecord(value)) return value;
  const spelling = new Map(known.map((k) => [k.toLowerCase(), k]));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const name = spelling.get(key.toLowerCase()) ?? key;
    if (Object.hasOwn(out, name))
      throw invalid(
        path === '' ? name : `${path}.${name}`,
        'shape',
        `the member '${name}' is written twice, in two cases`,
      );
    // defineProperty: a member named __proto__ stays a member.
    Object.defineProperty(out, name, {
      value: value[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
