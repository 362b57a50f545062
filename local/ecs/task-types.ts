/**
 * The task as ECS shows it and as Berth stores it: the Task structure on the wire
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html, API_Container.html, API_Attachment.html),
 * the RunTask request once parsed (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html),
 * the stop codes and reasons of https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html,
 * and the records kept in the ECS DurableStore (`task/<cluster>/<id>`, `client-token/<token>`).
 * Deliberate deviation: a stored task also keeps its process containers' pids and, for a task with no process
 * container, its log (see StoredTask).
 */

import type { KeyValuePair, Tag } from '@aws-sdk/client-ecs';
import type { PlacementConstraintInput, PlacementStrategyInput } from '../../lib/placement/types';
import type { AwsEventChannel } from '../events/aws-events';
import type { LogStore } from '../logs/models';
import type { StoreOptions } from '../store';
import type { InstanceEntry, Reservation } from './clusters';
import type { StoredTaskDefinition } from './models';
import type { EcsOptions } from './options';
import type { HealthStatus, NetworkBinding, RuntimeKind } from './runtime/types';

export type LastStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';
export type DesiredStatus = 'RUNNING' | 'STOPPED';
export type LaunchType = 'EC2' | 'FARGATE' | 'EXTERNAL';

export const STOP_CODES = {
  failedToStart: 'TaskFailedToStart',
  essentialExited: 'EssentialContainerExited',
  user: 'UserInitiated',
  /** What a task on a host that went away gets (see the module comment). */
  hostLost: 'TerminationNotice',
} as const;
export const ESSENTIAL_EXITED_REASON = 'Essential container in task exited';
export const USER_STOP_REASON = 'Task stopped by user';
/** https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html */
export const FARGATE_LIMIT_REASON = "You've reached the limit on the number of tasks you can run concurrently";
export const hostLostReason = (ec2InstanceId: string) => `Host EC2 (instance ${ec2InstanceId}) stopped/terminated.`;
export const FARGATE_HOST_LOST_REASON =
  'Task stopped because the infrastructure it ran on went away (the local endpoint stopped while it ran).';
/** The agent's default ECS_CONTAINER_STOP_TIMEOUT. */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 30;

export interface ContainerOverride {
  name: string;
  command?: string[];
  environment?: KeyValuePair[];
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
}

export interface TaskOverride {
  containerOverrides?: ContainerOverride[];
  cpu?: string;
  memory?: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
  ephemeralStorage?: { sizeInGiB: number };
}

export interface AwsVpcConfiguration {
  subnets: string[];
  securityGroups?: string[];
  assignPublicIp?: 'ENABLED' | 'DISABLED';
}

export interface RunRequest {
  taskDefinition: StoredTaskDefinition;
  count: number;
  launchType: LaunchType;
  capacityProviderName?: string;
  /** An Auto Scaling group provider's tasks go only on its group's instances. */
  onInstance?: (instance: InstanceEntry) => boolean;
  awsvpc?: AwsVpcConfiguration;
  overrides: TaskOverride;
  startedBy?: string;
  group?: string;
  tags: Tag[];
  placementConstraints: PlacementConstraintInput[];
  placementStrategy: PlacementStrategyInput[];
  platformVersion?: string;
  enableExecuteCommand: boolean;
  clientToken?: string;
  /** The request minus its clientToken, canonical: equal fingerprints are the same request. */
  fingerprint: string;
}

export interface WireContainer {
  containerArn: string;
  taskArn: string;
  name: string;
  image?: string;
  runtimeId?: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  networkBindings: NetworkBinding[];
  networkInterfaces: { attachmentId: string; privateIpv4Address: string }[];
  healthStatus: HealthStatus;
  cpu: string;
  memory?: string;
  memoryReservation?: string;
}

export interface Attachment {
  id: string;
  type: 'ElasticNetworkInterface';
  status: string;
  details: { name: string; value: string }[];
}

/** The Task structure as ECS puts it on the wire (timestamps in epoch seconds). */
export interface WireTask {
  attachments: Attachment[];
  attributes: { name: string; value: string }[];
  availabilityZone: string;
  capacityProviderName?: string;
  clusterArn: string;
  connectivity?: 'CONNECTED';
  connectivityAt?: number;
  containerInstanceArn?: string;
  containers: WireContainer[];
  cpu: string;
  createdAt: number;
  desiredStatus: DesiredStatus;
  enableExecuteCommand: boolean;
  ephemeralStorage?: { sizeInGiB: number };
  executionStoppedAt?: number;
  group: string;
  healthStatus: HealthStatus;
  lastStatus: LastStatus;
  launchType: LaunchType;
  memory: string;
  overrides: TaskOverride & { inferenceAcceleratorOverrides: [] };
  platformFamily?: string;
  platformVersion?: string;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  startedBy?: string;
  stopCode?: string;
  stoppedAt?: number;
  stoppedReason?: string;
  stoppingAt?: number;
  taskArn: string;
  taskDefinitionArn: string;
  version: number;
}

export interface StoredTask {
  task: WireTask;
  tags: Tag[];
  clusterName: string;
  instanceId?: string;
  reservation?: Reservation;
  /** Process containers' pids (process group ids), so a restarted endpoint can kill what is left of them. */
  pids: Record<string, number>;
  /** The runtime each started container ran in, so a restarted endpoint knows where to find it. */
  runtimes?: Record<string, RuntimeKind>;
  /**
   * The log of a task none of whose containers runs as a process: the simulate runtime's notes, kept here
   * instead of in a log file made for them (creating a file costs more than the rest of a RunTask).
   */
  log?: string;
}

export interface StoredClientToken {
  fingerprint: string;
  taskArns: string[];
  failures: Failure[];
}

export interface Failure {
  arn?: string;
  reason: string;
  detail?: string;
}

/** The ECS options the tasks read, and where they are: the endpoint's region, account and state dir. */
export type TasksOptions = Pick<
  EcsOptions,
  'stepMs' | 'simulateSeconds' | 'fargateMaxTasks' | 'stoppedTaskSeconds' | 'random' | 'now'
> &
  Partial<Pick<EcsOptions, 'runtime'>> & {
    region: string;
    accountId: string;
    stateDir: string;
    /** Where task state change events go (the endpoint's channel to the local bus); absent: none are emitted. */
    awsEvents?: AwsEventChannel;
    /** The local CloudWatch Logs awslogs containers write to (awslogs.ts); without it their configuration is ignored. */
    logs?: LogStore;
    /** How often an awslogs container's output is shipped, in ms (awslogs.ts POLL_MS unless given). */
    logPollMs?: number;
  };

export const TASK_KEY = 'task/';
export const TOKEN_KEY = 'client-token/';
/** The ECS store's options: RunTask client tokens leave memory once written (read back by a repeated RunTask). */
export const ECS_STORE_OPTIONS: StoreOptions = { evictable: (key) => key.startsWith(TOKEN_KEY) };

/** The task id: the last part of its ARN. */
export function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

/** Where the task is in the ECS DurableStore. */
export function taskKey(stored: StoredTask): string {
  return `${TASK_KEY}${stored.clusterName}/${taskIdOf(stored.task.taskArn)}`;
}
