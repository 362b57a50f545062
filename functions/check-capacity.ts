/** Check Capacity (run-task workflow): is there room on the cluster for the run's tasks right now? */
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { checkRunCapacity } from '../lib/capacity/check-run';
import { ecsClient } from '../lib/clients/ecs';
import { parseWorkflowState } from '../lib/runs/workflow-schema';
import { workflowStep } from '../lib/workflow-step';

const deps = { ecs: ecsClient(), taskDefinitions: new Map<string, TaskDefinition>() };

export const handler = workflowStep((event) => checkRunCapacity(deps, parseWorkflowState(event)));
