/**
 * Berth's local ECS: the ECS service the local AWS endpoint serves, on the awsJson1_1 protocol with
 * `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>`.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/Welcome.html
 * Its state is one DurableStore, `<stateDir>/ecs.jsonl`, shared by the ECS models (task definitions now;
 * clusters, container instances and tasks under their own key prefixes later). Operations it does not
 * implement answer UnknownOperationException (see local/endpoint/server.ts).
 */
import type { ServiceFactory } from '../endpoint/service';
import { DurableStore } from '../store';
import { taskDefinitionOperations } from './api';
import { TaskDefinitions } from './models';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';

export const ecsService: ServiceFactory = async ({ stateDir, region, accountId }) => {
  const store = await DurableStore.open<unknown>(stateDir, 'ecs');
  const taskDefinitions = TaskDefinitions.load(store, { region, accountId });
  return {
    name: 'ECS',
    targetPrefix: ECS_TARGET_PREFIX,
    jsonVersion: '1.1',
    internalErrorCode: 'ServerException',
    operations: new Map(Object.entries({ ...taskDefinitionOperations(taskDefinitions) })),
    close: () => store.close(),
  };
};
