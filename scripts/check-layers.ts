/**
 * The layer rule, checked: every folder of `src/` has a rank, and a file may import only from its own folder
 * or from a folder of lower rank. Folders of equal rank do not import each other. No files import each other
 * in a loop, inside a folder or across folders. docs/architecture.md draws the same table.
 *
 * `node scripts/check-layers.ts` prints each violation with the import that causes it and exits 1; `npm test`
 * runs it. A new plane adds its folder to LAYERS at the rank it belongs.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Lower first. A folder imports only from folders listed above it (or itself). */
export const LAYERS: readonly (readonly string[])[] = [
  ['errors'],
  ['encoding', 'files'],
  ['crypto', 'net', 'store', 'http'],
  ['manifest'],
  ['plane'],
  ['audit', 'directory'],
  ['issuer'],
  ['identity', 'validator'],
  ['easyauth', 'gateway', 'management'],
  ['vault'],
  ['flows'],
  ['console'],
  ['host'],
  ['demo'],
  ['cli'],
];

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

export interface Violation {
  kind: 'upward' | 'sideways' | 'unknown-folder' | 'cycle';
  message: string;
}

function rankOf(folder: string): number {
  return LAYERS.findIndex((layer) => layer.includes(folder));
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** The relative imports of one file, as absolute paths; comments are blanked first so examples in them do not count. */
export function importsOf(file: string, text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const m of code.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (spec) found.push(path.resolve(path.dirname(file), spec));
  }
  return found;
}

export function checkLayers(srcDir: string): Violation[] {
  const files = sourceFiles(srcDir);
  const edges = new Map<string, string[]>();
  const violations: Violation[] = [];
  const folderOf = (file: string) => path.relative(srcDir, file).split(path.sep)[0]!;
  for (const file of files) {
    const targets = importsOf(file, fs.readFileSync(file, 'utf8')).filter((t) => t.startsWith(srcDir));
    edges.set(file, targets);
    const from = folderOf(file);
    const fromRank = rankOf(from);
    if (fromRank === -1 && !from.includes('.')) {
      violations.push({
        kind: 'unknown-folder',
        message: `src/${from}/ has no layer: add it to LAYERS in scripts/check-layers.ts`,
      });
      continue;
    }
    for (const target of targets) {
      const to = folderOf(target);
      if (to === from) continue;
      const toRank = rankOf(to);
      const where = `${path.relative(srcDir, file)} imports ${path.relative(srcDir, target)}`;
      if (toRank > fromRank) {
        violations.push({ kind: 'upward', message: `upward: ${where} (${from} sits below ${to})` });
      } else if (toRank === fromRank) {
        violations.push({
          kind: 'sideways',
          message: `sideways: ${where} (${from} and ${to} share a layer)`,
        });
      }
    }
  }
  for (const cycle of cycles(edges)) {
    violations.push({
      kind: 'cycle',
      message: `cycle: ${cycle.map((f) => path.relative(srcDir, f)).join(' → ')}`,
    });
  }
  // Each folder is reported once when it has no layer.
  return violations.filter((v, i) => violations.findIndex((w) => w.message === v.message) === i);
}

/** Strongly connected components with more than one file (Tarjan), each as a list of its files. */
function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

if (import.meta.main) {
  const srcDir = path.resolve(import.meta.dirname, '..', 'src');
  const violations = checkLayers(srcDir);
  for (const v of violations) console.log(v.message);
  if (violations.length > 0) {
    console.log(`${violations.length} layer violation(s); docs/architecture.md explains the layers.`);
    process.exitCode = 1;
  } else {
    console.log(`layers: no upward, sideways or circular import in src/ (${LAYERS.flat().length} folders)`);
  }
}
