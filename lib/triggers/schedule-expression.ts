/**
 * EventBridge Scheduler's recurring schedule expressions: parsing (with the reason an expression is refused)
 * and the next time a schedule fires, in its time zone. Pure: no I/O, no clock of its own.
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 *
 * - `rate(value unit)`: a positive whole value; unit minute(s), hour(s), day(s), singular for 1 and plural
 *   otherwise (as EventBridge's rate expressions require). A rate schedule with no StartDate "starts invoking
 *   its target immediately", then every period: fire times are anchor + k * period.
 * - `cron(minutes hours day-of-month month day-of-week year)`: six fields, in the schedule's time zone (UTC by
 *   default). Values: minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or
 *   SUN-SAT (1 = Sunday), year 1970-2199. Wildcards: `,` `-` `*` `/` everywhere; `?` in day-of-month or
 *   day-of-week, and exactly one of the two must be `?`; `L` (last day of the month; in day-of-week, Saturday,
 *   or `5L` the last Thursday), `W` (`3W` the weekday nearest the 3rd, within the month; `LW` the last weekday)
 *   and `#` (`3#2` the second Tuesday).
 * - Daylight saving time, from the same page: "When time shifts forward in the spring, if a cron expression
 *   falls on a non-existent date and time, your schedule invocation is skipped. When time shifts backwards in
 *   the fall, your schedule runs only once and does not repeat its invocation." Rate schedules are durations
 *   and do not shift.
 * Deliberate deviations: a range must not wrap (`FRI-MON` is refused; write `FRI-SAT,SUN-MON`); `L`, `W` and
 * `#` stand alone in their field, not in lists (as in Quartz, whose syntax AWS's follows).
 */

export class ScheduleExpressionError extends Error {
  override readonly name = 'ScheduleExpressionError';
}

export type RateUnit = 'minute' | 'hour' | 'day';

export interface RateExpression {
  kind: 'rate';
  value: number;
  unit: RateUnit;
  periodMs: number;
}

/** A day-of-month rule: a set of days, the last day, the last weekday, or the weekday nearest a day. */
type DayOfMonth =
  | { kind: 'any' }
  | { kind: 'set'; days: ReadonlySet<number> }
  | { kind: 'last' }
  | { kind: 'last-weekday' }
  | { kind: 'nearest-weekday'; day: number };

/** A day-of-week rule (1 = Sunday .. 7 = Saturday). */
type DayOfWeek =
  | { kind: 'any' }
  | { kind: 'set'; days: ReadonlySet<number> }
  | { kind: 'last-of-month'; day: number }
  | { kind: 'nth'; day: number; nth: number };

export interface CronExpression {
  kind: 'cron';
  minutes: readonly number[];
  hours: readonly number[];
  dayOfMonth: DayOfMonth;
  months: ReadonlySet<number>;
  dayOfWeek: DayOfWeek;
  years: ReadonlySet<number>;
}

export type ScheduleExpression = RateExpression | CronExpression;

const MINUTE_MS = 60_000;
const UNIT_MS: Record<RateUnit, number> = { minute: MINUTE_MS, hour: 60 * MINUTE_MS, day: 24 * 60 * MINUTE_MS };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
export const MIN_YEAR = 1970;
export const MAX_YEAR = 2199;

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS = {
  minutes: { name: 'Minutes', min: 0, max: 59 },
  hours: { name: 'Hours', min: 0, max: 23 },
  dayOfMonth: { name: 'Day-of-month', min: 1, max: 31 },
  month: { name: 'Month', min: 1, max: 12, names: MONTHS },
  dayOfWeek: { name: 'Day-of-week', min: 1, max: 7, names: WEEKDAYS },
  year: { name: 'Year', min: MIN_YEAR, max: MAX_YEAR },
} satisfies Record<string, FieldSpec>;

function fail(message: string): never {
  throw new ScheduleExpressionError(message);
}

function parseRate(body: string): RateExpression {
  const match = /^([0-9]+) ([a-z]+)$/.exec(body.trim().replace(/\s+/g, ' '));
  if (match === null) fail('A rate expression is rate(value unit), for example rate(5 minutes).');
  const value = Number(match[1]);
  const word = match[2]!;
  if (!Number.isSafeInteger(value) || value < 1) fail('The value of a rate expression must be a positive integer.');
  const unit = word.replace(/s$/, '') as RateUnit;
  if (!(unit in UNIT_MS)) fail(`Unknown rate unit '${word}': use minute(s), hour(s) or day(s).`);
  if (value === 1 && word !== unit) fail(`A rate of 1 takes the singular unit: rate(1 ${unit}).`);
  if (value > 1 && word === unit) fail(`A rate above 1 takes the plural unit: rate(${value} ${unit}s).`);
  return { kind: 'rate', value, unit, periodMs: value * UNIT_MS[unit] };
}

