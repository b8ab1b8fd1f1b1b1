/**
 * @module manifest/problems
 * What a section's checks report once every object is valid on its own: a key path and what is wrong, as a
 * schema problem (the manifest contradicts itself: a name declared twice) or a reference problem (it names
 * something it does not declare). Loading turns them into `file:line:column key.path: message` issues.
 */
import type { KeyPath } from './source.ts';

export interface ManifestProblem {
  kind: 'schema' | 'reference';
  path: KeyPath;
  message: string;
}

/** Reports the second and later occurrences of each key in a list (items without a key are skipped). */
export function duplicates<T>(
  items: readonly T[],
  keyOf: (item: T) => string | undefined,
  pathOf: (index: number) => KeyPath,
  describe: (item: T, firstIndex: number) => string,
  out: ManifestProblem[],
): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const key = keyOf(item);
    if (key === undefined) return;
    const seen = first.get(key);
    if (seen === undefined) first.set(key, i);
    else out.push({ kind: 'schema', path: pathOf(i), message: describe(item, seen) });
  });
}
