import { z } from 'zod';
import type { Directory } from '../directory/directory.ts';
import { DIRECTORY_PHASE } from '../directory/manifest/plan.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { duplicates, type ManifestProblem } from '../manifest/problems.ts';
import type { DeclaredManifest, TenantPlan, TenantSection } from '../manifest/section.ts';
import { describeLocation, type KeyPath, readReferencedFile } from '../manifest/source.ts';
import type { PlanObject } from '../manifest/types.ts';
import {
  checkRunbook,
  DEFAULT_TIMEOUT_SECONDS,
  deleteRunbook,
  listRunbooks,
  MAX_TIMEOUT_SECONDS,
  putRunbook,
  RUNBOOK_KINDS,
  type Runbook,
} from './runbooks/store.ts';
import {
  type CheckedWorkflow,
  checkIdentities,
  checkWorkflow,
  deleteWorkflow,
  listWorkflows,
  putWorkflow,
  type StoredWorkflow,
  WORKFLOW_STATES,
} from './workflows/store.ts';

/**
 * Runbooks and workflows are saved once their resource exists (with its identities attached), and deleted
 * before it is.
 */
export const FLOWS_PHASE = {
  deleteRunbook: DIRECTORY_PHASE.deleteResource - 2,
  deleteWorkflow: DIRECTORY_PHASE.deleteResource - 3,
  runbook: DIRECTORY_PHASE.resource + 5,
  workflow: DIRECTORY_PHASE.resource + 6,
} as const;

const runbook = z.strictObject({
  account: z
    .string()
    .min(1)
    .max(64)
    .describe(
      'A resource this tenant declares under `resources`: kind automation (an Automation account) or app (a function app, for a timer trigger).',
    ),
  name: z.string().min(1).max(63).describe('The runbook name: a letter, then letters, digits, "-" or "_".'),
  command: z
    .array(z.string())
    .min(1)
    .max(256)
    .describe(
      'The program and its arguments, run with the account’s identity as `lanyard run --as` runs one.',
    ),
  cwd: z.string().max(4096).optional().describe('The folder it runs in (default: the server’s).'),
  env: z
    .record(z.string(), z.string())
    .optional()
    .describe('Variables for the command; not for secrets (the manifest gets committed).'),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(MAX_TIMEOUT_SECONDS)
    .default(DEFAULT_TIMEOUT_SECONDS)
    .describe('A job running longer is stopped. Default: 10800 (Automation’s three hours).'),
  schedule: z
    .string()
    .max(256)
    .optional()
    .describe('NCRONTAB with seconds ("0 */5 * * * *") or a TimeSpan ("00:05:00"); none: started by hand.'),
  timeZone: z
    .string()
    .max(64)
    .optional()
    .describe('Of the schedule: an IANA name or a Windows id. Default UTC.'),
  catchUp: z
    .boolean()
    .default(false)
    .describe('Run once at start when an occurrence was missed while Lanyard was down. Default: false.'),
  enabled: z.boolean().default(true).describe('False keeps it without running it on its schedule.'),
});

type Declared = z.output<typeof runbook>[];
const of = (t: unknown): Declared | undefined => (t as { runbooks?: Declared }).runbooks;

interface DeclaredResource {
  name: string;
  kind: string;
}

function check(declared: DeclaredManifest, out: ManifestProblem[]): void {
  declared.tenants.forEach((tenant, t) => {
    const list = of(tenant);
    if (!list) return;
    const at = (...rest: (string | number)[]): KeyPath => ['tenants', t, 'runbooks', ...rest];
    const resources = ((tenant as { resources?: DeclaredResource[] }).resources ?? []) as DeclaredResource[];
    duplicates(
      list,
      (r) => `${r.account.toLowerCase()}/${r.name.toLowerCase()}`,
      (i) => at(i, 'name'),
      (r) => `runbook ${r.name} of ${r.account} is declared twice`,
      out,
    );
    list.forEach((r, i) => {
      const res = resources.find((x) => x.name.toLowerCase() === r.account.toLowerCase());
      if (!res) {
        out.push({
          kind: 'reference',
          path: at(i, 'account'),
          message: `resource ${r.account} is not declared under tenants[${t}].resources`,
        });
      } else if (!RUNBOOK_KINDS.includes(res.kind)) {
        out.push({
          kind: 'reference',
          path: at(i, 'account'),
          message: `resource ${r.account} is of kind ${res.kind}; runbooks belong to a resource of kind automation (an Automation account) or app (a function app's timer trigger)`,
        });
      }
      // The store's own checks (name, command, variables, schedule, time zone), at load time with the line.
      try {
        checkRunbook(r);
      } catch (err) {
        const field = (err as { details?: { field?: string } }).details?.field;
        out.push({ kind: 'schema', path: at(i, ...(field ? [field] : [])), message: (err as Error).message });
      }
    });
  });
}

interface State {
  /** By `account/name`, lower-cased. */
  readonly runbooks: Map<string, Runbook>;
}

