/**
 * ECS's cluster, capacity provider and container instance listing operations on the wire (awsJson1_1):
 * CreateCluster, UpdateCluster, UpdateClusterSettings, PutClusterCapacityProviders, DescribeClusters,
 * ListClusters, DeleteCluster, CreateCapacityProvider, DescribeCapacityProviders, UpdateCapacityProvider,
 * DeleteCapacityProvider,
 * ListContainerInstances, DescribeContainerInstances, UpdateContainerInstancesState.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Operations.html
 * - A cluster's capacity providers are FARGATE, FARGATE_SPOT and ACTIVE Auto Scaling group providers, an ASG one
 *   on one cluster only; its default strategy may name only providers it has, never mixing Fargate and ASG ones.
 * - DescribeClusters returns statistics, tags, settings, configuration and attachments only when `include` asks.
 * - The request's own parameters are checked before anything is looked up, as ECS does.
 * Deliberate deviations from ECS: `serviceConnectDefaults.namespace` is recorded as given, or as a Cloud Map
 * namespace ARN made from a name (no Cloud Map here). Taking away a provider whose tasks are not yet stopped is
 * ResourceInUseException. Where ECS does not document its words for a bad parameter, the message names the
 * parameter and what is allowed.
 */
import type { JsonObject, Operation } from '../endpoint/service';
import { EMPTY_CONTAINER_INSTANCES } from './api-tasks';
import {
  type AutoScalingGroupProvider,
  autoScalingGroupName,
  type CapacityProviders,
  FARGATE_PROVIDERS,
  type ManagedScaling,
} from './capacity-providers';
import type {
  ClusterAttachment,
  ClusterEntry,
  ClusterSettings,
  Clusters,
  ListableInstanceStatus,
  Setting,
} from './clusters';
import { LISTABLE_INSTANCE_STATUSES } from './clusters';
import { ClientException, InvalidParameterException, ResourceInUseException } from './exceptions';
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
  tags,
} from './input';

const CLUSTER_INCLUDE = ['ATTACHMENTS', 'CONFIGURATIONS', 'SETTINGS', 'STATISTICS', 'TAGS'] as const;
const INSTANCE_INCLUDE = ['TAGS', 'CONTAINER_INSTANCE_HEALTH'] as const;
const NOT_ASSOCIATED =
  'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.';
const MIXED =
  'A capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.';
const MAX_DESCRIBE_CLUSTERS = 100;
const MAX_DESCRIBE_INSTANCES = 100;
const MAX_UPDATE_INSTANCES = 10;

/** A `containerInstances` list: an empty one is ECS's ClientException. */
function instanceList(input: JsonObject, maxItems: number): string[] {
  const list = optionalStringList(input, 'containerInstances', { maxItems });
  if (list === undefined) throw new InvalidParameterException("'containerInstances' is required.");
  if (list.length === 0) throw new ClientException(EMPTY_CONTAINER_INSTANCES);
  return list;
}

function include<T extends string>(input: JsonObject, allowed: readonly T[]): T[] {
  const values = optionalStringList(input, 'include') ?? [];
  const bad = values.find((v) => !(allowed as readonly string[]).includes(v));
  if (bad !== undefined) {
    throw new InvalidParameterException(`'include' may only hold ${allowed.join(', ')}; got '${bad}'.`);
  }
  return values as T[];
}

function settingsOf(input: JsonObject, name = 'settings'): Setting[] | undefined {
  return optionalObjectList(input, name)?.map((s, i) => {
    const settingName = optionalString(s, 'name', `${name}[${i}].name`);
    const value = optionalString(s, 'value', `${name}[${i}].value`);
    if (settingName !== 'containerInsights' || !['enabled', 'disabled', 'enhanced'].includes(value ?? '')) {
      throw new InvalidParameterException(
        `'${name}[${i}]' must be containerInsights with the value enabled, disabled or enhanced.`,
      );
    }
    return { name: settingName, value: value! };
  });
}

