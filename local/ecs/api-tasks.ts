/**
 * ECS's task operations on the wire (awsJson1_1): RunTask, StartTask, DescribeTasks, ListTasks, StopTask.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html (and API_StartTask.html,
 * API_DescribeTasks.html, API_ListTasks.html, API_StopTask.html). RunTask's rules, in the order ECS checks them
 * here: first the request's own members, then the cluster, then the task definition and what depends on it.
 * - `count` 1..10 (default 1); `launchType` (EC2, FARGATE, EXTERNAL) or `capacityProviderStrategy`, not both;
 *   `startedBy` at most 128 characters, `group` at most 255, `tags` as ECS tags, `clientToken` at most 64 ASCII.
 * - The cluster (ClusterNotFoundException). A strategy may name only providers associated with the cluster, never
 *   Fargate and Auto Scaling group ones together; neither a launch type nor a strategy means the cluster's default
 *   strategy, else EC2. FARGATE providers launch FARGATE; an ASG provider places on its group's instances.
 * - `taskDefinition`: family (latest ACTIVE revision), family:revision or ARN; unknown -> ClientException
 *   "TaskDefinition not found."; an INACTIVE revision -> InvalidParameterException "TaskDefinition is inactive".
 *   It must be compatible: "Task definition does not support launch_type FARGATE.".
 * - `networkConfiguration`: required for awsvpc ("Network Configuration must be provided when networkMode 'awsvpc'
 *   is specified.") and refused otherwise ("Network Configuration is not valid for the given networkMode of this
 *   task definition.", the words users report); subnets 1..16, securityGroups at most 5.
 * - `overrides`: container names must be in the definition; the JSON of the overrides is at most 8192 characters
 *   ("A total of 8192 characters are allowed for overrides").
 * - FARGATE: no placement constraints or strategies, `platformVersion` only for FARGATE.
 * StartTask takes the same members less count, launch type, strategy, placement and client token, and 1 to 10
 * container instances (none: ClientException "Container Instances cannot be empty."). ECS's words for the override
 * limit and the placement refusals with FARGATE are not documented; the messages name the parameter.
 */

import type { Tag } from '@aws-sdk/client-ecs';
import canonicalize from 'canonicalize';
import { PlacementParameterError } from '../../lib/placement/errors';
import { validatePlacementOptions } from '../../lib/placement/placement';
import type { PlacementConstraintInput, PlacementStrategyInput } from '../../lib/placement/types';
import type { JsonObject, Operation } from '../endpoint/service';
import { autoScalingGroupName, type CapacityProviders, FARGATE_PROVIDERS } from './capacity-providers';
import type { ClusterEntry, Clusters, InstanceEntry } from './clusters';
import { ClientException, InvalidParameterException } from './exceptions';
import {
  capacityProviderStrategy,
  maxResults,
  nextToken,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalObject,
  optionalObjectList,
  optionalString,
  optionalStringList,
  requiredString,
  type StrategyItem,
  tags,
} from './input';
import type { StoredTaskDefinition, TaskDefinitions } from './models';
import type { AwsVpcConfiguration, ContainerOverride, LaunchType, RunRequest, TaskOverride } from './task-types';
import type { Tasks } from './tasks';

const LAUNCH_TYPES = ['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES'] as const;
const NOT_ASSOCIATED =
  'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.';
const MAX_OVERRIDES_LENGTH = 8192;
const MAX_DESCRIBE_TASKS = 100;
const MAX_START_INSTANCES = 10;
/** What ECS answers a StartTask (or DescribeContainerInstances) naming no container instance. */
export const EMPTY_CONTAINER_INSTANCES = 'Container Instances cannot be empty.';

function resolveTaskDefinition(model: TaskDefinitions, identifier: string): StoredTaskDefinition {
  let found: StoredTaskDefinition;
  try {
    found = model.describe(identifier);
  } catch (err) {
    if (err instanceof ClientException) throw new ClientException('TaskDefinition not found.');
    throw err;
  }
  if (found.taskDefinition.status !== 'ACTIVE') throw new InvalidParameterException('TaskDefinition is inactive');
  return found;
}

function positive(value: number | undefined, name: string, min: number): number | undefined {
  if (value !== undefined && value < min) {
    throw new InvalidParameterException(`'${name}' must be at least ${min}; got ${value}.`);
  }
  return value;
}

