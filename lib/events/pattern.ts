/**
 * EventBridge event patterns: validation (compile) and matching, with EventBridge's semantics.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html (syntax, nesting, AND/OR)
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (comparison operators)
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/content-filtering-with-event-patterns.html (content filtering)
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html (arrays in events)
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html (null and "")
 * EventBridge matches with AWS's Event Ruler (github.com/aws/event-ruler); where the docs are silent this follows
 * Event Ruler's README and its rule compiler, whose messages are the `Reason:` AWS answers in
 * InvalidEventPatternException ("Event pattern is not valid. Reason: Empty arrays are not allowed").
 *
 * No npm library was fit to depend on (see the events work's notes in docs/local-stack.md, "Local EventBridge"), so this is
 * Berth's own: pure, no I/O, compiled once per pattern and then matched many times.
 *
 * Semantics, in short:
 * - Every field named in the pattern must match (AND); the values in a field's array are alternatives (OR);
 *   `$or: [{...}, {...}]` makes alternatives of whole sub-patterns.
 * - An event array matches when any of its elements does; nested objects inside event arrays are matched
 *   element by element, so two fields of a sub-pattern must match inside the same element (Event Ruler's
 *   "array-consistent" matching).
 * - `null` and `""` are values, matched only by themselves; a field that is absent, an object, or an empty array
 *   has no value: only `{"exists": false}` matches it, and `exists: false` means "no value at this path anywhere
 *   in the event".
 * - Operators other than exact, exists and anything-but apply to strings (prefix, suffix, equals-ignore-case,
 *   wildcard, cidr) or JSON numbers (numeric) only; anything-but matches any present value not excluded,
 *   including null and values of another type.
 * Deliberate deviations: numbers compare as JavaScript doubles (Event Ruler keeps 6 decimals within +-5e9);
 * dotted keys in patterns (`"a.b"`) are not folded onto nested fields (Event Ruler does, and says not to rely on
 * it); an exact string that is an IP address is not normalised; wildcard complexity is not scored.
 */
import { BlockList, isIP } from 'node:net';

const REASON_PREFIX = 'Event pattern is not valid. Reason: ';

/** The pattern is not valid. EventBridge answers InvalidEventPatternException (HTTP 400) with this message. */
export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternError';
  constructor(
    /** Event Ruler's words, without the `Event pattern is not valid. Reason: ` prefix. */
    readonly reason: string,
  ) {
    super(`${REASON_PREFIX}${reason}`);
  }
}

type Scalar = string | number | boolean | null;

type StringTest = (value: string) => boolean;

type ValueMatcher =
  | { kind: 'exact'; value: Scalar }
  | { kind: 'string'; test: StringTest }
  | { kind: 'numeric'; test: (value: number) => boolean }
  | { kind: 'exists'; exists: boolean }
  /** Matches any present value the exclusion does not: values of another type always pass. */
  | { kind: 'anything-but'; excluded: (value: Scalar) => boolean };

interface Leaf {
  /** The field's path from the event's root, `$or` levels left out. */
  path: readonly string[];
  matchers: readonly ValueMatcher[];
}

interface PatternNode {
  fields: ReadonlyArray<[name: string, child: PatternNode | Leaf]>;
  /** Each entry is one `$or`: at least one of its branches must match the same object. */
  ors: ReadonlyArray<readonly PatternNode[]>;
}

/** A validated pattern, ready to match events. Build with `compileEventPattern`. */
export interface EventPattern {
  /** The pattern as given (parsed), for display and storage. */
  readonly source: Readonly<Record<string, unknown>>;
  readonly root: PatternNode;
}

const OR = '$or';
/** Event Ruler refuses these as field names inside `$or`, where they would be ambiguous. */
const RESERVED_IN_OR = new Set([
  'anything-but',
  'cidr',
  'equals-ignore-case',
  'exact',
  'exists',
  'numeric',
  'prefix',
  'suffix',
  'wildcard',
]);

function fail(reason: string): never {
  throw new InvalidEventPatternError(reason);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** How Event Ruler's messages quote the JSON token they stopped at. */
function tokenText(value: unknown): string {
  if (value === undefined) return ']';
  if (Array.isArray(value)) return '[';
  if (isObject(value)) return '{';
  return String(value);
}

/**
 * Validates `pattern` (a JSON string, or already parsed) and compiles it for matching.
 * Throws InvalidEventPatternError with Event Ruler's reason for the first problem found.
 */
export function compileEventPattern(pattern: unknown): EventPattern {
  let parsed = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch {
      fail('Filter is not valid JSON');
    }
  }
  if (!isObject(parsed)) fail('Filter is not an object');
  return { source: parsed, root: compileObject(parsed, [], false) };
}

