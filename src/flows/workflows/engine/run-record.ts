/**
 * @module flows/workflows/engine/run-record
 * What of a run is stored: each record's inputs and outputs left out where `secureData` hides them, cut to a
 * cap, and every string masked (flows/masking.ts) — access tokens anywhere, the tokens the run's Http actions
 * sent, secure parameters, and every text found in a secured input or output, so a value a secured action
 * produced stays hidden where a later action uses it (Logic Apps hides such downstream inputs too).
 */
import { Masker, MIN_MASKED_LENGTH } from '../../masking.ts';
import type { ActionRecord, Contents, RunRecord, TriggerRecord } from '../records.ts';

/** Inputs or outputs longer than this (as JSON) are kept cut. */
export const DEFAULT_MAX_CONTENT_BYTES = 64 * 1024;

/** Every string inside `value` long enough to mask. */
export function textsOf(value: unknown, into: Set<string>, depth = 0): void {
  if (depth > 128) return;
  if (typeof value === 'string') {
    if (value.length >= MIN_MASKED_LENGTH) into.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) textsOf(v, into, depth + 1);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) textsOf(v, into, depth + 1);
  }
}

function capped(value: unknown, maxBytes: number): { value: unknown; cut: boolean } {
  const text = JSON.stringify(value) ?? 'null';
  if (Buffer.byteLength(text) <= maxBytes) return { value, cut: false };
  return {
    value: {
      $truncated: true,
      size: Buffer.byteLength(text),
      preview: text.slice(0, Math.min(1024, maxBytes)),
    },
    cut: true,
  };
}

export interface ContentParts {
  inputs?: unknown;
  outputs?: unknown;
  secureInputs: boolean;
  secureOutputs: boolean;
}

/** The stored form of a record's contents (before masking). */
export function storedContents(parts: ContentParts, maxBytes: number): Contents {
  const secured: ('inputs' | 'outputs')[] = [];
  const truncated: ('inputs' | 'outputs')[] = [];
  const out: { inputs?: unknown; outputs?: unknown } = {};
  for (const key of ['inputs', 'outputs'] as const) {
    const value = parts[key];
    if (value === undefined) continue;
    if (key === 'inputs' ? parts.secureInputs : parts.secureOutputs) {
      secured.push(key);
      continue;
    }
    const c = capped(value, maxBytes);
    if (c.cut) truncated.push(key);
    out[key] = c.value;
  }
  return {
    ...out,
    ...(secured.length > 0 ? { secured } : {}),
    ...(truncated.length > 0 ? { truncated } : {}),
  };
}

export function runMasker(secrets: Iterable<string>): Masker {
  return new Masker([...secrets]);
}

/** A record's own fields of `keys`, as they are (absent ones stay absent). */
function own<T extends object>(record: T, keys: readonly (keyof T)[]): Partial<T> {
  const out: Partial<T> = {};
  for (const k of keys) if (record[k] !== undefined) out[k] = record[k];
  return out;
}

const RUN_OWN = [
  'name',
  'tenantId',
  'resourceId',
  'workflow',
  'version',
  'status',
  'code',
  'startTime',
  'endTime',
] as const;
const TRIGGER_OWN = [
  'name',
  'type',
  'status',
  'code',
  'startTime',
  'endTime',
  'scheduledTime',
  'secured',
  'truncated',
] as const;
const ACTION_OWN = [
  'name',
  'type',
  'path',
  'status',
  'code',
  'startTime',
  'endTime',
  'trackingId',
  'secured',
  'truncated',
] as const;

/**
 * The record as stored: every text masked but the engine's own fields — which tenant, workflow and run it is,
 * names, types, statuses, codes and times. A secured output may hold the same text (seed 004's Get-Creds
 * answers with the tenant id): it stays hidden in contents, and the run stays its tenant's.
 */
export function maskRecord(masker: Masker, record: RunRecord): RunRecord {
  const masked = masker.json(record) as RunRecord;
  return {
    ...masked,
    ...own<RunRecord>(record, RUN_OWN),
    trigger: { ...masked.trigger, ...own<TriggerRecord>(record.trigger, TRIGGER_OWN) },
    actions: masked.actions.map((a, i) => ({ ...a, ...own<ActionRecord>(record.actions[i]!, ACTION_OWN) })),
  };
}
