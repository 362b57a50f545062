/** Check Capacity (run-task workflow): is there room on the cluster for the run's tasks right now? Recorded in the run. */
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { checkRunCapacity } from '../lib/capacity/check-run';
import { dynamoClient } from '../lib/clients/dynamodb';
import { ecsClient } from '../lib/clients/ecs';
import { recordCapacityCheck } from '../lib/runs/record-workflow';
import { getRecord, loadRunStoreConfig } from '../lib/runs/run-store';
import { parseWorkflowState } from '../lib/runs/workflow-schema';
import { workflowStep } from '../lib/workflow-step';

const deps = { ecs: ecsClient(), taskDefinitions: new Map<string, TaskDefinition>() };
const store = { ddb: dynamoClient(), config: loadRunStoreConfig() };

export const handler = workflowStep(async (event) => {
  const input = parseWorkflowState(event);
  // The record is read while ECS is asked, and written once the check is known.
  const read = getRecord(store, input.runId);
  read.catch(() => undefined); // awaited below; a failed check must not leave it unhandled
  const state = await checkRunCapacity(deps, input);
  await recordCapacityCheck(store, state, read);
  return state;
});
