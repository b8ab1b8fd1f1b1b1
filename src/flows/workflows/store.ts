/**
 * @module flows/workflows/store
 * Logic Apps workflows and their runs at rest (migration `0014-workflows`; docs/flows.md, "Workflows at
 * rest"). A workflow belongs to a resource of kind workflow, one each: its definition kept as the text it was
 * given (any export form `loadWorkflow` reads) and loaded again when read (once per version in a process),
 * the parameter values given besides it, its state, a version that grows on every change of those, Azure's
 * workflow id (what callback URLs carry) and two access keys, sealed under the master key as the gateway seals
 * subscription keys, that callback-URL signatures are made with (callback.ts). A run is one row with the whole
 * record the engine writes (records.ts). Writes run in one transaction (inside `directory.transaction` when
 * there is one); writes of workflows mark the change-feed topic `flows`, writes of runs (history) do not.
 *
 * Saving checks what loading cannot: the resource is a workflow, and every `Http` action's managed identity is
 * one the resource has (system-assigned when `identity` is absent, else that user-assigned identity attached).
 */
import { randomBytes } from 'node:crypto';
import type { Envelope } from '../../crypto/envelope.ts';
import type { Directory } from '../../directory/directory.ts';
import type { Resource } from '../../directory/types.ts';
import { LanyardError } from '../../errors/lanyard-error.ts';
import { markChanged } from '../../store/change-feed.ts';
import { type AnyStoreDb, tablesOf } from '../../store/handle.ts';
import { loadWorkflow } from '../definition/load.ts';
import type { Action, LoadedWorkflow, TriggerType, WorkflowDefinition } from '../definition/types.ts';
import { childContainers } from '../definition/validate.ts';
import type { FlowTables, FlowWorkflowRow, FlowWorkflowRunRow } from '../tables.ts';
import type { RunRecord, RunStatus, RunSummary } from './records.ts';

const FLOWS_TOPIC = 'flows';
const tables = (db: AnyStoreDb) => tablesOf<FlowTables>(db);

export const WORKFLOW_STATES = ['Enabled', 'Disabled'] as const;
export type WorkflowState = (typeof WORKFLOW_STATES)[number];
export type AccessKeyType = 'Primary' | 'Secondary';
export const RUN_STATUSES: readonly RunStatus[] = ['Running', 'Succeeded', 'Failed', 'Cancelled', 'TimedOut'];

/** Runs kept per workflow by `pruneRuns` unless told otherwise: the newest thousand. */
export const DEFAULT_RUNS_KEPT = 1000;
/** Runs `listRuns` returns unless told otherwise. */
export const DEFAULT_RUNS_LISTED = 50;
/** The error a run left Running by a stopped Lanyard ends with. */
export const LANYARD_STOPPED_ERROR = {
  code: 'LanyardStopped',
  message: 'Lanyard stopped while the run was running; the run ended with it.',
} as const;

export interface WorkflowInput {
  /** JSON text or a parsed object: a definition or any export form `loadWorkflow` reads. */
  definition: string | object;
  /** Values given besides the export, `{ name: { value } }`; they override values the export carries. */
  parameters?: Readonly<Record<string, unknown>> | null | undefined;
  /** Absent: what the export says (`properties.state`), else the stored state, else Enabled. */
  state?: WorkflowState | undefined;
}

export interface StoredWorkflow {
  tenantId: string;
  /** The workflow resource's directory id and name. */
  resourceId: string;
  name: string;
  /** The resource's ARM id (`workflow().id`). */
  armId: string;
  /** 32 lower-case hex digits: Azure's workflow id, in callback URLs. */
  workflowId: string;
  state: WorkflowState;
  /** 20 digits, greater on every change of the definition, parameters or state. */
  version: string;
  definition: WorkflowDefinition;
  /** The text as given. */
  source: string;
  parameters: Record<string, unknown> | null;
  createdAt: string;
  changedAt: string;
  triggers: { name: string; type: TriggerType }[];
}

/** A workflow as reads outside the server show it: without its source text, secure parameter values left out. */
export type WorkflowView = Omit<StoredWorkflow, 'source'>;

