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
  type PortMappingInput,
  PortMappingSchema,
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
  requiresCompatibilities: Read<Compatibility[]>;
  /** CPU units. */
  cpu: Read<number>;
  /** MiB. */
  memory: Read<number>;
  containers: Read<Read<ContainerView>[]>;
}

export function known<T>(value: Read<T>): value is T {
  return value !== undefined && value !== INVALID;
}

function read<S extends z.ZodMiniType>(schema: S, value: unknown): Read<z.output<S>> {
  const result = schema.safeParse(value);
  return result.success ? result.data : INVALID;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Each item read on its own, so one bad item hides only itself. */
function readEach<T>(value: unknown, item: (value: unknown) => Read<T>): Read<Read<T>[]> {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.map(item) : INVALID;
}

function readSize(schema: z.ZodMiniType<string | undefined>, value: unknown): Read<number> {
  const size = read(schema, value);
  return known(size) ? Number(size) : size;
}

function containerView(value: unknown): Read<ContainerView> {
  if (!isObject(value)) return INVALID;
  const shape = ContainerDefinitionInputSchema.shape;
  return {
    name: read(shape.name, value.name),
    essential: read(shape.essential, value.essential),
    cpu: read(shape.cpu, value.cpu),
    memory: read(shape.memory, value.memory),
    memoryReservation: read(shape.memoryReservation, value.memoryReservation),
    portMappings: readEach(value.portMappings, (mapping) => read(PortMappingSchema, mapping)),
  };
}

/** Undefined when the body is not an object: no rule can say anything useful about it. */
export function viewOf(body: unknown): TaskView | undefined {
  if (!isObject(body)) return undefined;
  const shape = TaskDefinitionInputSchema.shape;
  return {
    networkMode: read(shape.networkMode, body.networkMode),
    requiresCompatibilities: read(shape.requiresCompatibilities, body.requiresCompatibilities),
    cpu: readSize(shape.cpu, body.cpu),
    memory: readSize(shape.memory, body.memory),
    containers: readEach(body.containerDefinitions, containerView),
  };
}
