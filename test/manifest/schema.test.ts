/**
 * @module test/manifest/schema
 * Keeps the schema honest as sections are added: every mapping refuses unknown keys, every field says what
 * it is (and its default) in `.describe()`, and docs/manifest.md documents every key.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { manifestSchema, parseManifest } from '../../src/host/manifest.ts';

interface Field {
  path: string;
  key: string;
  schema: z.ZodType;
}

/** Every object in the schema tree, and every field of each. */
function walk(
  schema: z.ZodType,
  at: string,
  objects: { path: string; schema: z.ZodObject }[],
  fields: Field[],
): void {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else break;
  }
  if (s instanceof z.ZodArray) {
    walk(s.element as z.ZodType, `${at}[]`, objects, fields);
    return;
  }
  if (!(s instanceof z.ZodObject)) return;
  objects.push({ path: at, schema: s });
  for (const [key, child] of Object.entries(s.shape as Record<string, z.ZodType>)) {
    fields.push({ path: at ? `${at}.${key}` : key, key, schema: child });
    walk(child, at ? `${at}.${key}` : key, objects, fields);
  }
}

describe('manifest schema', () => {
  const objects: { path: string; schema: z.ZodObject }[] = [];
  const fields: Field[] = [];
  walk(manifestSchema, '', objects, fields);

  it('covers the whole tree', () => {
    assert.ok(objects.length >= 8, `found ${objects.length} objects`);
    assert.ok(fields.some((f) => f.path === 'tenants[].apps[].appRoles[].allowedMemberTypes'));
  });

  it('refuses unknown keys in every mapping', () => {
    for (const o of objects) {
      assert.ok(
        o.schema.def.catchall instanceof z.ZodNever,
        `${o.path || '(root)'} must be a z.strictObject`,
      );
    }
  });

  it('describes every field', () => {
    for (const f of fields) assert.ok(f.schema.description, `${f.path} has no .describe()`);
  });

  const docs = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/manifest.md'), 'utf8');

  it('documents every key in docs/manifest.md', () => {
    for (const f of fields)
      assert.ok(docs.includes(`| \`${f.key}\` |`), `${f.path} is not in a docs/manifest.md table`);
  });

  it('accepts the example in docs/manifest.md', () => {
    const example = /```yaml\n([\s\S]*?)```/.exec(docs)?.[1];
    assert.ok(example, 'docs/manifest.md has a yaml example');
    const m = parseManifest(example, 'docs/manifest.md');
    assert.equal(m.tenants[0]?.roleAssignments[0]?.role, 'Invoke');
  });
});