/**
 * The workflow for the admin API and the CLI: the source text (which may carry values) is left out, and so are
 * the values of `securestring` and `secureobject` parameters, as Azure leaves them out of a read.
 */
export function workflowView(w: StoredWorkflow): WorkflowView {
  const { source: _source, ...rest } = w;
  const secure = new Set(w.definition.parameters.filter((p) => p.secure).map((p) => p.name));
  const hidden = ([name, given]: [string, unknown]): [string, unknown] => {
    if (!secure.has(name) || typeof given !== 'object' || given === null) return [name, given];
    const { value: _value, ...kept } = given as Record<string, unknown>;
    return [name, kept];
  };
  return {
    ...rest,
    definition: {
      ...w.definition,
      parameters: w.definition.parameters.map((p) => (p.secure ? { ...p, value: undefined } : p)),
    },
    parameters: w.parameters === null ? null : Object.fromEntries(Object.entries(w.parameters).map(hidden)),
  };
}

/** A workflow's access keys, opened: for signing and checking callback URLs in the server, never shown. */
export interface AccessKeys {
  primary: string;
  secondary: string;
}

/** What `checkWorkflow` makes of an input: everything saving needs that does not read the store. */
export interface CheckedWorkflow {
  loaded: LoadedWorkflow;
  source: string;
  parameters: Record<string, unknown> | null;
  /** As given, else as the export says; undefined when neither says. */
  state: WorkflowState | undefined;
}

const NOT_FOUND_HINT =
  'List the workflows with `lanyard workflow list`; save one with `lanyard workflow set <resource> --file workflow.json`.';

function stateOf(value: unknown, field: string): WorkflowState | undefined {
  if (value === undefined || value === null) return undefined;
  const found = WORKFLOW_STATES.find(
    (s) => typeof value === 'string' && s.toLowerCase() === value.toLowerCase(),
  );
  if (!found) {
    throw new LanyardError(
      'ERR_VALIDATION',
      `The workflow ${field} is Enabled or Disabled, not ${JSON.stringify(value)}.`,
      {
        details: { field },
      },
    );
  }
  return found;
}

/** The input loaded and validated (ERR_FLOW_DEFINITION, ERR_FLOW_UNSUPPORTED, ERR_FLOW_EXPRESSION, …). */
export function checkWorkflow(input: WorkflowInput): CheckedWorkflow {
  const given = input.definition;
  if (typeof given !== 'string' && (typeof given !== 'object' || given === null || Array.isArray(given))) {
    throw new LanyardError('ERR_VALIDATION', 'The workflow definition must be JSON text or a JSON object.', {
      hint: 'Give a definition or a workflow as Azure exports it (docs/flows.md, "Accepted forms").',
      details: { field: 'definition' },
    });
  }
  const parameters = input.parameters ?? null;
  if (parameters !== null && (typeof parameters !== 'object' || Array.isArray(parameters))) {
    throw new LanyardError(
      'ERR_VALIDATION',
      'The workflow parameters must be an object of { "value": … } entries.',
      {
        details: { field: 'parameters' },
      },
    );
  }
  const state = stateOf(input.state, 'state');
  const loaded = loadWorkflow(given, parameters ? { parameters } : {});
  const source = typeof given === 'string' ? given : JSON.stringify(given, null, 2);
  const exported = WORKFLOW_STATES.find((s) => s.toLowerCase() === loaded.state?.toLowerCase());
  return { loaded, source, parameters: parameters ? { ...parameters } : null, state: state ?? exported };
}

/** Every action, nested ones included, in document order. */
function allActions(actions: readonly Action[]): Action[] {
  const out: Action[] = [];
  for (const a of actions) {
    out.push(a);
    for (const child of childContainers(a)) out.push(...allActions(child.actions));
  }
  return out;
}

/** The identities a workflow resource has, as `checkIdentities` compares them. */
export interface WorkflowIdentities {
  readonly systemAssigned: boolean;
  /** Attached user-assigned identities: by ARM resource id when known, else by name (a manifest's). */
  readonly userAssigned: readonly { readonly name: string; readonly resourceId?: string | undefined }[];
}

export const identitiesOf = (resource: Resource): WorkflowIdentities => ({
  systemAssigned: resource.systemAssignedIdentity !== null,
  userAssigned: resource.userAssignedIdentities.map((i) => ({ name: i.name, resourceId: i.resourceId })),
});

