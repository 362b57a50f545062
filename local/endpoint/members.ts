/**
 * Reading the members of an awsJson request (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html) for
 * every local service's api module: ECS (local/ecs/input.ts), Step Functions (local/sfn/api.ts) and EventBridge
 * (local/events/api.ts). A member of the wrong JSON type is a SerializationException, as the protocol layer of
 * AWS answers before the service runs; a value that breaks a constraint of the API model (required, length,
 * range, enum) is the service's own validation error, which each service gives as `violation`: ECS answers
 * InvalidParameterException in its words, Step Functions and EventBridge a ValidationException in Smithy's
 * ("1 validation error detected: Value ... at '...' failed to satisfy constraint: ..."; validationMessage).
 * Every message names the member by its path as the caller wrote it (`overrides.containerOverrides[0].cpu`),
 * which may differ from its key (EventBridge's `Name` is `name` in its messages).
 */
import { type AwsError, SerializationException } from './errors';
import type { JsonObject } from './service';

/** A constraint of the API model that a member's value breaks. */
export type Violation =
  | { kind: 'required' }
  | { kind: 'length'; value: string; min?: number; max?: number }
  | { kind: 'range'; value: number; min?: number; max?: number }
  | { kind: 'enum'; value: string; allowed: readonly string[] }
  | { kind: 'items'; count: number; max: number };

export interface MemberRules {
  /** The service's error for a member at `path` that breaks a constraint. */
  violation(path: string, violation: Violation): AwsError;
  /**
   * What a required string that is `""` is: `missing` (ECS: "'cluster' is required."), `too-short` (Step Functions:
   * a length violation with min 1), or `allowed` (EventBridge, whose constraints say what they need).
   */
  emptyRequired: 'missing' | 'too-short' | 'allowed';
  /** How a wrong-type message names a JSON object: Smithy's `a structure` unless given. */
  structure?: string;
}

/** Where the member is in messages (default its key), and the constraints of its value. */
export interface StringMember {
  path?: string;
  minLength?: number;
  maxLength?: number;
}

export interface IntegerMember {
  path?: string;
  min?: number;
  max?: number;
}

export interface ListMember {
  path?: string;
  maxItems?: number;
}

/** A member's path, or its path and constraints. */
type At<T> = string | T;

function member<T extends { path?: string }>(name: string, at: At<T> | undefined): T & { path: string } {
  if (typeof at === 'string') return { path: at } as T & { path: string };
  return { ...(at as T), path: at?.path ?? name };
}

/**
 * Smithy's words for a constraint violation, as AWS's validation layer answers it: the value quoted (a string as
 * it is, anything else as JSON), `null` for a missing member, or left out (`Value at`) when AWS does not echo it.
 */
export function validationMessage(path: string, rule: string, value?: unknown): string {
  const shown =
    value === undefined
      ? ''
      : value === null
        ? ' null'
        : ` '${typeof value === 'string' ? value : JSON.stringify(value)}'`;
  return `1 validation error detected: Value${shown} at '${path}' failed to satisfy constraint: ${rule}`;
}