function parseOverrides(input: JsonObject, definition: StoredTaskDefinition): TaskOverride {
  const raw = optionalObject(input, 'overrides');
  if (raw === undefined) return {};
  if (JSON.stringify(raw).length > MAX_OVERRIDES_LENGTH) {
    throw new InvalidParameterException(
      `Container Overrides length must be at most ${MAX_OVERRIDES_LENGTH} characters: a total of 8192 characters are allowed for overrides.`,
    );
  }
  const names = new Set((definition.taskDefinition.containerDefinitions ?? []).map((c) => c.name));
  const out: TaskOverride = {};
  const list = optionalObjectList(raw, 'containerOverrides', 'overrides.containerOverrides');
  if (list !== undefined) {
    out.containerOverrides = list.map((o, i): ContainerOverride => {
      const at = `overrides.containerOverrides[${i}]`;
      const name = optionalString(o, 'name', `${at}.name`);
      if (name === undefined || name === '') throw new InvalidParameterException(`'${at}.name' is required.`);
      if (!names.has(name)) {
        throw new InvalidParameterException(
          `Override for container named ${name} is not a container in the TaskDefinition.`,
        );
      }
      const override: ContainerOverride = { name };
      const command = optionalStringList(o, 'command', `${at}.command`);
      if (command !== undefined) override.command = command;
      const environment = optionalObjectList(o, 'environment', `${at}.environment`);
      if (environment !== undefined) {
        override.environment = environment.map((pair, j) => {
          const key = optionalString(pair, 'name', `${at}.environment[${j}].name`);
          if (key === undefined || key === '') {
            throw new InvalidParameterException(`'${at}.environment[${j}].name' is required.`);
          }
          return { name: key, value: optionalString(pair, 'value', `${at}.environment[${j}].value`) ?? '' };
        });
      }
      const cpu = positive(optionalInteger(o, 'cpu', `${at}.cpu`), `${at}.cpu`, 0);
      if (cpu !== undefined) override.cpu = cpu;
      const memory = positive(optionalInteger(o, 'memory', `${at}.memory`), `${at}.memory`, 1);
      if (memory !== undefined) override.memory = memory;
      const reservation = positive(
        optionalInteger(o, 'memoryReservation', `${at}.memoryReservation`),
        `${at}.memoryReservation`,
        1,
      );
      if (reservation !== undefined) override.memoryReservation = reservation;
      if (memory !== undefined && reservation !== undefined && reservation > memory) {
        throw new InvalidParameterException(`'${at}.memoryReservation' must be less than or equal to '${at}.memory'.`);
      }
      return override;
    });
  }
  for (const member of ['cpu', 'memory'] as const) {
    const value = optionalString(raw, member, `overrides.${member}`);
    if (value === undefined) continue;
    if (!/^[1-9][0-9]{0,8}$/.test(value)) {
      throw new InvalidParameterException(`'overrides.${member}' must be a whole number, as a string; got '${value}'.`);
    }
    out[member] = value;
  }
  const taskRoleArn = optionalString(raw, 'taskRoleArn', 'overrides.taskRoleArn');
  if (taskRoleArn !== undefined) out.taskRoleArn = taskRoleArn;
  const executionRoleArn = optionalString(raw, 'executionRoleArn', 'overrides.executionRoleArn');
  if (executionRoleArn !== undefined) out.executionRoleArn = executionRoleArn;
  const storage = optionalObject(raw, 'ephemeralStorage', 'overrides.ephemeralStorage');
  if (storage !== undefined) {
    const size = optionalInteger(storage, 'sizeInGiB', 'overrides.ephemeralStorage.sizeInGiB');
    if (size === undefined || size < 20 || size > 200) {
      throw new InvalidParameterException("'overrides.ephemeralStorage.sizeInGiB' must be from 20 to 200.");
    }
    out.ephemeralStorage = { sizeInGiB: size };
  }
  return out;
}