async function read(d: Directory, tenant: { id: string } | undefined): Promise<State> {
  const runbooks = new Map<string, Runbook>();
  if (!tenant) return { runbooks };
  for (const r of await listRunbooks(d, tenant.id)) {
    runbooks.set(`${r.resource.toLowerCase()}/${r.name.toLowerCase()}`, r);
  }
  return { runbooks };
}

/** What differs between a stored runbook and a declared one, for the plan. */
function changesOf(
  stored: Runbook,
  want: Omit<Runbook, 'tenantId' | 'resource' | 'resourceId' | 'createdAt' | 'updatedAt'>,
): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const key of [
    'name',
    'command',
    'cwd',
    'env',
    'timeoutSeconds',
    'schedule',
    'timeZone',
    'catchUp',
    'enabled',
  ] as const) {
    if (!same(stored[key], want[key]))
      out.push(`${key}: ${JSON.stringify(stored[key])} → ${JSON.stringify(want[key])}`);
  }
  return out;
}

function plan({ planner: p, declared }: TenantPlan<Directory>, state: State): void {
  const t = declared.name;
  const list: Declared = of(declared) ?? [];
  const obj = (account: string, name: string): PlanObject => ({
    kind: 'runbook',
    tenant: t,
    name: `${account}/${name}`,
  });
  const seen = new Set<string>();
  for (const r of list) {
    const key = `${r.account.toLowerCase()}/${r.name.toLowerCase()}`;
    seen.add(key);
    const want = checkRunbook(r);
    const stored = state.runbooks.get(key);
    const run = (d: Directory) => putRunbook(d, t, r.account, r);
    if (!stored) p.add(FLOWS_PHASE.runbook, 'create', obj(r.account, r.name), run);
    else {
      const changes = changesOf(stored, want);
      if (changes.length > 0) p.add(FLOWS_PHASE.runbook, 'update', obj(r.account, r.name), run, changes);
    }
  }
  for (const [key, r] of state.runbooks) {
    if (seen.has(key)) continue;
    p.undeclared(FLOWS_PHASE.deleteRunbook, obj(r.resource, r.name), (d) =>
      deleteRunbook(d, t, r.resource, r.name),
    );
  }
}

export const runbooksManifest: TenantSection<Directory, State> = {
  place: 'tenant',
  key: 'runbooks',
  schema: z
    .array(runbook)
    .max(1000)
    .default([])
    .describe('The runbooks of the tenant’s automation accounts; see docs/flows.md, "Runbooks".'),
  check,
  read,
  plan,
};

// ---- workflows ---------------------------------------------------------------------------------------------

const workflow = z.strictObject({
  resource: z
    .string()
    .min(1)
    .max(64)
    .describe('A resource of kind workflow this tenant declares under `resources`.'),
  definition: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      'The workflow inline: a definition, or any form Azure exports (code view, ARM template, Standard workflow.json).',
    ),
  definitionFile: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe(
      'A file holding the workflow as Azure exports it (e.g. workflow.json), relative to the manifest’s folder (instead of `definition`).',
    ),
  parameters: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Parameter values, `{ name: { value: … } }`; they override values the export carries.'),
  state: z
    .enum(WORKFLOW_STATES)
    .optional()
    .describe('Enabled or Disabled. Default: what the export says, else Enabled.'),
});

type DeclaredWorkflow = z.output<typeof workflow>;
const workflowsOf = (t: unknown): DeclaredWorkflow[] | undefined =>
  (t as { workflows?: DeclaredWorkflow[] }).workflows;

interface DeclaredIdentityResource extends DeclaredResource {
  systemAssignedIdentity?: boolean;
  userAssignedIdentities?: string[];
}

/** The declared workflow's input, its state made explicit (the manifest's default: the export's, else Enabled). */
function declaredInput(w: DeclaredWorkflow, definition: string | object): CheckedWorkflow {
  const checked = checkWorkflow({ definition, parameters: w.parameters, state: w.state });
  return { ...checked, state: checked.state ?? 'Enabled' };
}

function checkWorkflows(declared: DeclaredManifest, out: ManifestProblem[]): void {
  declared.tenants.forEach((tenant, t) => {
    const list = workflowsOf(tenant);
    if (!list) return;
    const at = (...rest: (string | number)[]): KeyPath => ['tenants', t, 'workflows', ...rest];
    const resources = ((tenant as { resources?: DeclaredIdentityResource[] }).resources ??
      []) as DeclaredIdentityResource[];
    duplicates(
      list,
      (w) => w.resource.toLowerCase(),
      (i) => at(i, 'resource'),
      (w) => `workflow ${w.resource} is declared twice`,
      out,
    );
    list.forEach((w, i) => {
      const res = resources.find((x) => x.name.toLowerCase() === w.resource.toLowerCase());
      if (!res) {
        out.push({
          kind: 'reference',
          path: at(i, 'resource'),
          message: `resource ${w.resource} is not declared under tenants[${t}].resources`,
        });
      } else if (res.kind !== 'workflow') {
        out.push({
          kind: 'reference',
          path: at(i, 'resource'),
          message: `resource ${w.resource} is of kind ${res.kind}; a workflow belongs to a resource of kind workflow`,
        });
      }
      if ((w.definition === undefined) === (w.definitionFile === undefined)) {
        out.push({ kind: 'schema', path: at(i), message: 'give definition or definitionFile (one of them)' });
        return;
      }
      // An inline definition is loaded now, so a bad one is refused at load with its line.
      if (w.definition === undefined) return;
      try {
        const checked = declaredInput(w, w.definition);
        if (res?.kind === 'workflow') {
          checkIdentities(
            res.name,
            {
              systemAssigned: res.systemAssignedIdentity === true,
              userAssigned: (res.userAssignedIdentities ?? []).map((name) => ({ name })),
            },
            checked.loaded.definition,
          );
        }
      } catch (err) {
        const hint = (err as { hint?: string }).hint;
        out.push({
          kind: 'schema',
          path: at(i, 'definition'),
          message: `${(err as Error).message}${hint ? ` (${hint})` : ''}`,
        });
      }
    });
  });
}

