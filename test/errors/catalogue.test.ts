import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { ERROR_CODES } from '../../src/errors/codes.ts';

test('docs/errors.md documents every error code with its status, and nothing else', () => {
  const doc = fs.readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, number>();
  for (const line of doc.split('\n')) {
    const m = /^\|\s*(ERR_[A-Z0-9_]+)\s*\|\s*(\d{3})\s*\|/.exec(line);
    if (m) rows.set(m[1]!, Number(m[2]));
  }
  const codes = Object.keys(ERROR_CODES);
  assert.deepEqual(
    codes.filter((c) => !rows.has(c)),
    [],
    'codes missing from docs/errors.md',
  );
  assert.deepEqual(
    [...rows.keys()].filter((c) => !(c in ERROR_CODES)),
    [],
    'stale rows in docs/errors.md',
  );
  for (const [code, status] of rows) {
    assert.equal(status, ERROR_CODES[code as keyof typeof ERROR_CODES].status, `status of ${code}`);
  }
});
