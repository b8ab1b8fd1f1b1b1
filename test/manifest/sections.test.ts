/**
 * @module test/manifest/sections
 * A plane adds its part of `lanyard.yaml` from its own folder alone: a fake `widgets` plane declares a
 * tenant-level section (a list of named widgets with a colour, kept in a table of its own) and is composed
 * with the registered planes by the host's own `manifestOf`. Loading checks it (schema errors and its own
 * checks with `file:line:column`), plan and apply create, update and (with prune) delete widgets in phase
 * with the directory's objects, and a refusal in one of its steps rolls the whole apply back.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Directory } from '../../src/directory/directory.ts';
import { DIRECTORY_PHASE } from '../../src/directory/manifest/plan.ts';
import { isLanyardError, LanyardError } from '../../src/errors/lanyard-error.ts';
import { formatPlan, manifestOf, parseManifest } from '../../src/host/manifest.ts';
import { PLANES } from '../../src/host/planes.ts';
import type { Runtime } from '../../src/host/runtime.ts';
import { duplicates } from '../../src/manifest/problems.ts';
import type { TenantSection } from '../../src/manifest/section.ts';
import type { Plane } from '../../src/plane/contract.ts';
import { openTestRuntime } from '../helpers/runtime.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

interface Widget {
  name: string;
  color: string;
}

/** After the tenant exists; deleted before it is. */
const WIDGET_PHASE = {
  deleteWidget: DIRECTORY_PHASE.deleteTenant - 5,
  widget: DIRECTORY_PHASE.tenant + 5,
} as const;

const widgetSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{2,40}$/, 'must be 3-41 lowercase letters, digits or "-"')
      .describe('Stable key of the widget within its tenant.'),
    color: z.enum(['grey', 'red', 'blue']).default('grey').describe('Default: grey.'),
  })
  .describe('A widget.');

const tenantIdOf = async (d: Directory, name: string) => (await d.getTenant(name)).id;

const widgetsSection: TenantSection<Directory, Widget[]> = {
  place: 'tenant',
  key: 'widgets',
  schema: z.array(widgetSchema).default([]).describe('Widgets. Default: none.'),
  check(manifest, out) {
    manifest.tenants.forEach((tenant, t) => {
      duplicates(
        tenant.widgets as Widget[],
        (w) => w.name,
        (i) => ['tenants', t, 'widgets', i, 'name'],
        (w, j) => `widget "${w.name}" is declared twice (also widgets[${j}])`,
        out,
      );
    });
  },
  async read(d, tenant) {
    if (!tenant) return [];
    const { rows } = await sql<Widget>`
      select name, color from test_widgets where tenant_id = ${tenant.id} order by name`.execute(d.db);
    return rows;
  },
  plan({ planner, declared }, stored) {
    const widgets = declared.widgets as Widget[];
    const tenant = declared.name;
    for (const w of widgets) {
      const object = { kind: 'widget', tenant, name: w.name };
      const existing = stored.find((s) => s.name === w.name);
      if (!existing) {
        planner.add(WIDGET_PHASE.widget, 'create', object, async (d) => {
          if (w.name === 'boom') throw new LanyardError('ERR_VALIDATION', 'Widget boom cannot be made.');
          await sql`insert into test_widgets (tenant_id, name, color)
            values (${await tenantIdOf(d, tenant)}, ${w.name}, ${w.color})`.execute(d.db);
        });
      } else if (existing.color !== w.color) {
        planner.add(
          WIDGET_PHASE.widget,
          'update',
          object,
          async (d) =>
            sql`update test_widgets set color = ${w.color}
              where tenant_id = ${await tenantIdOf(d, tenant)} and name = ${w.name}`.execute(d.db),
          [`color: "${existing.color}" → "${w.color}"`],
        );
      }
    }
    for (const s of stored) {
      if (widgets.some((w) => w.name === s.name)) continue;
      planner.undeclared(WIDGET_PHASE.deleteWidget, { kind: 'widget', tenant, name: s.name }, async (d) =>
        sql`delete from test_widgets
          where tenant_id = ${await tenantIdOf(d, tenant)} and name = ${s.name}`.execute(d.db),
      );
    }
  },
};

