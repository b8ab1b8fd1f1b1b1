import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failure, run, sample } from './helpers.ts';

test("utcNow: the context's clock, in format o by default", () => {
  assert.equal(run('@utcNow()'), '2018-04-15T13:00:00.0000000Z');
  assert.equal(run("@utcNow('D')"), 'Sunday, April 15, 2018');
  assert.equal(run("@utcNow('yyyy-MM-dd')"), '2018-04-15');
  const ctx = sample({ now: () => Date.UTC(2024, 1, 29, 23, 59, 58, 123) });
  assert.equal(run('@utcNow()', ctx), '2024-02-29T23:59:58.1230000Z');
  assert.equal(run("@utcNow('')", ctx), '2024-02-29T23:59:58.1230000Z', '"" is the default');
});

test("addSeconds, addMinutes, addHours, addDays: Azure's examples", () => {
  assert.equal(run("@addSeconds('2018-03-15T00:00:00Z', 10)"), '2018-03-15T00:00:10.0000000Z');
  assert.equal(run("@addSeconds('2018-03-15T00:00:30Z', -5)"), '2018-03-15T00:00:25.0000000Z');
  assert.equal(run("@addMinutes('2018-03-15T00:10:00Z', 10)"), '2018-03-15T00:20:00.0000000Z');
  assert.equal(run("@addMinutes('2018-03-15T00:20:00Z', -5)"), '2018-03-15T00:15:00.0000000Z');
  assert.equal(run("@addHours('2018-03-15T00:00:00Z', 10)"), '2018-03-15T10:00:00.0000000Z');
  assert.equal(run("@addHours('2018-03-15T15:00:00Z', -5)"), '2018-03-15T10:00:00.0000000Z');
  assert.equal(run("@addDays('2018-03-15T00:00:00Z', 10)"), '2018-03-25T00:00:00.0000000Z');
  assert.equal(run("@addDays('2018-03-15T00:00:00Z', -5)"), '2018-03-10T00:00:00.0000000Z');
});

test('adding keeps the seven fractional digits and the zone (or its absence)', () => {
  assert.equal(run("@addSeconds('2018-03-15T00:00:00.1234567Z', 1)"), '2018-03-15T00:00:01.1234567Z');
  assert.equal(run("@addDays('2018-03-15T08:00:00', 1)"), '2018-03-16T08:00:00.0000000');
  assert.equal(
    run("@addHours('2018-03-15T08:00:00+02:00', 1)"),
    '2018-03-15T07:00:00.0000000Z',
    'offsets become UTC',
  );
  assert.equal(run("@addDays('2018-03-15T00:00:00Z', 1, 'yyyy-MM-dd')"), '2018-03-16');
  assert.equal(run("@addDays('2024-02-28', 1, 'D')"), 'Thursday, February 29, 2024');
});