/**
 * Refuses an `Http` action whose managed identity the resource does not have: the system-assigned one when the
 * action names none, else the user-assigned identity it names (by ARM resource id), which must be attached.
 */
export function checkIdentities(
  resourceName: string,
  identities: WorkflowIdentities,
  definition: WorkflowDefinition,
): void {
  for (const action of allActions(definition.actions)) {
    if (action.type !== 'Http' || !action.inputs.authentication) continue;
    const wanted = action.inputs.authentication.identity;
    if (wanted === undefined) {
      if (identities.systemAssigned) continue;
      throw new LanyardError(
        'ERR_VALIDATION',
        `Workflow ${resourceName}, action ${action.name} (${action.path}): the action uses the workflow's system-assigned identity, and resource "${resourceName}" has none.`,
        {
          hint: `Enable it (\`lanyard resource update ${resourceName} --system-identity\`), or name one of its user-assigned identities in the action's authentication.identity.`,
          details: { action: action.name, path: action.path },
        },
      );
    }
    const name = wanted.slice(wanted.lastIndexOf('/') + 1).toLowerCase();
    const attached = identities.userAssigned.some((i) =>
      i.resourceId === undefined
        ? i.name.toLowerCase() === name
        : i.resourceId.toLowerCase() === wanted.toLowerCase(),
    );
    if (attached) continue;
    const list = identities.userAssigned.map((i) => i.name).join(', ');
    throw new LanyardError(
      'ERR_VALIDATION',
      `Workflow ${resourceName}, action ${action.name} (${action.path}): the user-assigned identity ${wanted} is not attached to resource "${resourceName}" (attached: ${list || 'none'}).`,
      {
        hint: `Attach it (\`lanyard resource identity attach --resource ${resourceName} --identity ${wanted}\`), or leave authentication.identity out to use the system-assigned identity.`,
        details: { action: action.name, path: action.path, identity: wanted },
      },
    );
  }
}

async function workflowResource(d: Directory, tenant: string, ref: string): Promise<Resource> {
  const resource = await d.getResource(tenant, ref);
  if (resource.kind !== 'workflow') {
    throw new LanyardError(
      'ERR_VALIDATION',
      `Resource "${resource.name}" is of kind ${resource.kind}; a workflow belongs to a resource of kind workflow.`,
      {
        hint: 'Name a Logic Apps workflow (`lanyard resource create --name <name> --kind workflow --system-identity`).',
      },
    );
  }
  return resource;
}

const keyAad = (resourceId: string, which: 'primary' | 'secondary') =>
  `lanyard|flows|${resourceId}|workflow-key|${which}`;

/** A new access key: 32 random bytes, base64url (43 characters). */
export function generateAccessKey(): string {
  return randomBytes(32).toString('base64url');
}

/** A version greater than `previous`: the time in microseconds, 20 digits, or one more than `previous`. */
export function nextVersion(previous: string | undefined, now: Date): string {
  let v = BigInt(now.getTime()) * 1000n;
  if (previous !== undefined && /^\d+$/.test(previous) && BigInt(previous) >= v) v = BigInt(previous) + 1n;
  return v.toString().padStart(20, '0');
}

/**
 * Definitions loaded, by workflow and version: a version never changes, so a stored definition is loaded (and
 * its expressions compiled by the engine, which keeps them with the definition's objects) once per version,
 * not on every read or run.
 */
const loadedVersions = new Map<string, LoadedWorkflow>();
const LOADED_VERSIONS_KEPT = 500;

function loadedOf(row: FlowWorkflowRow, parameters: Record<string, unknown> | null): LoadedWorkflow {
  const key = `${row.resource_id}\n${row.version}`;
  let loaded = loadedVersions.get(key);
  if (!loaded) {
    loaded = loadWorkflow(row.definition, parameters ? { parameters } : {});
    if (loadedVersions.size >= LOADED_VERSIONS_KEPT) loadedVersions.clear();
    loadedVersions.set(key, loaded);
  }
  return loaded;
}