function number(token: string, spec: FieldSpec): number {
  const upper = token.toUpperCase();
  const named = spec.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + spec.min;
  if (!/^[0-9]+$/.test(token)) fail(`${spec.name} field: '${token}' is not a value.`);
  const n = Number(token);
  if (n < spec.min || n > spec.max) fail(`${spec.name} field: ${n} is out of range (${spec.min}-${spec.max}).`);
  return n;
}

/** `*`, `a`, `a-b`, each optionally `/step`, comma-separated: the sorted values. */
function parseList(field: string, spec: FieldSpec): number[] {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') fail(`${spec.name} field: '${part}' is not valid.`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^[0-9]+$/.test(stepText) || Number(stepText) < 1) {
        fail(`${spec.name} field: the increment in '${part}' must be a positive integer.`);
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max;
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (more !== undefined || a === undefined || b === undefined) fail(`${spec.name} field: '${part}' is not valid.`);
      from = number(a, spec);
      to = number(b, spec);
      if (from > to) fail(`${spec.name} field: the range '${range}' runs backwards.`);
    } else {
      from = number(range, spec);
      to = stepText === undefined ? from : spec.max;
    }
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

function parseDayOfMonth(field: string): DayOfMonth {
  const spec = FIELDS.dayOfMonth;
  if (field === '?' || field === '*') return { kind: 'any' };
  const upper = field.toUpperCase();
  if (upper === 'L') return { kind: 'last' };
  if (upper === 'LW') return { kind: 'last-weekday' };
  const weekday = /^([0-9]+)W$/.exec(upper);
  if (weekday) return { kind: 'nearest-weekday', day: number(weekday[1]!, spec) };
  if (/[LW#?]/i.test(field)) fail(`Day-of-month field: '${field}' is not valid (L, W and ? stand alone).`);
  return { kind: 'set', days: new Set(parseList(field, spec)) };
}

function parseDayOfWeek(field: string): DayOfWeek {
  const spec = FIELDS.dayOfWeek;
  if (field === '?' || field === '*') return { kind: 'any' };
  const upper = field.toUpperCase();
  if (upper === 'L') return { kind: 'set', days: new Set([7]) };
  const last = /^([0-9A-Z]+)L$/.exec(upper);
  if (last && upper !== 'L') return { kind: 'last-of-month', day: number(last[1]!, spec) };
  const nth = /^([0-9A-Z]+)#([0-9]+)$/.exec(upper);
  if (nth) {
    const n = Number(nth[2]);
    if (n < 1 || n > 5) fail(`Day-of-week field: the occurrence in '${field}' must be from 1 to 5.`);
    return { kind: 'nth', day: number(nth[1]!, spec), nth: n };
  }
  if (/[#?]/.test(field)) fail(`Day-of-week field: '${field}' is not valid (L, # and ? stand alone).`);
  return { kind: 'set', days: new Set(parseList(field, spec)) };
}

function parseCron(body: string): CronExpression {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    fail(
      `A cron expression has six fields (minutes hours day-of-month month day-of-week year); this one has ${fields.length}.`,
    );
  }
  const [minutes, hours, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  for (const [value, spec] of [
    [minutes, FIELDS.minutes],
    [hours, FIELDS.hours],
    [month, FIELDS.month],
    [year, FIELDS.year],
  ] as const) {
    if (value.includes('?')) fail(`${spec.name} field: ? is only allowed in day-of-month and day-of-week.`);
  }
  if ((dom === '?') === (dow === '?')) {
    fail(
      "Exactly one of day-of-month and day-of-week must be '?': you can't specify both in the same cron expression.",
    );
  }
  return {
    kind: 'cron',
    minutes: parseList(minutes, FIELDS.minutes),
    hours: parseList(hours, FIELDS.hours),
    dayOfMonth: parseDayOfMonth(dom),
    months: new Set(parseList(month, FIELDS.month)),
    dayOfWeek: parseDayOfWeek(dow),
    years: new Set(parseList(year, FIELDS.year)),
  };
}

/** Parses `rate(...)` or `cron(...)`; throws ScheduleExpressionError saying what is wrong. */
export function parseScheduleExpression(text: string): ScheduleExpression {
  if (typeof text !== 'string') fail('A schedule expression must be a string.');
  const match = /^\s*(rate|cron)\((.*)\)\s*$/.exec(text);
  if (match === null) fail(`'${text}' is neither rate(value unit) nor cron(fields).`);
  return match[1] === 'rate' ? parseRate(match[2]!) : parseCron(match[2]!);
}

/** The reason `text` is not a valid expression, or undefined. */
export function validateScheduleExpression(text: string): string | undefined {
  try {
    parseScheduleExpression(text);
    return undefined;
  } catch (err) {
    if (err instanceof ScheduleExpressionError) return err.message;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Time zones: wall-clock fields of an instant, and the instant of a wall-clock time.
// ---------------------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` is an IANA time zone this runtime knows (EventBridge Scheduler takes IANA names). */
export function isTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone === '' || !/^[A-Za-z0-9_+\-/]+$/.test(timeZone)) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

function wallOf(ms: number, timeZone: string): Wall {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
  };
}

const wallAsUtc = (w: Wall) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);

/** The zone's offset (ms ahead of UTC) at instant `ms`, to the minute. */
function offsetAt(ms: number, timeZone: string): number {
  const floored = Math.floor(ms / MINUTE_MS) * MINUTE_MS;
  return wallAsUtc(wallOf(floored, timeZone)) - floored;
}

/**
 * The earliest instant whose wall-clock time in `timeZone` is `wall`, or undefined when the wall time does not
 * exist there (skipped by a shift forward). A repeated wall time (shift backwards) gives its first instant, so a
 * schedule runs only once.
 */
function instantOf(wall: Wall, timeZone: string): number | undefined {
  const local = wallAsUtc(wall);
  const day = 24 * 60 * MINUTE_MS;
  const candidates = [local - offsetAt(local - day, timeZone), local - offsetAt(local + day, timeZone)]
    .filter((ms) => wallAsUtc(wallOf(ms, timeZone)) === local)
    .sort((a, b) => a - b);
  return candidates[0];
}

// ---------------------------------------------------------------------------------------------
// Next fire time
// ---------------------------------------------------------------------------------------------

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** 1 = Sunday .. 7 = Saturday. */
const weekdayOf = (year: number, month: number, day: number) =>
  new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

function nearestWeekday(year: number, month: number, day: number): number {
  const last = daysInMonth(year, month);
  const d = Math.min(day, last);
  const weekday = weekdayOf(year, month, d);
  if (weekday === 7) return d === 1 ? 3 : d - 1; // Saturday: Friday, or Monday the 3rd when the 1st is a Saturday
  if (weekday === 1) return d === last ? d - 2 : d + 1; // Sunday: Monday, or Friday when it is the last day
  return d;
}

function dayMatches(cron: CronExpression, year: number, month: number, day: number): boolean {
  const dom = cron.dayOfMonth;
  const last = daysInMonth(year, month);
  switch (dom.kind) {
    case 'set':
      if (!dom.days.has(day)) return false;
      break;
    case 'last':
      if (day !== last) return false;
      break;
    case 'last-weekday':
      if (day !== nearestWeekday(year, month, last)) return false;
      break;
    case 'nearest-weekday':
      if (dom.day > last || day !== nearestWeekday(year, month, dom.day)) return false;
      break;
    case 'any':
      break;
  }
  const dow = cron.dayOfWeek;
  const weekday = weekdayOf(year, month, day);
  switch (dow.kind) {
    case 'set':
      return dow.days.has(weekday);
    case 'last-of-month':
      return weekday === dow.day && day + 7 > last;
    case 'nth':
      return weekday === dow.day && Math.ceil(day / 7) === dow.nth;
    case 'any':
      return true;
  }
}

export interface NextFireOptions {
  /** IANA time zone the expression is evaluated in; default UTC. */
  timeZone?: string;
  /** Rate schedules: the first fire time (the schedule's creation, or its StartDate). */
  anchorMs?: number;
}

/**
 * The first fire time strictly after `afterMs` (epoch ms), or undefined when there is none (a cron whose years
 * have all passed). Cron times are whole minutes.
 */
export function nextFireTime(
  expression: ScheduleExpression,
  afterMs: number,
  options: NextFireOptions = {},
): number | undefined {
  if (expression.kind === 'rate') {
    const anchor = options.anchorMs ?? afterMs;
    if (afterMs < anchor) return anchor;
    return anchor + (Math.floor((afterMs - anchor) / expression.periodMs) + 1) * expression.periodMs;
  }
  const timeZone = options.timeZone ?? 'UTC';
  const start = wallOf(Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS, timeZone);
  let { year, month, day } = start;
  let first = true;
  while (year <= MAX_YEAR) {
    if (!expression.years.has(year)) {
      year++;
      month = 1;
      day = 1;
      first = false;
      continue;
    }
    if (!expression.months.has(month)) {
      month++;
      day = 1;
      first = false;
      if (month > 12) {
        month = 1;
        year++;
      }
      continue;
    }
    if (day <= daysInMonth(year, month) && dayMatches(expression, year, month, day)) {
      for (const hour of expression.hours) {
        if (first && hour < start.hour) continue;
        for (const minute of expression.minutes) {
          if (first && hour === start.hour && minute < start.minute) continue;
          const at = instantOf({ year, month, day, hour, minute }, timeZone);
          if (at !== undefined && at > afterMs) return at;
        }
      }
    }
    first = false;
    day++;
    if (day > daysInMonth(year, month)) {
      day = 1;
      month++;
      if (month > 12) {
        month = 1;
        year++;
      }
    }
  }
  return undefined;
}