test("formatDateTime: Azure's example, the default, and the formats that matter", () => {
  assert.equal(run("@formatDateTime('03/15/2018 12:00:00', 'yyyy-MM-ddTHH:mm:ss')"), '2018-03-15T12:00:00');
  const t = "'2018-03-05T13:07:09.0123456Z'";
  const cases: [string, string][] = [
    ['', '2018-03-05T13:07:09.0123456Z'],
    ['o', '2018-03-05T13:07:09.0123456Z'],
    ['O', '2018-03-05T13:07:09.0123456Z'],
    ['s', '2018-03-05T13:07:09'],
    ['u', '2018-03-05 13:07:09Z'],
    ['r', 'Mon, 05 Mar 2018 13:07:09 GMT'],
    ['R', 'Mon, 05 Mar 2018 13:07:09 GMT'],
    ['D', 'Monday, March 5, 2018'],
    ['d', '3/5/2018'],
    ['t', '1:07 PM'],
    ['T', '1:07:09 PM'],
    ['f', 'Monday, March 5, 2018 1:07 PM'],
    ['F', 'Monday, March 5, 2018 1:07:09 PM'],
    ['g', '3/5/2018 1:07 PM'],
    ['G', '3/5/2018 1:07:09 PM'],
    ['M', 'March 5'],
    ['Y', 'March 2018'],
    ['yyyy-MM-dd', '2018-03-05'],
    ['HH:mm:ss', '13:07:09'],
    ['yyyyMMddHHmmss', '20180305130709'],
    ['dd/MM/yyyy', '05/03/2018'],
    ['d/M/yy', '5/3/18'],
    ['hh:mm tt', '01:07 PM'],
    ['h:m:s t', '1:7:9 P'],
    ['ddd, MMM d', 'Mon, Mar 5'],
    ['dddd MMMM', 'Monday March'],
    ['HH:mm:ss.fff', '13:07:09.012'],
    ['HH:mm:ss.fffffff', '13:07:09.0123456'],
    ['ss.FFFFFFF', '09.0123456'],
    ['yyyy-MM-ddTHH:mm:ssK', '2018-03-05T13:07:09Z'],
    ['yyyy-MM-ddTHH:mm:sszzz', '2018-03-05T13:07:09+00:00'],
    ["'Day' d 'of' MMMM", 'Day 5 of March'],
    ['"at" HH\\h', 'at 13h'],
    ['%d', '5'],
    ['yyyy/MM/dd', '2018/03/05'],
  ];
  for (const [format, expected] of cases) {
    assert.equal(run(`@formatDateTime(${t}, '${format.replaceAll("'", "''")}')`), expected, format);
  }
  assert.equal(
    run("@formatDateTime('2018-03-05T13:07:09Z', 'HH:mm:ss.FFF')"),
    '13:07:09',
    '.F drops the point',
  );
  assert.equal(run("@formatDateTime('2018-03-05T00:07:09Z', 'h tt')"), '12 AM');
  assert.equal(run("@formatDateTime('2018-03-05T13:07:09')"), '2018-03-05T13:07:09.0000000', 'no zone, no Z');
  assert.equal(run("@formatDateTime('2018-03-05')"), '2018-03-05T00:00:00.0000000');
  assert.equal(run("@formatDateTime('3/5/2018 1:07 PM')"), '2018-03-05T13:07:00.0000000');
});

test("a timestamp that is not one fails with Azure's message", () => {
  assert.equal(
    failure("@addMinutes('', 5)"),
    "In function 'addMinutes', the value provided for date time string '' was not valid. The datetime string must match ISO 8601 format.",
  );
  for (const bad of [
    '2018-02-30T00:00:00Z',
    '2018-13-01',
    'yesterday',
    '2018-03-15T25:00:00Z',
    '13/40/2018',
  ]) {
    assert.match(
      failure(`@formatDateTime('${bad}')`),
      /In function 'formatDateTime', the value provided/,
      bad,
    );
  }
  assert.match(failure('@formatDateTime(5)'), /'formatDateTime' expects its first parameter to be a string/);
});

test('a computed format Lanyard does not support fails the action, naming the format and why', () => {
  const ctx = sample({ variables: { fmt: 'yyyy g' } });
  assert.equal(
    failure("@formatDateTime('2018-03-05T13:07:09Z', variables('fmt'))", ctx),
    "The template language function 'formatDateTime' was given the date and time format 'yyyy g', which Lanyard does not support: the era specifier 'g' is not supported.",
  );
  const single = sample({ variables: { fmt: 'x' } });
  assert.match(failure("@utcNow(variables('fmt'))", single), /'x' is not a standard date and time format/);
  const eight = sample({ variables: { fmt: 'ffffffff' } });
  assert.match(failure("@utcNow(variables('fmt'))", eight), /more than seven fractional digits/);
  const open = sample({ variables: { fmt: "'abc" } });
  assert.match(
    failure("@utcNow(variables('fmt'))", open),
    /quoted text starting at character 0 is not closed/,
  );
});

test('amounts must be integers; results stay within years 1 to 9999', () => {
  assert.match(
    failure("@addDays('2018-03-15T00:00:00Z', 1.5)"),
    /'addDays' expects its second parameter to be an integer/,
  );
  assert.match(
    failure("@addDays('9999-12-31T00:00:00Z', 1)"),
    /'addDays' produced a timestamp outside the years 1 to 9999/,
  );
  assert.equal(run("@addDays('0001-01-02T00:00:00Z', -1)"), '0001-01-01T00:00:00.0000000Z');
});
