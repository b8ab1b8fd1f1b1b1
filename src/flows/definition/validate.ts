/**
 * @module flows/definition/validate
 * The rules across a normalized definition that no single action's shape shows: `runAfter` within each
 * container (a sibling, never itself, no cycle), where actions may stand (variables initialized at the top
 * level, no Response without a Request trigger or inside a Foreach), variables used as their type allows,
 * the user-assigned identities Http actions name, and, given a lister from the expression module, what
 * expressions refer to. The rule for action references (docs/flows.md): an expression may read an action that
 * has surely finished when it is evaluated — a runAfter ancestor of the action (or of a container around it),
 * or anything inside such an ancestor.
 */
import { invalid } from './problems.ts';
import type {
  Action,
  ContainerAction,
  Trigger,
  VariableType,
  WorkflowDefinition,
  WorkflowIdentity,
} from './types.ts';

/** What an expression value refers to by name; the expression module provides the lister. */
export interface References {
  /** Actions whose run records it reads (`actions()`, `body()`, `outputs()`, `result()`, …). */
  readonly actions: readonly string[];
  readonly variables: readonly string[];
  readonly parameters: readonly string[];
}

/** Lists the names a JSON value's expressions refer to; `path` is where the value sits, for its messages. */
export type ReferenceLister = (value: unknown, path: string) => References;

export interface ValidateOptions {
  /** When given, every expression-bearing value is checked against the actions, variables and parameters. */
  readonly references?: ReferenceLister | undefined;
  /** The workflow resource's identities, when the export carries them: Http actions must name one of them. */
  readonly identity?: WorkflowIdentity | undefined;
}

interface Placed {
  readonly action: Action;
  /** Enclosing container actions, innermost first. */
  readonly enclosing: readonly ContainerAction[];
  readonly siblings: readonly Action[];
  /** Path of the container it is in (`actions`, `actions.Check.else.actions`). */
  readonly container: string;
}

export function childContainers(action: Action): { path: string; actions: readonly Action[] }[] {
  switch (action.type) {
    case 'If':
      return [
        { path: `${action.path}.actions`, actions: action.actions },
        { path: `${action.path}.else.actions`, actions: action.else },
      ];
    case 'Scope':
    case 'Foreach':
      return [{ path: `${action.path}.actions`, actions: action.actions }];
    default:
      return [];
  }
}

function isContainer(action: Action): action is ContainerAction {
  return action.type === 'If' || action.type === 'Scope' || action.type === 'Foreach';
}

/** Every action of the workflow with where it stands, in document order. */
export function placeActions(definition: WorkflowDefinition): Map<string, Placed> {
  const placed = new Map<string, Placed>();
  const walk = (actions: readonly Action[], container: string, enclosing: readonly ContainerAction[]) => {
    for (const action of actions) {
      placed.set(action.name, { action, enclosing, siblings: actions, container });
      if (isContainer(action)) {
        for (const child of childContainers(action)) walk(child.actions, child.path, [action, ...enclosing]);
      }
    }
  };
  walk(definition.actions, 'actions', []);
  return placed;
}

function checkRunAfter(container: string, actions: readonly Action[], placed: Map<string, Placed>): void {
  const byName = new Map(actions.map((a) => [a.name, a]));
  for (const action of actions) {
    for (const { action: before } of action.runAfter) {
      const at = `${action.path}.runAfter`;
      if (before === action.name)
        throw invalid(
          at,
          'cycle',
          `'${action.name}' runs after itself (cycle: ${action.name} → ${action.name})`,
        );
      if (byName.has(before)) continue;
      const elsewhere = placed.get(before);
      if (elsewhere !== undefined)
        throw invalid(
          at,
          'run-after',
          `'${before}' is in ${elsewhere.container}, not in ${container}: runAfter names only actions of the same container`,
          { hint: 'Run after the container holding it instead, or move the two actions into one container.' },
        );
      const sameLetters = actions.find((a) => a.name.toLowerCase() === before.toLowerCase());
      throw invalid(
        at,
        'run-after',
        `contains non-existent action '${before}'${sameLetters ? `; did you mean '${sameLetters.name}'? names are case-sensitive` : ''}`,
      );
    }
  }
  // Depth-first, three colours; the stack is the path, so a back edge names the whole cycle.
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (action: Action): void => {
    state.set(action.name, 'open');
    stack.push(action.name);
    for (const { action: before } of action.runAfter) {
      const s = state.get(before);
      if (s === 'open') {
        const cycle = [...stack.slice(stack.indexOf(before)), before];
        // runAfter points backwards in time: print the cycle in running order.
        throw invalid(
          `${byName.get(before)!.path}.runAfter`,
          'cycle',
          `the actions run after each other in a cycle: ${cycle.reverse().join(' → ')}`,
        );
      }
      if (s === undefined) visit(byName.get(before)!);
    }
    stack.pop();
    state.set(action.name, 'done');
  };
  for (const action of actions) if (!state.has(action.name)) visit(action);
}

