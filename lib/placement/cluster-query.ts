/**
 * ECS cluster query language, as `memberOf` placement constraints (and ListContainerInstances
 * `filter`) use it.
 *
 * Follows "Create expressions to define container instances for Amazon ECS tasks"
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html):
 * - `subject operator [argument]`; subjects `attribute:<name>`, `ec2InstanceId`, `agentConnected`,
 *   `agentVersion`, `registeredAt`, `runningTasksCount`, `task:group`;
 * - operators in symbol or word form (`==`/`equals`, `!=`/`not_equals`, `>`/`greater_than`,
 *   `>=`/`greater_than_equal`, `<`/`less_than`, `<=`/`less_than_equal`, `exists`,
 *   `!exists`/`not_exists`, `in`, `!in`/`not_in`, `=~`/`matches`, `!~`/`not_matches`), restricted
 *   per subject to the "Valid operators" the page lists;
 * - `in` takes `[a, b, ...]`, items bare or quoted (`['i-abcd1234', 'i-wxyx7890']`);
 * - `matches` takes a Java regular expression that must match the whole value (Java's
 *   `String.matches`): `attribute:ecs.instance-type =~ t2.*` selects every t2 size. It is run as a
 *   JavaScript RegExp, which agrees with Java for the patterns people write here;
 * - `&&`/`and`, `||`/`or`, `!`/`not`, parentheses for precedence (not binds tighter than and, and
 *   tighter than or); "a single expression can't contain parentheses", so an unquoted argument
 *   ends at whitespace, a parenthesis, `&&` or `||` (quote it to include them);
 * - `registeredAt` arguments in the documented formats: `2018-06-18T22:28:28+00:00`,
 *   `2018-06-18T22:28:28Z`, `2018-06-18T22:28:28` (UTC) and `2018-06-18` (midnight UTC).
 *
 * Judgment calls where the page is silent:
 * - keywords and word operators are lowercase, as documented; `AND` is a syntax error;
 * - the negative operators (`!=`, `!in`, `!~`) need the subject to exist: the page's own example
 *   `attribute:stack != prod` "lists the instances with the custom attribute stack unless the
 *   value is prod". `not(...)` is the plain negation;
 * - `task:group` is many-valued: `==`, `in` and `=~` hold when any task group on the instance
 *   matches; `!=`, `!in` and `!~` when the instance has tasks and none matches; `exists` when it
 *   has any task;
 * - ordered comparisons on an attribute compare numerically when both sides are numbers, else as
 *   strings; `agentVersion` compares dotted versions part by part.
 * Error messages are Berth's wording: ECS's own text for a malformed expression is not documented.
 */
import { ClusterQueryError } from './errors';
import { type ClusterQueryTarget, taskGroupNames } from './types';

export type ClusterQuerySubject =
  | 'attribute'
  | 'ec2InstanceId'
  | 'agentConnected'
  | 'agentVersion'
  | 'registeredAt'
  | 'runningTasksCount'
  | 'task:group';

export type ClusterQueryOperator =
  | '=='
  | '!='
  | '>'
  | '>='
  | '<'
  | '<='
  | 'exists'
  | '!exists'
  | 'in'
  | '!in'
  | '=~'
  | '!~';

export interface ClusterQueryComparison {
  kind: 'compare';
  subject: ClusterQuerySubject;
  /** The attribute name, for `attribute:<name>`. */
  attribute?: string;
  operator: ClusterQueryOperator;
  /** The argument: one value, the list for `in`/`!in`, none for `exists`/`!exists`. */
  values: readonly string[];
  /** `=~`/`!~`: the argument compiled and anchored at both ends. */
  pattern?: RegExp;
  /** `runningTasksCount`: the count; `registeredAt`: epoch milliseconds. */
  number?: number;
}

export type ClusterQuery =
  | { kind: 'and'; left: ClusterQuery; right: ClusterQuery }
  | { kind: 'or'; left: ClusterQuery; right: ClusterQuery }
  | { kind: 'not'; operand: ClusterQuery }
  | ClusterQueryComparison;

const EQUALITY: readonly ClusterQueryOperator[] = ['==', '!=', 'in', '!in', '=~', '!~'];
const ORDERED: readonly ClusterQueryOperator[] = ['==', '!=', '>', '>=', '<', '<='];
const ALL: readonly ClusterQueryOperator[] = [...ORDERED, 'exists', '!exists', 'in', '!in', '=~', '!~'];

const VALID_OPERATORS: Record<ClusterQuerySubject, readonly ClusterQueryOperator[]> = {
  agentConnected: EQUALITY,
  ec2InstanceId: EQUALITY,
  agentVersion: ORDERED,
  registeredAt: ORDERED,
  runningTasksCount: ORDERED,
  attribute: ALL,
  'task:group': [...EQUALITY, 'exists', '!exists'],
};

