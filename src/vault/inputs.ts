/**
 * @module vault/inputs
 * The bounds Key Vault puts on what a caller sends, checked before anything is stored: secret names, version
 * ids, values, content types, tags, attributes and a vault's soft-delete settings. A refusal is
 * ERR_VAULT_BAD_PARAMETER (Key Vault's `BadParameter`) naming the field, or ERR_VAULT_VALUE_TOO_LARGE.
 */
import { LanyardError } from '../errors/lanyard-error.ts';

export const NAME_MAX = 127;
export const VALUE_MAX_BYTES = 25 * 1024;
export const CONTENT_TYPE_MAX = 255;
export const TAGS_MAX = 15;
export const TAG_TEXT_MAX = 256;
export const RETENTION_MIN_DAYS = 7;
export const RETENTION_MAX_DAYS = 90;
/** 9999-12-31T23:59:59Z: later instants are not dates any client can show. */
const EPOCH_MAX = 253_402_300_799;

const NAME = /^[0-9a-zA-Z-]+$/;
const VERSION = /^[0-9a-f]{32}$/;

export function badParameter(field: string, message: string): LanyardError {
  return new LanyardError('ERR_VAULT_BAD_PARAMETER', message, { details: { field } });
}

/** A secret name as given; refused unless 1–127 letters, digits and `-`. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > NAME_MAX || !NAME.test(name)) {
    throw badParameter(
      'name',
      `The secret name must be 1-${NAME_MAX} characters, each a letter, a digit or "-".`,
    );
  }
  return name;
}

/** A version id lower-cased, or undefined when it cannot be one (which no stored version can match). */
export function versionKey(version: string): string | undefined {
  const v = version.toLowerCase();
  return VERSION.test(v) ? v : undefined;
}

export function checkValue(value: unknown): string {
  if (typeof value !== 'string') throw badParameter('value', 'The secret value must be a string.');
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > VALUE_MAX_BYTES) {
    throw new LanyardError(
      'ERR_VAULT_VALUE_TOO_LARGE',
      `The secret value is ${bytes} bytes; a secret value may hold at most ${VALUE_MAX_BYTES} bytes.`,
      { details: { field: 'value', bytes, max: VALUE_MAX_BYTES } },
    );
  }
  return value;
}

export function checkContentType(contentType: unknown): string | null {
  if (contentType === null || contentType === undefined) return null;
  if (typeof contentType !== 'string' || contentType.length > CONTENT_TYPE_MAX) {
    throw badParameter(
      'contentType',
      `The content type must be a string of at most ${CONTENT_TYPE_MAX} characters.`,
    );
  }
  return contentType;
}

export function checkTags(tags: unknown): Record<string, string> {
  if (tags === null || tags === undefined) return {};
  if (typeof tags !== 'object' || Array.isArray(tags)) {
    throw badParameter('tags', 'Tags must be an object of tag name to string value.');
  }
  const entries = Object.entries(tags);
  if (entries.length > TAGS_MAX) {
    throw badParameter('tags', `A secret may carry at most ${TAGS_MAX} tags, not ${entries.length}.`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > TAG_TEXT_MAX || typeof v !== 'string' || v.length > TAG_TEXT_MAX) {
      throw badParameter(
        'tags',
        `Tag "${k.slice(0, 40)}": names must be 1-${TAG_TEXT_MAX} characters and values strings of at most ${TAG_TEXT_MAX}.`,
      );
    }
    out[k] = v;
  }
  return out;
}

/** An epoch-seconds instant (`nbf`, `exp`), or null to clear it. */
export function checkInstant(field: 'nbf' | 'exp', value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > EPOCH_MAX) {
    throw badParameter(field, `"${field}" must be a whole number of seconds since 1970-01-01T00:00:00Z.`);
  }
  return value;
}

export function checkEnabled(value: unknown): boolean {
  if (typeof value !== 'boolean') throw badParameter('enabled', '"enabled" must be true or false.');
  return value;
}

export function checkRetentionDays(days: unknown): number {
  if (
    typeof days !== 'number' ||
    !Number.isInteger(days) ||
    days < RETENTION_MIN_DAYS ||
    days > RETENTION_MAX_DAYS
  ) {
    throw badParameter(
      'retentionDays',
      `The soft-delete retention must be a whole number of days from ${RETENTION_MIN_DAYS} to ${RETENTION_MAX_DAYS}.`,
    );
  }
  return days;
}