/** The side of a bound a value breaks, in Smithy's words: `greater than or equal to 1`. */
function bound(value: number, min: number | undefined, max: number | undefined): string {
  return min !== undefined && value < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`;
}

/**
 * Smithy's rule for a violation and the value to echo, for validationMessage: a length with both bounds is
 * `between`, any other bound names the side broken.
 */
export function smithyRule(violation: Violation): [rule: string, value: unknown] {
  switch (violation.kind) {
    case 'required':
      return ['Member must not be null', null];
    case 'enum':
      return [`Member must satisfy enum value set: [${violation.allowed.join(', ')}]`, violation.value];
    case 'length': {
      const { value, min, max } = violation;
      const rule = min !== undefined && max !== undefined ? `between ${min} and ${max}` : bound(value.length, min, max);
      return [`Member must have length ${rule}`, value];
    }
    case 'range':
      return [`Member must have value ${bound(violation.value, violation.min, violation.max)}`, violation.value];
    case 'items':
      return [`Member must have length less than or equal to ${violation.max}`, undefined];
  }
}

/**
 * A JSON document carried as text (a request body, EventBridge's Detail and Event): the object it holds, or why
 * it holds none, so each caller answers in its own words.
 */
export function parseJsonObject(
  text: string,
): { ok: true; value: JsonObject } | { ok: false; reason: 'json' | 'object' } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'json' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'object' };
  return { ok: true, value: value as JsonObject };
}

export function memberReader(rules: MemberRules) {
  const structure = rules.structure ?? 'a structure';
  const wrongType = (path: string, what: string) => new SerializationException(`'${path}' must be ${what}.`);

  function present(input: JsonObject, name: string): unknown {
    const value = input[name];
    return value === null ? undefined : value;
  }

  function checkLength(value: string, { path, minLength, maxLength }: StringMember & { path: string }): string {
    if (
      (minLength !== undefined && value.length < minLength) ||
      (maxLength !== undefined && value.length > maxLength)
    ) {
      throw rules.violation(path, { kind: 'length', value, min: minLength, max: maxLength });
    }
    return value;
  }

  function optionalString(input: JsonObject, name: string, at?: At<StringMember>): string | undefined {
    const m = member(name, at);
    const value = present(input, name);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw wrongType(m.path, 'a string');
    return checkLength(value, m);
  }

  function requiredString(input: JsonObject, name: string, at?: At<StringMember>): string {
    const m = member(name, at);
    const value = present(input, name);
    if (value === undefined) throw rules.violation(m.path, { kind: 'required' });
    if (typeof value !== 'string') throw wrongType(m.path, 'a string');
    if (value === '' && rules.emptyRequired === 'missing') throw rules.violation(m.path, { kind: 'required' });
    if (value === '' && rules.emptyRequired === 'too-short') {
      throw rules.violation(m.path, { kind: 'length', value, min: 1, max: m.maxLength });
    }
    return checkLength(value, m);
  }

  function optionalEnum<T extends string>(
    input: JsonObject,
    name: string,
    allowed: readonly T[],
    at?: string,
  ): T | undefined {
    const path = at ?? name;
    const value = optionalString(input, name, path);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) throw rules.violation(path, { kind: 'enum', value, allowed });
    return value as T;
  }

  function optionalInteger(input: JsonObject, name: string, at?: At<IntegerMember>): number | undefined {
    const { path, min, max } = member(name, at);
    const value = present(input, name);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(path, 'an integer');
    if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
      throw rules.violation(path, { kind: 'range', value, min, max });
    }
    return value;
  }

  function optionalBoolean(input: JsonObject, name: string, at?: string): boolean | undefined {
    const value = present(input, name);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw wrongType(at ?? name, 'a boolean');
    return value;
  }

  const isObject = (value: unknown): value is JsonObject =>
    typeof value === 'object' && value !== null && !Array.isArray(value);

  function optionalObject(input: JsonObject, name: string, at?: string): JsonObject | undefined {
    const value = present(input, name);
    if (value === undefined) return undefined;
    if (!isObject(value)) throw wrongType(at ?? name, structure);
    return value;
  }

  function optionalList(input: JsonObject, name: string, at?: string): unknown[] | undefined {
    const value = present(input, name);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw wrongType(at ?? name, 'a list');
    return value;
  }

  function optionalStringList(input: JsonObject, name: string, at?: At<ListMember>): string[] | undefined {
    const { path, maxItems } = member(name, at);
    const value = present(input, name);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      throw wrongType(path, 'a list of strings');
    }
    if (maxItems !== undefined && value.length > maxItems) {
      throw rules.violation(path, { kind: 'items', count: value.length, max: maxItems });
    }
    return value as string[];
  }

  /** A list of strings that must hold one at least (an empty one is missing). */
  function requiredStringList(input: JsonObject, name: string, at?: At<ListMember>): string[] {
    const list = optionalStringList(input, name, at);
    if (list === undefined || list.length === 0) throw rules.violation(member(name, at).path, { kind: 'required' });
    return list;
  }

  function optionalObjectList(input: JsonObject, name: string, at?: string): JsonObject[] | undefined {
    const value = present(input, name);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every(isObject)) throw wrongType(at ?? name, 'a list of structures');
    return value;
  }

  return {
    optionalString,
    requiredString,
    optionalEnum,
    optionalInteger,
    optionalBoolean,
    optionalObject,
    optionalList,
    optionalStringList,
    requiredStringList,
    optionalObjectList,
  };
}

export type MemberReader = ReturnType<typeof memberReader>;