/** Transitive runAfter predecessors of each action, within its container. */
function ancestorsOf(placed: Map<string, Placed>): Map<string, ReadonlySet<string>> {
  const memo = new Map<string, Set<string>>();
  const get = (action: Action): Set<string> => {
    const known = memo.get(action.name);
    if (known) return known;
    const set = new Set<string>();
    memo.set(action.name, set);
    for (const { action: before } of action.runAfter) {
      set.add(before);
      for (const a of get(placed.get(before)!.action)) set.add(a);
    }
    return set;
  };
  for (const p of placed.values()) get(p.action);
  return memo;
}

interface VariableInfo {
  readonly type: VariableType;
  readonly path: string;
}

function checkPlacement(
  definition: WorkflowDefinition,
  placed: Map<string, Placed>,
  identity: WorkflowIdentity | undefined,
): Map<string, VariableInfo> {
  const variables = new Map<string, VariableInfo>();
  const lower = new Map<string, string>();
  const requestTriggered = definition.triggers.some((t) => t.type === 'Request');
  for (const { action, enclosing } of placed.values()) {
    if (action.type !== 'InitializeVariable') continue;
    if (enclosing.length > 0)
      throw invalid(
        action.path,
        'placement',
        `InitializeVariable stands only at the top level of a workflow, not inside ${enclosing[0]!.type} '${enclosing[0]!.name}'`,
      );
    const name = action.inputs.name;
    const first = lower.get(name.toLowerCase());
    if (first !== undefined)
      throw invalid(action.path, 'variable', `the variable '${name}' is already initialized by ${first}`);
    lower.set(name.toLowerCase(), action.path);
    variables.set(name, { type: action.inputs.type, path: action.path });
  }
  for (const { action, enclosing } of placed.values()) {
    const loop = enclosing.find((e) => e.type === 'Foreach');
    switch (action.type) {
      case 'Response':
        if (!requestTriggered)
          throw invalid(
            action.path,
            'placement',
            'a Response answers a Request trigger; this workflow has none',
          );
        if (loop)
          throw invalid(action.path, 'placement', `a Response cannot stand inside Foreach '${loop.name}'`);
        break;
      case 'Terminate':
        if (loop)
          throw invalid(action.path, 'placement', `a Terminate cannot stand inside Foreach '${loop.name}'`);
        break;
      case 'SetVariable':
      case 'IncrementVariable':
      case 'AppendToArrayVariable': {
        const name = action.inputs.name;
        const v = variables.get(name);
        if (v === undefined)
          throw invalid(
            `${action.path}.inputs.name`,
            'variable',
            `the variable '${name}' is never initialized: no InitializeVariable action declares it`,
          );
        if (action.type === 'IncrementVariable' && v.type !== 'Integer' && v.type !== 'Float')
          throw invalid(
            `${action.path}.inputs.name`,
            'variable',
            `'${name}' is a ${v.type} variable; IncrementVariable works on Integer and Float variables`,
          );
        if (action.type === 'AppendToArrayVariable' && v.type !== 'Array')
          throw invalid(
            `${action.path}.inputs.name`,
            'variable',
            `'${name}' is a ${v.type} variable; AppendToArrayVariable works on Array variables`,
          );
        break;
      }
      case 'Http': {
        const auth = action.inputs.authentication;
        if (auth === undefined || identity === undefined) break;
        const at = `${action.path}.inputs.authentication`;
        if (auth.identity === undefined && !identity.systemAssigned)
          throw invalid(
            at,
            'authentication',
            "the action uses the workflow's system-assigned identity, and the workflow has none (identity.type)",
            {
              hint: 'Name one of its user-assigned identities in "identity", or give the workflow a system-assigned identity.',
            },
          );
        if (auth.identity !== undefined) {
          const wanted = auth.identity.toLowerCase();
          if (!identity.userAssigned.some((id) => id.toLowerCase() === wanted))
            throw invalid(
              `${at}.identity`,
              'authentication',
              `'${auth.identity}' is not among the workflow's user-assigned identities (identity.userAssignedIdentities)`,
            );
        }
        break;
      }
      default:
        break;
    }
  }
  return variables;
}

/** The expression-bearing values of an action, each with the name Azure's messages give it. */
function valuesOf(action: Action): { field: string; value: unknown }[] {
  const out: { field: string; value: unknown }[] = [];
  switch (action.type) {
    case 'If':
      out.push({ field: 'expression', value: action.expression });
      break;
    case 'Foreach':
      out.push({ field: 'foreach', value: action.foreach });
      break;
    case 'Scope':
      break;
    default:
      out.push({ field: 'inputs', value: action.inputs });
  }
  if (action.trackedProperties !== undefined)
    out.push({ field: 'trackedProperties', value: action.trackedProperties });
  return out;
}

