/** Decide Retry (run-task workflow): a Run Task state failed; what was the outcome, and does the run try again? */
import { ecsClient } from '../lib/clients/ecs';
import { decideAttempt } from '../lib/runs/decide-retry';
import { parseWorkflowState } from '../lib/runs/workflow-schema';
import { workflowStep } from '../lib/workflow-step';

const deps = { ecs: ecsClient() };

export const handler = workflowStep((event) => decideAttempt(deps, parseWorkflowState(event)));
