/**
 * The plane registry holds together: names and migrations are unique, each plane folder's module header says
 * what it owns, and every audit action a plane's code writes is one it declares (so docs and filters built
 * from `auditActions` list them all).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { MIGRATIONS, PLANES } from '../../src/host/planes.ts';

const SRC = path.resolve(import.meta.dirname, '../../src');

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('plane registry', () => {
  it('names each plane once, after its folder, with a module header saying what it owns', () => {
    const names = PLANES.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    for (const plane of PLANES) {
      const file = path.join(SRC, plane.name, 'plane.ts');
      assert.ok(fs.existsSync(file), `src/${plane.name}/plane.ts`);
      assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`@module ${plane.name}/plane\\n \\* The `));
      assert.ok(plane.owns.length > 10, `${plane.name} says what it owns`);
    }
  });

  it('collects every migration once, in name order', () => {
    const names = Object.keys(MIGRATIONS);
    assert.deepEqual(names, [...names].sort());
    const declared = PLANES.flatMap((p) => Object.keys(p.migrations ?? {}));
    assert.deepEqual([...declared].sort(), names);
  });

  it('declares every audit action its code writes', () => {
    for (const plane of PLANES) {
      const written = new Set<string>();
      // A plane's web/ folder is code for the browser (the console's front end): it reads audit events, never writes.
      const web = path.join(SRC, plane.name, 'web') + path.sep;
      for (const file of sources(path.join(SRC, plane.name)).filter((f) => !f.startsWith(web))) {
        const text = fs.readFileSync(file, 'utf8');
        for (const m of text.matchAll(/\baction(?::|\s*=)\s*'([a-z]+\.[a-z.-]+)'/g)) written.add(m[1]!);
        for (const m of text.matchAll(/audit\([^)]*'([a-z]+\.[a-z.-]+)'\)/g)) written.add(m[1]!);
      }
      const declared = new Set(plane.auditActions ?? []);
      for (const action of written) {
        assert.ok(
          declared.has(action),
          `${plane.name} writes ${action} but does not declare it in auditActions`,
        );
      }
    }
  });
});
