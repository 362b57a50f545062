/**
 * The fields the cross-field rules need, each read on its own with the same schema the full parse uses.
 * Reading field by field is what lets the rules run when an unrelated field is malformed: zod skips an
 * object's refinements once any of its fields has failed, and this pass does not depend on that.
 */
import type * as z from 'zod/mini';
import {
  type Compatibility,
  ContainerDefinitionInputSchema,
  type NetworkMode,
  type ObjectSchema,
  type PortMappingInput,
  PortMappingSchema,
  TagSchema,
  TaskDefinitionInputSchema,
} from './schema';

/** Present but malformed: the schema has reported it already, so rules that need it stay silent. */
export const INVALID = Symbol('invalid');

/** A field as the rules see it: its normalised value, `undefined` when absent, or INVALID. */
export type Read<T> = T | undefined | typeof INVALID;

export interface ContainerView {
  name: Read<string>;
  essential: Read<boolean>;
  cpu: Read<number>;
  memory: Read<number>;
  memoryReservation: Read<number>;
  portMappings: Read<Read<PortMappingInput>[]>;
}

export interface TaskView {
  networkMode: Read<NetworkMode>;
  pidMode: Read<string>;
  ipcMode: Read<string>;
  requiresCompatibilities: Read<Compatibility[]>;
  /** CPU units. */
  cpu: Read<number>;
  /** MiB. */
  memory: Read<number>;
  containers: Read<Read<ContainerView>[]>;
  /** Each tag's key. */
  tagKeys: Read<Read<string>[]>;
}

export function known<T>(value: Read<T>): value is T {
  return value !== undefined && value !== INVALID;
}

function read<S extends z.ZodMiniType>(schema: S, value: unknown): Read<z.output<S>> {
  const result = schema.safeParse(value);
  return result.success ? result.data : INVALID;
}

/** One member of an object read with that member's own schema; T is the member's type in the object's output. */
function readMember<O, K extends keyof O & string>(
  object: ObjectSchema<O, unknown>,
  key: K,
  value: unknown,
): Read<O[K]> {
  const schema = object.shape[key];
  if (schema === undefined) throw new Error(`The schema has no member ${key}.`);
  return read(schema as z.ZodMiniType<O[K]>, value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Each item read on its own, so one bad item hides only itself. */
function readEach<T>(value: unknown, item: (value: unknown) => Read<T>): Read<Read<T>[]> {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.map(item) : INVALID;
}

function readSize(field: 'cpu' | 'memory', body: Record<string, unknown>): Read<number> {
  const size = readMember(TaskDefinitionInputSchema, field, body[field]);
  return known(size) ? Number(size) : size;
}

function containerView(value: unknown): Read<ContainerView> {
  if (!isObject(value)) return INVALID;
  const container = ContainerDefinitionInputSchema;
  return {
    name: readMember(container, 'name', value.name),
    essential: readMember(container, 'essential', value.essential),
    cpu: readMember(container, 'cpu', value.cpu),
    memory: readMember(container, 'memory', value.memory),
    memoryReservation: readMember(container, 'memoryReservation', value.memoryReservation),
    portMappings: readEach(value.portMappings, (mapping) => read(PortMappingSchema, mapping)),
  };
}

/** Undefined when the body is not an object: no rule can say anything useful about it. */
export function viewOf(body: unknown): TaskView | undefined {
  if (!isObject(body)) return undefined;
  return {
    networkMode: readMember(TaskDefinitionInputSchema, 'networkMode', body.networkMode),
    pidMode: readMember(TaskDefinitionInputSchema, 'pidMode', body.pidMode),
    ipcMode: readMember(TaskDefinitionInputSchema, 'ipcMode', body.ipcMode),
    requiresCompatibilities: readMember(
      TaskDefinitionInputSchema,
      'requiresCompatibilities',
      body.requiresCompatibilities,
    ),
    cpu: readSize('cpu', body),
    memory: readSize('memory', body),
    containers: readEach(body.containerDefinitions, containerView),
    tagKeys: readEach(body.tags, (tag) => (isObject(tag) ? readMember(TagSchema, 'key', tag.key) : INVALID)),
  };
}