/** `validateEventPattern(p)` is the reason `p` is invalid, or undefined when it is valid. */
export function validateEventPattern(pattern: unknown): string | undefined {
  try {
    compileEventPattern(pattern);
    return undefined;
  } catch (err) {
    if (err instanceof InvalidEventPatternError) return err.reason;
    throw err;
  }
}

function compileObject(object: Record<string, unknown>, path: readonly string[], insideOr: boolean): PatternNode {
  const fields: Array<[string, PatternNode | Leaf]> = [];
  const ors: PatternNode[][] = [];
  const entries = Object.entries(object);
  if (entries.length === 0) fail('Empty objects are not allowed');
  for (const [name, value] of entries) {
    if (name === OR) {
      ors.push(compileOr(value, path));
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(name)) {
      fail(`${name} is Ruler reserved fieldName which cannot be used inside ${OR}.`);
    }
    if (isObject(value)) fields.push([name, compileObject(value, [...path, name], insideOr)]);
    else if (Array.isArray(value)) fields.push([name, compileLeaf(value, [...path, name])]);
    else fail(`"${name}" must be an object or an array`);
  }
  return { fields, ors };
}

function compileOr(value: unknown, path: readonly string[]): PatternNode[] {
  if (!Array.isArray(value)) fail(`It must be an Array followed with ${OR}.`);
  const branches = value.map((branch) => {
    if (!isObject(branch)) fail(`Only JSON object is allowed in array of ${OR} relationship.`);
    return compileObject(branch, path, true);
  });
  if (branches.length < 2) fail(`There must have at least 2 Objects in ${OR} relationship.`);
  return branches;
}

function compileLeaf(values: unknown[], path: readonly string[]): Leaf {
  if (values.length === 0) fail('Empty arrays are not allowed');
  const matchers = values.map((value): ValueMatcher => {
    if (isObject(value)) return compileMatchExpression(value);
    if (isScalar(value)) return { kind: 'exact', value };
    return fail('Match value must be String, number, true, false, or null');
  });
  return { path, matchers };
}

/** `{"prefix": "x"}`, `{"numeric": [...]}`, ...: exactly one operator. */
function compileMatchExpression(expression: Record<string, unknown>): ValueMatcher {
  const keys = Object.keys(expression);
  const operator = keys[0];
  if (operator === undefined) fail('Match expression name not found');
  const operand = expression[operator];
  const onlyOneKey = () => {
    if (keys.length > 1) fail('Only one key allowed in match expression');
  };
  switch (operator) {
    case 'prefix':
    case 'suffix': {
      if (isObject(operand)) {
        const inner = Object.keys(operand);
        const innerOperator = inner[0];
        const title = operator === 'prefix' ? 'Prefix' : 'Suffix';
        if (innerOperator === undefined) fail(`${title} expression name not found`);
        if (innerOperator !== 'equals-ignore-case') fail(`Unsupported ${operator} pattern: ${innerOperator}`);
        const text = operand[innerOperator];
        if (typeof text !== 'string') fail('equals-ignore-case match pattern must be a string');
        if (inner.length > 1 || keys.length > 1) fail('Only one key allowed in match expression');
        return { kind: 'string', test: affixTest(operator, text, true) };
      }
      if (typeof operand !== 'string') fail(`${operator} match pattern must be a string`);
      onlyOneKey();
      return { kind: 'string', test: affixTest(operator, operand, false) };
    }
    case 'equals-ignore-case': {
      if (typeof operand !== 'string') fail('equals-ignore-case match pattern must be a string');
      onlyOneKey();
      const folded = foldCase(operand);
      return { kind: 'string', test: (value) => foldCase(value) === folded };
    }
    case 'wildcard': {
      if (typeof operand !== 'string') fail('wildcard match pattern must be a string');
      const regex = wildcardRegex(operand);
      onlyOneKey();
      return { kind: 'string', test: (value) => regex.test(value) };
    }
    case 'cidr': {
      // Event Ruler's own words for a cidr that is not a string.
      if (typeof operand !== 'string') fail('prefix match pattern must be a string');
      const test = cidrTest(operand);
      onlyOneKey();
      return { kind: 'string', test };
    }
    case 'numeric': {
      if (!Array.isArray(operand)) fail('Value of numeric must be an array.');
      const test = numericTest(operand);
      if (keys.length > 1) fail('Too many elements in numeric expression');
      return { kind: 'numeric', test };
    }
    case 'exists': {
      if (typeof operand !== 'boolean') fail('exists match pattern must be either true or false.');
      onlyOneKey();
      return { kind: 'exists', exists: operand };
    }
    case 'anything-but': {
      const excluded = anythingBut(operand);
      if (keys.length > 1) fail('Too many elements in numeric expression');
      return { kind: 'anything-but', excluded };
    }
    default:
      return fail(`Unrecognized match type ${operator}`);
  }
}

