/**
 * EventBridge Scheduler expressions: what is refused (and why), and the next fire time, with the examples of
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html and its daylight saving rules.
 */
import {
  isTimeZone,
  nextFireTime,
  parseScheduleExpression,
  validateScheduleExpression,
} from '../../../lib/triggers/schedule-expression';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('valid expressions', () => {
  it.each([
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(1 hour)',
    'rate(12 hours)',
    'rate(1 day)',
    'rate(7 days)',
    'cron(0 10 * * ? *)',
    'cron(15 12 * * ? *)',
    'cron(0 18 ? * MON-FRI *)',
    'cron(0 8 1 * ? *)',
    'cron(0/15 * * * ? *)',
    'cron(0/10 * ? * MON-FRI *)',
    'cron(0/5 8-17 ? * MON-FRI *)',
    'cron(0 9 ? * 2#1 *)',
    'cron(0 0 L * ? *)',
    'cron(0 0 LW * ? *)',
    'cron(0 0 15W * ? *)',
    'cron(0 0 ? * 6L *)',
    'cron(0 0 ? * L *)',
    'cron(0 0 ? jan,jul sun 2025-2030)',
    'cron(*/5 * * * ? *)',
    'cron(5-30/5 0 * * ? *)',
  ])('%s', (expression) => {
    expect(validateScheduleExpression(expression)).toBeUndefined();
  });
});

describe('invalid expressions, with the reason', () => {
  it.each([
    ['cron(0 10 * * * *)', "Exactly one of day-of-month and day-of-week must be '?'"],
    ['cron(0 10 1 * MON *)', "Exactly one of day-of-month and day-of-week must be '?'"],
    ['cron(0 10 ? * ? *)', "Exactly one of day-of-month and day-of-week must be '?'"],
    ['cron(0 10 * * ?)', 'six fields'],
    ['cron(0 10 * * ? * *)', 'six fields'],
    ['cron(60 10 * * ? *)', 'Minutes field: 60 is out of range (0-59)'],
    ['cron(0 24 * * ? *)', 'Hours field: 24 is out of range (0-23)'],
    ['cron(0 0 32 * ? *)', 'Day-of-month field: 32 is out of range (1-31)'],
    ['cron(0 0 0 * ? *)', 'Day-of-month field: 0 is out of range (1-31)'],
    ['cron(0 0 * 13 ? *)', 'Month field: 13 is out of range (1-12)'],
    ['cron(0 0 ? * 8 *)', 'Day-of-week field: 8 is out of range (1-7)'],
    ['cron(0 0 ? * FUNDAY *)', "Day-of-week field: 'FUNDAY' is not a value"],
    ['cron(0 0 * * ? 2200)', 'Year field: 2200 is out of range (1970-2199)'],
    ['cron(0 0 ? * 3#6 *)', 'must be from 1 to 5'],
    ['cron(0/0 * * * ? *)', 'increment'],
    ['cron(0 ? * * ? *)', '? is only allowed in day-of-month and day-of-week'],
    ['cron(0 0 ? * FRI-MON *)', 'runs backwards'],
    ['cron(0 0 1,L * ? *)', 'stand alone'],
    ['cron(a 0 * * ? *)', "Minutes field: 'a' is not a value"],
    ['rate(0 minutes)', 'positive integer'],
    ['rate(-1 days)', 'rate(value unit)'],
    ['rate(1.5 hours)', 'rate(value unit)'],
    ['rate(1 minutes)', 'singular unit: rate(1 minute)'],
    ['rate(5 minute)', 'plural unit: rate(5 minutes)'],
    ['rate(2 weeks)', "Unknown rate unit 'weeks'"],
    ['rate(5)', 'rate(value unit)'],
    ['every 5 minutes', 'neither rate(value unit) nor cron(fields)'],
    ['at(2025-01-01T00:00:00)', 'neither rate(value unit) nor cron(fields)'],
    ['', 'neither rate(value unit) nor cron(fields)'],
  ])('%s', (expression, reason) => {
    expect(validateScheduleExpression(expression)).toContain(reason);
  });
});

