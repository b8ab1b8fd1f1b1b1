/**
 * @module test/manifest/load
 * Loading lanyard.yaml: the seed manifest parses, and every kind of error (syntax, schema, duplicate,
 * dangling reference, file) is a LanyardError whose message starts with `file:line:column key.path`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isLanyardError, type LanyardError } from '../../src/errors/lanyard-error.ts';
import { loadManifest, parseManifest } from '../../src/host/manifest.ts';
import { MAX_MANIFEST_BYTES } from '../../src/manifest/load.ts';
import { tempDir } from '../helpers/stores.ts';

const SEED = path.resolve(import.meta.dirname, '../../examples/seeds/lanyard.yaml');

function refusal(fn: () => unknown): LanyardError {
  try {
    fn();
  } catch (err) {
    assert.ok(isLanyardError(err), `expected a LanyardError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the manifest to be refused');
}

const lines = (...l: string[]) => `${l.join('\n')}\n`;

interface Issue {
  path: string;
  line: number;
  column: number;
  message: string;
}

function issuesOf(err: LanyardError): Issue[] {
  const issues = err.details?.issues;
  assert.ok(Array.isArray(issues), 'details.issues lists the problems');
  return issues as Issue[];
}

describe('manifest load', () => {
  const dir = tempDir('lanyard-manifest-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads the seed manifest with its defaults filled in', async () => {
    const m = await loadManifest(SEED);
    assert.equal(m.apiVersion, 'lanyard/v1');
    const [contoso] = m.tenants;
    assert.ok(contoso);
    assert.equal(contoso.name, 'contoso');
    const somefunction = contoso.apps.find((a) => a.name === 'somefunction');
    assert.equal(somefunction?.appId, 'cc334b87-fdbe-4996-aa3f-5bad192a18a6');
    assert.deepEqual(somefunction?.appRoles, []);
    assert.equal(somefunction?.accessTokenAcceptedVersion, 1);
    const invoke = contoso.apps.find((a) => a.name === 'exclusive-function')?.appRoles[0];
    assert.deepEqual(invoke?.allowedMemberTypes, ['Application']);
    assert.equal(invoke?.isEnabled, true);
    assert.equal(contoso.resources.find((r) => r.name === 'contoso-apim')?.systemAssignedIdentity, false);
    assert.equal(contoso.roleAssignments.length, 7);
  });

  it('reports a YAML syntax error with file:line:column', () => {
    const err = refusal(() =>
      parseManifest(lines('apiVersion: lanyard/v1', 'tenants:', '  - name: [contoso'), 'lanyard.yaml'),
    );
    assert.equal(err.code, 'ERR_MANIFEST_SYNTAX');
    assert.match(err.message, /^lanyard\.yaml:4:1 \(yaml\): /);
  });

  it('reports a repeated key as a syntax error at its line', () => {
    const err = refusal(() =>
      parseManifest(lines('apiVersion: lanyard/v1', 'tenants: []', 'tenants: []'), 'm.yaml'),
    );
    assert.equal(err.code, 'ERR_MANIFEST_SYNTAX');
    assert.match(err.message, /^m\.yaml:3:1 /);
  });

  it('refuses an unknown key, pointing at the key and listing the allowed ones', () => {
    const err = refusal(() =>
      parseManifest(
        lines('apiVersion: lanyard/v1', 'tenants:', '  - name: contoso', '    colour: blue'),
        'lanyard.yaml',
      ),
    );
    assert.equal(err.code, 'ERR_MANIFEST_SCHEMA');
    assert.match(
      err.message,
      /^lanyard\.yaml:4:5 tenants\[0\]\.colour: unknown key "colour" \(allowed: name, id, displayName/,
    );
  });

  it('refuses a role value with a space at the value, naming the key path', () => {
    const err = refusal(() =>
      parseManifest(
        lines(
          'apiVersion: lanyard/v1',
          'tenants:',
          '  - name: contoso',
          '    apps:',
          '      - name: orders',
          '      - name: billing',
          '        appRoles:',
          '          - value: Invoke All',
        ),
        'lanyard.yaml',
      ),
    );
    assert.equal(err.code, 'ERR_MANIFEST_SCHEMA');
    assert.equal(
      err.message.split('\n')[0],
      'lanyard.yaml:8:20 tenants[0].apps[1].appRoles[0].value: must not contain spaces',
    );
  });

  it('collects every schema issue, in line order, in details.issues', () => {
    const err = refusal(() =>
      parseManifest(
        lines(
          'apiVersion: lanyard/v2',
          'tenants:',
          '  - name: contoso',
          '    apps:',
          '      - displayName: No name',
          '        accessTokenAcceptedVersion: 3',
          '    resources:',
          '      - name: -bad-',
          '        kind: database',
        ),
        'x.yaml',
      ),
    );
    assert.equal(err.code, 'ERR_MANIFEST_SCHEMA');
    const issues = issuesOf(err);
    assert.deepEqual(
      issues.map((i) => [i.line, i.path]),
      [
        [1, 'apiVersion'],
        [5, 'tenants[0].apps[0].name'],
        [6, 'tenants[0].apps[0].accessTokenAcceptedVersion'],
        [8, 'tenants[0].resources[0].name'],
        [9, 'tenants[0].resources[0].kind'],
      ],
    );
    assert.equal(issues[1]?.message, 'is required');
    assert.equal(issues[2]?.message, 'must be one of 1, 2');
    assert.match(err.message, /^x\.yaml:1:13 apiVersion: must be lanyard\/v1\n/);
    assert.match(err.message, /\(5 problems\)$/);
  });

  it('refuses a principal that is not app:, identity: or resource:', () => {
    const err = refusal(() =>
      parseManifest(
        lines(
          'apiVersion: lanyard/v1',
          'tenants:',
          '  - name: contoso',
          '    apps: [{ name: orders }]',
          '    roleAssignments:',
          '      - principal: user:alice',
          '        app: orders',
        ),
        'lanyard.yaml',
      ),
    );
    assert.equal(err.code, 'ERR_MANIFEST_SCHEMA');
    assert.equal(
      err.message.split('\n')[0],
      'lanyard.yaml:6:20 tenants[0].roleAssignments[0].principal: must be app:<name>, identity:<name> or resource:<name>',
    );
  });

  it('refuses references to undeclared apps, identities, resources and roles', () => {
    const err = refusal(() =>
      parseManifest(
        lines(
          'apiVersion: lanyard/v1',
          'tenants:',
          '  - name: contoso',
          '    apps:',
          '      - name: orders',
          '        appRoles: [{ value: Read }]',
          '    resources:',
          '      - name: worker',
          '        kind: app',
          '        userAssignedIdentities: [ghost]',
          '    roleAssignments:',
          '      - principal: resource:worker',
          '        app: invoices',
          '      - principal: identity:ghost',
          '        app: orders',
          '        role: Write',
        ),
        'lanyard.yaml',
      ),
    );
    assert.equal(err.code, 'ERR_MANIFEST_REFERENCE');
    const issues = issuesOf(err).map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`);
    assert.deepEqual(issues, [
      '10:34 tenants[0].resources[0].userAssignedIdentities[0]: identity "ghost" is not declared under tenants[0].identities',
      '12:20 tenants[0].roleAssignments[0].principal: resource "worker" has no system-assigned identity; set systemAssignedIdentity: true on it',
      '13:14 tenants[0].roleAssignments[0].app: app "invoices" is not declared under tenants[0].apps (nor is it a first-party app)',
      '14:20 tenants[0].roleAssignments[1].principal: identity "ghost" is not declared under tenants[0].identities',
      '16:15 tenants[0].roleAssignments[1].role: app "orders" declares no role "Write" (its roles: Read)',
    ]);
    assert.match(
      err.message,
      /^lanyard\.yaml:10:34 tenants\[0\]\.resources\[0\]\.userAssignedIdentities\[0\]: /,
    );
  });

  it('accepts a first-party app as the target of a default-role assignment', () => {
    const m = parseManifest(
      lines(
        'apiVersion: lanyard/v1',
        'tenants:',
        '  - name: contoso',
        '    resources: [{ name: reader, kind: app, systemAssignedIdentity: true }]',
        '    roleAssignments: [{ principal: "resource:reader", app: azure-key-vault }]',
      ),
    );
    assert.equal(m.tenants[0]?.roleAssignments[0]?.app, 'azure-key-vault');
  });

  it("checks a role of Microsoft Graph against Graph's application permissions", () => {
    const m = parseManifest(
      lines(
        'apiVersion: lanyard/v1',
        'tenants:',
        '  - name: contoso',
        '    apps: [{ name: admin }]',
        '    roleAssignments:',
        '      - { principal: "app:admin", app: microsoft-graph, role: AppRoleAssignment.ReadWrite.All }',
        '      - { principal: "app:admin", app: microsoft-graph, role: 9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30 }',
      ),
    );
    assert.equal(m.tenants[0]?.roleAssignments.length, 2);
    const err = refusal(() =>
      parseManifest(
        lines(
          'apiVersion: lanyard/v1',
          'tenants:',
          '  - name: contoso',
          '    apps: [{ name: admin }]',
          '    roleAssignments:',
          '      - { principal: "app:admin", app: microsoft-graph, role: Mail.Send }',
          '      - { principal: "app:admin", app: microsoft-graph }',
        ),
      ),
    );
    assert.equal(err.code, 'ERR_MANIFEST_REFERENCE');
    const issues = issuesOf(err).map((i) => `${i.path}: ${i.message}`);
    assert.match(
      issues[0]!,
      /roleAssignments\[0\]\.role: first-party app "microsoft-graph" has no role "Mail\.Send" \(its roles: Application\.Read\.All, /,
    );
    assert.match(
      issues[1]!,
      /roleAssignments\[1\]\.role: first-party app "microsoft-graph" defines roles; name one/,
    );
  });

  it('refuses names declared twice in a list and ids pinned twice', () => {
    const err = refusal(() =>
      parseManifest(
        lines(
          'apiVersion: lanyard/v1',
          'tenants:',
          '  - name: contoso',
          '    apps:',
          '      - name: orders',
          '        appId: 11111111-1111-1111-1111-111111111111',
          '      - name: orders',
          '    identities:',
          '      - name: caller',
          '        clientId: 11111111-1111-1111-1111-111111111111',
          '    resources:',
          '      - { name: Worker, kind: app }',
          '      - { name: worker, kind: app }',
        ),
        'lanyard.yaml',
      ),
    );
    assert.equal(err.code, 'ERR_MANIFEST_SCHEMA');
    const paths = issuesOf(err).map((i) => i.path);
    assert.deepEqual(paths, [
      'tenants[0].apps[1].name',
      'tenants[0].identities[0].clientId',
      'tenants[0].resources[1].name',
    ]);
  });

  it('refuses identifier URIs the directory would refuse, with their position', () => {
    const err = refusal(() =>
      parseManifest(
        lines(
          'apiVersion: lanyard/v1',
          'tenants:',
          '  - name: contoso',
          '    apps:',
          '      - name: orders',
          '        identifierUris: [api://orders, https://orders.example.com]',
        ),
        'lanyard.yaml',
      ),
    );
    assert.equal(err.code, 'ERR_MANIFEST_SCHEMA');
    assert.match(
      err.message,
      /^lanyard\.yaml:6:40 tenants\[0\]\.apps\[0\]\.identifierUris\[1\]: https identifier URIs must be on one of the tenant's domains \(contoso\.onmicrosoft\.com\)/,
    );
  });

  it('refuses names of Microsoft first-party apps', () => {
    const err = refusal(() =>
      parseManifest(
        lines('apiVersion: lanyard/v1', 'tenants:', '  - name: t', '    apps: [{ name: microsoft-graph }]'),
      ),
    );
    assert.equal(err.code, 'ERR_MANIFEST_SCHEMA');
    assert.match(
      err.message,
      /^lanyard\.yaml:4:20 tenants\[0\]\.apps\[0\]\.name: is the name of a Microsoft first-party app/,
    );
  });

  it('refuses an empty document and a document that is not a mapping', () => {
    assert.match(
      refusal(() => parseManifest('', 'e.yaml')).message,
      /^e\.yaml:1:1 \(root\): must be a mapping, not null/,
    );
    assert.match(
      refusal(() => parseManifest('- a\n', 'l.yaml')).message,
      /^l\.yaml:1:1 \(root\): must be a mapping, not a list/,
    );
  });

  it('refuses an alias expansion bomb', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'apiVersion: lanyard/v1',
      'tenants: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
    ];
    const err = refusal(() => parseManifest(lines(...bomb), 'bomb.yaml'));
    assert.equal(err.code, 'ERR_MANIFEST_SYNTAX');
    assert.match(err.message, /^bomb\.yaml:2:8 \(yaml\): aliases expand too much/);
  });

  it('refuses text and files over 1 MiB', async () => {
    const big = `# ${'x'.repeat(MAX_MANIFEST_BYTES)}\napiVersion: lanyard/v1\ntenants: []\n`;
    assert.equal(refusal(() => parseManifest(big, 'big.yaml')).code, 'ERR_MANIFEST_FILE');
    const file = path.join(dir, 'big.yaml');
    fs.writeFileSync(file, big);
    await assert.rejects(loadManifest(file), (err: LanyardError) => {
      assert.equal(err.code, 'ERR_MANIFEST_FILE');
      assert.ok(err.message.startsWith(`${file}: the manifest is`));
      return true;
    });
  });

  it('names a missing file, and names the file as given in every error', async () => {
    await assert.rejects(loadManifest(path.join(dir, 'nope.yaml')), (err: LanyardError) => {
      assert.equal(err.code, 'ERR_MANIFEST_FILE');
      assert.match(err.message, /nope\.yaml: cannot read the manifest: no such file\./);
      return true;
    });
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, lines('apiVersion: lanyard/v1', 'tenant: []'));
    await assert.rejects(loadManifest(file), (err: LanyardError) => {
      assert.equal(err.code, 'ERR_MANIFEST_SCHEMA');
      assert.ok(err.message.startsWith(`${file}:1:1 tenants: is required\n${file}:2:1 tenant: unknown key`));
      return true;
    });
  });
});
