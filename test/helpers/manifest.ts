/**
 * @module test/helpers/manifest
 * Asserts that a manifest text is refused at load with an error code and messages (all of them matching).
 */
import assert from 'node:assert/strict';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';
import { parseManifest } from '../../src/host/manifest.ts';

export function assertManifestRefused(text: string, code: string, ...messages: RegExp[]): void {
  assert.throws(
    () => parseManifest(text, 'lanyard.yaml'),
    (err: unknown) => {
      assert.ok(isLanyardError(err));
      assert.equal(err.code, code, err.message);
      for (const m of messages) assert.match(err.message, m);
      return true;
    },
  );
}