const SUBJECTS: ReadonlySet<string> = new Set([
  'ec2InstanceId',
  'agentConnected',
  'agentVersion',
  'registeredAt',
  'runningTasksCount',
  'task:group',
]);

const WORD_OPERATORS: Readonly<Record<string, ClusterQueryOperator>> = {
  equals: '==',
  not_equals: '!=',
  greater_than: '>',
  greater_than_equal: '>=',
  less_than: '<',
  less_than_equal: '<=',
  exists: 'exists',
  not_exists: '!exists',
  in: 'in',
  not_in: '!in',
  matches: '=~',
  not_matches: '!~',
};

/** Checked in this order, so that `!in` is not read as `!` and `>=` not as `>`. */
const SYMBOL_OPERATORS: ReadonlyArray<readonly [string, ClusterQueryOperator]> = [
  ['!exists', '!exists'],
  ['!in', '!in'],
  ['!=', '!='],
  ['!~', '!~'],
  ['==', '=='],
  ['=~', '=~'],
  ['>=', '>='],
  ['<=', '<='],
  ['>', '>'],
  ['<', '<'],
];

/** Letters, digits and the punctuation ECS allows in attribute names, plus `:` for `attribute:` and `task:group`. */
const SUBJECT_CHAR = /[A-Za-z0-9_.:/\\-]/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_./\\-]{1,128}$/;
const WORD_CHAR = /[A-Za-z_]/;
const WHITESPACE = /\s/;
const NUMBER = /^-?\d+(?:\.\d+)?$/;
const VERSION = /^\d+(?:\.\d+)*$/;
const DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** Parses an expression; throws ClusterQueryError on a syntax error. */
export function parseClusterQuery(expression: string): ClusterQuery {
  return new Parser(expression).parse();
}

/** Whether `target` is selected by `query`. */
export function evaluateClusterQuery(query: ClusterQuery, target: ClusterQueryTarget): boolean {
  switch (query.kind) {
    case 'and':
      return evaluateClusterQuery(query.left, target) && evaluateClusterQuery(query.right, target);
    case 'or':
      return evaluateClusterQuery(query.left, target) || evaluateClusterQuery(query.right, target);
    case 'not':
      return !evaluateClusterQuery(query.operand, target);
    case 'compare':
      return compare(query, target);
  }
}

/** Parses and evaluates in one go (for one-off checks; parse once when evaluating many instances). */
export function matchesClusterQuery(expression: string, target: ClusterQueryTarget): boolean {
  return evaluateClusterQuery(parseClusterQuery(expression), target);
}

/**
 * Whether the result can change while tasks are being placed: only `task:group` reads state that
 * placing a task changes, so other queries can be evaluated once per instance.
 */
export function dependsOnTaskGroups(query: ClusterQuery): boolean {
  switch (query.kind) {
    case 'and':
    case 'or':
      return dependsOnTaskGroups(query.left) || dependsOnTaskGroups(query.right);
    case 'not':
      return dependsOnTaskGroups(query.operand);
    case 'compare':
      return query.subject === 'task:group';
  }
}