function parseNetwork(input: JsonObject, networkMode: string | undefined): AwsVpcConfiguration | undefined {
  const config = optionalObject(input, 'networkConfiguration');
  const awsvpc = config && optionalObject(config, 'awsvpcConfiguration', 'networkConfiguration.awsvpcConfiguration');
  if (networkMode !== 'awsvpc') {
    if (awsvpc !== undefined) {
      throw new InvalidParameterException(
        'Network Configuration is not valid for the given networkMode of this task definition.',
      );
    }
    return undefined;
  }
  if (awsvpc === undefined) {
    throw new InvalidParameterException(
      "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
    );
  }
  const at = 'networkConfiguration.awsvpcConfiguration';
  const subnets = optionalStringList(awsvpc, 'subnets', `${at}.subnets`) ?? [];
  if (subnets.length === 0) throw new InvalidParameterException('subnets can not be empty.');
  if (subnets.length > 16) throw new InvalidParameterException(`'${at}.subnets' can have at most 16 items.`);
  const securityGroups = optionalStringList(awsvpc, 'securityGroups', `${at}.securityGroups`);
  if (securityGroups !== undefined && securityGroups.length > 5) {
    throw new InvalidParameterException(`'${at}.securityGroups' can have at most 5 items.`);
  }
  const assignPublicIp = optionalEnum(
    awsvpc,
    'assignPublicIp',
    ['ENABLED', 'DISABLED'] as const,
    `${at}.assignPublicIp`,
  );
  return {
    subnets,
    ...(securityGroups !== undefined ? { securityGroups } : {}),
    assignPublicIp: assignPublicIp ?? 'DISABLED',
  };
}

function placementList<T>(input: JsonObject, name: string): T[] {
  return (optionalObjectList(input, name) ?? []).map((item, i) => {
    const out: Record<string, string> = {};
    for (const key of ['type', 'expression', 'field']) {
      const value = optionalString(item, key, `${name}[${i}].${key}`);
      if (value !== undefined) out[key] = value;
    }
    return out as T;
  });
}

/** What RunTask and StartTask share: the definition, network, overrides, who started it, group and tags. */
type TaskRequestBase = Pick<
  RunRequest,
  'taskDefinition' | 'awsvpc' | 'overrides' | 'startedBy' | 'group' | 'tags' | 'enableExecuteCommand'
>;

/** The members RunTask and StartTask share, after the definition's launch type check (`launchType`). */
/** The members RunTask and StartTask share that need no lookup, checked before anything is looked up. */
interface TaskStatics {
  startedBy?: string;
  group?: string;
  propagateTags?: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  tags: Tag[];
  enableExecuteCommand: boolean;
}

function taskStatics(input: JsonObject): TaskStatics {
  const startedBy = optionalString(input, 'startedBy');
  if (startedBy !== undefined && startedBy.length > 128) {
    throw new InvalidParameterException("'startedBy' must be at most 128 characters.");
  }
  const group = optionalString(input, 'group');
  if (group !== undefined && (group.length === 0 || group.length > 255)) {
    throw new InvalidParameterException("'group' must be 1 to 255 characters.");
  }
  const propagateTags = optionalEnum(input, 'propagateTags', ['TASK_DEFINITION', 'SERVICE', 'NONE'] as const);
  const own = tags(input) ?? [];
  optionalBoolean(input, 'enableECSManagedTags');
  return {
    ...(startedBy !== undefined ? { startedBy } : {}),
    ...(group !== undefined ? { group } : {}),
    ...(propagateTags !== undefined ? { propagateTags } : {}),
    tags: own,
    enableExecuteCommand: optionalBoolean(input, 'enableExecuteCommand') ?? false,
  };
}

/** The members RunTask and StartTask share, against the definition, after its launch type check. */
function parseTaskBase(
  input: JsonObject,
  statics: TaskStatics,
  taskDefinition: StoredTaskDefinition,
  launchType: LaunchType,
): TaskRequestBase {
  const td = taskDefinition.taskDefinition;
  if (!(td.compatibilities ?? []).includes(launchType)) {
    throw new InvalidParameterException(`Task definition does not support launch_type ${launchType}.`);
  }
  const awsvpc = parseNetwork(input, td.networkMode);
  const overrides = parseOverrides(input, taskDefinition);
  const own = statics.tags;
  // The task's own tags win over the definition's of the same key.
  const inherited = statics.propagateTags === 'TASK_DEFINITION' ? taskDefinition.tags : [];
  const taskTags = [...inherited.filter((t) => !own.some((o) => o.key === t.key)), ...own];
  if (taskTags.length > 50) {
    throw new InvalidParameterException('Tags can have at most 50 items (propagated ones included).');
  }
  return {
    taskDefinition,
    ...(awsvpc !== undefined ? { awsvpc } : {}),
    overrides,
    ...(statics.startedBy !== undefined ? { startedBy: statics.startedBy } : {}),
    ...(statics.group !== undefined ? { group: statics.group } : {}),
    tags: taskTags,
    enableExecuteCommand: statics.enableExecuteCommand,
  };
}

