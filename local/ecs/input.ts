/**
 * Reading members of an ECS request, for the api-* modules: the awsJson member reader (local/endpoint/members.ts)
 * with ECS's words. A member of the wrong JSON type is a SerializationException (what the protocol layer of AWS
 * answers); a value out of range is an InvalidParameterException naming the member. The path in a message is the
 * member's as the caller wrote it (`overrides.containerOverrides[0].cpu`). ECS does not document its words for
 * most of these; where it does not, the message names the parameter and what is allowed.
 */
import type { Tag } from '@aws-sdk/client-ecs';
import { memberReader, type Violation } from '../endpoint/members';
import type { JsonObject } from '../endpoint/service';
import { InvalidParameterException } from './exceptions';

export const MAX_RESULTS = 100;

/** `between 1 and 100`, `at least 1`, `at most 100`. */
function span(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `between ${min} and ${max}`;
  return min !== undefined ? `at least ${min}` : `at most ${max}`;
}

function ecsViolation(path: string, violation: Violation): InvalidParameterException {
  switch (violation.kind) {
    case 'required':
      return new InvalidParameterException(`'${path}' is required.`);
    case 'enum':
      return new InvalidParameterException(
        `'${path}' must be one of ${violation.allowed.join(', ')}; got '${violation.value}'.`,
      );
    case 'range':
      return new InvalidParameterException(
        `'${path}' must be ${span(violation.min, violation.max)}; got ${violation.value}.`,
      );
    case 'items':
      return new InvalidParameterException(`'${path}' can have at most ${violation.max} items.`);
    case 'length':
      return new InvalidParameterException(`'${path}' must be ${span(violation.min, violation.max)} characters long.`);
  }
}

export const {
  optionalString,
  requiredString,
  optionalStringList,
  requiredStringList,
  optionalEnum,
  optionalInteger,
  optionalBoolean,
  optionalObject,
  optionalObjectList,
} = memberReader({ violation: ecsViolation, emptyRequired: 'missing' });

export function maxResults(input: JsonObject): number {
  return optionalInteger(input, 'maxResults', { min: 1, max: MAX_RESULTS }) ?? MAX_RESULTS;
}

export function nextToken(input: JsonObject): string | undefined {
  const token = optionalString(input, 'nextToken');
  return token === '' ? undefined : token;
}

export const INVALID_TOKEN = 'The nextToken is not valid: pass the nextToken of a previous page unchanged.';

/** A page cursor as an opaque token: the last key of the previous page. */
export function encodeCursor(last: string): string {
  return Buffer.from(JSON.stringify({ k: last })).toString('base64url');
}

export function decodeCursor(token: string): string {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && typeof (value as { k?: unknown }).k === 'string') {
      return (value as { k: string }).k;
    }
  } catch {
    // reported below
  }
  throw new InvalidParameterException(INVALID_TOKEN);
}

/**
 * ECS resource tags: at most 50, keys 1-128 and values 0-256 characters, no `aws:` prefix.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html
 */
export function tags(input: JsonObject, name = 'tags'): Tag[] | undefined {
  const list = optionalObjectList(input, name);
  if (list === undefined) return undefined;
  if (list.length > 50) throw new InvalidParameterException(`'${name}' can have at most 50 tags.`);
  const keys = new Set<string>();
  return list.map((tag, i) => {
    const key = optionalString(tag, 'key', `${name}[${i}].key`);
    const value = optionalString(tag, 'value', `${name}[${i}].value`) ?? '';
    if (key === undefined || key.length < 1 || key.length > 128) {
      throw new InvalidParameterException(`'${name}[${i}].key' must be 1 to 128 characters.`);
    }
    if (value.length > 256)
      throw new InvalidParameterException(`'${name}[${i}].value' must be at most 256 characters.`);
    if (key.toLowerCase().startsWith('aws:')) {
      throw new InvalidParameterException(`Tag keys starting with 'aws:' are reserved: '${name}[${i}].key'.`);
    }
    if (keys.has(key)) throw new InvalidParameterException(`Duplicate tag key '${key}' in '${name}'.`);
    keys.add(key);
    return { key, value };
  });
}

