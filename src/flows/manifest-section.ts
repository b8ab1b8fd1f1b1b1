/**
 * @module flows/manifest-section
 * The flows plane's part of `lanyard.yaml`: under each tenant, `runbooks:`, the runbooks of its automation
 * accounts as `lanyard runbook set` saves them.
 *
 *   runbooks:
 *     - account: runbook-automation        # a resource of kind automation this tenant declares
 *       name: call-somefunction
 *       command: [sh, examples/seeds/apps/runbook.sh]
 *       schedule: "0 0 * * * *"            # NCRONTAB with seconds, or a TimeSpan; optional
 *       timeZone: W. Europe Standard Time  # optional
 *       catchUp: false
 *       env: { FUNCTION_URL: … }          # not for secrets: the manifest is committed
 *
 * A runbook is created or replaced as declared; one the manifest does not declare is reported, and deleted with
 * `--prune` (its jobs with it). Jobs are history, never declared.
 */
import { z } from 'zod';
import type { Directory } from '../directory/directory.ts';
import { DIRECTORY_PHASE } from '../directory/manifest/plan.ts';
import { duplicates, type ManifestProblem } from '../manifest/problems.ts';
import type { DeclaredManifest, TenantPlan, TenantSection } from '../manifest/section.ts';
import type { KeyPath } from '../manifest/source.ts';
import type { PlanObject } from '../manifest/types.ts';
import {
  checkRunbook,
  DEFAULT_TIMEOUT_SECONDS,
  deleteRunbook,
  listRunbooks,
  MAX_TIMEOUT_SECONDS,
  putRunbook,
  type Runbook,
} from './runbooks/store.ts';

/** Runbooks are saved once their account exists, and deleted before it is. */
export const FLOWS_PHASE = {
  deleteRunbook: DIRECTORY_PHASE.deleteResource - 2,
  runbook: DIRECTORY_PHASE.resource + 5,
} as const;

const runbook = z.strictObject({
  account: z
    .string()
    .min(1)
    .max(64)
    .describe('A resource of kind automation this tenant declares under `resources`.'),
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
      } else if (res.kind !== 'automation') {
        out.push({
          kind: 'reference',
          path: at(i, 'account'),
          message: `resource ${r.account} is of kind ${res.kind}; runbooks belong to a resource of kind automation`,
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

export const flowsManifest: TenantSection<Directory, State> = {
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