/**
 * Case folding for equals-ignore-case: lower-casing after upper-casing folds the pairs JavaScript's
 * toLowerCase alone misses (e.g. the long s).
 */
function foldCase(value: string): string {
  return value.toUpperCase().toLowerCase();
}

function affixTest(operator: 'prefix' | 'suffix', affix: string, ignoreCase: boolean): StringTest {
  const wanted = ignoreCase ? foldCase(affix) : affix;
  const fold = ignoreCase ? foldCase : (value: string) => value;
  return operator === 'prefix' ? (value) => fold(value).startsWith(wanted) : (value) => fold(value).endsWith(wanted);
}

/**
 * `*` matches any run of characters, including none; `\*` is a literal star and `\\` a literal backslash.
 * Two wildcards in a row and any other escape are refused, as Event Ruler refuses them.
 */
function wildcardRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') fail(`Invalid escape character at pos ${i + 1}`);
      source += `\\${next}`;
      i++;
    } else if (char === '*') {
      if (pattern[i + 1] === '*') fail(`Consecutive wildcard characters at pos ${i + 1}`);
      source += '[\\s\\S]*';
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 'u');
}

function cidrTest(cidr: string): StringTest {
  const parts = cidr.split('/');
  if (parts.length !== 2) fail("Malformed CIDR, one '/' required");
  const [address, maskText] = parts as [string, string];
  if (!/^[0-9]+$/.test(maskText)) fail('Malformed CIDR, mask bits must be an integer');
  const family = isIP(address);
  if (family === 0) fail(`Nonstandard IP address: ${address}`);
  const mask = Number(maskText);
  const maxBits = family === 4 ? 32 : 128;
  if (mask > maxBits) fail(`Malformed CIDR, mask bits must be between 0 and ${maxBits}`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const block = new BlockList();
  block.addSubnet(address, mask, type);
  return (value) => isIP(value) === family && block.check(value, type);
}

const LOWER_OPERATORS = new Set(['>', '>=']);
const UPPER_OPERATORS = new Set(['<', '<=']);

/** `["=", 5]`, `[">", 0]`, `["<=", 5]`, `[">", 0, "<=", 5]`: in Event Ruler's grammar and words. */
function numericTest(terms: unknown[]): (value: number) => boolean {
  const [operator, operand, ...rest] = terms;
  if (typeof operator !== 'string') fail(`Invalid member in numeric match: ${tokenText(operator)}`);
  const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const tooMany = () => fail('Too many elements in numeric expression');
  const compare = (op: string, bound: number) => {
    switch (op) {
      case '=':
        return (v: number) => v === bound;
      case '>':
        return (v: number) => v > bound;
      case '>=':
        return (v: number) => v >= bound;
      case '<':
        return (v: number) => v < bound;
      default:
        return (v: number) => v <= bound;
    }
  };
  if (operator !== '=' && !LOWER_OPERATORS.has(operator) && !UPPER_OPERATORS.has(operator)) {
    fail(`Unrecognized numeric range operator: ${operator}`);
  }
  if (!isNumber(operand)) fail(`Value of ${operator === '=' ? 'equals' : operator} must be numeric`);
  const first = compare(operator, operand);
  if (rest.length === 0) return first;
  if (!LOWER_OPERATORS.has(operator)) tooMany();
  const [topOperator, top, ...more] = rest;
  if (typeof topOperator !== 'string') fail(`Bad value in numeric range: ${tokenText(topOperator)}`);
  if (!UPPER_OPERATORS.has(topOperator)) fail(`Bad numeric range operator: ${topOperator}`);
  if (!isNumber(top)) fail(`Value of ${topOperator} must be numeric`);
  if (more.length > 0) fail('Too many terms in numeric range expression');
  if (top <= operand) fail('Bottom must be less than top');
  const second = compare(topOperator, top);
  return (v) => first(v) && second(v);
}

const ANYTHING_BUT_SETS = new Set(['equals-ignore-case', 'prefix', 'suffix', 'wildcard']);

/** Compiles anything-but's operand to "is this value excluded?". */
function anythingBut(operand: unknown): (value: Scalar) => boolean {
  if (isObject(operand)) {
    const keys = Object.keys(operand);
    const operator = keys[0];
    if (operator === undefined) fail('Anything-But expression name not found');
    if (!ANYTHING_BUT_SETS.has(operator)) fail(`Unsupported anything-but pattern: ${operator}`);
    const inner = operand[operator];
    if (!Array.isArray(inner) && typeof inner !== 'string' && typeof inner !== 'number') {
      fail('Value of anything-but must be an array or single string/number value.');
    }
    const texts = (Array.isArray(inner) ? inner : [inner]).map((text) => {
      if (typeof text !== 'string') {
        if (operator === 'equals-ignore-case') {
          fail('Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.');
        }
        fail(
          operator === 'wildcard'
            ? 'wildcard match pattern must be a string'
            : 'prefix/suffix match pattern must be a string',
        );
      }
      if ((operator === 'prefix' || operator === 'suffix') && text === '') fail('Null prefix/suffix not allowed');
      return text;
    });
    if (keys.length > 1) fail('Too many elements in numeric expression');
    const tests: StringTest[] = texts.map((text) => {
      if (operator === 'prefix' || operator === 'suffix') return affixTest(operator, text, false);
      if (operator === 'wildcard') {
        const regex = wildcardRegex(text);
        return (value) => regex.test(value);
      }
      const folded = foldCase(text);
      return (value) => foldCase(value) === folded;
    });
    // Only strings can be excluded by a string test: a number or null is "anything but" them.
    return (value) => typeof value === 'string' && tests.some((test) => test(value));
  }
  if (Array.isArray(operand)) {
    if (operand.some((item) => typeof item !== 'string' && typeof item !== 'number')) {
      fail('Inside anything but list, start|null|boolean is not supported.');
    }
    const strings = operand.filter((item) => typeof item === 'string');
    if (operand.length === 0 || (strings.length > 0 && strings.length < operand.length)) {
      fail('Inside anything but list, either all values are number or string, mixed type is not supported');
    }
    const excluded = new Set<unknown>(operand);
    return (value) => excluded.has(value);
  }
  if (typeof operand === 'string' || typeof operand === 'number') return (value) => value === operand;
  return fail('Value of anything-but must be an array or single string/number value.');
}

// ---------------------------------------------------------------------------------------------------------
// Matching

/** Whether `event` (a parsed JSON object: the whole event, `detail` included) matches `pattern`. */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isObject(event)) return false;
  return matchNode(pattern.root, event, event);
}

