/**
 * ECS clusters and their container instances: state and rules, served from in-memory indexes and made durable
 * in the ECS DurableStore (`cluster/<name>`, `container-instance/<cluster>/<id>`).
 * Follows https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Cluster.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerInstance.html and the pages of
 * CreateCluster, DescribeClusters, ListClusters, DeleteCluster, ListContainerInstances,
 * DescribeContainerInstances and UpdateContainerInstancesState. Deliberate deviations from ECS:
 * - Container instances join by RegisterContainerInstance (api-instances.ts) as an agent does, or as simulated
 *   EC2 hosts from the cluster config (cluster-config.ts) or BerthLocal's AddContainerInstance, all through
 *   Clusters.register.
 * - What an instance has left (remainingResources) is not stored: it is registered minus the reservations of
 *   the tasks on it that are not STOPPED, recomputed when the state is loaded, so it can never drift.
 * - pendingTasksCount counts tasks in PROVISIONING as well as PENDING (ECS documents PENDING only; an awsvpc
 *   task spends its first moments in PROVISIONING and is just as pending).
 * - DRAINING stops no task: Berth runs no services, and standalone tasks keep running on a draining instance,
 *   as in ECS (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-draining.html).
 */
import { randomBytes } from 'node:crypto';
import type { Tag } from '@aws-sdk/client-ecs';
import { evaluateClusterQuery, parseClusterQuery } from '../../lib/placement/cluster-query';
import { PlacementParameterError } from '../../lib/placement/errors';
import type { InstanceResources, PlacementInstance, TaskNeeds } from '../../lib/placement/types';
import type { DurableStore } from '../store';
import { availabilityZoneName, type ClusterConfig, DEFAULT_RESERVED_PORTS, type InstanceGroup } from './cluster-config';
import {
  AttributeLimitExceededException,
  ClusterContainsContainerInstancesException,
  ClusterContainsTasksException,
  ClusterNotFoundException,
  InvalidParameterException,
  TargetNotFoundException,
} from './exceptions';
import { type AttributeInput, decodeCursor, encodeCursor, INVALID_TOKEN } from './input';
import { insertSorted, lowerBound, removeSorted, upperBound } from './sorted';

export type ClusterStatus = 'ACTIVE' | 'INACTIVE';
export type InstanceStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE';
/** ListContainerInstances' `status` values (ContainerInstanceStatus); REGISTERING and the others are always empty here. */
export const LISTABLE_INSTANCE_STATUSES = [
  'ACTIVE',
  'DRAINING',
  'REGISTERING',
  'DEREGISTERING',
  'REGISTRATION_FAILED',
] as const;
export type ListableInstanceStatus = (typeof LISTABLE_INSTANCE_STATUSES)[number];

export interface Setting {
  name: string;
  value: string;
}

export interface StoredCluster {
  clusterName: string;
  clusterArn: string;
  status: ClusterStatus;
  tags: Tag[];
  settings: Setting[];
  capacityProviders: string[];
  /** Absent on records older than UpdateCluster and PutClusterCapacityProviders: none. */
  defaultCapacityProviderStrategy?: CapacityProviderStrategyItem[];
  configuration?: Record<string, unknown>;
  serviceConnectDefaults?: { namespace: string };
  /** Where FARGATE tasks of this cluster land (the config's zones, else the region's a and b). */
  availabilityZones: string[];
}

export interface CapacityProviderStrategyItem {
  capacityProvider: string;
  weight: number;
  base: number;
}

/** What CreateCluster, UpdateCluster and PutClusterCapacityProviders set. */
export interface ClusterSettings {
  tags?: Tag[];
  settings?: Setting[];
  capacityProviders?: string[];
  defaultCapacityProviderStrategy?: CapacityProviderStrategyItem[];
  configuration?: Record<string, unknown>;
  serviceConnectDefaults?: { namespace: string };
}

export interface ClusterAttachment {
  id: string;
  type: string;
  status: string;
  details: { name: string; value: string }[];
}

export interface Resources {
  cpu: number;
  memory: number;
  ports: number[];
  portsUdp: number[];
}

export interface Attribute {
  name: string;
  value?: string;
}

export interface StoredInstance {
  id: string;
  containerInstanceArn: string;
  clusterName: string;
  ec2InstanceId: string;
  instanceType: string;
  availabilityZone: string;
  status: InstanceStatus;
  agentConnected: boolean;
  /** Epoch seconds. */
  registeredAt: number;
  version: number;
  registered: Resources;
  attributes: Attribute[];
  tags: Tag[];
  /** What the agent reported (RegisterContainerInstance's versionInfo); absent on records older than it. */
  versionInfo?: VersionInfo;
  platformDevices?: PlatformDevice[];
  /** The Auto Scaling group the instance belongs to (from its identity document): its capacity provider's. */
  autoScalingGroup?: string;
}

export interface VersionInfo {
  agentVersion?: string;
  agentHash?: string;
  dockerVersion?: string;
}

export interface PlatformDevice {
  id: string;
  type: 'GPU';
}

/**
 * One container instance joining a cluster, however it joins: RegisterContainerInstance, the cluster config
 * (cluster-config.ts) or BerthLocal.AddContainerInstance all come through Clusters.register with one of these.
 */
export interface Registration {
  /** Absent: a made-up EC2 instance id (the config and BerthLocal simulate hosts that have none). */
  ec2InstanceId?: string;
  instanceType: string;
  availabilityZone: string;
  cpuArchitecture: 'x86_64' | 'arm64';
  amiId?: string;
  cpu: number;
  memory: number;
  ports: number[];
  portsUdp: number[];
  /** The caller's attributes, over the ones ECS derives (agentAttributes): a name given twice keeps the caller's. */
  attributes: Attribute[];
  versionInfo?: VersionInfo;
  platformDevices?: PlatformDevice[];
  tags: Tag[];
  agentConnected: boolean;
  autoScalingGroup?: string;
}

