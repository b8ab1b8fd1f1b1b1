/**
 * The admin routes the console's views read, over real HTTPS through a console session, on each store: the
 * tenant's graph (identities, apps, resources, assignments, Easy Auth, gateway APIs and their backends, what a
 * workflow's Http action calls); "may X call Y?" with its chain, decided by the issuer, Easy Auth and Azure
 * RBAC as the CLI decides it (`lanyard rbac check` answers the same); a pasted token explained against a front
 * (`lanyard explain` answers the same), Resource Manager, a vault and seed 002's gateway API (its validate-jwt);
 * the Keys view (no key material); the audit list; and the live audit stream: backlog, events recorded after
 * connecting, filters, Last-Event-ID, the stream cap, its end at sign-out and when the server stops.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { WORKFLOW_SCHEMA } from '../../src/flows/definition/types.ts';
import { openCli } from '../cli/lanyard.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { type Browser, type ConsoleServer, openEvents, signIn, startConsoleServer } from './helpers.ts';

const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

for (const kind of STORE_KINDS) {
  describe(`console views (${kind})`, () => {
    let s: ConsoleServer;
    let admin: Browser;
    let somefunctionAppId: string;
    const tokens: Record<string, string> = {};

    /** A token the resource's system identity gets for `resource`, minted by the issuer as the MI endpoint does. */
    const tokenOf = async (resourceName: string, resource: string) => {
      const r = s.t.runtime;
      const identity = (await r.directory.getResource('contoso', resourceName)).systemAssignedIdentity!;
      const client = (await r.tokens.lookups.findClient(s.tenantId, identity.clientId))!;
      const issued = await r.tokens.mint({
        tenant: await r.directory.getTenant('contoso'),
        client,
        requestedAs: resource,
        acr: '2',
        via: 'test',
      });
      return issued.accessToken;
    };

    before(async () => {
      s = await startConsoleServer(kind);
      admin = await signIn(s);
      somefunctionAppId = (await s.t.runtime.directory.getApp('contoso', 'somefunction')).appId;
      tokens.arm = await tokenOf('runbook-automation', 'https://management.azure.com/');
      tokens.fn = await tokenOf('runbook-automation', somefunctionAppId);
      tokens.vault = await tokenOf('runbook-automation', 'https://vault.azure.net');
      tokens.otherVault = await tokenOf('other-automation', 'https://vault.azure.net');
      const gw = await admin.call('POST', '/admin/tenants/contoso/gateways', {
        body: { resource: 'contoso-apim' },
      });
      assert.equal(gw.status, 201, gw.text);
      const api = await admin.call('POST', '/admin/tenants/contoso/gateways/contoso-apim/apis', {
        body: { name: 'orders', path: 'orders', serviceUrl: 'https://somefunction.localhost' },
      });
      assert.equal(api.status, 201, api.text);
      const wf = await admin.call('PUT', '/admin/tenants/contoso/workflows/report-flow', {
        body: {
          definition: {
            $schema: WORKFLOW_SCHEMA,
            contentVersion: '1.0.0.0',
            triggers: { manual: { type: 'Request', kind: 'Http', inputs: { schema: {} } } },
            actions: {
              Call_function: {
                type: 'Http',
                runAfter: {},
                inputs: {
                  method: 'GET',
                  uri: 'https://somefunction.localhost/api/report',
                  authentication: { type: 'ManagedServiceIdentity', audience: 'api://somefunction' },
                },
              },
            },
            outputs: {},
          },
        },
      });
      assert.equal(wf.status, 200, wf.text);
    });
    after(() => s?.t.cleanup());

    it('draws the tenant as nodes and edges', async () => {
      const r = await admin.call('GET', '/admin/tenants/contoso/graph');
      assert.equal(r.status, 200, r.text);
      const g = r.json as {
        tenant: { name: string };
        nodes: {
          id: string;
          kind: string;
          type: string;
          label: string;
          ref?: string;
          details: Record<string, unknown>;
        }[];
        edges: { id: string; source: string; target: string; kind: string; label: string }[];
      };
      assert.equal(g.tenant.name, 'contoso');
      // A system identity is named as a principal by its resource (`resource:<name>`): resources first.
      const byRef = (ref: string) => g.nodes.find((n) => n.ref === ref && n.kind !== 'identity');
      const fnApp = g.nodes.find((n) => n.id === `app:${somefunctionAppId}`)!;
      assert.equal(fnApp.kind, 'app');
      assert.equal(fnApp.details.appRoleAssignmentRequired, true);
      const runbookResource = byRef('resource:runbook-automation')!;
      assert.equal(runbookResource.type, 'automation');
      const runbookIdentity = g.nodes.find(
        (n) => n.kind === 'identity' && n.ref === 'resource:runbook-automation',
      )!;
      assert.equal(runbookIdentity.type, 'system');
      const frontResource = g.nodes.find((n) => n.kind === 'resource' && n.ref === 'resource:somefunction')!;
      assert.equal((frontResource.details.easyAuth as { clientId: string }).clientId, somefunctionAppId);
      const edge = (kind: string, source: string, target: string) =>
        g.edges.find((e) => e.kind === kind && e.source === source && e.target === target);
      assert.ok(edge('identity', runbookResource.id, runbookIdentity.id), 'resource → its identity');
      assert.equal(edge('app-role', runbookIdentity.id, fnApp.id)?.label, 'default access');
      assert.ok(edge('easyauth', frontResource.id, fnApp.id), 'front → the app it takes tokens for');
      const reporter = byRef('app:reporter')!;
      const subscription = g.nodes.find((n) => n.kind === 'scope' && n.type === 'subscription')!;
      assert.equal(edge('rbac', reporter.id, subscription.id)?.label, 'Reader');
      assert.equal(
        edge('rbac', runbookIdentity.id, byRef('resource:kv1')!.id)?.label,
        'Key Vault Secrets User',
      );
      const api = g.nodes.find((n) => n.kind === 'api')!;
      assert.ok(edge('serves', byRef('resource:contoso-apim')!.id, api.id));
      assert.ok(edge('backend', api.id, frontResource.id), 'API → the app its service URL names');
      const flowIdentity = g.nodes.find((n) => n.kind === 'identity' && n.ref === 'resource:report-flow')!;
      assert.equal(edge('calls', flowIdentity.id, fnApp.id)?.label, 'Call_function');
      assert.equal((byRef('resource:report-flow')!.details.workflow as { state: string }).state, 'Enabled');
      const ids = g.nodes.map((n) => n.id);
      assert.equal(new Set(ids).size, ids.length, 'node ids are unique');
      for (const e of g.edges) assert.ok(ids.includes(e.source) && ids.includes(e.target), e.id);
      assert.ok(!g.nodes.some((n) => n.type === 'first-party'), 'first-party apps only when pointed at');
      assert.equal((await admin.call('GET', '/admin/tenants/nope/graph')).status, 404);
    });

    it('draws the graph again once the store changed, not before', async () => {
      const first = await admin.call('GET', '/admin/tenants/contoso/graph');
      const same = await admin.call('GET', '/admin/tenants/contoso/graph');
      assert.equal(same.text, first.text, 'nothing changed: the same graph');
      assert.equal(
        (await admin.call('POST', '/admin/tenants/contoso/apps', { body: { name: 'late' } })).status,
        201,
      );
      const apps = await admin.call('GET', '/admin/tenants/contoso/graph');
      assert.ok(
        apps.json.nodes.some((n: { ref?: string }) => n.ref === 'app:late'),
        'a directory write',
      );
      const rbac = await admin.call('POST', '/admin/tenants/contoso/rbac/assignments', {
        body: { principal: 'app:late', role: 'Reader', scope: 'resource:build-agent' },
      });
      assert.equal(rbac.status, 201, rbac.text);
      const after = await admin.call('GET', '/admin/tenants/contoso/graph');
      const vm = after.json.nodes.find(
        (n: { kind: string; ref?: string }) => n.kind === 'resource' && n.ref === 'resource:build-agent',
      );
      assert.ok(
        after.json.edges.some(
          (e: { kind: string; label: string; target: string }) =>
            e.kind === 'rbac' && e.label === 'Reader' && e.target === vm.id,
        ),
        'a management write',
      );
      assert.equal((await admin.call('DELETE', '/admin/tenants/contoso/apps/late')).status, 200);
    });

    it('answers "may X call Y?" for a front with the issuer and Easy Auth', async () => {
      const yes = await admin.call('POST', '/admin/tenants/contoso/access', {
        body: { principal: 'resource:runbook-automation', target: 'resource:somefunction' },
      });
      assert.equal(yes.status, 200, yes.text);
      assert.equal(yes.json.allowed, true);
      assert.deepEqual(
        yes.json.chain.map((c: { check: string; passed: boolean }) => [c.check, c.passed]),
        [
          ['token', true],
          ['easyauth', true],
        ],
      );
      assert.equal(yes.json.token.claims.aud, somefunctionAppId);
      assert.doesNotMatch(yes.text, JWT, 'the token itself never leaves');

      const no = await admin.call('POST', '/admin/tenants/contoso/access', {
        body: { principal: 'resource:other-automation', target: 'resource:somefunction' },
      });
      assert.equal(no.json.allowed, false);
      assert.equal(no.json.chain.length, 1);
      assert.equal(no.json.chain[0].code, 'AADSTS501051');
      assert.match(
        no.json.chain[0].fix,
        /lanyard role assign --principal resource:other-automation --app somefunction/,
      );

      const byApp = await admin.call('POST', '/admin/tenants/contoso/access', {
        body: { principal: 'resource:runbook-automation', target: 'api://somefunction' },
      });
      assert.equal(byApp.json.target.kind, 'app');
      assert.equal(byApp.json.token.requestedAs, 'api://somefunction');
      assert.equal(byApp.json.allowed, true);
      assert.equal(byApp.json.fronts[0].resource, 'somefunction');
      const unknown = await admin.call('POST', '/admin/tenants/contoso/access', {
        body: { principal: 'resource:nope', target: 'app:somefunction' },
      });
      assert.equal(unknown.status, 404);
      const audit = await s.t.runtime.audit.list({ action: 'token.issue', limit: 1000 });
      assert.ok(!audit.some((e) => e.details?.via === 'console-access'), 'a question issues nothing');
    });

    it('answers "may X do this action?" as `lanyard rbac check` does', async () => {
      const open = openCli({ dataDir: s.t.dataDir, store: s.t.location });
      // `rbac check` exits 3 when denied; its JSON is the answer either way.
      const cli = {
        json: (...args: string[]): unknown => {
          const r = open.run(...args, '-o', 'json');
          assert.ok(r.status === 0 || r.status === 3, r.stderr);
          return JSON.parse(r.stdout);
        },
      };
      const cases = [
        {
          principal: 'app:reporter',
          action: 'Microsoft.Compute/virtualMachines/read',
          scope: 'subscription',
        },
        {
          principal: 'resource:other-automation',
          action: 'Microsoft.Compute/virtualMachines/read',
          scope: 'subscription',
        },
      ];
      for (const c of cases) {
        const r = await admin.call('POST', '/admin/tenants/contoso/access', {
          body: { principal: c.principal, target: c.scope, action: c.action },
        });
        assert.equal(r.status, 200, r.text);
        const expected = cli.json(
          'rbac',
          'check',
          '--principal',
          c.principal,
          '--action',
          c.action,
          '--scope',
          c.scope,
        );
        assert.deepEqual(r.json.rbac, expected);
        assert.equal(r.json.allowed, (expected as { decision: { allowed: boolean } }).decision.allowed);
        assert.equal(r.json.chain.at(-1).check, 'rbac');
      }
      const vaultNo = await admin.call('POST', '/admin/tenants/contoso/access', {
        body: { principal: 'resource:other-automation', target: 'resource:kv1' },
      });
      assert.equal(vaultNo.json.allowed, false);
      assert.equal(vaultNo.json.target.action, 'Microsoft.KeyVault/vaults/secrets/getSecret/action');
      assert.equal(vaultNo.json.token.requestedAs, 'https://vault.azure.net');
      assert.match(vaultNo.json.chain[1].fix, /--role "Key Vault Secrets User" --scope resource:kv1/);
      const expected = cli.json(
        'rbac',
        'check',
        '--principal',
        'resource:other-automation',
        '--action',
        'Microsoft.KeyVault/vaults/secrets/getSecret/action',
        '--scope',
        'resource:kv1',
        '--data-action',
      );
      assert.deepEqual(vaultNo.json.rbac, expected);
      const vaultYes = await admin.call('POST', '/admin/tenants/contoso/access', {
        body: { principal: 'resource:runbook-automation', target: 'resource:kv1' },
      });
      assert.equal(vaultYes.json.allowed, true);
      const vm = await admin.call('POST', '/admin/tenants/contoso/access', {
        body: { principal: 'app:reporter', target: 'resource:build-agent' },
      });
      assert.equal(vm.status, 400, 'a resource without a front needs an action');
    });

    it('explains a token against Easy Auth as `lanyard explain` does', async () => {
      const cli = openCli({ dataDir: s.t.dataDir, store: s.t.location });
      for (const token of [tokens.arm!, tokens.fn!, 'not.a.token']) {
        const r = await admin.call('POST', '/admin/tenants/contoso/explain', {
          body: { token, front: { kind: 'easyauth' } },
        });
        assert.equal(r.status, 200, r.text);
        const run = cli.run('explain', token, '--tenant', 'contoso', '-o', 'json');
        const expected = JSON.parse(run.stdout) as { token: unknown; verdicts: Record<string, unknown>[] };
        assert.deepEqual(r.json.token, expected.token);
        assert.deepEqual(
          r.json.verdicts.map(({ checks: _checks, ...v }: Record<string, unknown>) => v),
          expected.verdicts,
        );
        assert.equal(r.json.accepted, run.status === 0);
      }
      const refused = await admin.call('POST', '/admin/tenants/contoso/explain', {
        body: { token: tokens.arm, front: { kind: 'easyauth', name: 'somefunction' } },
      });
      const checks = refused.json.verdicts[0].checks as { name: string; status: string; fix?: string }[];
      assert.deepEqual(
        checks.map((c) => [c.name, c.status]),
        [
          ['token', 'passed'],
          ['header', 'passed'],
          ['signature', 'passed'],
          ['lifetime', 'passed'],
          ['issuer', 'passed'],
          ['audience', 'failed'],
          ['claims', 'not-checked'],
          ['caller', 'not-checked'],
        ],
      );
      assert.match(checks[5]!.fix!, new RegExp(somefunctionAppId));
      assert.ok(!s.t.logs.join('\n').includes(tokens.arm!), 'the pasted token is in no log line');
    });

    it('explains a token against Resource Manager and a vault', async () => {
      const explain = (token: string, front: object) =>
        admin.call('POST', '/admin/tenants/contoso/explain', { body: { token, front } });
      const arm = await explain(tokens.arm!, { kind: 'arm' });
      assert.equal(arm.json.accepted, true);
      const armNo = await explain(tokens.fn!, { kind: 'arm' });
      assert.equal(armNo.json.accepted, false);
      assert.equal(armNo.json.verdicts[0].reason, 'InvalidAuthenticationTokenAudience');
      assert.equal(
        armNo.json.verdicts[0].checks.find((c: { status: string }) => c.status === 'failed').name,
        'audience',
      );
      const vault = await explain(tokens.vault!, { kind: 'vault', name: 'kv1' });
      assert.equal(vault.json.accepted, true, vault.text);
      const denied = await explain(tokens.otherVault!, { kind: 'vault', name: 'kv1' });
      assert.equal(denied.json.accepted, false);
      assert.equal(denied.json.verdicts[0].status, 403);
      const authz = denied.json.verdicts[0].checks.at(-1);
      assert.deepEqual([authz.name, authz.status], ['authorization', 'failed']);
      assert.match(authz.fix, /Key Vault Secrets User/);
      const wrongAudience = await explain(tokens.arm!, { kind: 'vault', name: 'kv1' });
      assert.equal(wrongAudience.json.verdicts[0].reason, 'AKV10022');
      assert.equal((await explain(tokens.arm!, { kind: 'gateway' })).status, 400, 'a gateway needs its name');
      assert.equal((await explain(tokens.arm!, { kind: 'ftp' })).status, 400);
      assert.equal((await explain(tokens.arm!, { kind: 'vault', name: 'build-agent' })).status, 400);
    });

    it("explains a token against a gateway API's validate-jwt (seed 002's protected-api)", async () => {
      // Seed 002's API as examples/seeds/lanyard.yaml declares it, its named values naming this tenant.
      const seed = parseYaml(fs.readFileSync('examples/seeds/lanyard.yaml', 'utf8')) as {
        tenants: { gateways?: { resource: string; apis: Record<string, unknown>[] }[] }[];
      };
      const api = seed.tenants
        .flatMap((t) => t.gateways ?? [])
        .find((g) => g.resource === 'contoso-apim')!
        .apis.find((a) => a.name === 'protected-api')!;
      const audience = '571dea0e-c3ca-46b9-bc3d-23f890ecd0a8';
      const app = await admin.call('POST', '/admin/tenants/contoso/apps', {
        body: {
          name: 'apim-protected-api',
          appId: audience,
          appRoles: [
            {
              value: 'API.Call',
              displayName: 'Call the API through API Management',
              description: 'Checked by validate-jwt.',
              allowedMemberTypes: ['Application'],
            },
          ],
        },
      });
      assert.equal(app.status, 201, app.text);
      const role = await admin.call('POST', '/admin/tenants/contoso/role-assignments', {
        body: { principal: 'resource:runbook-automation', app: 'apim-protected-api', role: 'API.Call' },
      });
      assert.equal(role.status, 201, role.text);
      const gw = '/admin/tenants/contoso/gateways/contoso-apim';
      for (const [name, value] of [
        ['tenantID', s.tenantId],
        ['clientID', audience],
        ['roleId', 'API.Call'],
      ] as const) {
        const nv = await admin.call('PUT', `${gw}/named-values/${name}`, { body: { value } });
        assert.ok(nv.status === 200 || nv.status === 201, nv.text);
      }
      const made = await admin.call('POST', `${gw}/apis`, {
        body: {
          name: api.name,
          path: api.path,
          serviceUrl: api.serviceUrl,
          operations: api.operations,
          policy: { xml: api.policy },
        },
      });
      assert.equal(made.status, 201, made.text);

      const explain = async (token: string) => {
        const r = await admin.call('POST', '/admin/tenants/contoso/explain', {
          body: { token, front: { kind: 'gateway', name: 'contoso-apim', api: 'protected-api' } },
        });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.verdicts.length, 1);
        return r.json as {
          accepted: boolean;
          verdicts: {
            resource: string;
            status: number;
            accepted: boolean;
            checks: { name: string; status: string; code?: string; fix?: string; actual?: unknown }[];
          }[];
        };
      };
      // The API requires a subscription key (APIM's default): shown, not checked (it is not the token's).
      const statuses = (a: Awaited<ReturnType<typeof explain>>) => {
        const [first, ...rest] = a.verdicts[0]!.checks;
        assert.deepEqual([first!.name, first!.status], ['subscription', 'not-checked']);
        return rest.map((c) => [c.name, c.status]);
      };

      const good = await explain(await tokenOf('runbook-automation', audience));
      assert.equal(good.accepted, true, JSON.stringify(good));
      assert.equal(good.verdicts[0]!.resource, 'contoso-apim/protected-api');
      assert.equal(good.verdicts[0]!.status, 200);
      assert.deepEqual(statuses(good), [
        ['token', 'passed'],
        ['signature', 'passed'],
        ['lifetime', 'passed'],
        ['audience', 'passed'],
        ['issuer', 'passed'],
        ['claims', 'passed'],
      ]);

      const otherAudience = await explain(tokens.fn!);
      assert.equal(otherAudience.accepted, false);
      assert.equal(otherAudience.verdicts[0]!.status, 401);
      assert.deepEqual(statuses(otherAudience).slice(3), [
        ['audience', 'failed'],
        ['issuer', 'not-checked'],
        ['claims', 'not-checked'],
      ]);
      const aud = otherAudience.verdicts[0]!.checks.find((c) => c.name === 'audience')!;
      assert.equal(aud.code, 'TokenAudienceNotAllowed');
      assert.equal(aud.actual, somefunctionAppId);
      assert.match(aud.fix!, new RegExp(audience));

      const noRole = await explain(await tokenOf('other-automation', audience));
      assert.equal(noRole.accepted, false);
      const claims = noRole.verdicts[0]!.checks.find((c) => c.status === 'failed')!;
      assert.deepEqual([claims.name, claims.code], ['claims', 'TokenClaimNotFound']);
      assert.match(claims.fix!, /roles/);

      // Every API of the gateway when none is named; an API it does not have is 404.
      const all = await admin.call('POST', '/admin/tenants/contoso/explain', {
        body: { token: tokens.fn, front: { kind: 'gateway', name: 'contoso-apim' } },
      });
      // `orders` has no operation: the gateway answers its requests 404.
      assert.deepEqual(
        all.json.verdicts.map((v: { resource: string; status: number }) => [v.resource, v.status]),
        [
          ['contoso-apim/orders', 404],
          ['contoso-apim/protected-api', 401],
        ],
      );
      assert.equal(all.json.accepted, false);
      const missing = await admin.call('POST', '/admin/tenants/contoso/explain', {
        body: { token: tokens.fn, front: { kind: 'gateway', name: 'contoso-apim', api: 'nope' } },
      });
      assert.equal(missing.status, 404, missing.text);
      assert.ok(!s.t.logs.join('\n').includes(tokens.fn!), 'the pasted token is in no log line');
    });

    it('shows signing keys and the master key without key material', async () => {
      const r = await admin.call('GET', '/admin/keys');
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.signing.keys.length >= 1);
      assert.equal(r.json.signing.keys[0].state, 'active');
      assert.equal(r.json.signing.active, r.json.signing.keys[0].kid);
      assert.ok(Date.parse(r.json.signing.nextRotationAt) > Date.now());
      assert.match(r.json.masterKey.id, /^mk_[0-9a-f]{16}$/);
      assert.equal(r.json.masterKey.source, 'file');
      assert.equal(r.json.masterKey.rotationUnfinished, false);
      assert.ok(r.json.masterKey.sealed.length > 0);
      for (const line of fs.readFileSync(path.join(s.t.dataDir, 'master.key'), 'utf8').split('\n')) {
        if (line.trim() !== '') assert.ok(!r.text.includes(line.trim()), 'no master key');
      }
      assert.doesNotMatch(r.text, /"(d|p|q|privateKey|n)":/, 'no key parts');
    });

    it('lists the audit trail with filters', async () => {
      const r = await admin.call('GET', '/admin/audit?plane=issuer&outcome=success&limit=2');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.length, 2);
      assert.ok(
        r.json.every(
          (e: { plane: string; outcome: string }) => e.plane === 'issuer' && e.outcome === 'success',
        ),
      );
      assert.ok(r.json[0].at >= r.json[1].at, 'newest first');
      assert.doesNotMatch(r.text, JWT);
      assert.equal((await admin.call('GET', '/admin/audit?outcome=maybe')).status, 400);
      assert.equal((await admin.call('GET', '/admin/audit?who=me')).status, 400);
      assert.equal((await admin.call('GET', '/admin/audit?tenant=contoso&limit=1')).json.length, 1);
    });

    it('streams the audit trail: backlog, then events as they are recorded', async () => {
      const stream = await openEvents(s, admin.cookie, '?plane=issuer&limit=3');
      try {
        assert.equal(stream.status, 200);
        assert.equal(stream.headers['content-type'], 'text/event-stream; charset=utf-8');
        await stream.next((f) => f.event === 'retry');
        const backlog = await stream.next((f) => f.event === 'audit');
        assert.equal(JSON.parse(backlog.data).plane, 'issuer');
        const fresh = await tokenOf('runbook-automation', somefunctionAppId);
        const uti = JSON.parse(Buffer.from(fresh.split('.')[1]!, 'base64url').toString()).uti;
        const live = await stream.next((f) => f.event === 'audit' && JSON.parse(f.data).details?.uti === uti);
        const event = JSON.parse(live.data);
        assert.equal(event.action, 'token.issue');
        assert.equal(live.id, event.id);
        assert.ok(!stream.frames.some((f) => f.data.includes(fresh)), 'no token in any event');
        const audits = stream.frames.filter((f) => f.event === 'audit');
        assert.equal(new Set(audits.map((f) => f.id)).size, audits.length, 'each event once');
      } finally {
        await stream.close();
      }
    });

    it('filters the stream, resumes after Last-Event-ID, and needs a session', async () => {
      const failures = await openEvents(s, admin.cookie, '?plane=console&outcome=failure&limit=0');
      try {
        await s.t.call('POST', '/console/api/session', { token: null, body: { token: 'wrong' } });
        await tokenOf('runbook-automation', somefunctionAppId);
        const f = await failures.next((x) => x.event === 'audit');
        const e = JSON.parse(f.data);
        assert.deepEqual([e.plane, e.action, e.outcome], ['console', 'console.signin', 'failure']);
        await new Promise((r) => setTimeout(r, 200));
        assert.ok(
          failures.frames
            .filter((x) => x.event === 'audit')
            .every((x) => JSON.parse(x.data).plane === 'console'),
        );
      } finally {
        await failures.close();
      }
      const all = await s.t.runtime.audit.list({ plane: 'issuer', limit: 3 });
      const resumed = await openEvents(s, admin.cookie, '?plane=issuer&limit=3', {
        'last-event-id': all[1]!.id,
      });
      try {
        const first = await resumed.next((x) => x.event === 'audit');
        assert.equal(first.id, all[0]!.id, 'only what came after the last event seen');
      } finally {
        await resumed.close();
      }
      const none = await openEvents(s, 'Z'.repeat(43));
      assert.equal(none.status, 401);
      await none.close();
      const bad = await openEvents(s, admin.cookie, '?since=yesterday');
      assert.equal(bad.status, 400);
      await bad.close();
    });

    it('ends a stream at sign-out, and opens at most 32 at once', async () => {
      const b = await signIn(s);
      const streams = [];
      try {
        for (let i = 0; i < 32; i++) streams.push(await openEvents(s, b.cookie, '?limit=0'));
        const over = await openEvents(s, b.cookie, '?limit=0');
        assert.equal(over.status, 503);
        await over.close();
        assert.equal((await b.call('DELETE', '/console/api/session')).status, 204);
        for (const stream of streams) {
          const end = await stream.next((f) => f.event === 'end');
          assert.deepEqual(JSON.parse(end.data), { reason: 'session' });
          await stream.ended;
        }
      } finally {
        for (const stream of streams) await stream.close();
      }
    });

    it('ends its streams when the server stops', async () => {
      const b = await signIn(s);
      const stream = await openEvents(s, b.cookie, '?limit=0');
      const started = Date.now();
      await s.t.host.close();
      const end = await stream.next((f) => f.event === 'end');
      assert.deepEqual(JSON.parse(end.data), { reason: 'stopping' });
      await stream.ended;
      assert.ok(Date.now() - started < 4000, 'without waiting for the grace period');
      await stream.close();
    });
  });
}
