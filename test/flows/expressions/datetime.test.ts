import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatProblem, formatTimestamp, parseTimestamp } from '../../../src/flows/expressions/datetime.ts';

const iso = (text: string) => {
  const t = parseTimestamp(text);
  return t === undefined ? undefined : formatTimestamp(t, 'o');
};

test('ISO 8601 with and without a zone, with up to seven fractional digits kept', () => {
  assert.equal(iso('2018-03-15T13:00:00Z'), '2018-03-15T13:00:00.0000000Z');
  assert.equal(iso('2018-03-15T13:00:00.1Z'), '2018-03-15T13:00:00.1000000Z');
  assert.equal(iso('2018-03-15T13:00:00.1234567Z'), '2018-03-15T13:00:00.1234567Z');
  assert.equal(
    iso('2018-03-15T13:00:00.123456789Z'),
    '2018-03-15T13:00:00.1234567Z',
    'digits past the seventh dropped',
  );
  assert.equal(iso('2018-03-15t13:00z'), '2018-03-15T13:00:00.0000000Z');
  assert.equal(iso('2018-03-15 13:00:00'), '2018-03-15T13:00:00.0000000');
  assert.equal(iso('2018-03-15'), '2018-03-15T00:00:00.0000000');
  assert.equal(iso(' 2018-03-15T13:00:00Z '), '2018-03-15T13:00:00.0000000Z');
});

test('an offset is converted to UTC', () => {
  assert.equal(iso('2018-03-15T13:00:00+02:00'), '2018-03-15T11:00:00.0000000Z');
  assert.equal(iso('2018-03-15T01:00:00-0530'), '2018-03-15T06:30:00.0000000Z');
  assert.equal(iso('2018-03-01T00:30:00+01:00'), '2018-02-28T23:30:00.0000000Z');
  assert.equal(iso('2018-03-15T13:00:00+15:00'), undefined);
});

test("the invariant culture's month/day/year form, with AM and PM", () => {
  assert.equal(iso('03/15/2018 12:00:00'), '2018-03-15T12:00:00.0000000');
  assert.equal(iso('3/5/2018'), '2018-03-05T00:00:00.0000000');
  assert.equal(iso('3/5/2018 12:00 AM'), '2018-03-05T00:00:00.0000000');
  assert.equal(iso('3/5/2018 12:30:15 pm'), '2018-03-05T12:30:15.0000000');
  assert.equal(iso('3/5/2018 1:07 PM'), '2018-03-05T13:07:00.0000000');
  assert.equal(iso('3/5/2018 13:07 PM'), undefined);
});

test('impossible dates and times are not timestamps', () => {
  for (const text of [
    '2018-02-29',
    '2018-04-31T00:00:00Z',
    '2018-00-10',
    '2018-03-15T24:00:00Z',
    '2018-03-15T23:60:00Z',
    '0000-01-01',
    '2018-3-15',
    '',
    'now',
    '1521072000',
  ]) {
    assert.equal(parseTimestamp(text), undefined, text);
  }
  assert.equal(iso('2024-02-29'), '2024-02-29T00:00:00.0000000');
  assert.equal(iso('9999-12-31T23:59:59.9999999Z'), '9999-12-31T23:59:59.9999999Z');
  assert.equal(iso('0001-01-01T00:00:00Z'), '0001-01-01T00:00:00.0000000Z');
});

test('formatProblem says why a format cannot be used, and nothing for one that can', () => {
  assert.equal(formatProblem('o'), undefined);
  assert.equal(formatProblem('yyyy-MM-dd'), undefined);
  assert.equal(formatProblem("'literal only'"), undefined);
  assert.equal(formatProblem('q'), "'q' is not a standard date and time format");
  assert.equal(
    formatProblem('h'),
    "'h' is not a standard date and time format",
    'one letter is always a standard format',
  );
  assert.equal(formatProblem('yyyy gg'), "the era specifier 'g' is not supported");
  assert.equal(formatProblem('ss.ffffffff'), "'ffffffff' has more than seven fractional digits");
  assert.equal(formatProblem('yyyy\\'), 'it ends with a lone backslash');
  assert.equal(formatProblem('%'), "'%' is not a standard date and time format");
  assert.equal(formatProblem('%%d'), "'%' must be followed by a format specifier");
});

test('years are padded as .NET pads them', () => {
  const t = parseTimestamp('0042-07-04T05:06:07Z')!;
  assert.equal(formatTimestamp(t, 'yyyy'), '0042');
  assert.equal(formatTimestamp(t, 'yy'), '42');
  assert.equal(formatTimestamp(t, '%y'), '42');
  assert.equal(formatTimestamp(t, 'yyyyy'), '00042');
  assert.equal(formatTimestamp(parseTimestamp('2009-07-04')!, '%y'), '9');
});
