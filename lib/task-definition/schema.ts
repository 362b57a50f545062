/**
 * The RegisterTaskDefinition input Berth accepts, as zod/mini schemas (the full zod build would not fit the Lambda
 * size budget) built from ECS's own model rather than typed by hand: every member, nested structure, list, map and
 * enum of https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html comes from
 * ./model/register-task-definition.json (generated from botocore's ECS model by ./model/generate.ts), and the
 * constraints ECS documents only in prose from ./model/overlay.ts.
 * Structures are strict at every depth, so a misspelt member is refused rather than dropped. Map keys are checked
 * like any other and kept as own properties: a `__proto__` docker label stays a label and changes no prototype.
 * Deliberate deviations from ECS: integers may be digit strings ("100") and task cpu/memory may carry units
 * ("1 vCPU", "2 GB"); both are normalised to what ECS stores. Rules that relate fields to each other are in rules.ts.
 */
import type {
  ContainerDefinition,
  PortMapping,
  RegisterTaskDefinitionCommandInput,
  Compatibility as SdkCompatibility,
  NetworkMode as SdkNetworkMode,
  Tag,
} from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { fallbackMessage } from './issues';
import type { ModelShape, TrimmedModel } from './model/generate';
import { CONSTRAINTS, type Constraint } from './model/overlay';
import MODEL from './model/register-task-definition.json';
import {
  INT32_MAX,
  INT32_MIN,
  parseTaskCpu,
  parseTaskMemory,
  parseWholeNumber,
  TASK_CPU_MAX,
  TASK_CPU_MIN,
} from './units';

type Schema = z.ZodMiniType;
/** What the per-parse fallback says of any other absent required member. */
const MISSING = 'Missing required parameter.';
const SHAPES = (MODEL as TrimmedModel).shapes;
const ROOT = (MODEL as TrimmedModel).root;

function shapeOf(name: string): ModelShape {
  const shape = SHAPES[name];
  if (shape === undefined) throw new Error(`The task definition model has no shape ${name}.`);
  return shape;
}

/** A number in JSON or in a string, converted by `parse`; `message` covers every way it can be wrong. */
function numeric<T>(message: string, parse: (value: number | string) => T | undefined) {
  return z.pipe(
    z.union([z.number(), z.string()], { error: message }),
    z.transform((value: number | string, ctx): T => {
      const parsed = parse(value);
      if (parsed !== undefined) return parsed;
      ctx.issues.push({ code: 'custom', message, input: value });
      return z.NEVER;
    }),
  );
}

/** ECS Integer (32-bit) within the documented range; digit strings are read as numbers. */
function integer(member: string, min: number, max: number, unit: string | undefined) {
  const range =
    min === INT32_MIN && max === INT32_MAX
      ? 'an integer'
      : min === 0 && max === INT32_MAX
        ? 'a non-negative integer'
        : `an integer from ${min} to ${max}`;
  const message = `'${member}' must be ${range}${unit ? ` (${unit})` : ''}.`;
  const union = z.union([z.number(), z.string()], {
    error: (issue) => (issue.input === undefined ? MISSING : message),
  });
  // JSON Schema applies minimum and maximum to numbers only and pattern to strings only: both forms are described.
  union.register(z.globalRegistry, { minimum: min, maximum: max, pattern: '^[0-9]+$' });
  return z.pipe(
    union,
    z.transform((value: number | string, ctx): number => {
      const n = parseWholeNumber(value);
      if (n !== undefined && n >= min && n <= max) return n;
      ctx.issues.push({ code: 'custom', message, input: value });
      return z.NEVER;
    }),
  );
}

/** ECS stores task cpu and memory as strings of integers. */
function taskSize(message: string, parse: (value: number | string) => number | undefined) {
  return numeric(message, (value) => {
    const n = parse(value);
    return n === undefined ? undefined : String(n);
  });
}

function text(shape: Extract<ModelShape, { type: 'string' }>, c: Constraint | undefined): Schema {
  const checks: z.core.$ZodCheck<string>[] = [];
  const min = c?.min ?? shape.min;
  const max = c?.max ?? shape.max;
  if (min !== undefined && min > 0) checks.push(z.minLength(min));
  if (max !== undefined) checks.push(z.maxLength(max));
  // Smithy patterns are not anchored, so the model's (the tag characters) match any string: where overlay.ts
  // gives the anchored form, it replaces the model's.
  if (shape.pattern !== undefined && c?.patterns === undefined)
    checks.push(z.regex(new RegExp(shape.pattern, 'u'), `Must match ${shape.pattern}.`));
  for (const p of c?.patterns ?? []) checks.push(z.regex(p.regex, p.message));
  return checks.length > 0 ? z.string().check(...checks) : z.string();
}