function storedOf(
  row: FlowWorkflowRow,
  resource: Pick<Resource, 'name' | 'resourceId'>,
  loaded?: LoadedWorkflow,
): StoredWorkflow {
  const parameters = row.parameters === null ? null : (JSON.parse(row.parameters) as Record<string, unknown>);
  const definition = (loaded ?? loadedOf(row, parameters)).definition;
  return {
    tenantId: row.tenant_id,
    resourceId: row.resource_id,
    name: resource.name,
    armId: resource.resourceId,
    workflowId: row.workflow_id,
    state: row.state as WorkflowState,
    version: row.version,
    definition,
    source: row.definition,
    parameters,
    createdAt: row.created_at,
    changedAt: row.changed_at,
    triggers: definition.triggers.map((t) => ({ name: t.name, type: t.type })),
  };
}

async function workflowRow(db: AnyStoreDb, resourceId: string): Promise<FlowWorkflowRow | undefined> {
  return tables(db)
    .selectFrom('flow_workflows')
    .selectAll()
    .where('resource_id', '=', resourceId)
    .executeTakeFirst();
}

/**
 * Creates or replaces the workflow of a resource of kind workflow: loaded and validated, its identities checked
 * against the resource, a new version. The first save gives it its workflow id and two access keys.
 */
export async function putWorkflow(
  d: Directory,
  tenant: string,
  resourceRef: string,
  input: WorkflowInput,
  envelope: Pick<Envelope, 'seal'>,
): Promise<StoredWorkflow> {
  const checked = checkWorkflow(input);
  return d.transaction(async (t) => {
    const resource = await workflowResource(t, tenant, resourceRef);
    checkIdentities(resource.name, identitiesOf(resource), checked.loaded.definition);
    const old = await workflowRow(t.db, resource.id);
    const now = t.clock();
    const values = {
      definition: checked.source,
      parameters: checked.parameters === null ? null : JSON.stringify(checked.parameters),
      state: checked.state ?? (old?.state as WorkflowState | undefined) ?? 'Enabled',
      version: nextVersion(old?.version, now),
      changed_at: now.toISOString(),
    };
    let row: FlowWorkflowRow;
    if (old) {
      await tables(t.db)
        .updateTable('flow_workflows')
        .set(values)
        .where('resource_id', '=', resource.id)
        .execute();
      row = { ...old, ...values };
    } else {
      row = {
        resource_id: resource.id,
        tenant_id: resource.tenantId,
        workflow_id: randomBytes(16).toString('hex'),
        primary_key_sealed: envelope.seal(generateAccessKey(), keyAad(resource.id, 'primary')),
        secondary_key_sealed: envelope.seal(generateAccessKey(), keyAad(resource.id, 'secondary')),
        created_at: values.changed_at,
        ...values,
      };
      await tables(t.db).insertInto('flow_workflows').values(row).execute();
    }
    await markChanged(t.db, FLOWS_TOPIC);
    return storedOf(row, resource, checked.loaded);
  });
}

async function requireRow(d: Directory, resource: Resource): Promise<FlowWorkflowRow> {
  const row = await workflowRow(d.db, resource.id);
  if (!row) {
    throw new LanyardError('ERR_NOT_FOUND', `Resource "${resource.name}" has no workflow saved.`, {
      hint: NOT_FOUND_HINT,
    });
  }
  return row;
}

export async function getWorkflow(
  d: Directory,
  tenant: string,
  resourceRef: string,
): Promise<StoredWorkflow> {
  const resource = await workflowResource(d, tenant, resourceRef);
  return storedOf(await requireRow(d, resource), resource);
}