/** `2018-06-18T22:28:28+00:00`, `...Z`, `...` (UTC) or `2018-06-18` (midnight UTC) to epoch ms; undefined otherwise. */
export function parseQueryDate(text: string): number | undefined {
  if (!DATE.test(text)) return undefined;
  const iso = text.length === 10 ? `${text}T00:00:00Z` : text.length === 19 ? `${text}Z` : text;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

function compare(c: ClusterQueryComparison, t: ClusterQueryTarget): boolean {
  const op = c.operator;
  switch (c.subject) {
    case 'runningTasksCount':
      return ordered(op, t.runningTasksCount - c.number!);
    case 'registeredAt': {
      const at = toMillis(t.registeredAt);
      return at !== undefined && ordered(op, at - c.number!);
    }
    case 'agentVersion':
      return t.agentVersion !== undefined && ordered(op, compareVersions(t.agentVersion, c.values[0]!));
    case 'task:group': {
      const size = Array.isArray(t.taskGroups)
        ? (t.taskGroups as readonly string[]).length
        : (t.taskGroups as ReadonlyMap<string, number>).size;
      if (op === 'exists') return size > 0;
      if (op === '!exists') return size === 0;
      if (size === 0) return false;
      let any = false;
      for (const group of taskGroupNames(t.taskGroups)) {
        if (test(c, group)) {
          any = true;
          break;
        }
      }
      return isNegative(op) ? !any : any;
    }
    default: {
      let value: string | undefined;
      if (c.subject === 'attribute') {
        const name = c.attribute!;
        value = Object.hasOwn(t.attributes, name) ? (t.attributes[name] ?? '') : undefined;
      } else if (c.subject === 'agentConnected') {
        value = String(t.agentConnected);
      } else {
        value = t.ec2InstanceId || undefined;
      }
      if (op === 'exists') return value !== undefined;
      if (op === '!exists') return value === undefined;
      if (value === undefined) return false;
      return isNegative(op) ? !test(c, value) : test(c, value);
    }
  }
}

/** The positive form of the comparison (`!=` tests `==`, and so on); the caller negates. */
function test(c: ClusterQueryComparison, value: string): boolean {
  switch (c.operator) {
    case '==':
    case '!=':
      return value === c.values[0];
    case 'in':
    case '!in':
      return c.values.includes(value);
    case '=~':
    case '!~':
      return c.pattern!.test(value);
    default:
      return ordered(c.operator, compareLoose(value, c.values[0]!));
  }
}

function isNegative(op: ClusterQueryOperator): boolean {
  return op === '!=' || op === '!in' || op === '!~';
}

function ordered(op: ClusterQueryOperator, diff: number): boolean {
  switch (op) {
    case '==':
      return diff === 0;
    case '!=':
      return diff !== 0;
    case '>':
      return diff > 0;
    case '>=':
      return diff >= 0;
    case '<':
      return diff < 0;
    case '<=':
      return diff <= 0;
    default:
      return false;
  }
}

function compareLoose(a: string, b: string): number {
  if (NUMBER.test(a) && NUMBER.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareVersions(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? '0';
    const q = y[i] ?? '0';
    const diff = Number.parseInt(p, 10) - Number.parseInt(q, 10);
    if (Number.isNaN(diff)) return p < q ? -1 : p > q ? 1 : 0;
    if (diff !== 0) return diff;
  }
  return 0;
}

function toMillis(value: Date | string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

class Parser {
  private pos = 0;

  constructor(private readonly src: string) {}

  parse(): ClusterQuery {
    this.skipWhitespace();
    if (this.pos >= this.src.length) throw this.error('the expression is empty');
    const query = this.parseOr();
    this.skipWhitespace();
    if (this.pos < this.src.length) throw this.error(`unexpected '${this.rest()}'`);
    return query;
  }

  private parseOr(): ClusterQuery {
    let left = this.parseAnd();
    for (;;) {
      this.skipWhitespace();
      if (!this.eat('||') && !this.eatKeyword('or')) return left;
      left = { kind: 'or', left, right: this.parseAnd() };
    }
  }

  private parseAnd(): ClusterQuery {
    let left = this.parseUnary();
    for (;;) {
      this.skipWhitespace();
      if (!this.eat('&&') && !this.eatKeyword('and')) return left;
      left = { kind: 'and', left, right: this.parseUnary() };
    }
  }

  private parseUnary(): ClusterQuery {
    this.skipWhitespace();
    if (this.eat('!') || this.eatKeyword('not')) return { kind: 'not', operand: this.parseUnary() };
    if (this.eat('(')) {
      const inner = this.parseOr();
      this.skipWhitespace();
      if (!this.eat(')')) throw this.error(this.atEnd() ? "missing ')'" : `expected ')' before '${this.rest()}'`);
      return inner;
    }
    return this.parseComparison();
  }

  private parseComparison(): ClusterQueryComparison {
    const start = this.pos;
    while (this.pos < this.src.length && SUBJECT_CHAR.test(this.src[this.pos]!)) this.pos++;
    const word = this.src.slice(start, this.pos);
    if (word === '') {
      throw this.error(this.atEnd() ? 'expected a subject at the end' : `expected a subject before '${this.rest()}'`);
    }
    let subject: ClusterQuerySubject;
    let attribute: string | undefined;
    if (word.startsWith('attribute:')) {
      subject = 'attribute';
      attribute = word.slice('attribute:'.length);
      if (!ATTRIBUTE_NAME.test(attribute)) throw this.error(`invalid attribute name '${attribute}'`, start);
    } else if (SUBJECTS.has(word)) {
      subject = word as ClusterQuerySubject;
    } else {
      throw this.error(
        `unknown subject '${word}' (expected attribute:<name>, ec2InstanceId, agentConnected, agentVersion, registeredAt, runningTasksCount or task:group)`,
        start,
      );
    }
    const label = attribute === undefined ? subject : `attribute:${attribute}`;

    this.skipWhitespace();
    const opAt = this.pos;
    const operator = this.parseOperator(label);
    if (!VALID_OPERATORS[subject].includes(operator)) {
      throw this.error(`operator '${operator}' is not valid for ${label}`, opAt);
    }

    const comparison: ClusterQueryComparison = { kind: 'compare', subject, operator, values: [] };
    if (attribute !== undefined) comparison.attribute = attribute;
    if (operator === 'exists' || operator === '!exists') return comparison;

    this.skipWhitespace();
    const argAt = this.pos;
    comparison.values =
      operator === 'in' || operator === '!in' ? this.parseList(operator) : [this.parseValue(operator)];
    const first = comparison.values[0]!;
    if (operator === '=~' || operator === '!~') {
      try {
        comparison.pattern = new RegExp(`^(?:${first})$`);
      } catch {
        throw this.error(`invalid pattern '${first}'`, argAt);
      }
    } else if (subject === 'runningTasksCount') {
      if (!/^\d+$/.test(first)) throw this.error(`runningTasksCount needs a whole number, not '${first}'`, argAt);
      comparison.number = Number(first);
    } else if (subject === 'registeredAt') {
      const ms = parseQueryDate(first);
      if (ms === undefined) {
        throw this.error(
          `invalid date '${first}' (use 2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28Z, 2018-06-18T22:28:28 or 2018-06-18)`,
          argAt,
        );
      }
      comparison.number = ms;
    } else if (subject === 'agentVersion' && !VERSION.test(first)) {
      throw this.error(`invalid agent version '${first}'`, argAt);
    }
    return comparison;
  }

  private parseOperator(label: string): ClusterQueryOperator {
    for (const [symbol, operator] of SYMBOL_OPERATORS) {
      if (!this.src.startsWith(symbol, this.pos)) continue;
      // `!in`/`!exists` are words after the bang: `!inside` is not `!in`.
      if (WORD_CHAR.test(symbol.at(-1)!) && this.isWordChar(this.pos + symbol.length)) continue;
      this.pos += symbol.length;
      return operator;
    }
    const start = this.pos;
    while (this.isWordChar(this.pos)) this.pos++;
    const word = this.src.slice(start, this.pos);
    const operator = WORD_OPERATORS[word];
    if (operator !== undefined) return operator;
    this.pos = start;
    if (word !== '') throw this.error(`unknown operator '${word}' after ${label}`);
    throw this.error(
      this.atEnd()
        ? `expected an operator after ${label}`
        : `expected an operator after ${label}, not '${this.rest()}'`,
    );
  }

  private parseList(operator: ClusterQueryOperator): string[] {
    if (!this.eat('[')) throw this.error(`'${operator}' expects a list such as [a, b]`);
    const items: string[] = [];
    for (;;) {
      this.skipWhitespace();
      if (items.length === 0 && this.src[this.pos] === ']') throw this.error('the list is empty');
      items.push(this.parseItem(true));
      this.skipWhitespace();
      if (this.eat(',')) continue;
      if (this.eat(']')) return items;
      throw this.error(this.atEnd() ? "missing ']'" : `expected ',' or ']' before '${this.rest()}'`);
    }
  }

  private parseValue(operator: ClusterQueryOperator): string {
    if (this.atEnd()) throw this.error(`expected a value after '${operator}'`);
    return this.parseItem(false);
  }

  /** A quoted string, or a bare run up to whitespace, a parenthesis, `&&`/`||` (and, in a list, `,`/`]`). */
  private parseItem(inList: boolean): string {
    const quote = this.src[this.pos];
    if (quote === "'" || quote === '"') {
      const end = this.src.indexOf(quote, this.pos + 1);
      if (end < 0) throw this.error(`unterminated string`);
      const value = this.src.slice(this.pos + 1, end);
      this.pos = end + 1;
      return value;
    }
    const start = this.pos;
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos]!;
      if (WHITESPACE.test(ch) || ch === '(' || ch === ')') break;
      if (inList && (ch === ',' || ch === ']')) break;
      if (this.src.startsWith('&&', this.pos) || this.src.startsWith('||', this.pos)) break;
      this.pos++;
    }
    if (this.pos === start) {
      throw this.error(this.atEnd() ? 'expected a value at the end' : `expected a value before '${this.rest()}'`);
    }
    return this.src.slice(start, this.pos);
  }

  private eat(token: string): boolean {
    if (!this.src.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }

  /** A keyword must stand alone: `and` but not `android`; `not(` is fine. */
  private eatKeyword(word: string): boolean {
    if (!this.src.startsWith(word, this.pos)) return false;
    const next = this.src[this.pos + word.length];
    if (next !== undefined && SUBJECT_CHAR.test(next)) return false;
    this.pos += word.length;
    return true;
  }

  private isWordChar(at: number): boolean {
    const ch = this.src[at];
    return ch !== undefined && WORD_CHAR.test(ch);
  }

  private skipWhitespace(): void {
    while (this.pos < this.src.length && WHITESPACE.test(this.src[this.pos]!)) this.pos++;
  }

  private atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  private rest(): string {
    const rest = this.src.slice(this.pos);
    return rest.length > 20 ? `${rest.slice(0, 20)}...` : rest;
  }

  private error(detail: string, at = this.pos): ClusterQueryError {
    return new ClusterQueryError(
      `Invalid cluster query expression '${this.src}': ${detail} (at position ${at}).`,
      this.src,
      at,
    );
  }
}
