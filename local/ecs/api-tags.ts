/**
 * ECS's tagging operations on the wire (awsJson1_1): TagResource, UntagResource, ListTagsForResource, on clusters,
 * task definitions, tasks, container instances and capacity providers, by ARN.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TagResource.html (and API_UntagResource.html,
 * API_ListTagsForResource.html); the limits are API_Tag's: 50 tags per resource, keys 1-128 and values 0-256
 * characters, keys unique, the `aws:` prefix reserved.
 * - TagResource adds the tags, a key already there taking the new value; more than 50 in all is refused.
 * - An ARN that is not an ECS resource ARN is InvalidParameterException; an ECS ARN of a resource this region and
 *   account do not have is ClusterNotFoundException for a cluster, ResourceNotFoundException for the others.
 * Deliberate deviation: the words for a missing resource and for the 50-tag limit are not documented; the
 * messages say what is wrong.
 */
import type { Tag } from '@aws-sdk/client-ecs';
import type { Operation } from '../endpoint/service';
import type { CapacityProviders } from './capacity-providers';
import type { Clusters } from './clusters';
import { ClusterNotFoundException, InvalidParameterException, ResourceNotFoundException } from './exceptions';
import { optionalStringList, requiredString, tags as tagList } from './input';
import type { TaskDefinitions } from './models';
import type { Tasks } from './tasks';

const MAX_TAGS = 50;
const ECS_ARN =
  /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:(cluster|task-definition|task|container-instance|capacity-provider|service|task-set)\/.+$/;

/** A resource's tags and how to replace them. */
interface Tagged {
  tags: Tag[];
  save(tags: Tag[]): Promise<void>;
}

export interface TaggableModels {
  clusters: Clusters;
  definitions: TaskDefinitions;
  tasks: Tasks;
  capacityProviders: CapacityProviders;
}

function resource(models: TaggableModels, arn: string): Tagged {
  const match = ECS_ARN.exec(arn);
  if (match === null) throw new InvalidParameterException('The ARN provided is invalid.');
  switch (match[1]) {
    case 'cluster': {
      const entry = models.clusters.find(arn);
      if (entry === undefined || entry.stored.status !== 'ACTIVE') throw new ClusterNotFoundException();
      return { tags: entry.stored.tags, save: (tags) => models.clusters.setClusterTags(entry, tags) };
    }
    case 'task-definition': {
      const stored = models.definitions.byArn(arn);
      if (stored === undefined) throw new ResourceNotFoundException();
      return { tags: stored.tags, save: (tags) => models.definitions.setTags(stored, tags) };
    }
    case 'task': {
      const entry = models.tasks.byArn(arn);
      if (entry === undefined) throw new ResourceNotFoundException();
      return { tags: entry.stored.tags, save: (tags) => models.tasks.setTags(entry, tags) };
    }
    case 'container-instance': {
      const entry = models.clusters.instanceByArn(arn);
      if (entry === undefined) throw new ResourceNotFoundException();
      return { tags: entry.stored.tags, save: (tags) => models.clusters.setInstanceTags(entry, tags) };
    }
    case 'capacity-provider': {
      const provider = models.capacityProviders.byArn(arn);
      if (provider === undefined) throw new ResourceNotFoundException();
      return { tags: provider.tags ?? [], save: (tags) => models.capacityProviders.setTags(provider, tags) };
    }
    default:
      throw new ResourceNotFoundException(
        `The specified resource could not be found: Berth's local ECS does not emulate ${match[1]}s.`,
      );
  }
}

export function tagOperations(models: TaggableModels): Record<string, Operation> {
  return {
    async TagResource(input) {
      const arn = requiredString(input, 'resourceArn');
      const added = tagList(input) ?? [];
      if (input.tags === undefined || input.tags === null) throw new InvalidParameterException("'tags' is required.");
      const target = resource(models, arn);
      const merged = [...target.tags.filter((t) => !added.some((a) => a.key === t.key)), ...added];
      if (merged.length > MAX_TAGS) {
        throw new InvalidParameterException(
          `A resource can have at most ${MAX_TAGS} tags: this would give it ${merged.length}.`,
        );
      }
      await target.save(merged);
      return {};
    },

    async UntagResource(input) {
      const arn = requiredString(input, 'resourceArn');
      const keys = optionalStringList(input, 'tagKeys');
      if (keys === undefined) throw new InvalidParameterException("'tagKeys' is required.");
      if (keys.length > MAX_TAGS) throw new InvalidParameterException(`'tagKeys' can have at most ${MAX_TAGS} items.`);
      const bad = keys.find((k) => k.length < 1 || k.length > 128);
      if (bad !== undefined) throw new InvalidParameterException(`Tag key '${bad}' must be 1 to 128 characters.`);
      const target = resource(models, arn);
      const kept = target.tags.filter((t) => !keys.includes(t.key ?? ''));
      if (kept.length !== target.tags.length) await target.save(kept);
      else await models.clusters.durable();
      return {};
    },

    async ListTagsForResource(input) {
      const target = resource(models, requiredString(input, 'resourceArn'));
      await models.clusters.durable();
      return { tags: target.tags };
    },
  };
}