/** The tenant's workflows, by resource name. */
export async function listWorkflows(d: Directory, tenant: string): Promise<StoredWorkflow[]> {
  const t = await d.getTenant(tenant);
  const resources = (await d.listResources(t.id)).filter((r) => r.kind === 'workflow');
  if (resources.length === 0) return [];
  const byId = new Map(resources.map((r) => [r.id, r]));
  const rows = await tables(d.db)
    .selectFrom('flow_workflows')
    .selectAll()
    .where('resource_id', 'in', [...byId.keys()])
    .execute();
  return rows
    .map((row) => storedOf(row, byId.get(row.resource_id)!))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Deletes a resource's workflow and its runs (the resource stays). */
export async function deleteWorkflow(
  d: Directory,
  tenant: string,
  resourceRef: string,
): Promise<StoredWorkflow> {
  return d.transaction(async (t) => {
    const w = await getWorkflow(t, tenant, resourceRef);
    await tables(t.db).deleteFrom('flow_workflow_runs').where('resource_id', '=', w.resourceId).execute();
    await tables(t.db).deleteFrom('flow_workflows').where('resource_id', '=', w.resourceId).execute();
    await markChanged(t.db, FLOWS_TOPIC);
    return w;
  });
}

/** Enables or disables a workflow (a new version); unchanged when it already is. */
export async function setWorkflowState(
  d: Directory,
  tenant: string,
  resourceRef: string,
  state: WorkflowState,
): Promise<StoredWorkflow> {
  const wanted = stateOf(state, 'state')!;
  return d.transaction(async (t) => {
    const resource = await workflowResource(t, tenant, resourceRef);
    const old = await requireRow(t, resource);
    if (old.state === wanted) return storedOf(old, resource);
    const now = t.clock();
    const values = { state: wanted, version: nextVersion(old.version, now), changed_at: now.toISOString() };
    await tables(t.db)
      .updateTable('flow_workflows')
      .set(values)
      .where('resource_id', '=', resource.id)
      .execute();
    await markChanged(t.db, FLOWS_TOPIC);
    return storedOf({ ...old, ...values }, resource);
  });
}

/** The workflow's access keys, opened. Server side only: callback URLs are signed and checked with them. */
export async function workflowAccessKeys(
  d: Directory,
  envelope: Pick<Envelope, 'open'>,
  tenant: string,
  resourceRef: string,
): Promise<AccessKeys> {
  const resource = await workflowResource(d, tenant, resourceRef);
  return keysOf(await requireRow(d, resource), envelope);
}

function keysOf(
  row: Pick<FlowWorkflowRow, 'resource_id' | 'primary_key_sealed' | 'secondary_key_sealed'>,
  envelope: Pick<Envelope, 'open'>,
): AccessKeys {
  return {
    primary: envelope.open(row.primary_key_sealed, keyAad(row.resource_id, 'primary')).toString('utf8'),
    secondary: envelope.open(row.secondary_key_sealed, keyAad(row.resource_id, 'secondary')).toString('utf8'),
  };
}

/**
 * Replaces the primary or secondary access key with a new random one: callback URLs signed with the old key
 * stop working (Azure's `regenerateAccessKey`). The version stays: the workflow itself did not change.
 */
export async function regenerateAccessKey(
  d: Directory,
  envelope: Pick<Envelope, 'seal'>,
  tenant: string,
  resourceRef: string,
  keyType: AccessKeyType,
): Promise<void> {
  if (keyType !== 'Primary' && keyType !== 'Secondary') {
    throw new LanyardError(
      'ERR_VALIDATION',
      `keyType is Primary or Secondary, not ${JSON.stringify(keyType)}.`,
      {
        details: { field: 'keyType' },
      },
    );
  }
  await d.transaction(async (t) => {
    const resource = await workflowResource(t, tenant, resourceRef);
    await requireRow(t, resource);
    const which = keyType === 'Primary' ? 'primary' : 'secondary';
    const sealed = envelope.seal(generateAccessKey(), keyAad(resource.id, which));
    await tables(t.db)
      .updateTable('flow_workflows')
      .set(
        which === 'primary'
          ? { primary_key_sealed: sealed, changed_at: t.clock().toISOString() }
          : { secondary_key_sealed: sealed, changed_at: t.clock().toISOString() },
      )
      .where('resource_id', '=', resource.id)
      .execute();
    await markChanged(t.db, FLOWS_TOPIC);
  });
}

async function rowById(d: Directory, workflowId: string): Promise<FlowWorkflowRow | undefined> {
  if (!/^[0-9a-f]{32}$/i.test(workflowId)) return undefined;
  return tables(d.db)
    .selectFrom('flow_workflows')
    .selectAll()
    .where('workflow_id', '=', workflowId.toLowerCase())
    .executeTakeFirst();
}

/** A workflow by the id its callback URLs carry (any tenant); undefined when there is none. */
export async function findWorkflowById(
  d: Directory,
  workflowId: string,
): Promise<StoredWorkflow | undefined> {
  const row = await rowById(d, workflowId);
  if (!row) return undefined;
  return storedOf(row, await d.getResource(row.tenant_id, row.resource_id));
}

/**
 * What the callback host needs of a request's workflow, from one read of its row: the workflow and its access
 * keys, opened. Undefined when no workflow has that id.
 */
export async function findCallbackTarget(
  d: Directory,
  envelope: Pick<Envelope, 'open'>,
  workflowId: string,
): Promise<{ workflow: StoredWorkflow; keys: AccessKeys } | undefined> {
  const row = await rowById(d, workflowId);
  if (!row) return undefined;
  return {
    workflow: storedOf(row, await d.getResource(row.tenant_id, row.resource_id)),
    keys: keysOf(row, envelope),
  };
}

// ---- runs ----------------------------------------------------------------------------------------------

/** A run as listed: its record without the actions and contents. */
export function summaryOf(record: RunRecord): RunSummary {
  return {
    name: record.name,
    tenantId: record.tenantId,
    resourceId: record.resourceId,
    workflow: record.workflow,
    version: record.version,
    status: record.status,
    ...(record.code === undefined ? {} : { code: record.code }),
    ...(record.error === undefined ? {} : { error: record.error }),
    startTime: record.startTime,
    ...(record.endTime === undefined ? {} : { endTime: record.endTime }),
    trigger: {
      name: record.trigger.name,
      ...(record.trigger.scheduledTime === undefined ? {} : { scheduledTime: record.trigger.scheduledTime }),
    },
  };
}

const recordOf = (row: Pick<FlowWorkflowRunRow, 'record'>) => JSON.parse(row.record) as RunRecord;

/**
 * Records a new run (normally Running) of a saved workflow. Run writes do not mark the change feed: runs are
 * history, and a change there must not make every process reload its workflows and schedules.
 */
export async function createRun(d: Directory, record: RunRecord): Promise<void> {
  await d.transaction(async (t) => {
    await tables(t.db)
      .insertInto('flow_workflow_runs')
      .values({
        name: record.name,
        resource_id: record.resourceId,
        tenant_id: record.tenantId,
        status: record.status,
        trigger_name: record.trigger.name,
        start_time: record.startTime,
        end_time: record.endTime ?? null,
        record: JSON.stringify(record),
      })
      .execute();
  });
}

/** Writes a run's record again: its end (status, end time) or, while it runs, its progress. */
export async function finishRun(d: Directory, record: RunRecord): Promise<void> {
  await d.transaction(async (t) => {
    const r = await tables(t.db)
      .updateTable('flow_workflow_runs')
      .set({
        status: record.status,
        end_time: record.endTime ?? null,
        record: JSON.stringify(record),
      })
      .where('name', '=', record.name)
      .where('resource_id', '=', record.resourceId)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) {
      throw new LanyardError(
        'ERR_NOT_FOUND',
        `There is no run ${record.name} of workflow ${record.workflow}.`,
      );
    }
  });
}