/** An instance with what the tasks on it use, kept in memory. */
export interface InstanceEntry {
  stored: StoredInstance;
  remaining: InstanceResources;
  /**
   * Unstopped tasks on the instance per group (for spread, distinctInstance, task:group), changed in place:
   * placement counts a group in O(1), where a list of groups grew with every task held.
   */
  taskGroups: Map<string, number>;
  /** Tasks with desiredStatus RUNNING (ECS's definition for a container instance). */
  runningTasksCount: number;
  /** Tasks in PROVISIONING or PENDING. */
  pendingTasksCount: number;
}

export interface ClusterEntry {
  stored: StoredCluster;
  instances: Map<string, InstanceEntry>;
  /** Instance ids by status, sorted; `live` is ACTIVE and DRAINING together (ListContainerInstances' default). */
  byStatus: { ACTIVE: string[]; DRAINING: string[]; INACTIVE: string[]; live: string[] };
  runningTasksCount: number;
  pendingTasksCount: number;
  /** Running and pending tasks per launch type, for DescribeClusters' STATISTICS. */
  byLaunchType: Record<TaskCounts['launchType'], { running: number; pending: number }>;
  /** Tasks not STOPPED: DeleteCluster refuses while there are any. */
  activeTasksCount: number;
  /** The ACTIVE instances as placement sees them; rebuilt after any change. */
  placementCache?: { instances: PlacementInstance[]; entries: InstanceEntry[] };
}

export interface TaskCounts {
  /** Which of the cluster's STATISTICS the task counts in. */
  launchType: 'EC2' | 'FARGATE' | 'EXTERNAL';
  running: number;
  pending: number;
  desiredRunning: number;
  active: number;
}

export interface NewInstance {
  instanceType: string;
  cpu: number;
  memory: number;
  availabilityZone: string;
  attributes: Record<string, string | null>;
  reservedPorts: number[];
  reservedUdpPorts: number[];
  agentConnected: boolean;
}

export interface ClustersOptions {
  region: string;
  accountId: string;
  now: () => number;
  /** Whether the `default` cluster exists from the start (the endpoint's own region; default true). */
  seedDefault?: boolean;
}

const CLUSTER_KEY = 'cluster/';
const INSTANCE_KEY = 'container-instance/';
const SEEDED_KEY = 'cluster-config/seeded';
export const DEFAULT_CLUSTER = 'default';
const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const INSTANCE_ID = /^[0-9a-f]{32}$/;
const AGENT_VERSION = '1.89.0';
/** API_PutAttributes' Errors: TargetNotFoundException. */
const TARGET_NOT_FOUND =
  "The specified target wasn't found. You can view your available container instances with ListContainerInstances. Amazon ECS container instances are cluster-specific and Region-specific.";
const DEFAULT_VERSION_INFO: VersionInfo = {
  agentVersion: AGENT_VERSION,
  agentHash: 'berthlocal',
  dockerVersion: 'DockerVersion: 25.0.8',
};
/** Custom attributes (not ECS's own `ecs.` and `com.amazonaws.ecs.` ones) a container instance may carry. */
export const MAX_CUSTOM_ATTRIBUTES = 10;