/** ClusterConfiguration: executeCommandConfiguration and managedStorageConfiguration, as given, checked. */
function configurationOf(input: JsonObject): Record<string, unknown> | undefined {
  const raw = optionalObject(input, 'configuration');
  if (raw === undefined) return undefined;
  const out: Record<string, unknown> = {};
  const exec = optionalObject(raw, 'executeCommandConfiguration', 'configuration.executeCommandConfiguration');
  if (exec !== undefined) {
    const at = 'configuration.executeCommandConfiguration';
    const kmsKeyId = optionalString(exec, 'kmsKeyId', `${at}.kmsKeyId`);
    const logging = optionalEnum(exec, 'logging', ['NONE', 'DEFAULT', 'OVERRIDE'] as const, `${at}.logging`);
    const log = optionalObject(exec, 'logConfiguration', `${at}.logConfiguration`);
    if (logging === 'OVERRIDE' && log === undefined) {
      throw new InvalidParameterException(`'${at}.logConfiguration' is required when logging is OVERRIDE.`);
    }
    if (log !== undefined && logging !== 'OVERRIDE') {
      throw new InvalidParameterException(`'${at}.logConfiguration' can only be given when logging is OVERRIDE.`);
    }
    const logConfiguration: Record<string, unknown> = {};
    if (log !== undefined) {
      for (const key of ['cloudWatchLogGroupName', 's3BucketName', 's3KeyPrefix']) {
        const v = optionalString(log, key, `${at}.logConfiguration.${key}`);
        if (v !== undefined) logConfiguration[key] = v;
      }
      for (const key of ['cloudWatchEncryptionEnabled', 's3EncryptionEnabled']) {
        const v = optionalBoolean(log, key, `${at}.logConfiguration.${key}`);
        if (v !== undefined) logConfiguration[key] = v;
      }
    }
    out.executeCommandConfiguration = {
      ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
      ...(logging !== undefined ? { logging } : {}),
      ...(log !== undefined ? { logConfiguration } : {}),
    };
  }
  const storage = optionalObject(raw, 'managedStorageConfiguration', 'configuration.managedStorageConfiguration');
  if (storage !== undefined) {
    const at = 'configuration.managedStorageConfiguration';
    const managed: Record<string, string> = {};
    for (const key of ['kmsKeyId', 'fargateEphemeralStorageKmsKeyId']) {
      const v = optionalString(storage, key, `${at}.${key}`);
      if (v !== undefined) managed[key] = v;
    }
    out.managedStorageConfiguration = managed;
  }
  return out;
}

function serviceConnectDefaultsOf(
  input: JsonObject,
  context: { region: string; accountId: string },
): { namespace: string } | undefined {
  const raw = optionalObject(input, 'serviceConnectDefaults');
  if (raw === undefined) return undefined;
  const namespace = requiredString(raw, 'namespace', 'serviceConnectDefaults.namespace');
  return {
    namespace: namespace.startsWith('arn:')
      ? namespace
      : `arn:aws:servicediscovery:${context.region}:${context.accountId}:namespace/${namespace}`,
  };
}

const DEFAULT_SCALING: ManagedScaling = {
  status: 'DISABLED',
  targetCapacity: 100,
  minimumScalingStepSize: 1,
  maximumScalingStepSize: 10000,
  instanceWarmupPeriod: 300,
};

/** `managedScaling` of an autoScalingGroupProvider, each member not given taken from `base`. */
function managedScalingOf(raw: JsonObject | undefined, base: ManagedScaling = DEFAULT_SCALING): ManagedScaling {
  const at = 'autoScalingGroupProvider.managedScaling';
  const scaling = raw === undefined ? undefined : optionalObject(raw, 'managedScaling', at);
  const read = (name: string, min: number, max: number) =>
    scaling === undefined ? undefined : optionalInteger(scaling, name, { path: `${at}.${name}`, min, max });
  return {
    status:
      (scaling && optionalEnum(scaling, 'status', ['ENABLED', 'DISABLED'] as const, `${at}.status`)) ?? base.status,
    targetCapacity: read('targetCapacity', 1, 100) ?? base.targetCapacity,
    minimumScalingStepSize: read('minimumScalingStepSize', 1, 10000) ?? base.minimumScalingStepSize,
    maximumScalingStepSize: read('maximumScalingStepSize', 1, 10000) ?? base.maximumScalingStepSize,
    instanceWarmupPeriod: read('instanceWarmupPeriod', 0, 10000) ?? base.instanceWarmupPeriod,
  };
}