const widgetPlane: Plane<unknown, Directory> = {
  name: 'widgets',
  owns: 'widgets (a test plane)',
  manifest: widgetsSection,
};

/** The host's manifest with the widgets plane registered after the others. */
const withWidgets = manifestOf([...PLANES, widgetPlane]);

const manifest = (widgets: string) =>
  `apiVersion: lanyard/v1
tenants:
  - name: contoso
    apps:
      - name: orders-api
${widgets}`;

const TWO = manifest(`    widgets:
      - name: sprocket
        color: red
      - name: gear
`);

function refusal(fn: () => unknown): LanyardError {
  try {
    fn();
  } catch (err) {
    assert.ok(isLanyardError(err), `expected a LanyardError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the manifest to be refused');
}

describe('manifest sections: a plane of its own', () => {
  it('loads the section with its defaults, after the directory keys', () => {
    const m = withWidgets.parseManifest(TWO, 'lanyard.yaml');
    const tenant = m.tenants[0] as (typeof m.tenants)[number] & { widgets: Widget[] };
    assert.deepEqual(tenant.widgets, [
      { name: 'sprocket', color: 'red' },
      { name: 'gear', color: 'grey' },
    ]);
    assert.deepEqual(Object.keys(tenant).slice(-6), [
      'management',
      'vault',
      'gateways',
      'runbooks',
      'workflows',
      'widgets',
    ]);
  });

  it('only the composition that has the section knows its key', () => {
    const err = refusal(() => parseManifest(TWO, 'lanyard.yaml'));
    assert.equal(err.code, 'ERR_MANIFEST_SCHEMA');
    assert.match(
      err.message,
      /^lanyard\.yaml:6:5 tenants\[0\]\.widgets: unknown key "widgets" \(allowed: .*roleAssignments, management, vault, gateways, runbooks, workflows\)$/,
    );
    const gadgets = refusal(() => withWidgets.parseManifest(manifest('    gadgets: []\n'), 'lanyard.yaml'));
    assert.match(
      gadgets.message,
      /unknown key "gadgets" \(allowed: .*, roleAssignments, management, vault, gateways, runbooks, workflows, widgets\)$/,
    );
  });

  it('reports schema errors and its own checks at their line and column', () => {
    const bad = manifest(`    widgets:
      - name: sprocket
        colour: red
      - name: X
        color: green
`);
    const err = refusal(() => withWidgets.parseManifest(bad, 'lanyard.yaml'));
    assert.equal(err.code, 'ERR_MANIFEST_SCHEMA');
    assert.equal(
      err.message,
      [
        'lanyard.yaml:8:9 tenants[0].widgets[0].colour: unknown key "colour" (allowed: name, color)',
        'lanyard.yaml:9:15 tenants[0].widgets[1].name: must be 3-41 lowercase letters, digits or "-"',
        'lanyard.yaml:10:16 tenants[0].widgets[1].color: must be one of grey, red, blue',
        '(3 problems)',
      ].join('\n'),
    );
    const twice = manifest(`    widgets:
      - name: gear
      - name: gear
`);
    const dup = refusal(() => withWidgets.parseManifest(twice, 'lanyard.yaml'));
    assert.equal(dup.code, 'ERR_MANIFEST_SCHEMA');
    assert.equal(
      dup.message,
      'lanyard.yaml:8:15 tenants[0].widgets[1].name: widget "gear" is declared twice (also widgets[0])',
    );
  });

  it('refuses a section whose key is taken, and a composition without exactly one base', () => {
    const clash: Plane<unknown, Directory> = { ...widgetPlane, manifest: { ...widgetsSection, key: 'apps' } };
    assert.throws(() => manifestOf([...PLANES, clash]), /Manifest key apps of a tenant is declared twice/);
    assert.throws(() => manifestOf([widgetPlane]), /exactly one base section; 0 were given/);
  });
});

for (const kind of STORE_KINDS) {
  describe(`manifest sections: plan and apply a plane of its own (${kind})`, () => {
    let runtime: Runtime;
    let dir: Directory;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ runtime, cleanup } = await openTestRuntime(kind));
      dir = runtime.directory;
      await sql`create table test_widgets (
        tenant_id text not null, name text not null, color text not null, primary key (tenant_id, name))`.execute(
        dir.db,
      );
    });
    afterEach(() => cleanup());

    const stored = async () =>
      (await sql<Widget>`select name, color from test_widgets order by name`.execute(dir.db)).rows.map(
        (r) => ({ name: r.name, color: r.color }),
      );

    it('creates, updates, lists undeclared widgets as not managed, and deletes them with prune', async () => {
      const two = withWidgets.parseManifest(TWO, 'lanyard.yaml');
      const plan = await withWidgets.planManifest(dir, two);
      assert.equal(
        formatPlan(plan),
        [
          '+ create tenant contoso',
          '+ create widget contoso/sprocket',
          '+ create widget contoso/gear',
          '+ create app contoso/orders-api',
          '',
          'Plan: 4 to create, 0 to update, 0 to delete.',
        ].join('\n'),
      );
      assert.deepEqual(await stored(), [], 'planning writes nothing');

      const applied = await withWidgets.applyManifest(dir, two);
      assert.equal(applied.applied, true);
      assert.deepEqual(await stored(), [
        { name: 'gear', color: 'grey' },
        { name: 'sprocket', color: 'red' },
      ]);
      assert.deepEqual((await withWidgets.planManifest(dir, two)).changes, []);

      const edited = withWidgets.parseManifest(
        manifest(`    widgets:
      - name: gear
        color: blue
`),
        'lanyard.yaml',
      );
      const drift = await withWidgets.planManifest(dir, edited);
      assert.deepEqual(drift.changes, [
        {
          action: 'update',
          kind: 'widget',
          tenant: 'contoso',
          name: 'gear',
          changes: ['color: "grey" → "blue"'],
        },
      ]);
      assert.deepEqual(drift.notManaged, [{ kind: 'widget', tenant: 'contoso', name: 'sprocket' }]);
      await withWidgets.applyManifest(dir, edited);
      assert.deepEqual(await stored(), [
        { name: 'gear', color: 'blue' },
        { name: 'sprocket', color: 'red' },
      ]);

      const pruned = await withWidgets.applyManifest(dir, edited, { prune: true });
      assert.equal(
        formatPlan(pruned),
        ['- delete widget contoso/sprocket', '', 'Apply complete: 0 created, 0 updated, 1 deleted.'].join(
          '\n',
        ),
      );
      assert.deepEqual(await stored(), [{ name: 'gear', color: 'blue' }]);
      assert.deepEqual((await withWidgets.planManifest(dir, edited, { prune: true })).changes, []);
    });

    it("rolls the whole apply back when one of its steps refuses, the directory's changes too", async () => {
      const boom = withWidgets.parseManifest(
        manifest(`    widgets:
      - name: gear
      - name: boom
`),
        'lanyard.yaml',
      );
      const version = await dir.version();
      await assert.rejects(withWidgets.applyManifest(dir, boom), (err: LanyardError) => {
        assert.equal(err.code, 'ERR_VALIDATION');
        assert.equal(
          err.message,
          'Could not create widget contoso/boom: Widget boom cannot be made. Nothing was applied.',
        );
        return true;
      });
      assert.equal(await dir.version(), version);
      assert.deepEqual(await dir.listTenants(), []);
      assert.deepEqual(await stored(), []);
    });
  });
}
