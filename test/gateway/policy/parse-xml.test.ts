import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyLoadError } from '../../../src/gateway/policy/errors.ts';
import { MAX_POLICY_BYTES, parsePolicyXml } from '../../../src/gateway/policy/parse-xml.ts';

function refusal(xml: string, file = 'apis/orders.xml'): PolicyLoadError {
  try {
    parsePolicyXml(xml, file);
  } catch (err) {
    assert.ok(err instanceof PolicyLoadError, `expected a PolicyLoadError, got ${String(err)}`);
    assert.equal(err.code, 'ERR_GATEWAY_POLICY');
    return err;
  }
  assert.fail('the document was accepted');
}

// The seed's validate-jwt policy, as copied from the write-up (named values in attributes and text).
const SEED_002 = `<policies>
  <inbound>
    <base />
    <validate-jwt header-name="Authorization" failed-validation-httpcode="401" failed-validation-error-message="Unauthorized. Access token is missing or invalid." require-scheme="Bearer">
         <openid-config url="https://login.microsoftonline.com/{{tenantID}}/v2.0/.well-known/openid-configuration" />
         <audiences>
             <audience>{{clientID}}</audience>
         </audiences>
         <required-claims>
             <claim name="roles" match="any">
                 <value>{{roleId}}</value>
             </claim>
         </required-claims>
    </validate-jwt>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>`;

describe('policy XML loader', () => {
  it('reads sections, elements, attributes and text with their positions', () => {
    const doc = parsePolicyXml(SEED_002, 'seed.xml');
    const inbound = doc.sections.inbound!;
    assert.deepEqual(
      inbound.children.map((c) => c.name),
      ['base', 'validate-jwt'],
    );
    const jwt = inbound.children[1]!;
    assert.equal(jwt.attributes.get('require-scheme'), 'Bearer');
    assert.deepEqual(jwt.position, { file: 'seed.xml', line: 4, column: 5 });
    assert.deepEqual(jwt.valuePositions.get('header-name'), { file: 'seed.xml', line: 4, column: 19 });
    const audience = jwt.children.find((c) => c.name === 'audiences')!.children[0]!;
    assert.equal(audience.text, '{{clientID}}');
    assert.equal(audience.position.line, 7);
    assert.ok(doc.sections['on-error']);
  });

  it('keeps APIM expressions that are not well-formed XML, and their positions', () => {
    const xml = `<policies>
  <inbound>
    <choose>
      <when condition="@(context.Request.Method == "POST" && context.Variables.GetValueOrDefault<string>("x") != ")")">
        <set-header name="X-Block" exists-action="override">
          <value>@{
            var a = context.Request.Headers.GetValueOrDefault("A", "");
            return a.Length > 0 && a != "<b>" ? a : "none";
          }</value>
        </set-header>
      </when>
    </choose>
  </inbound>
</policies>`;
    const doc = parsePolicyXml(xml);
    const when = doc.sections.inbound!.children[0]!.children[0]!;
    assert.equal(
      when.attributes.get('condition'),
      '@(context.Request.Method == "POST" && context.Variables.GetValueOrDefault<string>("x") != ")")',
    );
    assert.deepEqual(when.valuePositions.get('condition'), { file: undefined, line: 4, column: 24 });
    const value = when.children[0]!.children[0]!;
    assert.match(value.text!, /^@\{\n\s+var a = .*\n.*"<b>".*\n\s+\}$/);
    assert.deepEqual(value.valuePositions.get('#text'), { file: undefined, line: 6, column: 18 });
    // An element after a multi-line expression keeps its true line.
    assert.equal(when.children[0]!.position.line, 5);
  });

  it('decodes entities inside escaped expressions (the exported form)', () => {
    const doc = parsePolicyXml(
      '<policies><inbound><set-variable name="a" value="@(context.Request.Headers.GetValueOrDefault(&quot;Authorization&quot;,&quot;&quot;))" /></inbound></policies>',
    );
    assert.equal(
      doc.sections.inbound!.children[0]!.attributes.get('value'),
      '@(context.Request.Headers.GetValueOrDefault("Authorization",""))',
    );
  });

  it('finds the end of an escaped expression whose string holds // (not a comment)', () => {
    const doc = parsePolicyXml(
      '<policies><inbound><set-variable name="a" value="@(&quot;api://&quot; + context.Api.Name)" /><base/></inbound></policies>',
    );
    assert.equal(
      doc.sections.inbound!.children[0]!.attributes.get('value'),
      '@("api://" + context.Api.Name)',
    );
    assert.equal(doc.sections.inbound!.children[1]!.name, 'base');
  });

  it('leaves @( inside other text alone, and passes over comments and CDATA', () => {
    const doc = parsePolicyXml(
      '<policies><inbound><!-- @( not closed --><set-body>mail me: a@(b</set-body><set-body><![CDATA[<x>@(]]></set-body></inbound></policies>',
    );
    const [a, b] = doc.sections.inbound!.children;
    assert.equal(a!.text, 'mail me: a@(b');
    assert.equal(b!.text, '<x>@(');
  });

  it('refuses malformed XML with line and column', () => {
    const err = refusal('<policies>\n  <inbound>\n    <base />\n  </outbound>\n</policies>');
    assert.match(err.message, /^Policy error at apis\/orders\.xml:4:\d+: malformed XML: .*inbound/);
    assert.equal(err.position.line, 4);
  });

  it('refuses an unclosed expression at its start', () => {
    const err = refusal(
      '<policies>\n<inbound>\n<set-variable name="a" value="@(context.Request.Method == "POST"" />\n</inbound></policies>',
    );
    assert.deepEqual(err.position, { file: 'apis/orders.xml', line: 3, column: 31 });
    assert.match(err.message, /not closed/);
  });

  it('refuses a wrong root, unknown or repeated sections, and stray text', () => {
    assert.match(refusal('<policy><inbound/></policy>').message, /root element is <policy>/);
    assert.match(refusal('<policies><inbound/></policies><policies/>').message, /exactly one root/);
    const unknown = refusal('<policies>\n  <inbound/>\n  <outbund/>\n</policies>');
    assert.match(unknown.message, /3:3: <outbund> is not a section/);
    assert.match(unknown.hint ?? '', /<on-error>/);
    assert.match(refusal('<policies><inbound/><inbound/></policies>').message, /<inbound> appears twice/);
    assert.match(refusal('<policies><inbound>text</inbound></policies>').message, /<inbound> holds text/);
  });

  it('bounds size, depth and the placeholder characters', () => {
    assert.match(
      refusal(`<policies><inbound>${' '.repeat(MAX_POLICY_BYTES)}</inbound></policies>`).message,
      /larger than 256 KiB/,
    );
    const deep = `<policies><inbound>${'<choose><when condition="true">'.repeat(20)}${'</when></choose>'.repeat(20)}</inbound></policies>`;
    assert.match(refusal(deep).message, /nested deeper than 32/);
    assert.match(refusal('<policies><inbound>\uE000</inbound></policies>').message, /private-use/);
  });

  it('reads CRLF documents with the same lines', () => {
    const doc = parsePolicyXml(
      '<policies>\r\n  <inbound>\r\n    <base />\r\n  </inbound>\r\n</policies>\r\n',
    );
    assert.equal(doc.sections.inbound!.children[0]!.position.line, 3);
  });
});