type GroupSettings = Omit<AutoScalingGroupProvider, 'autoScalingGroupArn'>;

/** An autoScalingGroupProvider's settings, each not given taken from `base` (the defaults, or the current ones). */
function groupSettingsOf(raw: JsonObject, base: GroupSettings): GroupSettings {
  const managedScaling = managedScalingOf(raw, base.managedScaling);
  const on = ['ENABLED', 'DISABLED'] as const;
  const managedTerminationProtection =
    optionalEnum(raw, 'managedTerminationProtection', on, 'autoScalingGroupProvider.managedTerminationProtection') ??
    base.managedTerminationProtection;
  if (managedTerminationProtection === 'ENABLED' && managedScaling.status !== 'ENABLED') {
    throw new InvalidParameterException(
      'The managed termination protection setting for the capacity provider is invalid. To enable managed termination protection for a capacity provider, the capacity provider must have managed scaling enabled.',
    );
  }
  const managedDraining =
    optionalEnum(raw, 'managedDraining', on, 'autoScalingGroupProvider.managedDraining') ?? base.managedDraining;
  return { managedScaling, managedTerminationProtection, managedDraining };
}

export function clusterOperations(
  model: Clusters,
  providers: CapacityProviders,
  context: { region: string; accountId: string },
  /** Whether tasks of the cluster launched by the provider are not yet STOPPED. */
  providerInUse: (clusterName: string, provider: string) => boolean = () => false,
): Record<string, Operation> {
  /** The cluster an ASG provider is associated with, if any. */
  const clusterOf = (provider: string): ClusterEntry | undefined =>
    [...model.allClusters()].find((c) => c.stored.status === 'ACTIVE' && c.stored.capacityProviders.includes(provider));

  /** Checks a cluster's providers and default strategy together; `cluster` is the one they are for. */
  function checkProviders(
    clusterName: string,
    names: readonly string[],
    strategy: readonly { capacityProvider: string }[],
  ) {
    for (const name of names) {
      const provider = providers.active(name);
      if (provider === undefined) {
        throw new InvalidParameterException(
          `The specified capacity provider ${name} does not exist. Specify a valid capacity provider and try again.`,
        );
      }
      const other = provider.autoScalingGroupProvider === undefined ? undefined : clusterOf(name);
      if (other !== undefined && other.stored.clusterName !== clusterName) {
        throw new InvalidParameterException(
          `The specified capacity provider ${name} is already associated with cluster ${other.stored.clusterName}: an Auto Scaling group capacity provider can be associated with one cluster only.`,
        );
      }
    }
    if (strategy.some((item) => !names.includes(item.capacityProvider)))
      throw new InvalidParameterException(NOT_ASSOCIATED);
    const fargate = strategy.filter((i) => (FARGATE_PROVIDERS as readonly string[]).includes(i.capacityProvider));
    if (fargate.length > 0 && fargate.length < strategy.length) throw new InvalidParameterException(MIXED);
  }

  /** The scaling policy ECS attaches to the cluster for each ASG provider with managed scaling. */
  const attachmentsOf = (entry: ClusterEntry): ClusterAttachment[] =>
    entry.stored.capacityProviders.flatMap((name) => {
      const asg = providers.active(name)?.autoScalingGroupProvider;
      if (asg?.managedScaling.status !== 'ENABLED') return [];
      const group = autoScalingGroupName(asg.autoScalingGroupArn);
      return [
        {
          id: `${entry.stored.clusterName}-${name}`,
          type: 'as_policy',
          status: 'CREATED',
          details: [
            { name: 'capacityProviderName', value: name },
            { name: 'scalingPolicyName', value: `ECSManagedAutoScalingPolicy-${group}` },
          ],
        },
      ];
    });

  const clusterView = (entry: ClusterEntry) =>
    model.view(entry, ['TAGS', 'SETTINGS', 'CONFIGURATIONS', 'ATTACHMENTS'], attachmentsOf(entry));

  return {
    async CreateCluster(input) {
      const clusterName = optionalString(input, 'clusterName') || 'default';
      const settings = settingsOf(input);
      const configuration = configurationOf(input);
      const serviceConnectDefaults = serviceConnectDefaultsOf(input, context);
      const capacityProviders = optionalStringList(input, 'capacityProviders') ?? [];
      const strategy = capacityProviderStrategy(input, 'defaultCapacityProviderStrategy') ?? [];
      const clusterTags = tags(input);
      checkProviders(clusterName, capacityProviders, strategy);
      const extra: ClusterSettings = {
        ...(clusterTags !== undefined ? { tags: clusterTags } : {}),
        ...(settings?.length ? { settings } : {}),
        capacityProviders,
        defaultCapacityProviderStrategy: strategy,
        ...(configuration !== undefined ? { configuration } : {}),
        ...(serviceConnectDefaults !== undefined ? { serviceConnectDefaults } : {}),
      };
      const cluster = await model.create(clusterName, extra);
      return { cluster: clusterView(model.find(cluster.clusterName)!) };
    },

    async UpdateCluster(input) {
      const identifier = requiredString(input, 'cluster');
      const settings = settingsOf(input);
      const configuration = configurationOf(input);
      const serviceConnectDefaults = serviceConnectDefaultsOf(input, context);
      const entry = model.resolve(identifier);
      await model.update(entry, {
        ...(settings !== undefined ? { settings: mergeSettings(entry.stored.settings, settings) } : {}),
        ...(configuration !== undefined ? { configuration } : {}),
        ...(serviceConnectDefaults !== undefined ? { serviceConnectDefaults } : {}),
      });
      return { cluster: clusterView(entry) };
    },

    async UpdateClusterSettings(input) {
      const identifier = requiredString(input, 'cluster');
      const settings = settingsOf(input);
      if (settings === undefined) throw new InvalidParameterException("'settings' is required.");
      const entry = model.resolve(identifier);
      await model.update(entry, { settings: mergeSettings(entry.stored.settings, settings) });
      return { cluster: clusterView(entry) };
    },

    async PutClusterCapacityProviders(input) {
      const identifier = requiredString(input, 'cluster');
      const capacityProviders = optionalStringList(input, 'capacityProviders');
      if (capacityProviders === undefined) throw new InvalidParameterException("'capacityProviders' is required.");
      const strategy = capacityProviderStrategy(input, 'defaultCapacityProviderStrategy');
      if (strategy === undefined) {
        throw new InvalidParameterException("'defaultCapacityProviderStrategy' is required.");
      }
      const entry = model.resolve(identifier);
      checkProviders(entry.stored.clusterName, capacityProviders, strategy);
      const removed = entry.stored.capacityProviders.filter((p) => !capacityProviders.includes(p));
      const busy = removed.find((p) => providerInUse(entry.stored.clusterName, p));
      if (busy !== undefined) {
        throw new ResourceInUseException(
          `The specified capacity provider ${busy} is in use and cannot be removed: tasks of the cluster launched by it are not yet stopped.`,
        );
      }
      await model.update(entry, { capacityProviders, defaultCapacityProviderStrategy: strategy });
      return { cluster: clusterView(entry) };
    },

    async CreateCapacityProvider(input) {
      const name = requiredString(input, 'name');
      if (input.managedInstancesProvider !== undefined && input.managedInstancesProvider !== null) {
        throw new InvalidParameterException(
          "Berth's local ECS does not model Amazon ECS Managed Instances capacity providers: give an autoScalingGroupProvider.",
        );
      }
      optionalString(input, 'cluster');
      const raw = optionalObject(input, 'autoScalingGroupProvider');
      if (raw === undefined) throw new InvalidParameterException("'autoScalingGroupProvider' is required.");
      const autoScalingGroupArn = requiredString(raw, 'autoScalingGroupArn', {
        path: 'autoScalingGroupProvider.autoScalingGroupArn',
        maxLength: 1600,
      });
      if (autoScalingGroupArn.startsWith('arn:') && !/^arn:aws[a-z-]*:autoscaling:/.test(autoScalingGroupArn)) {
        throw new InvalidParameterException(
          `'autoScalingGroupProvider.autoScalingGroupArn' is not an Auto Scaling group ARN: '${autoScalingGroupArn}'.`,
        );
      }
      const managedScaling = managedScalingOf(raw);
      const on = ['ENABLED', 'DISABLED'] as const;
      const managedTerminationProtection =
        optionalEnum(
          raw,
          'managedTerminationProtection',
          on,
          'autoScalingGroupProvider.managedTerminationProtection',
        ) ?? 'DISABLED';
      if (managedTerminationProtection === 'ENABLED' && managedScaling.status !== 'ENABLED') {
        throw new InvalidParameterException(
          'The managed termination protection setting for the capacity provider is invalid. To enable managed termination protection for a capacity provider, the capacity provider must have managed scaling enabled.',
        );
      }
      const managedDraining =
        optionalEnum(raw, 'managedDraining', on, 'autoScalingGroupProvider.managedDraining') ?? 'ENABLED';
      const providerTags = tags(input) ?? [];
      const created = await providers.create(
        name,
        { autoScalingGroupArn, managedScaling, managedTerminationProtection, managedDraining },
        providerTags,
      );
      return { capacityProvider: providers.view(created, true) };
    },

    async DescribeCapacityProviders(input) {
      const names = optionalStringList(input, 'capacityProviders', { maxItems: 100 });
      const include = optionalStringList(input, 'include') ?? [];
      const bad = include.find((i) => i !== 'TAGS');
      if (bad !== undefined) throw new InvalidParameterException(`'include' may only hold TAGS; got '${bad}'.`);
      const limit = optionalInteger(input, 'maxResults', { min: 1, max: 10 }) ?? 10;
      const token = nextToken(input);
      const clusterName = optionalString(input, 'cluster');
      const withTags = include.includes('TAGS');
      if (clusterName !== undefined) model.resolve(clusterName);
      await model.durable();
      if (names !== undefined) {
        const capacityProviders = [];
        const failures = [];
        for (const identifier of names) {
          const found = providers.find(identifier);
          if (found === undefined) {
            failures.push({
              arn: identifier.startsWith('arn:')
                ? identifier
                : `arn:aws:ecs:${context.region}:${context.accountId}:capacity-provider/${identifier}`,
              reason: 'MISSING',
            });
          } else {
            capacityProviders.push(providers.view(found, withTags));
          }
        }
        return { capacityProviders, failures };
      }
      const page = providers.page(limit, token);
      return {
        capacityProviders: page.names.map((n) => providers.view(providers.find(n)!, withTags)),
        failures: [],
        ...(page.nextToken !== undefined ? { nextToken: page.nextToken } : {}),
      };
    },

    async UpdateCapacityProvider(input) {
      const name = requiredString(input, 'name');
      optionalString(input, 'cluster');
      if (input.managedInstancesProvider !== undefined && input.managedInstancesProvider !== null) {
        throw new InvalidParameterException(
          "Berth's local ECS does not model Amazon ECS Managed Instances capacity providers.",
        );
      }
      const raw = optionalObject(input, 'autoScalingGroupProvider');
      if (raw === undefined) throw new InvalidParameterException("'autoScalingGroupProvider' is required.");
      const found = providers.find(name);
      if (found !== undefined && found.autoScalingGroupProvider === undefined) {
        throw new InvalidParameterException(`The capacity provider ${found.name} is reserved and cannot be updated.`);
      }
      if (found?.status !== 'ACTIVE' || found.autoScalingGroupProvider === undefined) {
        throw new ClientException(
          'The specified capacity provider does not exist. Specify a valid name or ARN and try again.',
        );
      }
      const current = found.autoScalingGroupProvider;
      const updated = await providers.update(found, {
        autoScalingGroupArn: current.autoScalingGroupArn,
        ...groupSettingsOf(raw, current),
      });
      return { capacityProvider: providers.view(updated, false) };
    },

    async DeleteCapacityProvider(input) {
      const identifier = requiredString(input, 'capacityProvider');
      optionalString(input, 'cluster');
      const found = providers.find(identifier);
      if (found !== undefined && found.autoScalingGroupProvider === undefined) {
        throw new InvalidParameterException(`The capacity provider ${found.name} is reserved and cannot be deleted.`);
      }
      if (found === undefined || found.status !== 'ACTIVE') {
        throw new ClientException(
          'The specified capacity provider does not exist. Specify a valid name or ARN and try again.',
        );
      }
      const user = clusterOf(found.name);
      if (user !== undefined) {
        throw new ClientException(
          `The specified capacity provider is in use and cannot be deleted: it is associated with cluster ${user.stored.clusterName}. Remove it with PutClusterCapacityProviders first.`,
        );
      }
      return { capacityProvider: providers.view(await providers.delete(found), false) };
    },

    async DescribeClusters(input) {
      const identifiers = optionalStringList(input, 'clusters', { maxItems: MAX_DESCRIBE_CLUSTERS }) ?? ['default'];
      const result = model.describe(identifiers, include(input, CLUSTER_INCLUDE), attachmentsOf);
      await model.durable();
      return result;
    },

    async ListClusters(input) {
      const page = model.list(maxResults(input), nextToken(input));
      await model.durable();
      return page;
    },

    async DeleteCluster(input) {
      const stored = await model.delete(requiredString(input, 'cluster'));
      return { cluster: clusterView(model.find(stored.clusterName)!) };
    },

    async ListContainerInstances(input) {
      const cluster = model.resolve(optionalString(input, 'cluster'));
      const filter = optionalString(input, 'filter');
      const status = optionalEnum<ListableInstanceStatus>(input, 'status', LISTABLE_INSTANCE_STATUSES);
      const page = model.listInstances(cluster, {
        ...(status !== undefined ? { status } : {}),
        ...(filter !== undefined && filter.trim() !== '' ? { filter } : {}),
        maxResults: maxResults(input),
        ...(nextToken(input) !== undefined ? { nextToken: nextToken(input) } : {}),
      });
      await model.durable();
      return page;
    },

    async DescribeContainerInstances(input) {
      const identifiers = instanceList(input, MAX_DESCRIBE_INSTANCES);
      const included = include(input, INSTANCE_INCLUDE);
      const cluster = model.resolve(optionalString(input, 'cluster'));
      const result = model.describeInstances(cluster, identifiers, included);
      await model.durable();
      return result;
    },

    async UpdateContainerInstancesState(input) {
      const identifiers = instanceList(input, MAX_UPDATE_INSTANCES);
      const status = requiredString(input, 'status');
      if (status !== 'ACTIVE' && status !== 'DRAINING') {
        throw new InvalidParameterException(
          `Container instance status should be one of [ACTIVE, DRAINING]; got '${status}'.`,
        );
      }
      const cluster = model.resolve(optionalString(input, 'cluster'));
      return model.updateInstancesState(cluster, identifiers, status);
    },
  };
}

/** UpdateCluster's settings replace the ones of the same name and keep the others. */
function mergeSettings(current: readonly Setting[], given: readonly Setting[]): Setting[] {
  return [...current.filter((c) => !given.some((g) => g.name === c.name)), ...given];
}