/** One run of a workflow, its whole record. */
export async function getRun(
  d: Directory,
  tenant: string,
  workflowRef: string,
  runName: string,
): Promise<RunRecord> {
  const resource = await workflowResource(d, tenant, workflowRef);
  const row = await tables(d.db)
    .selectFrom('flow_workflow_runs')
    .select('record')
    .where('resource_id', '=', resource.id)
    .where('name', '=', runName)
    .executeTakeFirst();
  if (!row) {
    throw new LanyardError('ERR_NOT_FOUND', `Workflow ${resource.name} has no run ${runName}.`, {
      hint: `List its runs with \`lanyard workflow runs ${resource.name}\`.`,
    });
  }
  return recordOf(row);
}

/** A workflow's runs, newest first (of one status when given): at most `top` (default 50, at most 1000). */
export async function listRuns(
  d: Directory,
  tenant: string,
  workflowRef: string,
  options: { top?: number | undefined; status?: string | undefined } = {},
): Promise<RunSummary[]> {
  const top = options.top ?? DEFAULT_RUNS_LISTED;
  if (!Number.isInteger(top) || top < 1 || top > DEFAULT_RUNS_KEPT) {
    throw new LanyardError('ERR_VALIDATION', `top is a whole number from 1 to ${DEFAULT_RUNS_KEPT}.`, {
      details: { field: 'top' },
    });
  }
  let status: RunStatus | undefined;
  if (options.status !== undefined) {
    status = RUN_STATUSES.find((s) => s.toLowerCase() === options.status!.toLowerCase());
    if (!status) {
      throw new LanyardError('ERR_VALIDATION', `status is one of ${RUN_STATUSES.join(', ')}.`, {
        details: { field: 'status' },
      });
    }
  }
  const resource = await workflowResource(d, tenant, workflowRef);
  let q = tables(d.db)
    .selectFrom('flow_workflow_runs')
    .select('record')
    .where('resource_id', '=', resource.id);
  if (status) q = q.where('status', '=', status);
  // Run names fall with time (records.ts): among runs started together, the smaller name is the newer.
  const rows = await q.orderBy('start_time', 'desc').orderBy('name', 'asc').limit(top).execute();
  return rows.map((row) => summaryOf(recordOf(row)));
}

