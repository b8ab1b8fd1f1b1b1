/**
 * @module console/web/models
 * What the admin API answers, as the views read it. The directory's objects are the server's own types
 * (directory/types.ts, types only: erased when the module is served); the other planes' answers are declared
 * here with the fields the views show, named as their modules name them (the comment on each says which).
 */
export type {
  Application,
  AppRole,
  AppRoleAssignment,
  CertificateCredential,
  ClientSecretInfo,
  FederatedCredential,
  ManagedIdentity,
  NewClientSecret,
  Resource,
  ResourceKind,
  ServicePrincipal,
  Tenant,
} from '../../directory/types.ts';

/** audit/audit-log.ts StoredAuditEvent. */
export interface AuditEvent {
  id: string;
  at: string;
  plane: string;
  action: string;
  outcome: 'success' | 'failure';
  tenantId?: string;
  actor?: string;
  target?: string;
  reason?: string;
  details?: Record<string, unknown>;
}

/** management/service.ts AssignmentView. */
export interface RbacAssignment {
  id: string;
  name: string;
  principalId: string;
  principalType: string;
  roleDefinitionId: string;
  roleName: string;
  scope: string;
  description: string;
  createdOn: string;
}

/** management/rbac/evaluator.ts Decision, as `POST …/rbac/check` answers it. */
export interface RbacCheck {
  principalId: string;
  principalName: string;
  decision:
    | { allowed: true; grantedBy: { roleName: string; assignment: { id: string; scope: string } }[] }
    | {
        allowed: false;
        action: string;
        scope: string;
        wouldGrant: { roleDefinitionId: string; roleName: string; roleType: string }[];
      };
}

/** flows/workflows/store.ts WorkflowView (the fields shown). */
export interface Workflow {
  tenantId: string;
  resourceId: string;
  name: string;
  armId: string;
  workflowId: string;
  state: 'Enabled' | 'Disabled';
  version: string;
  parameters: Record<string, unknown> | null;
  createdAt: string;
  changedAt: string;
  triggers: { name: string; type: string }[];
}

export type RunStatus = 'Running' | 'Succeeded' | 'Failed' | 'Cancelled' | 'TimedOut';

export interface RecordError {
  code: string;
  message: string;
}

/** flows/workflows/records.ts RunSummary. */
export interface RunSummary {
  name: string;
  workflow: string;
  version: string;
  status: RunStatus;
  code?: string;
  error?: RecordError;
  startTime: string;
  endTime?: string;
  trigger: { name: string; scheduledTime?: string };
}

/** flows/workflows/records.ts Contents. */
export interface Contents {
  inputs?: unknown;
  outputs?: unknown;
  secured?: ('inputs' | 'outputs')[];
  truncated?: ('inputs' | 'outputs')[];
}

/** flows/workflows/records.ts ActionRecord. */
export interface ActionRecord extends Contents {
  name: string;
  type: string;
  path: string;
  status: string;
  code: string;
  startTime?: string;
  endTime?: string;
  error?: RecordError;
  trackingId: string;
  retryHistory?: { startTime: string; endTime: string; code: string; error?: RecordError }[];
  repetitionIndexes?: { scopeName: string; itemIndex: number }[];
}

/** flows/workflows/records.ts RunRecord. */
export interface RunRecord {
  name: string;
  workflow: string;
  version: string;
  status: RunStatus;
  code?: string;
  error?: RecordError;
  startTime: string;
  endTime?: string;
  correlation: { clientTrackingId: string };
  trigger: Contents & {
    name: string;
    type: string;
    startTime: string;
    endTime: string;
    status: string;
    code: string;
    scheduledTime?: string;
  };
  actions: ActionRecord[];
  outputs: Record<string, { type: string; value: unknown }>;
  response?: { statusCode: number; headers: Record<string, string>; body?: unknown };
}

/** `POST …/workflows/:name/triggers/:trigger/run` (flows/admin-routes.ts). */
export interface TriggerRunAnswer {
  /** The run as listed (flows/workflows/runtime.ts FireResult). */
  run: RunSummary;
  outcome: 'accepted' | 'answered' | 'no-response' | 'timeout';
  response?: { statusCode: number; headers?: Record<string, string>; body?: unknown };
}

