/** POST /task-definitions: the body is ECS's RegisterTaskDefinition input, checked by ECS's rules. */

import { withRules } from '../parse';
import { checkRules } from '../task-definition/rules';
import { TaskDefinitionInputSchema } from '../task-definition/schema';
import { viewOf } from '../task-definition/view';
import { invalid, location, notJson, refusedByPolicy, throttled, tooLarge } from './responses';
import { route } from './route';

/**
 * The schema reports each malformed or unknown member; the cross-field rules run on what could be read, whatever
 * else failed (lib/task-definition/view.ts), so one 400 lists both.
 */
export const TaskDefinitionBodySchema = withRules(
  TaskDefinitionInputSchema,
  (value) => {
    const view = viewOf(value);
    return view === undefined ? [] : checkRules(view);
  },
  { always: true },
);

export const registerTaskDefinitionRoute = route({
  method: 'post',
  path: '/task-definitions',
  operationId: 'registerTaskDefinition',
  summary: 'Validate and register a new revision of a task definition family.',
  tag: 'Task definitions',
  request: { body: TaskDefinitionBodySchema },
  responses: {
    '201': { description: 'Registered.', body: 'TaskDefinition', headers: location },
    '400': invalid,
    '403': refusedByPolicy,
    '413': tooLarge,
    '415': notJson,
    '503': throttled,
  },
});