export interface AttributeInput {
  name: string;
  value?: string;
  targetType?: 'container-instance';
  targetId?: string;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_./\\-]{1,128}$/;
const ATTRIBUTE_VALUE = /^[A-Za-z0-9_.@/\\: -]{1,128}$/;

/**
 * A list of ECS attributes, each checked against API_Attribute: a name of 1-128 letters, numbers, hyphens,
 * underscores, forward and back slashes and periods; a value of 1-128 of those, at signs, colons and spaces, not
 * starting or ending with a space; targetType `container-instance`.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Attribute.html
 */
export function attributeList(input: JsonObject, name: string, options: { maxItems?: number } = {}): AttributeInput[] {
  const list = optionalObjectList(input, name) ?? [];
  if (options.maxItems !== undefined && list.length > options.maxItems) {
    throw new InvalidParameterException(`'${name}' can have at most ${options.maxItems} items.`);
  }
  return list.map((item, i) => {
    const at = `${name}[${i}]`;
    const attributeName = requiredString(item, 'name', `${at}.name`);
    if (!ATTRIBUTE_NAME.test(attributeName)) {
      throw new InvalidParameterException(
        `Attribute name '${attributeName}' is not valid: 1 to 128 letters, numbers, hyphens, underscores, forward slashes, back slashes or periods.`,
      );
    }
    const value = optionalString(item, 'value', `${at}.value`);
    if (value !== undefined && (!ATTRIBUTE_VALUE.test(value) || value.trim() !== value)) {
      throw new InvalidParameterException(
        `Attribute value '${value}' of '${attributeName}' is not valid: 1 to 128 letters, numbers, hyphens, underscores, periods, at signs, forward slashes, back slashes, colons or spaces, not starting or ending with a space.`,
      );
    }
    const targetType = optionalEnum(item, 'targetType', ['container-instance'] as const, `${at}.targetType`);
    const targetId = optionalString(item, 'targetId', `${at}.targetId`);
    return {
      name: attributeName,
      ...(value !== undefined ? { value } : {}),
      ...(targetType !== undefined ? { targetType } : {}),
      ...(targetId !== undefined ? { targetId } : {}),
    };
  });
}

export interface StrategyItem {
  capacityProvider: string;
  weight: number;
  base: number;
}

/** A capacity provider strategy holds at most 20 providers (API_CapacityProviderStrategyItem). */
const MAX_STRATEGY_ITEMS = 20;

/**
 * A capacity provider strategy (RunTask, CreateCluster, PutClusterCapacityProviders): each item names a provider,
 * weight 0-1000 (default 0), base 0-100000 (default 0); only one item may have a base.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CapacityProviderStrategyItem.html
 */
export function capacityProviderStrategy(input: JsonObject, name: string): StrategyItem[] | undefined {
  const list = optionalObjectList(input, name);
  if (list === undefined) return undefined;
  if (list.length > MAX_STRATEGY_ITEMS) {
    throw new InvalidParameterException(`'${name}' can have at most ${MAX_STRATEGY_ITEMS} items.`);
  }
  const items = list.map((item, i) => ({
    capacityProvider: requiredString(item, 'capacityProvider', `${name}[${i}].capacityProvider`),
    weight: optionalInteger(item, 'weight', { path: `${name}[${i}].weight`, min: 0, max: 1000 }) ?? 0,
    base: optionalInteger(item, 'base', { path: `${name}[${i}].base`, min: 0, max: 100000 }) ?? 0,
  }));
  if (items.filter((i) => i.base > 0).length > 1) {
    throw new InvalidParameterException(
      'Only one capacity provider in a capacity provider strategy can have a base defined.',
    );
  }
  if (new Set(items.map((i) => i.capacityProvider)).size !== items.length) {
    throw new InvalidParameterException(`'${name}' names a capacity provider more than once.`);
  }
  return items;
}