/** Where a capacity provider strategy sends RunTask's tasks, once checked against the cluster. */
export interface StrategyTarget {
  launchType: LaunchType;
  capacityProviderName: string;
  /** For an Auto Scaling group provider: whether a container instance is one of its group's. */
  onInstance?: (instance: InstanceEntry) => boolean;
}

/**
 * Resolves a strategy against the cluster's providers: `undefined` when RunTask gives neither a launch type nor a
 * strategy (the cluster's default one applies, if it has one), `[]` when it gives a launch type (none applies).
 */
export type StrategyResolver = (strategy: StrategyItem[] | undefined) => StrategyTarget | undefined;

/** Without a cluster to ask: FARGATE and FARGATE_SPOT only, no default strategy. */
const fargateOnly: StrategyResolver = (strategy) => {
  if (strategy === undefined || strategy.length === 0) return undefined;
  if (strategy.some((i) => !(FARGATE_PROVIDERS as readonly string[]).includes(i.capacityProvider))) {
    throw new InvalidParameterException(NOT_ASSOCIATED);
  }
  return { launchType: 'FARGATE', capacityProviderName: chooseProvider(strategy) };
};

/**
 * The provider that takes RunTask's tasks: the base is served first, then the weights share the rest; with at
 * most 10 tasks, the provider with a base (else the heaviest) takes them all. A deliberate simplification.
 */
export function chooseProvider(strategy: readonly StrategyItem[]): string {
  return (strategy.find((i) => i.base > 0) ?? [...strategy].sort((a, b) => b.weight - a.weight)[0]!).capacityProvider;
}

/** Reads and checks RunTask's input against the definition it names; throws the AWS error for the first problem. */
export function parseRunTask(
  input: JsonObject,
  definitions: TaskDefinitions,
  resolveStrategy: StrategyResolver = fargateOnly,
): RunRequest {
  const identifier = requiredString(input, 'taskDefinition');
  const count = optionalInteger(input, 'count') ?? 1;
  if (count < 1 || count > 10) throw new InvalidParameterException(`'count' must be between 1 and 10; got ${count}.`);
  const requested = optionalEnum(input, 'launchType', LAUNCH_TYPES);
  const strategy = capacityProviderStrategy(input, 'capacityProviderStrategy');
  if (requested !== undefined && strategy !== undefined && strategy.length > 0) {
    throw new InvalidParameterException(
      'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
    );
  }
  if (requested === 'MANAGED_INSTANCES') {
    throw new InvalidParameterException("Berth's local ECS does not model the MANAGED_INSTANCES launch type.");
  }
  const statics = taskStatics(input);
  const clientToken = optionalString(input, 'clientToken');
  if (
    clientToken !== undefined &&
    (clientToken.length === 0 || clientToken.length > 64 || /[^\x20-\x7e]/.test(clientToken))
  ) {
    throw new InvalidParameterException("'clientToken' must be 1 to 64 printable ASCII characters.");
  }
  const placementConstraints = placementList<PlacementConstraintInput>(input, 'placementConstraints');
  const placementStrategy = placementList<PlacementStrategyInput>(input, 'placementStrategy');
  const platformVersion = optionalString(input, 'platformVersion');
  // Then the lookups: the cluster (through its strategy; [] when a launch type is given) and the definition.
  const target = resolveStrategy(requested !== undefined ? [] : strategy?.length ? strategy : undefined);
  const taskDefinition = resolveTaskDefinition(definitions, identifier);
  const td = taskDefinition.taskDefinition;
  const launchType: LaunchType = target?.launchType ?? requested ?? 'EC2';
  const capacityProviderName = target?.capacityProviderName;
  const base = parseTaskBase(input, statics, taskDefinition, launchType);

  if (launchType === 'FARGATE') {
    if (placementConstraints.length > 0) {
      throw new InvalidParameterException("'placementConstraints' are not supported with the FARGATE launch type.");
    }
    if (placementStrategy.length > 0) {
      throw new InvalidParameterException("'placementStrategy' is not supported with the FARGATE launch type.");
    }
  } else {
    try {
      validatePlacementOptions(
        [...placementConstraints, ...((td.placementConstraints ?? []) as PlacementConstraintInput[])],
        placementStrategy,
      );
    } catch (err) {
      if (err instanceof PlacementParameterError) throw new InvalidParameterException(err.message);
      throw err;
    }
  }
  if (platformVersion !== undefined && launchType !== 'FARGATE') {
    throw new InvalidParameterException(
      `The platform version must be null when specifying an ${launchType} launch type.`,
    );
  }
  if (platformVersion !== undefined && !['LATEST', '1.4.0', '1.3.0'].includes(platformVersion)) {
    throw new InvalidParameterException(`The specified platform version (${platformVersion}) does not exist.`);
  }

  const { clientToken: _, ...rest } = input;

  return {
    ...base,
    count,
    launchType,
    ...(capacityProviderName !== undefined ? { capacityProviderName } : {}),
    ...(target?.onInstance !== undefined ? { onInstance: target.onInstance } : {}),
    placementConstraints,
    placementStrategy,
    ...(platformVersion !== undefined
      ? { platformVersion: platformVersion === 'LATEST' ? '1.4.0' : platformVersion }
      : {}),
    ...(clientToken !== undefined ? { clientToken } : {}),
    // JSON with sorted keys (RFC 8785): two requests with the same members in another order are the same request.
    fingerprint: canonicalize(rest) ?? '',
  };
}