/** Compiles (validating) and matches in one call; compile once with compileEventPattern to match many events. */
export function testEventPattern(pattern: unknown, event: unknown): boolean {
  return matchesEventPattern(compileEventPattern(pattern), event);
}

function matchNode(node: PatternNode, object: Record<string, unknown>, root: Record<string, unknown>): boolean {
  for (const [name, child] of node.fields) {
    const present = Object.hasOwn(object, name);
    const value = present ? object[name] : undefined;
    if ('matchers' in child) {
      if (!matchLeaf(child, present ? leafValues(value) : [], root)) return false;
    } else if (!objectCandidates(present, value).some((candidate) => matchNode(child, candidate, root))) {
      return false;
    }
  }
  return node.ors.every((branches) => branches.some((branch) => matchNode(branch, object, root)));
}

/** The objects a nested pattern is matched against: the object, or each object element of an array. */
function objectCandidates(present: boolean, value: unknown): Record<string, unknown>[] {
  if (!present) return [{}];
  if (isObject(value)) return [value];
  if (Array.isArray(value)) {
    const objects = flatten(value).filter(isObject);
    return objects.length > 0 ? objects : [{}];
  }
  return [{}];
}

function flatten(values: unknown[]): unknown[] {
  return values.flatMap((value) => (Array.isArray(value) ? flatten(value) : [value]));
}

/** The values a field holds: itself, or the scalars of an array; an object has none. */
function leafValues(value: unknown): Scalar[] {
  if (Array.isArray(value)) return flatten(value).filter(isScalar);
  return isScalar(value) ? [value] : [];
}

function matchLeaf(leaf: Leaf, values: readonly Scalar[], root: Record<string, unknown>): boolean {
  return leaf.matchers.some((matcher) => {
    switch (matcher.kind) {
      case 'exists':
        return matcher.exists ? values.length > 0 : !hasValueAt(root, leaf.path, 0);
      case 'exact':
        return values.some((value) => value === matcher.value);
      case 'string':
        return values.some((value) => typeof value === 'string' && matcher.test(value));
      case 'numeric':
        return values.some((value) => typeof value === 'number' && matcher.test(value));
      case 'anything-but':
        return values.some((value) => !matcher.excluded(value));
    }
    return false;
  });
}

/** Whether any branch of `value` (through arrays) holds a scalar at `path[index...]`. */
function hasValueAt(value: unknown, path: readonly string[], index: number): boolean {
  if (Array.isArray(value)) return value.some((element) => hasValueAt(element, path, index));
  if (index === path.length) return isScalar(value);
  if (!isObject(value)) return false;
  const name = path[index]!;
  return Object.hasOwn(value, name) && hasValueAt(value[name], path, index + 1);
}
