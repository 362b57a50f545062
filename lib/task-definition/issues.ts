/**
 * Zod issues as violations. zod/mini ships no English messages (a message-less issue reads
 * "Invalid input"), so every issue code gets one here; schemas override it where ECS has its own words.
 */
import type * as z from 'zod/mini';
import type { Violation } from './validate';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

const TYPE_NAMES: Readonly<Record<string, string>> = {
  array: 'an array',
  int: 'an integer',
  object: 'an object',
  record: 'an object',
};

function sizeOf(origin: string, bound: number | bigint): string {
  if (origin === 'string') return `${bound} characters long`;
  if (origin === 'array' || origin === 'set') return `${bound} item${bound === 1 ? '' : 's'}`;
  return String(bound);
}

/** Per-parse error map: the message for any issue whose schema does not set its own. */
export function fallbackMessage(issue: RawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'Missing required parameter.';
      return `Must be ${TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`}.`;
    case 'too_small':
      if (issue.origin === 'string' && issue.minimum === 1) return 'Must not be empty.';
      return `Must be at least ${sizeOf(issue.origin, issue.minimum)}.`;
    case 'too_big':
      return `Must be at most ${sizeOf(issue.origin, issue.maximum)}.`;
    case 'invalid_value':
      return `Must be one of: ${issue.values.map(String).join(', ')}.`;
    case 'invalid_format':
      return issue.pattern === undefined ? `Must be a valid ${issue.format}.` : `Must match ${issue.pattern}.`;
    case 'not_multiple_of':
      return `Must be a multiple of ${issue.divisor}.`;
    case 'unrecognized_keys':
      return 'Unknown parameter.'; // toViolations names each key instead
    case 'invalid_union':
      return 'Does not match any accepted form.';
    case 'invalid_key':
      return 'Has an invalid key.';
    case 'invalid_element':
      return 'Has an invalid element.';
    case 'custom':
      return 'Is not valid.';
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `$.containerDefinitions[0].portMappings[1].hostPort`; keys that are not identifiers are bracketed. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    const name = String(key);
    return IDENTIFIER.test(name) ? `${out}.${name}` : `${out}['${name.replace(/[\\']/g, '\\$&')}']`;
  }, '$');
}

/**
 * One violation per issue, and one per unknown key so each names the key it refuses. A value of the wrong
 * type gets only its type violation: zod runs length checks on anything with a length, so a string where
 * an array belongs would also be reported as too long.
 */
export function toViolations(issues: readonly Issue[]): Violation[] {
  const wrongType = new Set(
    issues.filter((issue) => issue.code === 'invalid_type').map((issue) => jsonPath(issue.path)),
  );
  return issues.flatMap((issue) => {
    const path = jsonPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: jsonPath([...issue.path, key]),
        message: `Unknown parameter "${key}".`,
      }));
    }
    return issue.code === 'invalid_type' || !wrongType.has(path) ? [{ path, message: issue.message }] : [];
  });
}
