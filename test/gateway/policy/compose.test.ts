import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { composeScopes, type ScopeDocument, type ScopeKind } from '../../../src/gateway/policy/compose.ts';
import { PolicyLoadError } from '../../../src/gateway/policy/errors.ts';
import { substituteNamedValues } from '../../../src/gateway/policy/named-values.ts';
import { parsePolicyXml } from '../../../src/gateway/policy/parse-xml.ts';

function scope(kind: ScopeKind, xml: string | undefined): ScopeDocument {
  return {
    scope: kind,
    label: kind,
    sections: xml === undefined ? undefined : parsePolicyXml(xml, `${kind}.xml`).sections,
  };
}

/** Each policy as `scope:name=value-of-its-name-attribute`. */
function stamps(scopes: ScopeDocument[], section: 'inbound' | 'outbound' = 'inbound'): string[] {
  return composeScopes(scopes)[section].map((p) => `${p.scope}:${p.element.attributes.get('name')}`);
}

const stamp = (name: string, where = 'inbound') =>
  `<policies><${where}><set-header name="${name}" exists-action="override"><value>1</value></set-header></${where}></policies>`;

describe('scope composition', () => {
  const global = scope('global', stamp('g'));
  it('puts the parent section where <base/> stands: first, last, or dropped', () => {
    const api = (body: string) => scope('api', `<policies><inbound>${body}</inbound></policies>`);
    const mine = '<set-header name="a" exists-action="override"><value>1</value></set-header>';
    assert.deepEqual(stamps([global, api(`<base/>${mine}`)]), ['global:g', 'api:a']);
    assert.deepEqual(stamps([global, api(`${mine}<base/>`)]), ['api:a', 'global:g']);
    assert.deepEqual(stamps([global, api(mine)]), ['api:a']);
  });

  it('folds all four scopes from the narrowest', () => {
    const around = (kind: ScopeKind) =>
      scope(
        kind,
        `<policies><inbound><set-header name="${kind}-before" exists-action="override"/><base/><set-header name="${kind}-after" exists-action="override"/></inbound></policies>`,
      );
    assert.deepEqual(stamps([global, around('product'), around('api'), around('operation')]), [
      'operation:operation-before',
      'api:api-before',
      'product:product-before',
      'global:g',
      'product:product-after',
      'api:api-after',
      'operation:operation-after',
    ]);
  });

  it('inherits a section that a scope leaves out, or a scope with no document', () => {
    const onlyOutbound = scope('api', stamp('o', 'outbound'));
    assert.deepEqual(stamps([global, onlyOutbound]), ['global:g']);
    assert.deepEqual(stamps([global, onlyOutbound], 'outbound'), ['api:o']);
    assert.deepEqual(stamps([global, scope('product', undefined), scope('api', undefined)]), ['global:g']);
  });

  it('names each policy by its path among same-named siblings', () => {
    const doc = scope(
      'api',
      `<policies><inbound><set-header name="a"/><choose/><set-header name="b"/></inbound></policies>`,
    );
    assert.deepEqual(
      composeScopes([doc]).inbound.map((p) => p.path),
      ['set-header[1]', 'choose[1]', 'set-header[2]'],
    );
  });

  it('refuses <base/> at global scope, twice, or nested, at its position', () => {
    const refuse = (scopes: ScopeDocument[], pattern: RegExp) =>
      assert.throws(
        () => composeScopes(scopes),
        (err: unknown) => err instanceof PolicyLoadError && pattern.test(err.message),
      );
    refuse(
      [scope('global', '<policies>\n<inbound><base/></inbound></policies>')],
      /global\.xml:2:10: <base\/> in the global scope/,
    );
    refuse([global, scope('api', '<policies><inbound><base/><base/></inbound></policies>')], /appears twice/);
    refuse(
      [
        global,
        scope(
          'api',
          '<policies><inbound><choose><when condition="true"><base/></when></choose></inbound></policies>',
        ),
      ],
      /<base\/> inside <when>/,
    );
  });
});

describe('named values', () => {
  const values = new Map([
    ['tenantID', { value: '72f988bf-86f1-41af-91ab-2d7cd011db47', secret: false }],
    ['signing-key', { value: 's3cr3t', secret: true }],
    ['nested', { value: 'x{{tenantID}}', secret: false }],
  ]);
  const at = { file: 'api.xml', line: 3, column: 7 };
  it('replaces whole and partial references, once, and marks secrets', () => {
    const r = substituteNamedValues(
      'https://login/{{tenantID}}/v2.0/{{ tenantID }}',
      (n) => values.get(n),
      at,
    );
    assert.equal(
      r.value,
      'https://login/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/72f988bf-86f1-41af-91ab-2d7cd011db47',
    );
    assert.deepEqual(r.names, ['tenantID']);
    assert.equal(r.secret, false);
    assert.equal(substituteNamedValues('{{signing-key}}', (n) => values.get(n), at).secret, true);
    // No nesting: the value's own {{…}} stays literal.
    assert.equal(substituteNamedValues('{{nested}}', (n) => values.get(n), at).value, 'x{{tenantID}}');
    assert.equal(substituteNamedValues('no refs', () => undefined, at).value, 'no refs');
  });

  it('refuses an undefined or malformed reference at the value position', () => {
    assert.throws(
      () => substituteNamedValues('a {{missing}}', (n) => values.get(n), at),
      (err: unknown) =>
        err instanceof PolicyLoadError &&
        /api\.xml:3:7: the named value \{\{missing\}\} is not defined/.test(err.message),
    );
    assert.throws(
      () => substituteNamedValues('{{bad name!}}', () => undefined, at),
      /not a named value reference/,
    );
  });
});
