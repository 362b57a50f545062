/** DELETE /task-definitions/{family}/{revision} */
import { TaskDefinitionRevisionPathSchema } from './get-task-definition';
import { invalid, notFound, throttled } from './responses';
import { route } from './route';

export const deregisterTaskDefinitionRoute = route({
  method: 'delete',
  path: '/task-definitions/{family}/{revision}',
  operationId: 'deregisterTaskDefinition',
  summary: 'Deregister a revision (it becomes INACTIVE).',
  tag: 'Task definitions',
  request: { path: TaskDefinitionRevisionPathSchema },
  responses: {
    '200': { description: 'The revision, now INACTIVE.', body: 'TaskDefinition' },
    '400': invalid,
    '404': notFound,
    '503': throttled,
  },
});
