/**
 * @module flows/workflows/engine/run-record
 * What of a run is stored: each record's inputs and outputs left out where `secureData` hides them, cut to a
 * cap, and every string masked (flows/masking.ts) — access tokens anywhere, the tokens the run's Http actions
 * sent, secure parameters, and every text found in a secured input or output, so a value a secured action
 * produced stays hidden where a later action uses it (Logic Apps hides such downstream inputs too).
 */
import { Masker, MIN_MASKED_LENGTH } from '../../masking.ts';
import type { Contents } from '../records.ts';

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
