/**
 * @module test/manifest/optional-claims
 * An app's `optionalClaims` in `lanyard.yaml`, against real stores: created as declared, a second plan finds
 * nothing to do (order does not matter), an edit is one field-level update, removing the key asks for none;
 * and a claim Lanyard cannot emit is refused at load, at its line, with the names it can.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Directory } from '../../src/directory/directory.ts';
import { isLanyardError, type LanyardError } from '../../src/errors/lanyard-error.ts';
import { applyManifest, formatPlan, parseManifest, planManifest } from '../../src/host/manifest.ts';
import type { Runtime } from '../../src/host/runtime.ts';
import { openTestRuntime } from '../helpers/runtime.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const lines = (...l: string[]) => `${l.join('\n')}\n`;

/** A tenant with one app; `claims` are the YAML lines under `optionalClaims:` (none: the key is left out). */
function manifest(claims: string[] | undefined) {
  return parseManifest(
    lines(
      'apiVersion: lanyard/v1',
      'tenants:',
      '  - name: fabrikam',
      '    apps:',
      '      - name: orders',
      '        identifierUris: [api://orders]',
      ...(claims === undefined ? [] : ['        optionalClaims:', ...claims.map((c) => `          ${c}`)]),
    ),
    'lanyard.yaml',
  );
}

function refusal(op: () => unknown): LanyardError {
  try {
    op();
  } catch (err) {
    assert.ok(isLanyardError(err));
    return err;
  }
  assert.fail('not refused');
}

describe('optionalClaims in lanyard.yaml: load', () => {
  it('refuses a claim Lanyard cannot emit at its line, with the names it can', () => {
    const err = refusal(() => manifest(['accessToken:', '  - name: email']));
    assert.equal(err.code, 'ERR_MANIFEST_SCHEMA');
    assert.match(
      err.message.split('\n')[0]!,
      /^lanyard\.yaml:9:\d+ tenants\[0\]\.apps\[0\]\.optionalClaims\.accessToken\[0\]\.name: Lanyard does not emit the optional claim "email".*idtyp, aud/,
    );
  });

  it('points at additionalProperties for a property the claim does not have, and refuses xms_tcdt', () => {
    const err = refusal(() =>
      manifest(['accessToken:', '  - name: aud', '    additionalProperties: [include_user_token]']),
    );
    assert.equal(err.code, 'ERR_MANIFEST_SCHEMA');
    assert.match(
      err.message,
      /accessToken\[0\]\.additionalProperties: .*no additional property "include_user_token".*use_guid/,
    );
    const tcdt = refusal(() => manifest(['accessToken:', '  - name: xms_tcdt']));
    assert.match(tcdt.message, /only in tokens for some Microsoft resources/);
  });

  it('refuses a claim listed twice, ID token claims and unknown keys', () => {
    const twice = refusal(() => manifest(['accessToken:', '  - name: idtyp', '  - name: idtyp']));
    assert.match(twice.message, /accessToken\[1\]\.name: optional claim "idtyp" is listed twice/);
    const id = refusal(() => manifest(['idToken:', '  - name: upn']));
    assert.match(id.message, /optionalClaims\.idToken: .*access tokens only/);
    const key = refusal(() => manifest(['accessToken:', '  - name: idtyp', '    colour: blue']));
    assert.equal(key.code, 'ERR_MANIFEST_SCHEMA');
    assert.match(key.message, /unknown key "colour"/);
  });

  it("takes Entra's full shape and fills the defaults", () => {
    const m = manifest([
      'accessToken:',
      '  - name: idtyp',
      '    source: null',
      '    essential: false',
      '    additionalProperties: []',
      'idToken: []',
      'saml2Token: []',
    ]);
    const app = (m.tenants[0] as { apps: { optionalClaims: unknown }[] }).apps[0]!;
    assert.deepEqual(app.optionalClaims, {
      accessToken: [{ name: 'idtyp', source: null, essential: false, additionalProperties: [] }],
      idToken: [],
      saml2Token: [],
    });
  });
});

for (const kind of STORE_KINDS) {
  describe(`optionalClaims in lanyard.yaml: plan and apply (${kind})`, () => {
    let runtime: Runtime;
    let dir: Directory;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ runtime, cleanup } = await openTestRuntime(kind));
      dir = runtime.directory;
    });
    afterEach(() => cleanup());

    it('round-trips: created as declared, then no changes; an edit is one update; no key asks for none', async () => {
      await applyManifest(dir, manifest(['accessToken:', '  - name: idtyp']));
      const created = await dir.getApp('fabrikam', 'orders');
      assert.deepEqual(created.optionalClaims.accessToken, [
        { name: 'idtyp', source: null, essential: false, additionalProperties: [] },
      ]);
      const again = await planManifest(dir, manifest(['accessToken:', '  - name: idtyp']));
      assert.deepEqual(again.changes, []);

      const both = manifest([
        'accessToken:',
        '  - name: aud',
        '    additionalProperties: [use_guid]',
        '  - name: idtyp',
      ]);
      const plan = await planManifest(dir, both);
      assert.deepEqual(plan.changes, [
        {
          action: 'update',
          kind: 'app',
          tenant: 'fabrikam',
          name: 'orders',
          changes: ['optionalClaims.accessToken: [idtyp] → [aud(use_guid), idtyp]'],
        },
      ]);
      const version = await dir.version();
      await applyManifest(dir, both);
      assert.ok((await dir.version()) > version, 'the change moved the directory version');
      assert.deepEqual(
        (await dir.getApp('fabrikam', 'orders')).optionalClaims.accessToken.map((c) => [
          c.name,
          c.additionalProperties,
        ]),
        [
          ['aud', ['use_guid']],
          ['idtyp', []],
        ],
      );
      const reordered = manifest([
        'accessToken:',
        '  - name: idtyp',
        '  - name: aud',
        '    additionalProperties: [use_guid]',
      ]);
      assert.deepEqual((await planManifest(dir, reordered)).changes, [], 'order does not matter');

      const none = await planManifest(dir, manifest(undefined));
      assert.match(
        formatPlan(none),
        /^~ update app fabrikam\/orders\n {4}optionalClaims\.accessToken: \[aud\(use_guid\), idtyp\] → \[\]$/m,
      );
      await applyManifest(dir, manifest(undefined));
      assert.deepEqual((await dir.getApp('fabrikam', 'orders')).optionalClaims.accessToken, []);
      assert.deepEqual((await planManifest(dir, manifest(undefined))).changes, []);
    });
  });
}
