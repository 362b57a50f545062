/** GET /task-definitions/{family} (the latest ACTIVE revision) and GET /task-definitions/{family}/{revision}. */
import * as z from 'zod/mini';
import { FamilySchema, RevisionSchema } from './parameters';
import { invalid, notFound, throttled } from './responses';
import { route } from './route';

export const getLatestTaskDefinitionRoute = route({
  method: 'get',
  path: '/task-definitions/{family}',
  operationId: 'getLatestTaskDefinition',
  summary: 'The latest ACTIVE revision of a family.',
  tag: 'Task definitions',
  request: { path: z.object({ family: FamilySchema }) },
  responses: {
    '200': { description: 'The revision.', body: 'TaskDefinition' },
    '400': invalid,
    '404': notFound,
    '503': throttled,
  },
});

export const TaskDefinitionRevisionPathSchema = z.object({ family: FamilySchema, revision: RevisionSchema });

export const getTaskDefinitionRoute = route({
  method: 'get',
  path: '/task-definitions/{family}/{revision}',
  operationId: 'getTaskDefinition',
  summary: 'One revision, ACTIVE or INACTIVE.',
  tag: 'Task definitions',
  request: { path: TaskDefinitionRevisionPathSchema },
  responses: {
    '200': { description: 'The revision.', body: 'TaskDefinition' },
    '400': invalid,
    '404': notFound,
    '503': throttled,
  },
});