/**
 * Runs a stopped Lanyard left Running: their process ended with it, so they end Failed with the error
 * `LanyardStopped`, and so do their actions still Running. Called when the plane starts; returns how many.
 */
export async function failOrphanedRuns(d: Directory): Promise<number> {
  return d.transaction(async (t) => {
    const rows = await tables(t.db)
      .selectFrom('flow_workflow_runs')
      .select(['name', 'record'])
      .where('status', '=', 'Running')
      .execute();
    if (rows.length === 0) return 0;
    const now = t.clock().toISOString();
    for (const row of rows) {
      const old = recordOf(row);
      const record: RunRecord = {
        ...old,
        status: 'Failed',
        code: LANYARD_STOPPED_ERROR.code,
        error: { ...LANYARD_STOPPED_ERROR },
        endTime: now,
        actions: old.actions.map((a) =>
          a.status === 'Running'
            ? {
                ...a,
                status: 'Failed',
                code: LANYARD_STOPPED_ERROR.code,
                error: { ...LANYARD_STOPPED_ERROR },
                endTime: now,
              }
            : a,
        ),
      };
      await tables(t.db)
        .updateTable('flow_workflow_runs')
        .set({ status: 'Failed', end_time: now, record: JSON.stringify(record) })
        .where('name', '=', row.name)
        .execute();
    }
    await markChanged(t.db, FLOWS_TOPIC);
    return rows.length;
  });
}

/**
 * Deletes runs past the newest `keep` (default 1000) of one workflow (by resource id), or of each when none is
 * named; a run still Running is never deleted. Returns how many went.
 */
export async function pruneRuns(
  d: Directory,
  resourceId?: string | undefined,
  keep: number = DEFAULT_RUNS_KEPT,
): Promise<number> {
  if (!Number.isInteger(keep) || keep < 0) throw new TypeError('keep must be a whole number, 0 or more.');
  return d.transaction(async (t) => {
    const ids = resourceId
      ? [resourceId]
      : (await tables(t.db).selectFrom('flow_workflows').select('resource_id').execute()).map(
          (r) => r.resource_id,
        );
    let deleted = 0;
    for (const id of ids) {
      const old = await tables(t.db)
        .selectFrom('flow_workflow_runs')
        .select('name')
        .where('resource_id', '=', id)
        .orderBy('start_time', 'desc')
        .orderBy('name', 'asc')
        .offset(keep)
        // An OFFSET needs a LIMIT on SQLite; no workflow has this many runs.
        .limit(Number.MAX_SAFE_INTEGER)
        .execute();
      const names = old.map((r) => r.name);
      // At most 200 a statement: SQLite bounds the number of bound parameters.
      for (let i = 0; i < names.length; i += 200) {
        const r = await tables(t.db)
          .deleteFrom('flow_workflow_runs')
          .where('name', 'in', names.slice(i, i + 200))
          .where('status', '<>', 'Running')
          .executeTakeFirst();
        deleted += Number(r.numDeletedRows);
      }
    }
    return deleted;
  });
}