function triggerValues(trigger: Trigger): { field: string; value: unknown }[] {
  const out: { field: string; value: unknown }[] = [];
  if (trigger.type === 'Request') out.push({ field: 'inputs', value: trigger.inputs });
  if (trigger.conditions.length > 0) out.push({ field: 'conditions', value: trigger.conditions });
  return out;
}

function checkReferences(
  definition: WorkflowDefinition,
  placed: Map<string, Placed>,
  variables: Map<string, VariableInfo>,
  list: ReferenceLister,
): void {
  const ancestors = ancestorsOf(placed);
  const parameters = new Set(definition.parameters.map((p) => p.name));

  const checkNames = (refs: References, at: string, field: string, reader: string) => {
    for (const p of refs.parameters) {
      if (!parameters.has(p))
        throw invalid(
          at,
          'reference',
          `the workflow parameter '${p}' referenced by ${field} of ${reader} is not declared in the definition's parameters`,
        );
    }
    for (const v of refs.variables) {
      if (!variables.has(v))
        throw invalid(
          at,
          'reference',
          `the variable '${v}' referenced by ${field} of ${reader} is never initialized: no InitializeVariable action declares it`,
        );
    }
  };
  const undefinedAction = (name: string, at: string, field: string, reader: string) => {
    const near = [...placed.keys()].find((n) => n.toLowerCase() === name.toLowerCase());
    return invalid(
      at,
      'reference',
      `the action '${name}' referenced by ${field} of ${reader} is not defined in the workflow${near ? `; did you mean '${near}'? names are case-sensitive` : ''}`,
    );
  };

  for (const { action, enclosing } of placed.values()) {
    const readers = [action, ...enclosing];
    for (const { field, value } of valuesOf(action)) {
      const at = `${action.path}.${field}`;
      const refs = list(value, at);
      checkNames(refs, at, field, `action '${action.name}'`);
      for (const name of refs.actions) {
        const target = placed.get(name);
        if (target === undefined) throw undefinedAction(name, at, field, `action '${action.name}'`);
        // items('Loop') inside the loop reads the loop it is in.
        if (target.action.type === 'Foreach' && enclosing.includes(target.action)) continue;
        const within = new Set([name, ...target.enclosing.map((e) => e.name)]);
        const finished = readers.some((r) => [...ancestors.get(r.name)!].some((b) => within.has(b)));
        if (!finished)
          throw invalid(
            at,
            'reference',
            `the action '${name}' referenced by ${field} of action '${action.name}' is not sure to have run by then: it is neither a runAfter predecessor of '${action.name}' (directly or through others), nor inside one, nor a predecessor of a container around it`,
            {
              hint: `Make '${action.name}' (or a container around it) run after '${name}', or after an action that runs after it.`,
            },
          );
      }
    }
  }
  for (const trigger of definition.triggers) {
    for (const { field, value } of triggerValues(trigger)) {
      const at = `${trigger.path}.${field}`;
      const refs = list(value, at);
      const reader = `trigger '${trigger.name}'`;
      if (refs.actions.length > 0)
        throw invalid(
          at,
          'reference',
          `${reader} reads action '${refs.actions[0]}', but a trigger fires before any action runs`,
        );
      if (refs.variables.length > 0)
        throw invalid(
          at,
          'reference',
          `${reader} reads variable '${refs.variables[0]}', but variables are initialized by actions, after the trigger`,
        );
      checkNames(refs, at, field, reader);
    }
  }
  // Outputs are evaluated when the run ends: any action may be read, if it exists.
  for (const output of definition.outputs) {
    const at = `outputs.${output.name}.value`;
    const refs = list(output.value, at);
    const reader = `output '${output.name}'`;
    checkNames(refs, at, 'value', reader);
    for (const name of refs.actions) {
      if (!placed.has(name)) throw undefinedAction(name, at, 'value', reader);
    }
  }
}

/** Throws ERR_FLOW_DEFINITION at the first rule a normalized definition breaks. */
export function validateDefinition(definition: WorkflowDefinition, options: ValidateOptions = {}): void {
  const placed = placeActions(definition);
  checkRunAfter('actions', definition.actions, placed);
  for (const { action } of placed.values()) {
    for (const child of childContainers(action)) checkRunAfter(child.path, child.actions, placed);
  }
  const variables = checkPlacement(definition, placed, options.identity);
  if (options.references) checkReferences(definition, placed, variables, options.references);
}