/**
 * Reads and checks StartTask's input: RunTask's members less count, launch type, capacity providers, placement
 * and client token, plus the container instances (1 to 10) it names. StartTask is EC2 only.
 */
export function parseStartTask(
  input: JsonObject,
  definitions: TaskDefinitions,
  lookups?: () => void,
): { request: RunRequest; containerInstances: string[] } {
  const containerInstances = optionalStringList(input, 'containerInstances');
  if (containerInstances === undefined) throw new InvalidParameterException("'containerInstances' is required.");
  if (containerInstances.length === 0) throw new ClientException(EMPTY_CONTAINER_INSTANCES);
  if (containerInstances.length > MAX_START_INSTANCES) {
    throw new InvalidParameterException(
      `'containerInstances' can have at most ${MAX_START_INSTANCES} items: you can specify up to 10 container instances.`,
    );
  }
  const identifier = requiredString(input, 'taskDefinition');
  const statics = taskStatics(input);
  optionalString(input, 'referenceId');
  if (input.volumeConfigurations !== undefined && input.volumeConfigurations !== null) {
    throw new InvalidParameterException("Berth's local ECS does not model 'volumeConfigurations' (EBS volumes).");
  }
  lookups?.();
  const base = parseTaskBase(input, statics, resolveTaskDefinition(definitions, identifier), 'EC2');
  return {
    request: {
      ...base,
      count: containerInstances.length,
      launchType: 'EC2',
      placementConstraints: [],
      placementStrategy: [],
      fingerprint: '',
    },
    containerInstances,
  };
}

/** The custom attribute that puts a container instance in a capacity provider without an identity document. */
export const CAPACITY_PROVIDER_ATTRIBUTE = 'capacity-provider';

/** Whether a container instance belongs to an Auto Scaling group capacity provider (see capacity-providers.ts). */
export function inProvider(instance: InstanceEntry, provider: string, group: string): boolean {
  return (
    instance.stored.autoScalingGroup === group ||
    instance.stored.attributes.some((a) => a.name === CAPACITY_PROVIDER_ATTRIBUTE && a.value === provider)
  );
}

/** The cluster's providers decide: only those associated with it, Fargate and ASG ones never mixed. */
export function clusterStrategyResolver(cluster: () => ClusterEntry, providers: CapacityProviders): StrategyResolver {
  return (given) => {
    const { stored } = cluster();
    const strategy = given ?? stored.defaultCapacityProviderStrategy ?? [];
    if (strategy.length === 0) return undefined;
    if (strategy.some((i) => !stored.capacityProviders.includes(i.capacityProvider))) {
      throw new InvalidParameterException(NOT_ASSOCIATED);
    }
    const fargate = strategy.filter((i) => (FARGATE_PROVIDERS as readonly string[]).includes(i.capacityProvider));
    if (fargate.length > 0 && fargate.length < strategy.length) {
      throw new InvalidParameterException(
        'A capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.',
      );
    }
    const capacityProviderName = chooseProvider(strategy);
    if (fargate.length > 0) return { launchType: 'FARGATE', capacityProviderName };
    const asg = providers.active(capacityProviderName)?.autoScalingGroupProvider;
    if (asg === undefined) throw new InvalidParameterException(NOT_ASSOCIATED);
    const group = autoScalingGroupName(asg.autoScalingGroupArn);
    return {
      launchType: 'EC2',
      capacityProviderName,
      onInstance: (instance) => inProvider(instance, capacityProviderName, group),
    };
  };
}

