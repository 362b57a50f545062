/** Check Capacity (run-task workflow): is there room on the cluster for the run's tasks right now? Recorded in the run. */
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { checkRunCapacity } from '../lib/capacity/check-run';
import { dynamoClient } from '../lib/clients/dynamodb';
import { ecsClient } from '../lib/clients/ecs';
import { recordCapacityCheck } from '../lib/runs/record-workflow';
import { loadRunStoreConfig } from '../lib/runs/run-store';
import { parseWorkflowState } from '../lib/runs/workflow-schema';
import { workflowStep } from '../lib/workflow-step';

const deps = { ecs: ecsClient(), taskDefinitions: new Map<string, TaskDefinition>() };
const store = { ddb: dynamoClient(), config: loadRunStoreConfig() };

export const handler = workflowStep(async (event) => {
  const state = await checkRunCapacity(deps, parseWorkflowState(event));
  await recordCapacityCheck(store, state);
  return state;
});
