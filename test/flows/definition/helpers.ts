/**
 * @module test/flows/definition/helpers
 * Small builders for definitions written inline, the fixtures, and an assertion on the loader's refusals.
 * `fakeReferences` stands in for the expression module's lister: it recognises `body('X')`, `actions('X')`,
 * `parameters('p')` and `variables('v')` by regular expression, which is enough to test the rules that use it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { isLanyardError } from '../../../src/errors/lanyard-error.ts';
import type { ReferenceLister } from '../../../src/flows/definition/validate.ts';

export function fixture(name: string): unknown {
  return JSON.parse(fs.readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

export function fixtureText(name: string): string {
  return fs.readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

export const SCHEMA =
  'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#';

export const MANUAL = { manual: { type: 'Request', kind: 'Http', inputs: { schema: {} } } };

/** A bare definition with a Request trigger, unless `triggers` says otherwise. */
export function def(
  actions: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { $schema: SCHEMA, contentVersion: '1.0.0.0', triggers: MANUAL, actions, ...extra };
}

export function compose(value: unknown, runAfter: Record<string, string[]> = {}): Record<string, unknown> {
  return { type: 'Compose', inputs: value, runAfter };
}

export function http(extra: Record<string, unknown> = {}, runAfter: Record<string, string[]> = {}) {
  return { type: 'Http', inputs: { method: 'GET', uri: 'https://api.example/x', ...extra }, runAfter };
}

export const fakeReferences: ReferenceLister = (value) => {
  const text = JSON.stringify(value) ?? '';
  const all = (re: RegExp) => [...text.matchAll(re)].map((m) => m[1]!);
  return {
    actions: [...all(/body\('([^']+)'\)/g), ...all(/actions\('([^']+)'\)/g)],
    parameters: all(/parameters\('([^']+)'\)/g),
    variables: all(/variables\('([^']+)'\)/g),
  };
};

/** Asserts a LanyardError with `code`, a message matching `message`, and (when given) `details` members. */
export function refuses(
  fn: () => unknown,
  code: 'ERR_FLOW_DEFINITION' | 'ERR_FLOW_UNSUPPORTED' | 'ERR_FLOW_SCHEDULE',
  message: RegExp,
  details: Record<string, unknown> = {},
): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isLanyardError(err), `not a LanyardError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    for (const [k, v] of Object.entries(details)) assert.deepEqual(err.details?.[k], v, `details.${k}`);
    return true;
  });
}
