/**
 * @module flows/definition/duration
 * ISO 8601 durations as workflow definitions write them (`PT30S`, `P1DT2H`, `PT7.5S`): retry intervals and
 * `limit.timeout`. Azure reads them with .NET's XmlConvert, which counts a year as 365 days and a month as 30,
 * so a duration here is a length of time, not a calendar step.
 */
import type { Duration } from './types.ts';

const PATTERN =
  /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const UNITS = [365 * DAY, 30 * DAY, 7 * DAY, DAY, HOUR, MINUTE, SECOND] as const;

/** The length in milliseconds, or undefined when `text` is not an ISO 8601 duration with at least one part. */
export function durationMs(text: string): number | undefined {
  if (text.length > 64) return undefined;
  const m = PATTERN.exec(text);
  if (!m || text.endsWith('T')) return undefined;
  let ms = 0;
  let parts = 0;
  for (let i = 0; i < UNITS.length; i++) {
    const part = m[i + 1];
    if (part === undefined) continue;
    parts++;
    ms += Number(part) * UNITS[i]!;
  }
  if (parts === 0 || !Number.isFinite(ms)) return undefined;
  return Math.round(ms);
}

export function parseDuration(text: string): Duration | undefined {
  const ms = durationMs(text);
  return ms === undefined ? undefined : { text, ms };
}
