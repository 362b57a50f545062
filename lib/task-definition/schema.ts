/**
 * The RegisterTaskDefinition input Berth accepts, as a zod/mini schema (the full zod build would not fit
 * the Lambda size budget). Field lists follow the API reference:
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html and
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
 * Objects are strict, so a misspelt field is refused rather than dropped. Deliberate deviations from ECS:
 * integers may be digit strings ("100") and task cpu/memory may carry units ("1 vCPU", "2 GB"); both are
 * normalised to what ECS stores. Rules that relate fields to each other are in rules.ts.
 */
import type {
  ContainerDependency,
  ContainerRestartPolicy,
  EnvironmentFile,
  EphemeralStorage,
  FirelensConfiguration,
  HealthCheck,
  HostEntry,
  InferenceAccelerator,
  LinuxParameters,
  LogConfiguration,
  MountPoint,
  ProxyConfiguration,
  RepositoryCredentials,
  ResourceRequirement,
  RuntimePlatform,
  Secret,
  SystemControl,
  TaskDefinitionPlacementConstraint,
  Ulimit,
  Volume,
  VolumeFrom,
} from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { INT32_MAX, parseTaskCpu, parseTaskMemory, parseWholeNumber, TASK_CPU_MAX, TASK_CPU_MIN } from './units';

const NAME_CHARACTERS = /^[A-Za-z0-9_-]*$/;
const NAME_MAX = 255;

/** Family and container names follow one ECS rule, and ECS words its messages after the field. */
function resourceName(field: 'Family' | 'Container.name', blank: string) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? blank : `${field} must be a string.`) })
    .check(
      z.minLength(1, blank),
      z.maxLength(NAME_MAX, `${field} is too long. Use at most ${NAME_MAX} characters.`),
      z.regex(NAME_CHARACTERS, `${field} contains invalid characters. Use letters, numbers, hyphens and underscores.`),
    );
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

function integer(min: number, max: number, message: string) {
  return numeric(message, (value) => {
    const n = parseWholeNumber(value);
    return n !== undefined && n >= min && n <= max ? n : undefined;
  });
}

/** Capped at ECS's 32-bit Integer, so an oversized value is refused here rather than by ECS. */
function nonNegative(message: string) {
  return integer(0, INT32_MAX, message);
}

/** ECS stores task cpu and memory as strings of integers. */
function taskSize(message: string, parse: (value: number | string) => number | undefined) {
  return numeric(message, (value) => {
    const n = parse(value);
    return n === undefined ? undefined : String(n);
  });
}

const text = z.string();
const textList = z.array(text);
const flag = z.boolean();
/**
 * A nested structure Berth has no rules for: any object, handed to ECS to judge, typed as the SDK's shape
 * so the normalised definition goes straight into RegisterTaskDefinitionCommand.
 */
function passThrough<T extends object>() {
  return z.pipe(
    z.looseObject({}),
    z.transform((value) => value as T),
  );
}

const NETWORK_MODES = ['none', 'bridge', 'awsvpc', 'host'] as const;
const COMPATIBILITIES = ['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES'] as const;

export const PortMappingSchema = z.strictObject({
  // Optional because a mapping may give a containerPortRange instead (rules.ts requires one of the two).
  containerPort: z.optional(integer(1, 65535, "'containerPort' must be an integer from 1 to 65535.")),
  hostPort: z.optional(integer(0, 65535, "'hostPort' must be an integer from 0 to 65535.")),
  protocol: z.optional(z.enum(['tcp', 'udp'])),
  name: z.optional(text),
  appProtocol: z.optional(z.enum(['http', 'http2', 'grpc'])),
  containerPortRange: z.optional(text),
});

const EnvironmentVariableSchema = z.strictObject({ name: text, value: text });

const TagSchema = z.strictObject({
  key: text.check(z.minLength(1), z.maxLength(128)),
  value: z.optional(text.check(z.maxLength(256))),
});

const containerImageBlank = 'Container.image should not be null or empty.';