function oneOf(values: readonly string[], model: readonly string[] | undefined): Schema {
  if (model && (values.length !== model.length || values.some((v) => !model.includes(v)))) {
    throw new Error(`overlay.ts lists ${values.join(', ')} where the model has ${model.join(', ')}.`);
  }
  return z.enum(values as [string, ...string[]], {
    error: (issue) => (issue.input === undefined ? MISSING : undefined),
  });
}

/**
 * A string-to-string map. zod's record assigns each key to a fresh object, so a `__proto__` key would set the
 * prototype (or vanish) instead of being checked and kept: each value is checked here and the result built with
 * Object.fromEntries, which defines every key as an own property.
 */
function stringMap(key: string, value: string): Schema {
  const keyShape = shapeOf(key);
  const valueShape = shapeOf(value);
  if (keyShape.type !== 'string' || valueShape.type !== 'string') {
    throw new Error(`Map of ${key} to ${value}: only maps of strings to strings are handled.`);
  }
  const keySchema = text(keyShape, undefined);
  const valueSchema = text(valueShape, undefined);
  const input = z.unknown();
  input.register(z.globalRegistry, { type: 'object', additionalProperties: { type: 'string' } });
  return z.pipe(
    input,
    z.transform((map, ctx) => {
      if (typeof map !== 'object' || map === null || Array.isArray(map)) {
        ctx.issues.push({ code: 'invalid_type', expected: 'record', input: map });
        return z.NEVER;
      }
      const entries: [string, unknown][] = [];
      for (const [k, v] of Object.entries(map)) {
        const keyResult = keySchema.safeParse(k, { error: fallbackMessage });
        const valueResult = valueSchema.safeParse(v, { error: fallbackMessage });
        for (const issue of [...(keyResult.error?.issues ?? []), ...(valueResult.error?.issues ?? [])]) {
          ctx.issues.push({ ...issue, input: v, path: [k, ...issue.path] });
        }
        if (valueResult.success) entries.push([k, valueResult.data]);
      }
      return Object.fromEntries(entries);
    }),
  );
}

/** The schema of a member of shape `name`: `member` and its overlay constraint `c` shape messages and bounds. */
function memberSchema(name: string, member: string, c: Constraint | undefined): Schema {
  const shape = shapeOf(name);
  switch (shape.type) {
    case 'structure':
      return structure(name);
    case 'list': {
      const item = c?.values ? oneOf(c.values, undefined) : memberSchema(shape.member, member, undefined);
      const min = c?.min ?? shape.min;
      const max = c?.max ?? shape.max;
      const checks = [
        ...(min !== undefined && min > 0 ? [z.minLength(min)] : []),
        ...(max !== undefined ? [z.maxLength(max)] : []),
      ];
      const list = z.array(item);
      return checks.length > 0 ? list.check(...checks) : list;
    }
    case 'map':
      return stringMap(shape.key, shape.value);
    case 'string':
      if (c?.values) return oneOf(c.values, shape.enum);
      return shape.enum ? oneOf(shape.enum, undefined) : text(shape, c);
    case 'integer':
      return integer(member, c?.min ?? shape.min ?? INT32_MIN, c?.max ?? shape.max ?? INT32_MAX, c?.unit);
    case 'boolean':
      return z.boolean();
  }
}

/** Family and container names follow one ECS rule, and ECS words its messages after the field. */
function resourceName(field: 'Family' | 'Container.name', blank: string, c: Constraint) {
  const max = c.max!;
  return z
    .string({ error: (issue) => (issue.input === undefined ? blank : `${field} must be a string.`) })
    .check(
      z.minLength(1, blank),
      z.maxLength(max, `${field} is too long. Use at most ${max} characters.`),
      ...(c.patterns ?? []).map((p) => z.regex(p.regex, `${field} contains invalid characters. ${p.message}`)),
    );
}

const containerImageBlank = 'Container.image should not be null or empty.';
const noContainers = 'Container list cannot be empty.';

/**
 * Members Berth reads in its own way: ECS's messages for names and images, task sizes with units, the container
 * list's bounds. Their constraints still come from the overlay.
 */
