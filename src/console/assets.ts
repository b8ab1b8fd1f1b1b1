/**
 * @module console/assets
 * The console's page and its files, all served by Lanyard (no third-party origin: the console works offline).
 * - `/console/app/<path>.js`: the front end's modules, written in TypeScript at `src/console/web/<path>.ts`
 *   (erasable syntax only) and served as JavaScript with their types stripped (`stripTypeScriptTypes` of
 *   `node:module`, mode `strip`: whitespace where the types were, so line and column numbers stay); a relative
 *   import written with the project's `.ts` suffix is served as `.js`. `/console/app/<path>.css` is
 *   `src/console/web/<path>.css` as it is. Each is built once per version of its file (mtime and size).
 * - `/console/vendor/<name>.js`: the ES modules of a fixed list of packages from node_modules (preact, its
 *   hooks, htm, cytoscape), with bare imports between them (`from "preact"`) rewritten to these paths, so the
 *   page needs no import map; `/console/vendor/cytoscape.css`, the rule cytoscape would inject inline.
 * Paths are checked before any file is touched: segments of letters, digits, `-`, `_` and `.` only, never a
 * dot first (so no `..` and no hidden file), only `.js` (from `.ts`) and `.css`, and the file must resolve to
 * a regular file inside the web folder. Answers carry a strong ETag and `Cache-Control: no-cache` (a browser
 * asks again and gets 304 while nothing changed).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire, stripTypeScriptTypes } from 'node:module';
import path from 'node:path';

export const WEB_DIR = path.resolve(import.meta.dirname, 'web');

export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$/;

const require = createRequire(import.meta.url);

/** The vendor modules: URL name → the package file, resolved through the package (so its layout may change). */
export const VENDOR: Readonly<Record<string, { readonly pkg: string; readonly file: string }>> = {
  'preact.js': { pkg: 'preact', file: 'dist/preact.mjs' },
  'preact-hooks.js': { pkg: 'preact', file: 'hooks/dist/hooks.mjs' },
  'htm.js': { pkg: 'htm', file: 'dist/htm.mjs' },
  'cytoscape.js': { pkg: 'cytoscape', file: 'dist/cytoscape.esm.min.mjs' },
};

/**
 * Stylesheets the vendor modules would otherwise inject inline, which the console's CSP refuses: cytoscape adds
 * `<style id="__________cytoscape_stylesheet">` with its container's rule unless an element of that id exists,
 * so the page links this file under that id (routes.ts).
 */
export const VENDOR_CSS: Readonly<Record<string, string>> = {
  'cytoscape.css': '.__________cytoscape_container {\n  position: relative;\n}\n',
};

/** Bare specifiers the vendor modules import, and where they are served. */
const BARE: Readonly<Record<string, string>> = {
  preact: '/console/vendor/preact.js',
  'preact/hooks': '/console/vendor/preact-hooks.js',
  htm: '/console/vendor/htm.js',
  cytoscape: '/console/vendor/cytoscape.js',
};

/** The folder of an installed package (its exports may not list package.json, so it is looked for). */
function packageRoot(pkg: string): string | undefined {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    if (fs.existsSync(path.join(dir, pkg, 'package.json'))) return path.join(dir, pkg);
  }
  return undefined;
}

const etagOf = (body: Buffer) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;

/** `stripTypeScriptTypes` warns once per process that it is experimental; that line is not for Lanyard's users. */
function strip(source: string): string {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.includes('stripTypeScriptTypes')) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emit;
  }
}

/** Relative imports written `./x.ts` (the project's style) are served as `./x.js`, which is what this route serves. */
function jsSpecifiers(code: string): string {
  return code.replace(
    /(\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.{1,2}\/[^'"\n]*?)\.ts\2/g,
    (_m, before: string, quote: string, spec: string) => `${before}${quote}${spec}.js${quote}`,
  );
}

/** Bare imports of the vendor modules rewritten to their URLs; source-map comments dropped (no maps are served). */
function vendorSpecifiers(code: string): string {
  return code
    .replace(
      /(\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"\n./][^'"\n]*)\2/g,
      (m, before: string, q: string, spec: string) => (BARE[spec] ? `${before}${q}${BARE[spec]}${q}` : m),
    )
    .replace(/^\/\/# sourceMappingURL=.*$/gm, '');
}

interface Cached {
  readonly stamp: string;
  readonly asset: Asset;
}

export class Assets {
  readonly #webDir: string;
  readonly #cache = new Map<string, Cached>();

  constructor(webDir = WEB_DIR) {
    this.#webDir = webDir;
  }

  /** A front-end file by its URL path under `/console/app/`, or undefined when there is none. */
  app(segments: readonly string[]): Asset | undefined {
    if (segments.length === 0 || segments.length > 8 || !segments.every((s) => SEGMENT.test(s)))
      return undefined;
    const last = segments.at(-1)!;
    let file: string;
    let contentType: string;
    if (last.endsWith('.js')) {
      file = path.join(this.#webDir, ...segments.slice(0, -1), `${last.slice(0, -3)}.ts`);
      contentType = JS;
    } else if (last.endsWith('.css')) {
      file = path.join(this.#webDir, ...segments);
      contentType = CSS;
    } else return undefined;
    return this.#load(file, contentType, (text) => (contentType === JS ? jsSpecifiers(strip(text)) : text));
  }

  /** A vendor module (or stylesheet) by its name under `/console/vendor/`, or undefined when it is not on the list. */
  vendor(name: string): Asset | undefined {
    const css = Object.hasOwn(VENDOR_CSS, name) ? VENDOR_CSS[name] : undefined;
    if (css !== undefined) {
      const body = Buffer.from(css, 'utf8');
      return { body, contentType: CSS, etag: etagOf(body) };
    }
    const entry = Object.hasOwn(VENDOR, name) ? VENDOR[name] : undefined;
    if (!entry) return undefined;
    const root = packageRoot(entry.pkg);
    if (root === undefined) return undefined;
    return this.#load(path.join(root, entry.file), JS, vendorSpecifiers, root);
  }

  #load(file: string, contentType: string, build: (text: string) => string, within = this.#webDir) {
    let real: string;
    let stat: fs.Stats;
    try {
      real = fs.realpathSync(file);
      stat = fs.statSync(real);
    } catch {
      return undefined;
    }
    const rel = path.relative(fs.realpathSync(within), real);
    if (rel.startsWith('..') || path.isAbsolute(rel) || !stat.isFile()) return undefined;
    const stamp = `${stat.mtimeMs}:${stat.size}`;
    const hit = this.#cache.get(real);
    if (hit?.stamp === stamp) return hit.asset;
    const body = Buffer.from(build(fs.readFileSync(real, 'utf8')), 'utf8');
    const asset = { body, contentType, etag: etagOf(body) };
    this.#cache.set(real, { stamp, asset });
    return asset;
  }
}