export const ContainerDefinitionInputSchema = z.strictObject({
  name: resourceName('Container.name', 'Container.name should not be null or empty.'),
  image: z
    .string({
      error: (issue) => (issue.input === undefined ? containerImageBlank : 'Container.image must be a string.'),
    })
    .check(z.minLength(1, containerImageBlank)),
  repositoryCredentials: z.optional(passThrough<RepositoryCredentials>()),
  cpu: z.optional(nonNegative("'cpu' must be a non-negative integer (CPU units).")),
  memory: z.optional(nonNegative("'memory' must be a non-negative integer (MiB).")),
  memoryReservation: z.optional(nonNegative("'memoryReservation' must be a non-negative integer (MiB).")),
  links: z.optional(textList),
  portMappings: z.optional(z.array(PortMappingSchema)),
  essential: z.optional(flag),
  restartPolicy: z.optional(passThrough<ContainerRestartPolicy>()),
  entryPoint: z.optional(textList),
  command: z.optional(textList),
  environment: z.optional(z.array(EnvironmentVariableSchema)),
  environmentFiles: z.optional(z.array(passThrough<EnvironmentFile>())),
  mountPoints: z.optional(z.array(passThrough<MountPoint>())),
  volumesFrom: z.optional(z.array(passThrough<VolumeFrom>())),
  linuxParameters: z.optional(passThrough<LinuxParameters>()),
  secrets: z.optional(z.array(passThrough<Secret>())),
  dependsOn: z.optional(z.array(passThrough<ContainerDependency>())),
  startTimeout: z.optional(nonNegative("'startTimeout' must be a non-negative integer (seconds).")),
  stopTimeout: z.optional(integer(0, 120, "'stopTimeout' must be an integer from 0 to 120 (seconds).")),
  versionConsistency: z.optional(z.enum(['enabled', 'disabled'])),
  hostname: z.optional(text),
  user: z.optional(text),
  workingDirectory: z.optional(text),
  disableNetworking: z.optional(flag),
  privileged: z.optional(flag),
  readonlyRootFilesystem: z.optional(flag),
  dnsServers: z.optional(textList),
  dnsSearchDomains: z.optional(textList),
  extraHosts: z.optional(z.array(passThrough<HostEntry>())),
  dockerSecurityOptions: z.optional(textList),
  interactive: z.optional(flag),
  pseudoTerminal: z.optional(flag),
  dockerLabels: z.optional(z.record(text, text)),
  ulimits: z.optional(z.array(passThrough<Ulimit>())),
  logConfiguration: z.optional(passThrough<LogConfiguration>()),
  healthCheck: z.optional(passThrough<HealthCheck>()),
  systemControls: z.optional(z.array(passThrough<SystemControl>())),
  resourceRequirements: z.optional(z.array(passThrough<ResourceRequirement>())),
  firelensConfiguration: z.optional(passThrough<FirelensConfiguration>()),
  credentialSpecs: z.optional(textList),
});

const noContainers = 'Container list cannot be empty.';

export const TaskDefinitionInputSchema = z.strictObject(
  {
    family: resourceName('Family', 'Family can not be blank.'),
    taskRoleArn: z.optional(text),
    executionRoleArn: z.optional(text),
    networkMode: z.optional(z.enum(NETWORK_MODES)),
    containerDefinitions: z
      .array(ContainerDefinitionInputSchema, {
        error: (issue) => (issue.input === undefined ? noContainers : undefined),
      })
      .check(
        z.minLength(1, noContainers),
        z.maxLength(10, 'Too many containers: a task definition can have at most 10.'),
      ),
    volumes: z.optional(z.array(passThrough<Volume>())),
    placementConstraints: z.optional(z.array(passThrough<TaskDefinitionPlacementConstraint>())),
    requiresCompatibilities: z.optional(z.array(z.enum(COMPATIBILITIES))),
    cpu: z.optional(
      taskSize(
        `Invalid 'cpu' setting for task. Give CPU units from ${TASK_CPU_MIN} to ${TASK_CPU_MAX} ("1024" or 1024) or vCPUs ("1 vCPU").`,
        parseTaskCpu,
      ),
    ),
    memory: z.optional(
      taskSize(
        `Invalid 'memory' setting for task. Give a positive number of MiB ("2048" or 2048) or a size with a unit ("2 GB", "512 MiB").`,
        parseTaskMemory,
      ),
    ),
    tags: z.optional(z.array(TagSchema).check(z.maxLength(50))),
    pidMode: z.optional(z.enum(['host', 'task'])),
    ipcMode: z.optional(z.enum(['host', 'none', 'task'])),
    proxyConfiguration: z.optional(passThrough<ProxyConfiguration>()),
    inferenceAccelerators: z.optional(z.array(passThrough<InferenceAccelerator>())),
    ephemeralStorage: z.optional(passThrough<EphemeralStorage>()),
    runtimePlatform: z.optional(passThrough<RuntimePlatform>()),
    enableFaultInjection: z.optional(flag),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'The task definition must be a JSON object.' : undefined) },
);

export type TaskDefinitionInput = z.output<typeof TaskDefinitionInputSchema>;
export type ContainerDefinitionInput = z.output<typeof ContainerDefinitionInputSchema>;
export type PortMappingInput = z.output<typeof PortMappingSchema>;
export type NetworkMode = (typeof NETWORK_MODES)[number];
export type Compatibility = (typeof COMPATIBILITIES)[number];
