/** POST /runs/plan: the POST /runs body, validated the same way; nothing is started. */
import { RunRequestSchema } from '../runs/request';
import { invalid, notJson, problem, refusedByPolicy, throttled, tooLarge } from './responses';
import { route } from './route';

export const planRunRoute = route({
  method: 'post',
  path: '/runs/plan',
  operationId: 'planRun',
  summary:
    "Where a run's tasks would land now, task by task, or why each instance would refuse them; the shortfall and whether the run would wait. Starts nothing.",
  tag: 'Runs',
  request: { body: RunRequestSchema },
  responses: {
    '200': { description: 'The placement plan.', body: 'PlacementPlan' },
    '400': invalid,
    '403': refusedByPolicy,
    '404': problem('The task definition or the cluster does not exist.'),
    '413': tooLarge,
    '415': notJson,
    '503': throttled,
  },
});