export function taskOperations(
  clusters: Clusters,
  definitions: TaskDefinitions,
  tasks: Tasks,
  providers: CapacityProviders,
): Record<string, Operation> {
  return {
    async RunTask(input) {
      const name = optionalString(input, 'cluster');
      let entry: ClusterEntry | undefined;
      const cluster = () => {
        entry ??= clusters.resolve(name);
        return entry;
      };
      const request = parseRunTask(input, definitions, clusterStrategyResolver(cluster, providers));
      return tasks.run(cluster(), request);
    },

    async StartTask(input) {
      const name = optionalString(input, 'cluster');
      let cluster: ClusterEntry | undefined;
      // The cluster is looked up once the request's own members are checked, before the definition.
      const { request, containerInstances } = parseStartTask(input, definitions, () => {
        cluster = clusters.resolve(name);
      });
      return tasks.start(cluster!, request, containerInstances);
    },

    async DescribeTasks(input) {
      const cluster = clusters.resolve(optionalString(input, 'cluster'));
      const identifiers = optionalStringList(input, 'tasks') ?? [];
      if (identifiers.length === 0) throw new InvalidParameterException('Tasks cannot be empty.');
      if (identifiers.length > MAX_DESCRIBE_TASKS) {
        throw new InvalidParameterException(`'tasks' can have at most ${MAX_DESCRIBE_TASKS} items.`);
      }
      const include = optionalStringList(input, 'include') ?? [];
      const bad = include.find((i) => i !== 'TAGS');
      if (bad !== undefined) throw new InvalidParameterException(`'include' may only hold TAGS; got '${bad}'.`);
      const result = tasks.describe(cluster, identifiers, include.includes('TAGS'));
      await tasks.durable();
      return result;
    },

    async ListTasks(input) {
      const cluster = clusters.resolve(optionalString(input, 'cluster'));
      const desiredStatus =
        optionalEnum(input, 'desiredStatus', ['RUNNING', 'PENDING', 'STOPPED'] as const) ?? 'RUNNING';
      const family = optionalString(input, 'family');
      const startedBy = optionalString(input, 'startedBy');
      const serviceName = optionalString(input, 'serviceName');
      const launchType = optionalEnum(input, 'launchType', LAUNCH_TYPES);
      const containerInstance = optionalString(input, 'containerInstance');
      // "When you specify startedBy as the filter, it must be the only filter that you use." (API_ListTasks)
      if (startedBy !== undefined && (family ?? serviceName ?? containerInstance) !== undefined) {
        throw new InvalidParameterException(
          'When you specify startedBy as the filter, it must be the only filter that you use.',
        );
      }
      if (serviceName !== undefined && family !== undefined) {
        throw new InvalidParameterException("'serviceName' and 'family' cannot be combined.");
      }
      const limit = maxResults(input);
      const token = nextToken(input);
      let instanceId: string | undefined;
      if (containerInstance !== undefined) {
        const instance = clusters.findInstance(cluster, containerInstance);
        if (instance === undefined)
          throw new InvalidParameterException('The referenced container instance was not found.');
        instanceId = instance.stored.id;
      }
      // No services run here, and no task is ever PENDING as its desired status.
      if (serviceName !== undefined || desiredStatus === 'PENDING') return { taskArns: [] };
      const page = tasks.list(cluster, {
        desiredStatus,
        ...(family !== undefined ? { family } : {}),
        ...(startedBy !== undefined ? { startedBy } : {}),
        ...(instanceId !== undefined ? { instanceId } : {}),
        ...(launchType !== undefined ? { launchType } : {}),
        maxResults: limit,
        ...(token !== undefined ? { nextToken: token } : {}),
      });
      await tasks.durable();
      return page;
    },

    async StopTask(input) {
      const cluster = clusters.resolve(optionalString(input, 'cluster'));
      const task = requiredString(input, 'task');
      const reason = optionalString(input, 'reason');
      if (reason !== undefined && reason.length > 255) {
        throw new InvalidParameterException("'reason' must be at most 255 characters.");
      }
      return { task: await tasks.stop(cluster, task, reason || undefined) };
    },
  };
}
