/**
 * Reading members of an awsJson request, for the api-* modules. A member of the wrong JSON type is a
 * SerializationException (what the protocol layer of AWS answers); a value out of range is an
 * InvalidParameterException naming the member. `name` is the member's path as the caller wrote it
 * (`overrides.containerOverrides[0].cpu`).
 */
import type { Tag } from '@aws-sdk/client-ecs';
import { SerializationException } from '../endpoint/errors';
import type { JsonObject } from '../endpoint/service';
import { InvalidParameterException } from './exceptions';

export const MAX_RESULTS = 100;

export function optionalString(input: JsonObject, name: string, label = name): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new SerializationException(`'${label}' must be a string.`);
  return value;
}

export function requiredString(input: JsonObject, name: string, label = name): string {
  const value = optionalString(input, name, label);
  if (value === undefined || value === '') throw new InvalidParameterException(`'${label}' is required.`);
  return value;
}

export function optionalStringList(input: JsonObject, name: string, label = name): string[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new SerializationException(`'${label}' must be a list of strings.`);
  }
  return value as string[];
}

export function optionalEnum<T extends string>(
  input: JsonObject,
  name: string,
  allowed: readonly T[],
  label = name,
): T | undefined {
  const value = optionalString(input, name, label);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidParameterException(`'${label}' must be one of ${allowed.join(', ')}; got '${value}'.`);
  }
  return value as T;
}

export function optionalInteger(input: JsonObject, name: string, label = name): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new SerializationException(`'${label}' must be an integer.`);
  }
  return value;
}

export function optionalBoolean(input: JsonObject, name: string, label = name): boolean | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new SerializationException(`'${label}' must be a boolean.`);
  return value;
}

export function optionalObject(input: JsonObject, name: string, label = name): JsonObject | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new SerializationException(`'${label}' must be a structure.`);
  }
  return value as JsonObject;
}

export function optionalObjectList(input: JsonObject, name: string, label = name): JsonObject[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || v === null || Array.isArray(v))) {
    throw new SerializationException(`'${label}' must be a list of structures.`);
  }
  return value as JsonObject[];
}

export function maxResults(input: JsonObject): number {
  const value = optionalInteger(input, 'maxResults');
  if (value === undefined) return MAX_RESULTS;
  if (value < 1 || value > MAX_RESULTS) {
    throw new InvalidParameterException(`'maxResults' must be between 1 and ${MAX_RESULTS}; got ${value}.`);
  }
  return value;
}

export function nextToken(input: JsonObject): string | undefined {
  const token = optionalString(input, 'nextToken');
  return token === '' ? undefined : token;
}

const INVALID_TOKEN = 'The nextToken is not valid: pass the nextToken of a previous page unchanged.';

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
