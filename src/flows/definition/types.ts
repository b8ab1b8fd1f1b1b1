/**
 * @module flows/definition/types
 * The normalized workflow definition every export form loads to (docs/flows.md, "Workflow definitions"): type
 * names in their canonical spelling, defaults filled in, parameters resolved to values, durations parsed. Maps
 * of the JSON (actions, triggers, parameters) become arrays in document order, each entry carrying its name, so
 * a name such as `__proto__` is only ever data.
 */
import type { Recurrence } from '../schedule/recurrence.ts';

/** The one schema of the Workflow Definition Language; emitted with the trailing `#` exports carry. */
export const WORKFLOW_SCHEMA =
  'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#';

export const TRIGGER_TYPES = ['Request', 'Recurrence'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

export const ACTION_TYPES = [
  'Http',
  'Compose',
  'ParseJson',
  'InitializeVariable',
  'SetVariable',
  'IncrementVariable',
  'AppendToArrayVariable',
  'If',
  'Scope',
  'Foreach',
  'Response',
  'Terminate',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** The statuses `runAfter` may name. */
export const RUN_AFTER_STATUSES = ['Succeeded', 'Failed', 'Skipped', 'TimedOut'] as const;
export type RunAfterStatus = (typeof RUN_AFTER_STATUSES)[number];

/** `Http` is Logic Apps' own; the others are Power Automate's button and Power Apps. All are called over HTTP. */
export const REQUEST_KINDS = ['Http', 'Button', 'PowerApp', 'PowerAppV2'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export const PARAMETER_TYPES = [
  'int',
  'float',
  'string',
  'securestring',
  'bool',
  'array',
  'object',
  'secureobject',
] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

export const VARIABLE_TYPES = ['Integer', 'Float', 'Boolean', 'String', 'Array', 'Object'] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

export const HTTP_METHODS = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

export const TERMINATE_STATUSES = ['Succeeded', 'Failed', 'Cancelled'] as const;
export type TerminateStatus = (typeof TERMINATE_STATUSES)[number];

/** The operation options Azure documents; each is accepted, in any case, and kept in its canonical spelling. */
export const OPERATION_OPTIONS = [
  'DisableAsyncPattern',
  'EnableSchemaValidation',
  'IncludeAuthorizationHeadersInOutputs',
  'Sequential',
  'SingleInstance',
  'SuppressWorkflowHeaders',
  'SuppressWorkflowHeadersOnResponse',
] as const;
export type OperationOption = (typeof OPERATION_OPTIONS)[number];

/** The audience an `Http` action's managed-identity token is for when `audience` is absent: Resource Manager. */
export const DEFAULT_MSI_AUDIENCE = 'https://management.azure.com/';

/** An ISO 8601 duration as written, and its length. Years count 365 days and months 30, as .NET's TimeSpan does. */
export interface Duration {
  readonly text: string;
  readonly ms: number;
}

export interface RunAfterEntry {
  /** A sibling action in the same container. */
  readonly action: string;
  /** Canonical spelling, no repeats, in the order written. */
  readonly statuses: readonly RunAfterStatus[];
}

export type RetryPolicy =
  | { readonly type: 'none' }
  | { readonly type: 'fixed'; readonly count: number; readonly interval: Duration }
  | {
      readonly type: 'exponential';
      readonly count: number;
      readonly interval: Duration;
      readonly minimumInterval: Duration;
      readonly maximumInterval: Duration;
    };

export interface ManagedIdentityAuthentication {
  readonly type: 'ManagedServiceIdentity';
  /** A user-assigned identity's ARM resource id; absent means the workflow's system-assigned identity. */
  readonly identity?: string;
  /** The token's audience (`resource`): as written, or DEFAULT_MSI_AUDIENCE when absent. */
  readonly audience: string;
  readonly authority?: string;
}

/** What every trigger and action may carry besides its type's own inputs. */
export interface Common {
  readonly name: string;
  /** Where it sits in the definition (`actions.Scope.actions.Call`), for messages. */
  readonly path: string;
  readonly description?: string;
  readonly operationOptions: readonly OperationOption[];
  /** `runtimeConfiguration.secureData.properties`: run history hides these. */
  readonly secureInputs: boolean;
  readonly secureOutputs: boolean;
  readonly trackedProperties?: Readonly<Record<string, unknown>>;
}

export interface RequestTrigger extends Common {
  readonly type: 'Request';
  readonly kind: RequestKind;
  readonly inputs: {
    /** Upper case; absent means the trigger takes the documented default, POST. */
    readonly method?: string;
    readonly relativePath?: string;
    readonly schema?: Readonly<Record<string, unknown>>;
  };
  /** `operationOptions: EnableSchemaValidation`: a body not matching `inputs.schema` gets 400. */
  readonly schemaValidation: boolean;
  readonly conditions: readonly unknown[];
  readonly concurrency?: { readonly runs?: number; readonly maximumWaitingRuns?: number };
}

export interface RecurrenceTrigger extends Common {
  readonly type: 'Recurrence';
  /** Checked and read by the schedule module (`parseRecurrence`), ready for `firstRecurrence`. */
  readonly recurrence: Recurrence;
  readonly conditions: readonly unknown[];
  readonly concurrency?: { readonly runs?: number; readonly maximumWaitingRuns?: number };
}

export type Trigger = RequestTrigger | RecurrenceTrigger;

interface ActionCommon extends Common {
  readonly runAfter: readonly RunAfterEntry[];
  /** `limit.timeout`. */
  readonly timeout?: Duration;
}

export interface HttpAction extends ActionCommon {
  readonly type: 'Http';
  readonly inputs: {
    /** Upper case when written literally; an expression is kept as written. */
    readonly method: string;
    readonly uri: string;
    readonly headers?: unknown;
    readonly queries?: unknown;
    readonly body?: unknown;
    readonly cookie?: unknown;
    readonly authentication?: ManagedIdentityAuthentication;
    /** Always present: absent or `default` in the definition is the default policy. */
    readonly retryPolicy: RetryPolicy;
  };
}

export interface ComposeAction extends ActionCommon {
  readonly type: 'Compose';
  readonly inputs: unknown;
}

export interface ParseJsonAction extends ActionCommon {
  readonly type: 'ParseJson';
  readonly inputs: { readonly content: unknown; readonly schema: unknown };
}

export interface InitializeVariableAction extends ActionCommon {
  readonly type: 'InitializeVariable';
  readonly inputs: { readonly name: string; readonly type: VariableType; readonly value?: unknown };
}

export interface SetVariableAction extends ActionCommon {
  readonly type: 'SetVariable';
  readonly inputs: { readonly name: string; readonly value: unknown };
}

export interface IncrementVariableAction extends ActionCommon {
  readonly type: 'IncrementVariable';
  readonly inputs: { readonly name: string; readonly value?: unknown };
}

export interface AppendToArrayVariableAction extends ActionCommon {
  readonly type: 'AppendToArrayVariable';
  readonly inputs: { readonly name: string; readonly value: unknown };
}

export interface IfAction extends ActionCommon {
  readonly type: 'If';
  /** An `@` expression, or the designer's `{ and: [...] }` / `{ equals: [a, b] }` object, as written. */
  readonly expression: unknown;
  readonly actions: readonly Action[];
  readonly else: readonly Action[];
}

export interface ScopeAction extends ActionCommon {
  readonly type: 'Scope';
  readonly actions: readonly Action[];
}

export interface ForeachAction extends ActionCommon {
  readonly type: 'Foreach';
  readonly foreach: unknown;
  readonly actions: readonly Action[];
  /** Iterations at once: 1 with `Sequential`, else `runtimeConfiguration.concurrency.repetitions`, else 20. */
  readonly concurrency: number;
}

export interface ResponseAction extends ActionCommon {
  readonly type: 'Response';
  readonly inputs: {
    /** 200 when absent; an expression is kept as written. */
    readonly statusCode: number | string;
    readonly headers?: unknown;
    readonly body?: unknown;
    readonly schema?: unknown;
  };
}

export interface TerminateAction extends ActionCommon {
  readonly type: 'Terminate';
  readonly inputs: {
    readonly runStatus: TerminateStatus;
    readonly runError?: { readonly code?: string; readonly message?: string };
  };
}

export type Action =
  | HttpAction
  | ComposeAction
  | ParseJsonAction
  | InitializeVariableAction
  | SetVariableAction
  | IncrementVariableAction
  | AppendToArrayVariableAction
  | IfAction
  | ScopeAction
  | ForeachAction
  | ResponseAction
  | TerminateAction;

export type ContainerAction = IfAction | ScopeAction | ForeachAction;

export interface WorkflowParameter {
  readonly name: string;
  readonly type: ParameterType;
  /** The value given with the workflow (`{ "value": … }`), else the declaration's `defaultValue`. */
  readonly value: unknown;
  /** `securestring` and `secureobject`: never shown in run history or returned by a read. */
  readonly secure: boolean;
  readonly allowedValues?: readonly unknown[];
}

export interface WorkflowOutput {
  readonly name: string;
  readonly type: ParameterType;
  readonly value: unknown;
}

export interface WorkflowDefinition {
  readonly schema: string;
  readonly contentVersion: string;
  readonly parameters: readonly WorkflowParameter[];
  readonly triggers: readonly Trigger[];
  readonly actions: readonly Action[];
  readonly outputs: readonly WorkflowOutput[];
}

/** The export forms the loader reads (docs/flows.md). */
export const EXPORT_FORMS = [
  'definition',
  'code-view',
  'arm-template',
  'arm-resource',
  'standard',
  'power-automate-package',
  'power-automate-solution',
] as const;
export type ExportForm = (typeof EXPORT_FORMS)[number];

/** The `identity` block of a `Microsoft.Logic/workflows` resource, when the export carries one. */
export interface WorkflowIdentity {
  readonly systemAssigned: boolean;
  /** ARM resource ids as written. */
  readonly userAssigned: readonly string[];
}

export interface LoadedWorkflow {
  readonly form: ExportForm;
  /** The resource's name or the flow's display name, when the export says. */
  readonly name?: string;
  /** Logic Apps Standard: `Stateful` or `Stateless`. */
  readonly kind?: 'Stateful' | 'Stateless';
  /** `properties.state` of a resource (`Enabled`, `Disabled`). */
  readonly state?: string;
  readonly identity?: WorkflowIdentity;
  readonly definition: WorkflowDefinition;
}