const OVERRIDES: Readonly<Record<string, () => Schema>> = {
  'RegisterTaskDefinitionRequest.family': () =>
    resourceName('Family', 'Family can not be blank.', CONSTRAINTS['RegisterTaskDefinitionRequest.family']!),
  'ContainerDefinition.name': () =>
    resourceName(
      'Container.name',
      'Container.name should not be null or empty.',
      CONSTRAINTS['ContainerDefinition.name']!,
    ),
  'ContainerDefinition.image': () => {
    const max = CONSTRAINTS['ContainerDefinition.image']!.max!;
    return z
      .string({
        error: (issue) => (issue.input === undefined ? containerImageBlank : 'Container.image must be a string.'),
      })
      .check(
        z.minLength(1, containerImageBlank),
        // The limit is on the repository and name: a digest adds its own 71 characters.
        z.regex(
          new RegExp(`^[^@]{0,${max}}(?:@|$)`),
          `Container.image is too long. Use at most ${max} characters before any @digest.`,
        ),
        z.regex(
          /^[A-Za-z0-9_.:/#-]*(?:@sha256:[A-Fa-f0-9]{64})?$/,
          'Container.image contains invalid characters. Use letters, numbers, hyphens, underscores, colons, periods, ' +
            'forward slashes and number signs, optionally followed by @sha256: and 64 hexadecimal digits.',
        ),
      );
  },
  'RegisterTaskDefinitionRequest.containerDefinitions': () => {
    const c = CONSTRAINTS['RegisterTaskDefinitionRequest.containerDefinitions']!;
    return z
      .array(structure('ContainerDefinition'), {
        error: (issue) => (issue.input === undefined ? noContainers : undefined),
      })
      .check(
        z.minLength(c.min!, noContainers),
        z.maxLength(c.max!, `Too many containers: a task definition can have at most ${c.max}.`),
      );
  },
  'RegisterTaskDefinitionRequest.cpu': () =>
    taskSize(
      `Invalid 'cpu' setting for task. Give CPU units from ${TASK_CPU_MIN} to ${TASK_CPU_MAX} ("1024" or 1024) or vCPUs ("1 vCPU").`,
      parseTaskCpu,
    ),
  'RegisterTaskDefinitionRequest.memory': () =>
    taskSize(
      `Invalid 'memory' setting for task. Give a positive number of MiB ("2048" or 2048) or a size with a unit ("2 GB", "512 MiB").`,
      parseTaskMemory,
    ),
};

export interface ObjectSchema<Output, Input> extends z.ZodMiniType<Output, Input> {
  /** Each member's schema (optional members wrapped in z.optional), as the cross-field rules read them. */
  shape: Readonly<Record<string, Schema>>;
}

const structures = new Map<string, Schema>();

/** A strict object of the shape's members: required ones per the model and the overlay, the others optional. */
function structure(name: string): Schema {
  const cached = structures.get(name);
  if (cached) return cached;
  const shape = shapeOf(name);
  if (shape.type !== 'structure') throw new Error(`${name} is not a structure.`);
  const required = new Set(shape.required ?? []);
  const members = Object.entries(shape.members).map(([member, m]) => {
    const key = `${name}.${member}`;
    const c = CONSTRAINTS[key];
    const schema = OVERRIDES[key]?.() ?? memberSchema(m.shape, member, c);
    return [member, required.has(member) || c?.required ? schema : z.optional(schema)] as const;
  });
  const schema = z.strictObject(
    Object.fromEntries(members),
    name === ROOT
      ? { error: (issue) => (issue.code === 'invalid_type' ? 'The task definition must be a JSON object.' : undefined) }
      : undefined,
  );
  structures.set(name, schema);
  return schema;
}

/** Numbers may be given as strings, recursively, as the schema's input accepts them. */
type Loose<T> = T extends number
  ? number | string
  : T extends readonly (infer U)[]
    ? Loose<U>[]
    : T extends object
      ? { [K in keyof T]: Loose<T[K]> }
      : T;

/** A container as validated: ECS's type, with the members ECS requires present. */
export type ContainerDefinitionInput = ContainerDefinition & { name: string; image: string };
/** The normalised definition: ECS's RegisterTaskDefinition input, ready for RegisterTaskDefinitionCommand. */
export type TaskDefinitionInput = Omit<RegisterTaskDefinitionCommandInput, 'family' | 'containerDefinitions'> & {
  family: string;
  containerDefinitions: ContainerDefinitionInput[];
};
/** What a caller may send: integers also as digit strings, task cpu and memory also as numbers or with units. */
export type TaskDefinitionRequest = Omit<Loose<TaskDefinitionInput>, 'cpu' | 'memory'> & {
  cpu?: number | string;
  memory?: number | string;
};
export type PortMappingInput = PortMapping;
export type NetworkMode = SdkNetworkMode;
export type Compatibility = SdkCompatibility;

export const TaskDefinitionInputSchema = structure(ROOT) as ObjectSchema<TaskDefinitionInput, TaskDefinitionRequest>;
export const ContainerDefinitionInputSchema = structure('ContainerDefinition') as ObjectSchema<
  ContainerDefinitionInput,
  Loose<ContainerDefinitionInput>
>;
export const TagSchema = structure('Tag') as ObjectSchema<Tag, Tag>;
export const PortMappingSchema = structure('PortMapping') as ObjectSchema<PortMappingInput, Loose<PortMappingInput>>;
