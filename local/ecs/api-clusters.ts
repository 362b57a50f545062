/**
 * ECS's cluster and container instance operations on the wire (awsJson1_1): CreateCluster, DescribeClusters,
 * ListClusters, DeleteCluster, ListContainerInstances, DescribeContainerInstances, UpdateContainerInstancesState.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Operations.html
 * Deliberate deviations from ECS: CreateCluster takes FARGATE and FARGATE_SPOT as its only capacity providers (no
 * Auto Scaling group providers exist here); configuration, serviceConnectDefaults and the like are refused.
 * Where ECS does not document its words for a bad parameter, the message names the parameter and what is allowed.
 */
import type { JsonObject, Operation } from '../endpoint/service';
import type { Clusters, ListableInstanceStatus } from './clusters';
import { LISTABLE_INSTANCE_STATUSES } from './clusters';
import { InvalidParameterException } from './exceptions';
import {
  maxResults,
  nextToken,
  optionalEnum,
  optionalObjectList,
  optionalString,
  optionalStringList,
  requiredString,
  requiredStringList,
  tags,
} from './input';

const CLUSTER_INCLUDE = ['ATTACHMENTS', 'CONFIGURATIONS', 'SETTINGS', 'STATISTICS', 'TAGS'] as const;
const INSTANCE_INCLUDE = ['TAGS', 'CONTAINER_INSTANCE_HEALTH'] as const;
const FARGATE_PROVIDERS = ['FARGATE', 'FARGATE_SPOT'];
const MAX_DESCRIBE_CLUSTERS = 100;
const MAX_DESCRIBE_INSTANCES = 100;
const MAX_UPDATE_INSTANCES = 10;

function include<T extends string>(input: JsonObject, allowed: readonly T[]): T[] {
  const values = optionalStringList(input, 'include') ?? [];
  const bad = values.find((v) => !(allowed as readonly string[]).includes(v));
  if (bad !== undefined) {
    throw new InvalidParameterException(`'include' may only hold ${allowed.join(', ')}; got '${bad}'.`);
  }
  return values as T[];
}

function refuse(input: JsonObject, members: readonly string[], operation: string) {
  const given = members.find((m) => input[m] !== undefined && input[m] !== null);
  if (given !== undefined) {
    throw new InvalidParameterException(`Berth's local ECS does not support '${given}' in ${operation}.`);
  }
}

export function clusterOperations(model: Clusters): Record<string, Operation> {
  return {
    async CreateCluster(input) {
      refuse(input, ['configuration', 'serviceConnectDefaults', 'defaultCapacityProviderStrategy'], 'CreateCluster');
      const settings = (optionalObjectList(input, 'settings') ?? []).map((s, i) => {
        const name = optionalString(s, 'name', `settings[${i}].name`);
        const value = optionalString(s, 'value', `settings[${i}].value`);
        if (name !== 'containerInsights' || !['enabled', 'disabled', 'enhanced'].includes(value ?? '')) {
          throw new InvalidParameterException(
            `'settings[${i}]' must be containerInsights with the value enabled, disabled or enhanced.`,
          );
        }
        return { name, value: value! };
      });
      const capacityProviders = optionalStringList(input, 'capacityProviders') ?? [];
      const unknown = capacityProviders.find((p) => !FARGATE_PROVIDERS.includes(p));
      if (unknown !== undefined) {
        throw new InvalidParameterException(
          `The specified capacity provider '${unknown}' does not exist. Berth's local ECS has FARGATE and FARGATE_SPOT.`,
        );
      }
      const cluster = await model.create(optionalString(input, 'clusterName') || 'default', {
        tags: tags(input),
        ...(settings.length ? { settings } : {}),
        capacityProviders,
      });
      const entry = model.find(cluster.clusterName)!;
      return { cluster: model.view(entry, ['TAGS', 'SETTINGS']) };
    },

    async DescribeClusters(input) {
      const identifiers = optionalStringList(input, 'clusters', { maxItems: MAX_DESCRIBE_CLUSTERS }) ?? ['default'];
      const result = model.describe(identifiers, include(input, CLUSTER_INCLUDE));
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
      return { cluster: model.view(model.find(stored.clusterName)!, ['TAGS', 'SETTINGS']) };
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
      const cluster = model.resolve(optionalString(input, 'cluster'));
      const identifiers = requiredStringList(input, 'containerInstances', { maxItems: MAX_DESCRIBE_INSTANCES });
      const result = model.describeInstances(cluster, identifiers, include(input, INSTANCE_INCLUDE));
      await model.durable();
      return result;
    },

    async UpdateContainerInstancesState(input) {
      const cluster = model.resolve(optionalString(input, 'cluster'));
      const identifiers = requiredStringList(input, 'containerInstances', { maxItems: MAX_UPDATE_INSTANCES });
      const status = requiredString(input, 'status');
      if (status !== 'ACTIVE' && status !== 'DRAINING') {
        throw new InvalidParameterException(
          `Container instance status should be one of [ACTIVE, DRAINING]; got '${status}'.`,
        );
      }
      return model.updateInstancesState(cluster, identifiers, status);
    },
  };
}