/** flows/runbooks/store.ts Runbook. */
export interface Runbook {
  tenantId: string;
  resource: string;
  resourceId: string;
  name: string;
  command: string[];
  cwd: string | null;
  env: Record<string, string>;
  timeoutSeconds: number;
  schedule: string | null;
  timeZone: string | null;
  catchUp: boolean;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** flows/runbooks/store.ts Job, with `streams` when read alone. */
export interface Job {
  id: string;
  runbook: string;
  status: 'New' | 'Activating' | 'Running' | 'Completed' | 'Failed' | 'Stopped';
  startedBy: 'manual' | 'schedule' | 'startup';
  creationTime: string;
  startTime: string | null;
  endTime: string | null;
  scheduledTime: string | null;
  isPastDue: boolean;
  exitCode: number | null;
  exception: string | null;
  streams?: { streamType: 'Output' | 'Error'; time: string; streamText: string }[];
}

/** gateway/service.ts GatewaySummary. */
export interface GatewaySummary {
  name: string;
  resourceId: string;
  port: number;
  apis: number;
  products: number;
  subscriptions: number;
  updatedAt: string;
}

/** gateway/runtime/traces.ts RequestTrace. */
export interface RequestTrace {
  id: string;
  gateway: string;
  api: string;
  operation: string;
  method: string;
  path: string;
  at: string;
  steps: string[];
  entries: {
    section: string;
    source: string;
    elapsedMs: number;
    message: string;
    data?: Record<string, unknown>;
  }[];
  status: number | undefined;
  /** gateway/runtime/context.ts LastError. */
  lastError?:
    | { source: string; reason: string; message: string; scope: string; section: string; path: string }
    | undefined;
}

// ---- The console plane's own routes (console/graph.ts, access.ts, explain.ts, keys.ts) ----

/** console/graph.ts GraphNode. */
export interface GraphNode {
  /** `app:<appId>`, `identity:<id>`, `resource:<id>`, `api:<gateway resource id>/<api>`, `scope:<scope>`, `principal:<object id>`. */
  id: string;
  kind: 'app' | 'identity' | 'resource' | 'api' | 'scope' | 'principal';
  /** app: `app`/`first-party`; identity: `system`/`user`; resource: its kind; api: `gateway-api`; scope: `root`/`subscription`/`resourceGroup`/…; principal: `unknown`. */
  type: string;
  label: string;
  /** How the CLI and "may X call Y?" name it: `app:<name>`, `identity:<name>`, `resource:<name>`, an ARM id. */
  ref?: string;
  principalId?: string;
  details: Record<string, unknown>;
}

/** console/graph.ts GraphEdge. */
export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  kind: 'app-role' | 'rbac' | 'identity' | 'easyauth' | 'serves' | 'backend' | 'calls';
  label: string;
  details: Record<string, unknown>;
}

/** console/graph.ts Graph: `GET /admin/tenants/:tenant/graph`. */
export interface Graph {
  tenant: { id: string; name: string; displayName: string };
  directoryVersion: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** easyauth/explain.ts DecodedToken. */
export interface DecodedToken {
  readable: boolean;
  error?: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  times?: { issuedAt?: string; notBefore?: string; expiresAt?: string; expired?: boolean };
}

/** console/access.ts AccessStep: one link of the chain of reasons. */
export interface AccessStep {
  check: 'token' | 'easyauth' | 'rbac';
  passed: boolean;
  title: string;
  detail: string;
  fix?: string;
  code?: string;
}

/** console/access.ts AccessAnswer: `POST /admin/tenants/:tenant/access`. */
export interface AccessAnswer {
  principal: { ref: string; principalId: string; displayName: string; type: string; clientId: string };
  target: {
    kind: 'app' | 'front' | 'scope';
    ref: string;
    name: string;
    action?: string;
    dataAction?: boolean;
  };
  allowed: boolean;
  chain: AccessStep[];
  /** The claims a token of the principal for the target would carry (never a token). */
  token?: { requestedAs: string; roles: string[]; claims: Record<string, unknown> };
}

export type FrontKind = 'easyauth' | 'gateway' | 'vault' | 'arm';

/** console/explain.ts ExplainCheck. */
export interface ExplainCheck {
  name: string;
  status: 'passed' | 'failed' | 'not-checked';
  message?: string;
  expected?: unknown;
  actual?: unknown;
  fix?: string;
  code?: string;
}

/** console/explain.ts FrontVerdict (with easyauth/explain.ts ExplainVerdict's fields for Easy Auth fronts). */
export interface FrontVerdict {
  resource: string;
  accepted: boolean;
  status: number;
  reason?: string;
  message?: string;
  hint?: string;
  checks: ExplainCheck[];
  tenant?: string;
  upstream?: string;
  front?: string;
  openIdIssuer?: string;
  expected?: unknown;
  actual?: unknown;
  notes?: string[];
}

/** console/explain.ts ExplainAnswer: `POST /admin/tenants/:tenant/explain`. */
export interface ExplainAnswer {
  front: { kind: FrontKind; name?: string };
  token: DecodedToken;
  accepted: boolean;
  verdicts: FrontVerdict[];
}

/** issuer/signing-keys.ts KeyInfo. */
export interface SigningKey {
  kid: string;
  createdAt: string;
  publishAt: string;
  activateAt: string;
  retireAt: string | null;
  unpublishAt: string | null;
  revokedAt: string | null;
  state: 'pending' | 'active' | 'retired' | 'unpublished' | 'revoked';
}

/** console/keys.ts KeysView: `GET /admin/keys`. */
export interface KeysState {
  signing: {
    keys: SigningKey[];
    active: string | null;
    policy: { rotationIntervalMs: number; leadTimeMs: number; maxTokenLifetimeMs: number };
    nextRotationAt: string | null;
  };
  masterKey: {
    id: string;
    source: 'env' | 'file';
    retired: string[];
    sealed: { name: string; underOtherKeys: number }[];
    rotationUnfinished: boolean;
  };
}
