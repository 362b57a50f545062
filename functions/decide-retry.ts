/** Decide Retry (run-task workflow): a Run Task state failed; what was the outcome, and does the run try again? Recorded in the run. */
import { dynamoClient } from '../lib/clients/dynamodb';
import { ecsClient } from '../lib/clients/ecs';
import { decideAttempt } from '../lib/runs/decide-retry';
import { recordAttemptVerdict } from '../lib/runs/record-workflow';
import { loadRunStoreConfig } from '../lib/runs/run-store';
import { parseWorkflowState } from '../lib/runs/workflow-schema';
import { workflowStep } from '../lib/workflow-step';

const deps = { ecs: ecsClient() };
const store = { ddb: dynamoClient(), config: loadRunStoreConfig() };

export const handler = workflowStep(async (event) => {
  const state = await decideAttempt(deps, parseWorkflowState(event));
  await recordAttemptVerdict(store, state);
  return state;
});
