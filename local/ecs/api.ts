/**
 * ECS's task definition operations on the wire (awsJson1_1): read each request's members, call the model,
 * shape the response as ECS does. Follows the operation pages under
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Operations.html
 * (RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions, ListTaskDefinitionFamilies,
 * DeregisterTaskDefinition, DeleteTaskDefinitions). Deliberate deviations from ECS:
 * - RegisterTaskDefinition is checked by Berth's validator, whose first violation is the ClientException's
 *   message; it refuses unknown members, which ECS would ignore.
 * - Where ECS's exact words for a bad parameter are not documented (maxResults, status, sort, include,
 *   nextToken), the message names the parameter and what is allowed.
 * Every operation waits until what it read or wrote is on disk before answering (see TaskDefinitions.durable).
 */
import { validateTaskDefinition } from '../../lib/task-definition/validate';
import type { Operation } from '../endpoint/service';
import { ClientException, InvalidParameterException } from './exceptions';
import {
  maxResults,
  nextToken,
  optionalEnum,
  optionalString,
  optionalStringList,
  requiredString,
  requiredStringList,
} from './input';
import { type FamilyStatus, TASK_DEFINITION_STATUSES, type TaskDefinitionStatus, type TaskDefinitions } from './models';

const FAMILY_STATUSES: readonly FamilyStatus[] = ['ACTIVE', 'INACTIVE', 'ALL'];
const SORT_ORDERS = ['ASC', 'DESC'] as const;
const MAX_DELETE = 10;

export function taskDefinitionOperations(model: TaskDefinitions): Record<string, Operation> {
  return {
    async RegisterTaskDefinition(input) {
      const result = validateTaskDefinition(input);
      if (!result.ok) throw new ClientException(result.violations[0]?.message ?? 'Invalid task definition.');
      const { taskDefinition, tags } = await model.register(result.value);
      return input.tags === undefined ? { taskDefinition } : { taskDefinition, tags };
    },

    async DescribeTaskDefinition(input) {
      const identifier = requiredString(input, 'taskDefinition');
      const include = optionalStringList(input, 'include') ?? [];
      const unknown = include.find((field) => field !== 'TAGS');
      if (unknown !== undefined) throw new InvalidParameterException(`'include' may only hold TAGS; got '${unknown}'.`);
      const { taskDefinition, tags } = model.describe(identifier);
      await model.durable();
      return include.length > 0 ? { taskDefinition, tags } : { taskDefinition };
    },

    async ListTaskDefinitions(input) {
      const page = model.list({
        familyPrefix: optionalString(input, 'familyPrefix'),
        status: optionalEnum<TaskDefinitionStatus>(input, 'status', TASK_DEFINITION_STATUSES) ?? 'ACTIVE',
        sort: optionalEnum(input, 'sort', SORT_ORDERS) ?? 'ASC',
        maxResults: maxResults(input),
        nextToken: nextToken(input),
      });
      await model.durable();
      return page;
    },

    async ListTaskDefinitionFamilies(input) {
      const page = model.listFamilies({
        familyPrefix: optionalString(input, 'familyPrefix'),
        status: optionalEnum(input, 'status', FAMILY_STATUSES) ?? 'ALL',
        maxResults: maxResults(input),
        nextToken: nextToken(input),
      });
      await model.durable();
      return page;
    },

    async DeregisterTaskDefinition(input) {
      return { taskDefinition: await model.deregister(requiredString(input, 'taskDefinition')) };
    },

    async DeleteTaskDefinitions(input) {
      const identifiers = requiredStringList(input, 'taskDefinitions');
      if (identifiers.length > MAX_DELETE) {
        throw new InvalidParameterException(`taskDefinitions can have at most ${MAX_DELETE} items.`);
      }
      return model.delete(identifiers);
    },
  };
}
