/**
 * @module test/flows/schedule/time-zones
 * Windows time-zone ids mapped to IANA zones the runtime knows, the two ways a zone is accepted (Recurrence:
 * Windows only; timers: Windows or IANA), and wall-clock arithmetic across daylight-saving changes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalWindowsId,
  isIanaZone,
  timerTimeZone,
  WINDOWS_TIME_ZONES,
  windowsTimeZone,
} from '../../../src/flows/schedule/time-zones.ts';
import { gapInstant, instantsAt, offsetMs, wallMs } from '../../../src/flows/schedule/wall-clock.ts';
import { refused } from './helpers.ts';

const BERLIN = 'Europe/Berlin';
const wall = (text: string) => Date.parse(`${text}Z`);

describe('Windows time-zone ids', () => {
  it('map every id in the table to a zone the runtime knows', () => {
    assert.ok(WINDOWS_TIME_ZONES.size > 130);
    for (const [windows, iana] of WINDOWS_TIME_ZONES) {
      assert.ok(isIanaZone(iana), `${windows} → ${iana}`);
    }
  });

  it('map the common ones as CLDR does', () => {
    assert.equal(WINDOWS_TIME_ZONES.get('Pacific Standard Time'), 'America/Los_Angeles');
    assert.equal(WINDOWS_TIME_ZONES.get('W. Europe Standard Time'), 'Europe/Berlin');
    assert.equal(WINDOWS_TIME_ZONES.get('Eastern Standard Time'), 'America/New_York');
    assert.equal(WINDOWS_TIME_ZONES.get('GMT Standard Time'), 'Europe/London');
    assert.equal(WINDOWS_TIME_ZONES.get('Tokyo Standard Time'), 'Asia/Tokyo');
    assert.equal(WINDOWS_TIME_ZONES.get('India Standard Time'), 'Asia/Kolkata');
    assert.equal(WINDOWS_TIME_ZONES.get('UTC'), 'UTC');
  });

  it('match without regard to case and come back in their canonical spelling', () => {
    assert.equal(canonicalWindowsId('w. europe standard time'), 'W. Europe Standard Time');
    assert.deepEqual(windowsTimeZone('PACIFIC STANDARD TIME', 'recurrence.timeZone'), {
      id: 'Pacific Standard Time',
      iana: 'America/Los_Angeles',
    });
  });

  it('refuse an unknown id, naming the field', () => {
    // Azure answers 400 to "W Europe Standard Time" (no full stop).
    const error = refused(
      () => windowsTimeZone('W Europe Standard Time', 'recurrence.timeZone'),
      'recurrence.timeZone',
    );
    assert.match(error.message, /W Europe Standard Time/);
    refused(() => windowsTimeZone(42, 'recurrence.timeZone'), 'recurrence.timeZone');
  });

  it('refuse an IANA name where Azure wants a Windows id, and say which id to write', () => {
    const error = refused(
      () => windowsTimeZone('Europe/Berlin', 'recurrence.timeZone'),
      'recurrence.timeZone',
    );
    assert.match(error.hint!, /"W\. Europe Standard Time"/);
  });
});

describe('a timer time zone (WEBSITE_TIME_ZONE)', () => {
  it('is UTC when not set', () => {
    assert.deepEqual(timerTimeZone(undefined, 'WEBSITE_TIME_ZONE'), { id: 'UTC', iana: 'UTC' });
    assert.deepEqual(timerTimeZone('', 'WEBSITE_TIME_ZONE'), { id: 'UTC', iana: 'UTC' });
  });

  it('takes a Windows id or an IANA name', () => {
    assert.equal(timerTimeZone('Eastern Standard Time', 'WEBSITE_TIME_ZONE').iana, 'America/New_York');
    assert.equal(timerTimeZone('Australia/Perth', 'WEBSITE_TIME_ZONE').iana, 'Australia/Perth');
  });

  it('refuses offsets and unknown names', () => {
    refused(() => timerTimeZone('+01:00', 'WEBSITE_TIME_ZONE'), 'WEBSITE_TIME_ZONE');
    refused(() => timerTimeZone('Mars/Olympus_Mons', 'WEBSITE_TIME_ZONE'), 'WEBSITE_TIME_ZONE');
  });
});

describe('wall-clock arithmetic', () => {
  it('reads an instant on the zone wall clock', () => {
    assert.equal(wallMs(Date.parse('2024-01-15T08:00:00Z'), BERLIN), wall('2024-01-15T09:00:00'));
    assert.equal(wallMs(Date.parse('2024-07-15T08:00:00.250Z'), BERLIN), wall('2024-07-15T10:00:00.250'));
    assert.equal(offsetMs(Date.parse('2024-07-15T08:00:00Z'), BERLIN), 2 * 3_600_000);
  });

  it('finds no instant for a wall time clocks skip (last Sunday of March), and runs it an hour later', () => {
    assert.deepEqual(instantsAt(wall('2024-03-31T02:30:00'), BERLIN), []);
    assert.equal(
      new Date(gapInstant(wall('2024-03-31T02:30:00'), BERLIN)).toISOString(),
      '2024-03-31T01:30:00.000Z',
    );
  });

  it('finds two instants for a wall time clocks repeat (last Sunday of October)', () => {
    assert.deepEqual(
      instantsAt(wall('2024-10-27T02:30:00'), BERLIN).map((t) => new Date(t).toISOString()),
      ['2024-10-27T00:30:00.000Z', '2024-10-27T01:30:00.000Z'],
    );
    assert.deepEqual(
      instantsAt(wall('2024-10-27T03:30:00'), BERLIN).map((t) => new Date(t).toISOString()),
      ['2024-10-27T02:30:00.000Z'],
    );
  });
});
