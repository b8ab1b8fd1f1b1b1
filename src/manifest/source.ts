/**
 * @module manifest/source
 * Where a value came from in the YAML text. Every manifest error names `file:line:column` and the key path
 * (`tenants[0].apps[1].appRoles[0].value`), so a person (or an editor's problem matcher) lands on the line.
 * A loaded manifest remembers its source, so later refusals (a pinned id that differs from the store) can
 * point at the line too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import { LanyardError } from '../errors/lanyard-error.ts';

export type KeyPath = readonly (string | number)[];

export interface ManifestSource {
  fileName: string;
  doc: Document;
  lineCounter: LineCounter;
}

export interface SourcePosition {
  line: number;
  column: number;
}

/** `tenants[0].apps[1].name`; `(root)` for the document itself. */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(root)' : out;
}

function at(source: ManifestSource, offset: number | undefined): SourcePosition {
  if (offset === undefined) return { line: 1, column: 1 };
  const { line, col } = source.lineCounter.linePos(offset);
  return { line, column: col };
}

/**
 * The position of the value at `path`, or of its key when `key` is set (unknown keys). When the path runs
 * past what the text holds (a missing key), the deepest node that exists is used.
 */
export function positionOf(
  source: ManifestSource,
  path: KeyPath,
  options: { key?: boolean } = {},
): SourcePosition {
  let node: unknown = source.doc.contents;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isAlias(node)) node = node.resolve(source.doc);
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) break;
      const last = i === path.length - 1;
      const value = pair.value as Node | null;
      // An empty value (`key:` and nothing) has no useful range of its own: point at the key.
      const emptyValue = !value || (isScalar(value) && value.value === null && value.source === '');
      if (last && (options.key || emptyValue)) return at(source, (pair.key as Node).range?.[0]);
      node = value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg];
    } else {
      break;
    }
  }
  return at(source, (node as Node | null | undefined)?.range?.[0]);
}

/** `file:line:column` of `path`. */
export function locationOf(source: ManifestSource, path: KeyPath, options: { key?: boolean } = {}): string {
  const { line, column } = positionOf(source, path, options);
  return `${source.fileName}:${line}:${column}`;
}

const SOURCES = new WeakMap<object, ManifestSource>();

export function rememberSource(manifest: object, source: ManifestSource): void {
  SOURCES.set(manifest, source);
}

/**
 * The file a loaded manifest was read from (as given), or undefined for one built in code. Sections resolve
 * the files a manifest names (a gateway's `policyFile`) relative to its folder.
 */
export function manifestFileOf(manifest: object): string | undefined {
  return SOURCES.get(manifest)?.fileName;
}

/**
 * `file:line:column path` for a path of a loaded manifest; just the path for a manifest built in code.
 * Used by refusals raised after loading (plan), which only know the manifest object.
 */
export function describeLocation(manifest: object, path: KeyPath): string {
  const source = SOURCES.get(manifest);
  return source ? `${locationOf(source, path)} ${formatPath(path)}` : formatPath(path);
}

/**
 * A file a manifest entry names (a policy file, a workflow definition), read relative to the manifest's folder
 * and at most `maxBytes`; `at` is where the entry names it, for the error (ERR_MANIFEST_FILE).
 */
export function readReferencedFile(
  manifest: object,
  relative: string,
  at: KeyPath,
  o: { maxBytes: number; what: string },
): string {
  const file = manifestFileOf(manifest);
  const folder = file ? path.dirname(path.resolve(file)) : process.cwd();
  const full = path.resolve(folder, relative);
  try {
    const stat = fs.statSync(full);
    if (!stat.isFile()) throw new Error('not a file');
    if (stat.size > o.maxBytes) throw new Error(`larger than ${o.maxBytes} bytes`);
    return fs.readFileSync(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    const key = String(at.at(-1));
    throw new LanyardError(
      'ERR_MANIFEST_FILE',
      `${describeLocation(manifest, at)}: cannot read ${o.what} ${relative}: ${why}.`,
      { hint: `${key} is relative to the folder of the manifest file.` },
    );
  }
}