const MAX_DEFINITION_FILE_BYTES = 1024 * 1024;

/** The declared workflow's text: inline, or its file read relative to the manifest's folder. */
function definitionOf(manifest: object, w: DeclaredWorkflow, at: KeyPath): string | object {
  if (w.definition !== undefined) return w.definition;
  return readReferencedFile(manifest, w.definitionFile!, [...at, 'definitionFile'], {
    maxBytes: MAX_DEFINITION_FILE_BYTES,
    what: 'workflow file',
  });
}

/** The declared workflow loaded; a definition file that does not load is refused with the entry's place. */
function loadDeclared(manifest: object, w: DeclaredWorkflow, at: KeyPath): CheckedWorkflow {
  const definition = definitionOf(manifest, w, at);
  try {
    return declaredInput(w, definition);
  } catch (err) {
    if (!(err instanceof LanyardError) || w.definitionFile === undefined) throw err;
    throw new LanyardError(
      err.code,
      `${describeLocation(manifest, [...at, 'definitionFile'])} (${w.definitionFile}): ${err.message}`,
      { hint: err.hint, details: err.details },
    );
  }
}

/** What differs between a stored workflow and a declared one, for the plan; definitions are not printed. */
function workflowChanges(stored: StoredWorkflow, want: CheckedWorkflow): string[] {
  const out: string[] = [];
  if (stored.source !== want.source) out.push('definition: (changed)');
  if (JSON.stringify(stored.parameters) !== JSON.stringify(want.parameters))
    out.push('parameters: (changed)');
  if (stored.state !== want.state) out.push(`state: ${stored.state} → ${want.state}`);
  return out;
}

async function readWorkflows(d: Directory, tenant: { id: string } | undefined): Promise<StoredWorkflow[]> {
  return tenant ? listWorkflows(d, tenant.id) : [];
}

function planWorkflows(
  { planner: p, declared, index }: TenantPlan<Directory>,
  stored: StoredWorkflow[],
): void {
  const t = declared.name;
  const list = workflowsOf(declared) ?? [];
  const obj = (name: string): PlanObject => ({ kind: 'workflow', tenant: t, name });
  list.forEach((w, i) => {
    const want = loadDeclared(p.manifest, w, ['tenants', index, 'workflows', i]);
    const old = stored.find((s) => s.name.toLowerCase() === w.resource.toLowerCase());
    const run = (d: Directory) => {
      const envelope = d.deps.envelope;
      if (!envelope) {
        throw new LanyardError(
          'ERR_INTERNAL',
          'Saving a workflow needs the envelope to seal its access keys; this directory has none.',
          { hint: 'Open the directory through the runtime (host/runtime.ts), which gives it the envelope.' },
        );
      }
      return putWorkflow(
        d,
        t,
        w.resource,
        { definition: want.source, parameters: want.parameters, state: want.state },
        envelope,
      );
    };
    if (!old) p.add(FLOWS_PHASE.workflow, 'create', obj(w.resource), run);
    else {
      const changes = workflowChanges(old, want);
      if (changes.length > 0) p.add(FLOWS_PHASE.workflow, 'update', obj(w.resource), run, changes);
    }
  });
  for (const s of stored) {
    if (list.some((w) => w.resource.toLowerCase() === s.name.toLowerCase())) continue;
    p.undeclared(FLOWS_PHASE.deleteWorkflow, obj(s.name), (d) => deleteWorkflow(d, t, s.resourceId));
  }
}

export const workflowsManifest: TenantSection<Directory, StoredWorkflow[]> = {
  place: 'tenant',
  key: 'workflows',
  schema: z
    .array(workflow)
    .max(1000)
    .default([])
    .describe(
      'The Logic Apps workflows of the tenant’s workflow resources; see docs/flows.md, "Workflows at rest".',
    ),
  check: checkWorkflows,
  read: readWorkflows,
  plan: planWorkflows,
};

/** The flows plane's keys of a tenant, in order. */
export const flowsManifest = [runbooksManifest, workflowsManifest] as const;