/** Whether ECS or its agent sets the attribute (it does not count against MAX_CUSTOM_ATTRIBUTES). */
export function isEcsAttribute(name: string): boolean {
  return name.startsWith('ecs.') || name.startsWith('com.amazonaws.ecs.');
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * The attributes ECS and its agent give an Amazon Linux 2023 instance (a representative subset): ECS derives
 * ecs.ami-id, ecs.availability-zone and ecs.instance-type from the identity document, the agent reports the
 * OS, the architecture and its capabilities.
 */
function agentAttributes(r: Registration): Attribute[] {
  const attributes: Attribute[] = [
    { name: 'ecs.ami-id', value: r.amiId ?? `ami-${hex(9).slice(0, 17)}` },
    { name: 'ecs.availability-zone', value: r.availabilityZone },
    { name: 'ecs.instance-type', value: r.instanceType },
    { name: 'ecs.os-type', value: 'linux' },
    { name: 'ecs.os-family', value: 'LINUX' },
    { name: 'ecs.cpu-architecture', value: r.cpuArchitecture },
    { name: 'ecs.capability.task-eni' },
    { name: 'ecs.capability.execution-role-awslogs' },
    { name: 'ecs.capability.container-health-check' },
    { name: 'ecs.capability.container-ordering' },
    { name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' },
    { name: 'com.amazonaws.ecs.capability.task-iam-role' },
  ];
  for (let minor = 17; minor <= 44; minor++) {
    attributes.push({ name: `com.amazonaws.ecs.capability.docker-remote-api.1.${minor}` });
  }
  return attributes;
}

/** Ports of `taken` less one of each in `freed`. */
function without(taken: readonly number[], freed: readonly number[]): number[] {
  const out = [...taken];
  for (const port of freed) {
    const at = out.lastIndexOf(port);
    if (at >= 0) out.splice(at, 1);
  }
  return out;
}

/** What is left once an instance registers `next` instead of `previous`, its tasks holding what they held. */
function rebased(remaining: InstanceResources, previous: Resources, next: Resources): InstanceResources {
  return {
    cpu: next.cpu - (previous.cpu - remaining.cpu),
    memory: next.memory - (previous.memory - remaining.memory),
    ports: [...next.ports, ...without(remaining.ports, previous.ports)],
    portsUdp: [...next.portsUdp, ...without(remaining.portsUdp, previous.portsUdp)],
  };
}

const GPU_RESOURCE = { name: 'GPU', type: 'STRINGSET', doubleValue: 0, longValue: 0, integerValue: 0 };

function resourceList(r: { cpu: number; memory: number; ports: readonly number[]; portsUdp: readonly number[] }) {
  const integer = (name: string, integerValue: number) => ({
    name,
    type: 'INTEGER',
    doubleValue: 0,
    longValue: 0,
    integerValue,
  });
  const set = (name: string, ports: readonly number[]) => ({
    name,
    type: 'STRINGSET',
    doubleValue: 0,
    longValue: 0,
    integerValue: 0,
    stringSetValue: ports.map(String),
  });
  return [integer('CPU', r.cpu), integer('MEMORY', r.memory), set('PORTS', r.ports), set('PORTS_UDP', r.portsUdp)];
}

export class Clusters {
  /** The capacity provider an instance is in (ContainerInstance's capacityProviderName); set by service.ts. */
  capacityProviderOf: (stored: StoredInstance) => string | undefined = () => undefined;
  private readonly clusters = new Map<string, ClusterEntry>();
  /** Cluster names, sorted (ListClusters pages through it). */
  private readonly names: string[] = [];
  private readonly arnPrefix: string;

  private constructor(
    private readonly store: DurableStore<unknown>,
    private readonly options: ClustersOptions,
  ) {
    this.arnPrefix = `arn:aws:ecs:${options.region}:${options.accountId}:`;
  }

  /** Builds the indexes from the store, then creates what the config has that the state has never seen. */
  static async load(store: DurableStore<unknown>, config: ClusterConfig, options: ClustersOptions): Promise<Clusters> {
    const model = new Clusters(store, options);
    for (const value of store.values(CLUSTER_KEY)) model.indexCluster(value as StoredCluster);
    for (const value of store.values(INSTANCE_KEY)) {
      const stored = value as StoredInstance;
      const cluster = model.clusters.get(stored.clusterName);
      if (cluster !== undefined) model.indexInstance(cluster, stored, undefined);
    }
    await model.applyConfig(config);
    return model;
  }

  durable(): Promise<void> {
    return this.store.durable();
  }

  /** See cluster-config.ts: clusters the state has never seen are created with their instances. */
  private async applyConfig(config: ClusterConfig): Promise<void> {
    const seeded = new Set((this.store.get(SEEDED_KEY) as { clusters: string[] } | undefined)?.clusters ?? []);
    const writes: Promise<void>[] = [];
    const shapes =
      this.options.seedDefault === false || config.clusters.some((c) => c.name === DEFAULT_CLUSTER)
        ? config.clusters
        : [
            { name: DEFAULT_CLUSTER, instances: [] as InstanceGroup[], capacityProviders: ['FARGATE', 'FARGATE_SPOT'] },
            ...config.clusters,
          ];
    for (const shape of shapes) {
      if (seeded.has(shape.name)) continue;
      const zones = [...new Set(shape.instances.flatMap((g) => g.availabilityZones.map((z) => this.zone(z))))];
      const { cluster, written } = this.putCluster(shape.name, {
        availabilityZones: zones,
        capacityProviders: [...shape.capacityProviders],
      });
      writes.push(written);
      for (const group of shape.instances) {
        for (let i = 0; i < group.count; i++) {
          const zone = group.availabilityZones[i % group.availabilityZones.length]!;
          writes.push(
            this.addInstance(cluster, {
              instanceType: group.instanceType,
              cpu: group.cpu,
              memory: group.memory,
              availabilityZone: this.zone(zone),
              attributes: group.attributes,
              reservedPorts: group.reservedPorts,
              reservedUdpPorts: group.reservedUdpPorts,
              agentConnected: group.agentConnected,
            }).written,
          );
        }
      }
      seeded.add(shape.name);
    }
    writes.push(this.store.put(SEEDED_KEY, { clusters: [...seeded].sort() }));
    await Promise.all(writes);
  }

  private zone(z: string): string {
    return availabilityZoneName(this.options.region, z);
  }

  clusterArn(name: string): string {
    return `${this.arnPrefix}cluster/${name}`;
  }

  /** By name or ARN; undefined or '' is `default`. Throws ClusterNotFoundException unless ACTIVE. */
  resolve(identifier: string | undefined): ClusterEntry {
    const entry = this.find(identifier);
    if (entry === undefined) throw new ClusterNotFoundException();
    if (entry.stored.status !== 'ACTIVE') throw new ClusterNotFoundException('The referenced cluster was inactive.');
    return entry;
  }

  /** By name or ARN, in any status. */
  find(identifier: string | undefined): ClusterEntry | undefined {
    const name = this.clusterName(identifier);
    return name === undefined ? undefined : this.clusters.get(name);
  }

  private clusterName(identifier: string | undefined): string | undefined {
    if (identifier === undefined || identifier === '') return DEFAULT_CLUSTER;
    if (identifier.startsWith('arn:')) {
      const prefix = `${this.arnPrefix}cluster/`;
      return identifier.startsWith(prefix) ? identifier.slice(prefix.length) : undefined;
    }
    return identifier;
  }

  // ---- clusters

  /** CreateCluster: idempotent for an ACTIVE cluster of that name; an INACTIVE one comes back ACTIVE. */
  async create(name: string, extra: ClusterSettings): Promise<StoredCluster> {
    if (!CLUSTER_NAME.test(name)) {
      throw new InvalidParameterException(
        'Cluster name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores and hyphens.',
      );
    }
    const existing = this.clusters.get(name);
    if (existing?.stored.status === 'ACTIVE') {
      await this.durable();
      return existing.stored;
    }
    const { cluster, written } = this.putCluster(name, {
      ...extra,
      availabilityZones: existing?.stored.availabilityZones,
    });
    await written;
    return cluster.stored;
  }

  private putCluster(name: string, extra: ClusterSettings & { availabilityZones?: string[] }) {
    const stored: StoredCluster = {
      clusterName: name,
      clusterArn: this.clusterArn(name),
      status: 'ACTIVE',
      tags: extra.tags ?? [],
      settings: extra.settings ?? [{ name: 'containerInsights', value: 'disabled' }],
      capacityProviders: extra.capacityProviders ?? [],
      defaultCapacityProviderStrategy: extra.defaultCapacityProviderStrategy ?? [],
      ...(extra.configuration !== undefined ? { configuration: extra.configuration } : {}),
      ...(extra.serviceConnectDefaults !== undefined ? { serviceConnectDefaults: extra.serviceConnectDefaults } : {}),
      availabilityZones: extra.availabilityZones?.length ? extra.availabilityZones : [this.zone('a'), this.zone('b')],
    };
    const cluster = this.indexCluster(stored);
    return { cluster, written: this.store.put(`${CLUSTER_KEY}${name}`, stored) };
  }

  private indexCluster(stored: StoredCluster): ClusterEntry {
    let entry = this.clusters.get(stored.clusterName);
    if (entry === undefined) {
      entry = {
        stored,
        instances: new Map(),
        byStatus: { ACTIVE: [], DRAINING: [], INACTIVE: [], live: [] },
        runningTasksCount: 0,
        pendingTasksCount: 0,
        byLaunchType: {
          EC2: { running: 0, pending: 0 },
          FARGATE: { running: 0, pending: 0 },
          EXTERNAL: { running: 0, pending: 0 },
        },
        activeTasksCount: 0,
      };
      this.clusters.set(stored.clusterName, entry);
      insertSorted(this.names, stored.clusterName);
    } else {
      entry.stored = stored;
    }
    return entry;
  }

  /** DeleteCluster: refused while it has ACTIVE or DRAINING instances or unstopped tasks; the cluster turns INACTIVE. */
  async delete(identifier: string): Promise<StoredCluster> {
    const entry = this.resolve(identifier);
    if (entry.byStatus.live.length > 0) throw new ClusterContainsContainerInstancesException();
    if (entry.activeTasksCount > 0) throw new ClusterContainsTasksException();
    const stored: StoredCluster = { ...entry.stored, status: 'INACTIVE' };
    entry.stored = stored;
    await this.store.put(`${CLUSTER_KEY}${stored.clusterName}`, stored);
    return stored;
  }

  /** TagResource and UntagResource on a cluster: its tags become `tags`. */
  async setClusterTags(entry: ClusterEntry, tags: Tag[]): Promise<void> {
    entry.stored = { ...entry.stored, tags };
    await this.store.put(`${CLUSTER_KEY}${entry.stored.clusterName}`, entry.stored);
  }

  /** TagResource and UntagResource on a container instance (its version stays: tags are not its state). */
  async setInstanceTags(entry: InstanceEntry, tags: Tag[]): Promise<void> {
    entry.stored = { ...entry.stored, tags };
    await this.store.put(this.instanceKey(entry.stored), entry.stored);
  }

  /** UpdateCluster, UpdateClusterSettings, PutClusterCapacityProviders: the members given replace the cluster's. */
  async update(entry: ClusterEntry, patch: ClusterSettings): Promise<StoredCluster> {
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    entry.stored = { ...entry.stored, ...defined };
    await this.store.put(`${CLUSTER_KEY}${entry.stored.clusterName}`, entry.stored);
    return entry.stored;
  }

  /**
   * The Cluster structure as DescribeClusters shapes it: statistics, tags, settings, configuration and
   * attachments only when `include` asks for them (API_DescribeClusters). `attachments` are those of the
   * cluster's Auto Scaling group providers with managed scaling (ECS's scaling policy per provider).
   */
  view(entry: ClusterEntry, include: readonly string[] = [], attachments: ClusterAttachment[] = []) {
    const s = entry.stored;
    const active = s.status === 'ACTIVE';
    const counts = entry.byLaunchType;
    const statistic = (name: string, value: number) => ({ name, value: String(value) });
    return {
      clusterArn: s.clusterArn,
      clusterName: s.clusterName,
      ...(include.includes('CONFIGURATIONS') && s.configuration !== undefined
        ? { configuration: s.configuration }
        : {}),
      status: s.status,
      registeredContainerInstancesCount: active ? entry.byStatus.live.length : 0,
      runningTasksCount: entry.runningTasksCount,
      pendingTasksCount: entry.pendingTasksCount,
      activeServicesCount: 0,
      ...(include.includes('STATISTICS')
        ? {
            statistics: [
              statistic('runningEC2TasksCount', counts.EC2.running),
              statistic('runningFargateTasksCount', counts.FARGATE.running),
              statistic('pendingEC2TasksCount', counts.EC2.pending),
              statistic('pendingFargateTasksCount', counts.FARGATE.pending),
              statistic('runningExternalTasksCount', counts.EXTERNAL.running),
              statistic('pendingExternalTasksCount', counts.EXTERNAL.pending),
              statistic('activeEC2ServiceCount', 0),
              statistic('activeFargateServiceCount', 0),
              statistic('drainingEC2ServiceCount', 0),
              statistic('drainingFargateServiceCount', 0),
            ],
          }
        : {}),
      ...(include.includes('TAGS') ? { tags: s.tags } : {}),
      ...(include.includes('SETTINGS') ? { settings: s.settings } : {}),
      capacityProviders: s.capacityProviders,
      defaultCapacityProviderStrategy: s.defaultCapacityProviderStrategy ?? [],
      ...(include.includes('ATTACHMENTS')
        ? { attachments, ...(attachments.length > 0 ? { attachmentsStatus: 'UPDATE_COMPLETE' } : {}) }
        : {}),
      ...(s.serviceConnectDefaults !== undefined ? { serviceConnectDefaults: s.serviceConnectDefaults } : {}),
    };
  }

  describe(
    identifiers: readonly string[],
    include: readonly string[],
    attachmentsOf: (entry: ClusterEntry) => ClusterAttachment[] = () => [],
  ) {
    const clusters: ReturnType<Clusters['view']>[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const identifier of identifiers) {
      const entry = this.find(identifier);
      if (entry === undefined) {
        failures.push({
          arn: identifier.startsWith('arn:') ? identifier : this.clusterArn(identifier),
          reason: 'MISSING',
        });
      } else {
        clusters.push(this.view(entry, include, attachmentsOf(entry)));
      }
    }
    return { clusters, failures };
  }

  /** ACTIVE cluster ARNs in name order. */
  list(maxResults: number, token: string | undefined): { clusterArns: string[]; nextToken?: string } {
    let i = token === undefined ? 0 : upperBound(this.names, decodeCursor(token));
    const clusterArns: string[] = [];
    let last: string | undefined;
    for (; i < this.names.length; i++) {
      const entry = this.clusters.get(this.names[i]!)!;
      if (entry.stored.status !== 'ACTIVE') continue;
      if (clusterArns.length === maxResults) return { clusterArns, nextToken: encodeCursor(last!) };
      clusterArns.push(entry.stored.clusterArn);
      last = entry.stored.clusterName;
    }
    return { clusterArns };
  }

  // ---- container instances

  /**
   * Registers a container instance (RegisterContainerInstance, the config, BerthLocal), or registers `existing`
   * again (the agent restarting with its containerInstanceArn): same ARN and tasks, the new resources, attributes
   * and version info, ACTIVE and connected. `written` resolves once it is on disk.
   */
  register(
    cluster: ClusterEntry,
    r: Registration,
    existing?: InstanceEntry,
  ): { instance: InstanceEntry; written: Promise<void> } {
    const id = existing?.stored.id ?? hex(16);
    const attributes = agentAttributes(r).filter((a) => !r.attributes.some((c) => c.name === a.name));
    attributes.push(...r.attributes);
    const stored: StoredInstance = {
      id,
      containerInstanceArn: `${this.arnPrefix}container-instance/${cluster.stored.clusterName}/${id}`,
      clusterName: cluster.stored.clusterName,
      ec2InstanceId: r.ec2InstanceId ?? existing?.stored.ec2InstanceId ?? `i-${hex(9).slice(0, 17)}`,
      instanceType: r.instanceType,
      availabilityZone: r.availabilityZone,
      status: 'ACTIVE',
      agentConnected: r.agentConnected,
      registeredAt: existing?.stored.registeredAt ?? this.options.now() / 1000,
      version: (existing?.stored.version ?? 0) + 1,
      registered: {
        cpu: r.cpu,
        memory: r.memory,
        ports: [...new Set(r.ports)].sort((a, b) => a - b),
        portsUdp: [...new Set(r.portsUdp)].sort((a, b) => a - b),
      },
      attributes,
      tags: r.tags.length > 0 || existing === undefined ? r.tags : existing.stored.tags,
      versionInfo: r.versionInfo ?? DEFAULT_VERSION_INFO,
      ...(r.platformDevices?.length ? { platformDevices: r.platformDevices } : {}),
      ...(r.autoScalingGroup !== undefined ? { autoScalingGroup: r.autoScalingGroup } : {}),
    };
    const previous = existing?.stored.registered;
    const instance = this.indexInstance(cluster, stored, existing?.stored.status);
    if (previous !== undefined) instance.remaining = rebased(instance.remaining, previous, stored.registered);
    return { instance, written: this.store.put(this.instanceKey(stored), stored) };
  }

  /** A simulated instance from the config or BerthLocal.AddContainerInstance, as a Registration. */
  addInstance(cluster: ClusterEntry, spec: NewInstance): { instance: InstanceEntry; written: Promise<void> } {
    return this.register(cluster, {
      instanceType: spec.instanceType,
      availabilityZone: spec.availabilityZone,
      cpuArchitecture: 'x86_64',
      cpu: spec.cpu,
      memory: spec.memory,
      ports: spec.reservedPorts,
      portsUdp: spec.reservedUdpPorts,
      attributes: Object.entries(spec.attributes).map(([name, value]) => (value === null ? { name } : { name, value })),
      tags: [],
      agentConnected: spec.agentConnected,
    });
  }

  /**
   * DeregisterContainerInstance: the instance turns INACTIVE. Its tasks are not stopped: with `force` they go on
   * running, orphaned, until they stop by other means (API_DeregisterContainerInstance); without it, an instance
   * with tasks is refused.
   */
  async deregister(cluster: ClusterEntry, entry: InstanceEntry, force: boolean): Promise<void> {
    if (entry.stored.status === 'INACTIVE') return this.durable();
    if (!force && entry.runningTasksCount + entry.pendingTasksCount > 0) {
      throw new InvalidParameterException('Found running tasks on the instance.');
    }
    await this.changeInstance(cluster, entry, { status: 'INACTIVE', agentConnected: false });
  }

  /** The zone a new simulated instance of the cluster gets: its zones in turn. */
  nextZone(cluster: ClusterEntry): string {
    return cluster.stored.availabilityZones[cluster.instances.size % cluster.stored.availabilityZones.length]!;
  }

  newInstanceDefaults(cluster: ClusterEntry): NewInstance {
    return {
      instanceType: 'm5.large',
      cpu: 2048,
      memory: 3840,
      availabilityZone: this.nextZone(cluster),
      attributes: {},
      reservedPorts: [...DEFAULT_RESERVED_PORTS],
      reservedUdpPorts: [],
      agentConnected: true,
    };
  }

  private instanceKey(stored: StoredInstance): string {
    return `${INSTANCE_KEY}${stored.clusterName}/${stored.id}`;
  }

  private indexInstance(
    cluster: ClusterEntry,
    stored: StoredInstance,
    from: InstanceStatus | undefined,
  ): InstanceEntry {
    let entry = cluster.instances.get(stored.id);
    if (entry === undefined) {
      entry = {
        stored,
        remaining: {
          cpu: stored.registered.cpu,
          memory: stored.registered.memory,
          ports: stored.registered.ports,
          portsUdp: stored.registered.portsUdp,
        },
        taskGroups: new Map(),
        runningTasksCount: 0,
        pendingTasksCount: 0,
      };
      cluster.instances.set(stored.id, entry);
    } else {
      entry.stored = stored;
    }
    if (from !== stored.status) {
      if (from !== undefined) removeSorted(cluster.byStatus[from], stored.id);
      insertSorted(cluster.byStatus[stored.status], stored.id);
      if (stored.status === 'INACTIVE') removeSorted(cluster.byStatus.live, stored.id);
      else insertSorted(cluster.byStatus.live, stored.id);
    }
    cluster.placementCache = undefined;
    return entry;
  }

  /** Changes an instance (status, agent) with its version bumped; resolves once on disk. */
  async changeInstance(cluster: ClusterEntry, entry: InstanceEntry, patch: Partial<StoredInstance>): Promise<void> {
    const from = entry.stored.status;
    const stored: StoredInstance = { ...entry.stored, ...patch, version: entry.stored.version + 1 };
    this.indexInstance(cluster, stored, from);
    await this.store.put(this.instanceKey(stored), stored);
  }

  /** By id or ARN in this cluster; undefined when it is not there. */
  findInstance(cluster: ClusterEntry, identifier: string): InstanceEntry | undefined {
    let id = identifier;
    if (identifier.startsWith('arn:')) {
      const prefix = `${this.arnPrefix}container-instance/`;
      if (!identifier.startsWith(prefix)) return undefined;
      const rest = identifier.slice(prefix.length);
      const slash = rest.lastIndexOf('/');
      // The long ARN names the cluster; the old short one (container-instance/<id>) does not.
      if (slash >= 0 && rest.slice(0, slash) !== cluster.stored.clusterName) return undefined;
      id = rest.slice(slash + 1);
    }
    if (!INSTANCE_ID.test(id)) return undefined;
    return cluster.instances.get(id);
  }

  /** The container instance a long container instance ARN names, in its cluster; undefined when there is none. */
  instanceByArn(arn: string): InstanceEntry | undefined {
    const prefix = `${this.arnPrefix}container-instance/`;
    if (!arn.startsWith(prefix)) return undefined;
    const rest = arn.slice(prefix.length);
    const slash = rest.lastIndexOf('/');
    const cluster = slash < 0 ? undefined : this.clusters.get(rest.slice(0, slash));
    return cluster === undefined ? undefined : this.findInstance(cluster, arn);
  }

  /** Like findInstance, but an unknown instance is an InvalidParameterException (admin operations). */
  requireInstance(cluster: ClusterEntry, identifier: string): InstanceEntry {
    const entry = this.findInstance(cluster, identifier);
    if (entry === undefined) {
      throw new InvalidParameterException(
        `The container instance '${identifier}' was not found in cluster '${cluster.stored.clusterName}'.`,
      );
    }
    return entry;
  }

  /** The ContainerInstance structure as DescribeContainerInstances shapes it. */
  instanceView(entry: InstanceEntry, include: readonly string[] = []) {
    const s = entry.stored;
    const gpus = s.platformDevices?.length
      ? [{ ...GPU_RESOURCE, stringSetValue: s.platformDevices.map((d) => d.id) }]
      : [];
    const capacityProviderName = this.capacityProviderOf(s);
    return {
      containerInstanceArn: s.containerInstanceArn,
      ec2InstanceId: s.ec2InstanceId,
      ...(capacityProviderName !== undefined ? { capacityProviderName } : {}),
      version: s.version,
      versionInfo: s.versionInfo ?? DEFAULT_VERSION_INFO,
      // GPUs (platformDevices) are listed as the GPU resource; tasks here never reserve one.
      remainingResources: [...resourceList(entry.remaining), ...gpus],
      registeredResources: [...resourceList(s.registered), ...gpus],
      status: s.status,
      agentConnected: s.agentConnected,
      runningTasksCount: entry.runningTasksCount,
      pendingTasksCount: entry.pendingTasksCount,
      attributes: s.attributes,
      registeredAt: s.registeredAt,
      attachments: [],
      ...(include.includes('TAGS') ? { tags: s.tags } : {}),
    };
  }

  describeInstances(cluster: ClusterEntry, identifiers: readonly string[], include: readonly string[]) {
    const containerInstances: ReturnType<Clusters['instanceView']>[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const identifier of identifiers) {
      const entry = this.findInstance(cluster, identifier);
      if (entry === undefined) failures.push({ arn: identifier, reason: 'MISSING' });
      else containerInstances.push(this.instanceView(entry, include));
    }
    return { containerInstances, failures };
  }

  /**
   * ListContainerInstances: ARNs in id order, from the cursor; `filter` is a cluster query
   * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html).
   * Without a status, every status but INACTIVE (the API reference's default).
   */
  listInstances(
    cluster: ClusterEntry,
    query: { status?: ListableInstanceStatus; filter?: string; maxResults: number; nextToken?: string },
  ): { containerInstanceArns: string[]; nextToken?: string } {
    let matches: ((entry: InstanceEntry) => boolean) | undefined;
    if (query.filter !== undefined) {
      try {
        const parsed = parseClusterQuery(query.filter);
        matches = (entry) => evaluateClusterQuery(parsed, this.target(entry));
      } catch (err) {
        if (err instanceof PlacementParameterError) throw new InvalidParameterException(err.message);
        throw err;
      }
    }
    const ids =
      query.status === undefined
        ? cluster.byStatus.live
        : query.status === 'ACTIVE' || query.status === 'DRAINING'
          ? cluster.byStatus[query.status]
          : [];
    let i = query.nextToken === undefined ? 0 : upperBound(ids, decodeCursor(query.nextToken));
    const containerInstanceArns: string[] = [];
    let last: string | undefined;
    for (; i < ids.length; i++) {
      const entry = cluster.instances.get(ids[i]!)!;
      if (matches !== undefined && !matches(entry)) continue;
      if (containerInstanceArns.length === query.maxResults) {
        return { containerInstanceArns, nextToken: encodeCursor(last!) };
      }
      containerInstanceArns.push(entry.stored.containerInstanceArn);
      last = entry.stored.id;
    }
    return { containerInstanceArns };
  }

  // ---- attributes (PutAttributes, DeleteAttributes, ListAttributes)

  /** The instance an attribute's targetId names (short id with targetType, or ARN); TargetNotFoundException if none. */
  private attributeTarget(cluster: ClusterEntry, attribute: AttributeInput): InstanceEntry {
    const { targetId, targetType } = attribute;
    if (targetId === undefined) {
      throw new InvalidParameterException(`'targetId' is required for attribute '${attribute.name}'.`);
    }
    if (!targetId.startsWith('arn:') && targetType === undefined) {
      throw new InvalidParameterException(
        `Attribute '${attribute.name}': a targetId in short form needs its targetType (container-instance).`,
      );
    }
    const entry = this.findInstance(cluster, targetId);
    if (entry === undefined || entry.stored.status === 'INACTIVE') {
      throw new TargetNotFoundException(TARGET_NOT_FOUND);
    }
    return entry;
  }

  /**
   * PutAttributes: each attribute set on its container instance (a name already there takes the new value), all
   * checked before any is applied; more than MAX_CUSTOM_ATTRIBUTES custom ones on an instance is refused.
   * Placement sees them at once (the change drops the placement cache).
   */
  async putAttributes(cluster: ClusterEntry, attributes: readonly AttributeInput[]): Promise<void> {
    const changes = new Map<InstanceEntry, Attribute[]>();
    for (const attribute of attributes) {
      const entry = this.attributeTarget(cluster, attribute);
      const current = changes.get(entry) ?? entry.stored.attributes;
      const { name, value } = attribute;
      const next = [...current.filter((a) => a.name !== name), value === undefined ? { name } : { name, value }];
      if (next.filter((a) => !isEcsAttribute(a.name)).length > MAX_CUSTOM_ATTRIBUTES) {
        throw new AttributeLimitExceededException(
          `You can apply up to ${MAX_CUSTOM_ATTRIBUTES} custom attributes for each resource.`,
        );
      }
      changes.set(entry, next);
    }
    await Promise.all([...changes].map(([entry, next]) => this.changeInstance(cluster, entry, { attributes: next })));
  }

  /** DeleteAttributes: each named attribute off its instance (with a value given, only if it has that value). */
  async deleteAttributes(cluster: ClusterEntry, attributes: readonly AttributeInput[]): Promise<void> {
    const changes = new Map<InstanceEntry, Attribute[]>();
    for (const attribute of attributes) {
      const entry = this.attributeTarget(cluster, attribute);
      const current = changes.get(entry) ?? entry.stored.attributes;
      changes.set(
        entry,
        current.filter(
          (a) => a.name !== attribute.name || (attribute.value !== undefined && a.value !== attribute.value),
        ),
      );
    }
    const writes = [...changes]
      .filter(([entry, next]) => next.length !== entry.stored.attributes.length)
      .map(([entry, next]) => this.changeInstance(cluster, entry, { attributes: next }));
    await Promise.all(writes);
    await this.durable();
  }

  /** ListAttributes: the attributes of the cluster's registered instances, in instance then attribute order. */
  listAttributes(
    cluster: ClusterEntry,
    query: { attributeName?: string; attributeValue?: string; maxResults: number; nextToken?: string },
  ) {
    const ids = cluster.byStatus.live;
    let i = 0;
    let j = 0;
    if (query.nextToken !== undefined) {
      const [id, index] = decodeCursor(query.nextToken).split('/');
      i = lowerBound(ids, id ?? '');
      j = ids[i] === id ? Number(index) + 1 : 0;
      if (!Number.isInteger(j)) throw new InvalidParameterException(INVALID_TOKEN);
    }
    const attributes: { name: string; value?: string; targetType: 'container-instance'; targetId: string }[] = [];
    let last = '';
    for (; i < ids.length; i++, j = 0) {
      const entry = cluster.instances.get(ids[i]!)!;
      const list = entry.stored.attributes;
      for (; j < list.length; j++) {
        const a = list[j]!;
        if (query.attributeName !== undefined && a.name !== query.attributeName) continue;
        if (query.attributeValue !== undefined && a.value !== query.attributeValue) continue;
        if (attributes.length === query.maxResults) {
          return { attributes, nextToken: encodeCursor(last) };
        }
        attributes.push({ ...a, targetType: 'container-instance', targetId: entry.stored.containerInstanceArn });
        last = `${entry.stored.id}/${j}`;
      }
    }
    return { attributes };
  }

  /** UpdateContainerInstancesState: ACTIVE or DRAINING; an unknown or deregistered instance is a MISSING failure. */
  async updateInstancesState(cluster: ClusterEntry, identifiers: readonly string[], status: 'ACTIVE' | 'DRAINING') {
    const changed: InstanceEntry[] = [];
    const failures: { arn: string; reason: string }[] = [];
    const writes: Promise<void>[] = [];
    for (const identifier of identifiers) {
      const entry = this.findInstance(cluster, identifier);
      if (entry === undefined || entry.stored.status === 'INACTIVE') {
        failures.push({ arn: identifier, reason: 'MISSING' });
        continue;
      }
      if (entry.stored.status !== status) writes.push(this.changeInstance(cluster, entry, { status }));
      changed.push(entry);
    }
    await Promise.all(writes);
    await this.durable();
    return { containerInstances: changed.map((e) => this.instanceView(e)), failures };
  }

  // ---- placement bookkeeping (called by the task model)

  /** What the cluster query language and placement read from an instance. */
  target(entry: InstanceEntry): PlacementInstance {
    const attributes: Record<string, string | undefined> = {};
    for (const a of entry.stored.attributes) attributes[a.name] = a.value;
    return {
      arn: entry.stored.containerInstanceArn,
      status: entry.stored.status,
      ec2InstanceId: entry.stored.ec2InstanceId,
      agentConnected: entry.stored.agentConnected,
      agentVersion: entry.stored.versionInfo?.agentVersion ?? AGENT_VERSION,
      attributes,
      runningTasksCount: entry.runningTasksCount,
      registeredAt: entry.stored.registeredAt * 1000,
      taskGroups: entry.taskGroups,
      remaining: entry.remaining,
    };
  }

  /** The cluster's ACTIVE instances for placeTasks, with their entries at the same index. */
  placementInstances(cluster: ClusterEntry): { instances: PlacementInstance[]; entries: InstanceEntry[] } {
    if (cluster.placementCache === undefined) {
      const entries = cluster.byStatus.ACTIVE.map((id) => cluster.instances.get(id)!);
      cluster.placementCache = { instances: entries.map((e) => this.target(e)), entries };
    }
    return cluster.placementCache;
  }

  /** Takes a task's resources on an instance (placement, or reloading an unstopped task). */
  reserve(cluster: ClusterEntry, entry: InstanceEntry, needs: Reservation, group: string): void {
    entry.remaining = {
      cpu: entry.remaining.cpu - needs.cpu,
      memory: entry.remaining.memory - needs.memory,
      ports: needs.ports.length ? [...entry.remaining.ports, ...needs.ports] : entry.remaining.ports,
      portsUdp: needs.portsUdp.length ? [...entry.remaining.portsUdp, ...needs.portsUdp] : entry.remaining.portsUdp,
    };
    entry.taskGroups.set(group, (entry.taskGroups.get(group) ?? 0) + 1);
    cluster.placementCache = undefined;
  }

  /** Takes host ports a running task's containers were given (hostPort 0 on the docker runtime). */
  reservePorts(cluster: ClusterEntry, entry: InstanceEntry, ports: number[], portsUdp: number[]): void {
    entry.remaining = {
      ...entry.remaining,
      ports: [...entry.remaining.ports, ...ports],
      portsUdp: [...entry.remaining.portsUdp, ...portsUdp],
    };
    cluster.placementCache = undefined;
  }

  /** Gives a STOPPED task's resources back. */
  release(cluster: ClusterEntry, entry: InstanceEntry, needs: Reservation, group: string): void {
    entry.remaining = {
      cpu: entry.remaining.cpu + needs.cpu,
      memory: entry.remaining.memory + needs.memory,
      ports: without(entry.remaining.ports, needs.ports),
      portsUdp: without(entry.remaining.portsUdp, needs.portsUdp),
    };
    const left = (entry.taskGroups.get(group) ?? 0) - 1;
    if (left > 0) entry.taskGroups.set(group, left);
    else entry.taskGroups.delete(group);
    cluster.placementCache = undefined;
  }

  /** Adds (sign 1) or removes (sign -1) a task's contribution to the counts. */
  count(cluster: ClusterEntry, entry: InstanceEntry | undefined, counts: TaskCounts, sign: 1 | -1): void {
    cluster.runningTasksCount += sign * counts.running;
    cluster.pendingTasksCount += sign * counts.pending;
    cluster.byLaunchType[counts.launchType].running += sign * counts.running;
    cluster.byLaunchType[counts.launchType].pending += sign * counts.pending;
    cluster.activeTasksCount += sign * counts.active;
    if (entry !== undefined) {
      entry.runningTasksCount += sign * counts.desiredRunning;
      entry.pendingTasksCount += sign * counts.pending;
      if (counts.desiredRunning !== 0) cluster.placementCache = undefined;
    }
  }

  allClusters(): IterableIterator<ClusterEntry> {
    return this.clusters.values();
  }
}

/** What a task holds on its instance. */
export interface Reservation {
  cpu: number;
  memory: number;
  ports: number[];
  portsUdp: number[];
}

export function reservationOf(needs: TaskNeeds): Reservation {
  return { cpu: needs.cpu, memory: needs.memory, ports: [...needs.tcpPorts], portsUdp: [...needs.udpPorts] };
}