describe('next fire time, UTC', () => {
  it.each([
    ['cron(0 10 * * ? *)', '2024-01-01T00:00:00Z', '2024-01-01T10:00:00.000Z'],
    ['cron(0 10 * * ? *)', '2024-01-01T10:00:00Z', '2024-01-02T10:00:00.000Z'],
    ['cron(15 12 * * ? *)', '2024-01-01T12:14:59Z', '2024-01-01T12:15:00.000Z'],
    // Saturday 6 January 2024: next weekday evening is Monday the 8th.
    ['cron(0 18 ? * MON-FRI *)', '2024-01-06T00:00:00Z', '2024-01-08T18:00:00.000Z'],
    ['cron(0 8 1 * ? *)', '2024-01-01T08:00:00Z', '2024-02-01T08:00:00.000Z'],
    ['cron(0/15 * * * ? *)', '2024-01-01T12:07:00Z', '2024-01-01T12:15:00.000Z'],
    ['cron(0/15 * * * ? *)', '2024-01-01T23:50:00Z', '2024-01-02T00:00:00.000Z'],
    ['cron(5-30/5 0 * * ? *)', '2024-01-01T00:26:00Z', '2024-01-01T00:30:00.000Z'],
    ['cron(5-30/5 0 * * ? *)', '2024-01-01T00:30:00Z', '2024-01-02T00:05:00.000Z'],
    // The last day of a leap February.
    ['cron(0 0 L * ? *)', '2024-02-10T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    // 31 March 2024 is a Sunday: the last weekday is Friday the 29th.
    ['cron(0 0 LW * ? *)', '2024-03-01T00:00:00Z', '2024-03-29T00:00:00.000Z'],
    // 15 June 2024 is a Saturday: the nearest weekday is Friday the 14th.
    ['cron(0 0 15W * ? *)', '2024-06-01T00:00:00Z', '2024-06-14T00:00:00.000Z'],
    // 1 June 2024 is a Saturday: the nearest weekday in the month is Monday the 3rd.
    ['cron(0 0 1W * ? *)', '2024-05-31T00:00:00Z', '2024-06-03T00:00:00.000Z'],
    // 30 June 2024 is a Sunday and the month's last day: Friday the 28th.
    ['cron(0 0 30W * ? *)', '2024-06-01T00:00:00Z', '2024-06-28T00:00:00.000Z'],
    // A month without a 31st has no 31W (as in Quartz): April is skipped, Friday 31 May fires.
    ['cron(0 0 31W * ? *)', '2024-04-01T00:00:00Z', '2024-05-31T00:00:00.000Z'],
    ['cron(0 0 ? * 6L *)', '2024-01-01T00:00:00Z', '2024-01-26T00:00:00.000Z'],
    ['cron(0 0 ? * 3#2 *)', '2024-01-01T00:00:00Z', '2024-01-09T00:00:00.000Z'],
    ['cron(0 9 ? * 2#1 *)', '2024-01-01T09:00:00Z', '2024-02-05T09:00:00.000Z'],
    // A fifth Friday exists only in some months: March 2024 has one (the 29th).
    ['cron(0 0 ? * FRI#5 *)', '2024-01-01T00:00:00Z', '2024-03-29T00:00:00.000Z'],
    ['cron(0 0 ? * L *)', '2024-01-01T00:00:00Z', '2024-01-06T00:00:00.000Z'],
    ['cron(0 0 29 2 ? *)', '2024-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['cron(0 9 * * ? 2030)', '2024-01-01T00:00:00Z', '2030-01-01T09:00:00.000Z'],
    ['cron(0 0 ? jan,jul sun 2025-2030)', '2025-01-31T00:00:00Z', '2025-07-06T00:00:00.000Z'],
    ['cron(0 9 * * ? 1999)', '2024-01-01T00:00:00Z', undefined],
    ['cron(0 0 31 2 ? *)', '2024-01-01T00:00:00Z', undefined],
  ])('%s after %s', (expression, after, expected) => {
    expect(iso(nextFireTime(parseScheduleExpression(expression), at(after)))).toBe(expected);
  });
});

describe('next fire time in a time zone', () => {
  it.each([
    // Berlin is UTC+1 in winter and UTC+2 in summer.
    ['cron(0 9 * * ? *)', 'Europe/Berlin', '2024-01-15T00:00:00Z', '2024-01-15T08:00:00.000Z'],
    ['cron(0 9 * * ? *)', 'Europe/Berlin', '2024-07-15T00:00:00Z', '2024-07-15T07:00:00.000Z'],
    // Midnight Monday in Tokyo is Sunday 15:00 UTC.
    ['cron(0 0 ? * MON *)', 'Asia/Tokyo', '2024-01-01T00:00:00Z', '2024-01-07T15:00:00.000Z'],
    // Spring forward (10 March 2024 in New York: 02:00 -> 03:00): 02:30 does not exist that day, skipped.
    ['cron(30 2 * * ? *)', 'America/New_York', '2024-03-09T12:00:00Z', '2024-03-11T06:30:00.000Z'],
    // Fall back (3 November 2024: 02:00 -> 01:00): 01:30 happens twice and runs once, at the first.
    ['cron(30 1 * * ? *)', 'America/New_York', '2024-11-02T12:00:00Z', '2024-11-03T05:30:00.000Z'],
    ['cron(30 1 * * ? *)', 'America/New_York', '2024-11-03T05:30:00Z', '2024-11-04T06:30:00.000Z'],
    // India has no daylight saving and a half-hour offset.
    ['cron(0 9 * * ? *)', 'Asia/Kolkata', '2024-06-01T00:00:00Z', '2024-06-01T03:30:00.000Z'],
  ])('%s in %s after %s', (expression, timeZone, after, expected) => {
    expect(iso(nextFireTime(parseScheduleExpression(expression), at(after), { timeZone }))).toBe(expected);
  });

  it('knows IANA names and nothing else', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});

describe('rate schedules', () => {
  const fiveMinutes = parseScheduleExpression('rate(5 minutes)');
  const anchorMs = at('2024-01-01T00:00:00Z');

  it.each([
    // Before its start, the first fire time is the start: a schedule without StartDate fires at once.
    ['2023-12-31T23:59:00Z', '2024-01-01T00:00:00.000Z'],
    ['2024-01-01T00:00:00Z', '2024-01-01T00:05:00.000Z'],
    ['2024-01-01T00:04:59Z', '2024-01-01T00:05:00.000Z'],
    ['2024-01-01T01:02:03Z', '2024-01-01T01:05:00.000Z'],
  ])('after %s', (after, expected) => {
    expect(iso(nextFireTime(fiveMinutes, at(after), { anchorMs }))).toBe(expected);
  });

  it('does not shift with daylight saving time (a rate is a duration)', () => {
    const day = parseScheduleExpression('rate(1 day)');
    const anchor = at('2024-03-09T12:00:00Z');
    expect(iso(nextFireTime(day, anchor, { anchorMs: anchor, timeZone: 'America/New_York' }))).toBe(
      '2024-03-10T12:00:00.000Z',
    );
  });
});
