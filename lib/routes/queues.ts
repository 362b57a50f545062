/** GET /queues, GET /queues/{name}, POST /queues/{name}/pause and /resume */
import * as z from 'zod/mini';
import { QueueNameSchema } from './parameters';
import { invalid, notFound, throttled } from './responses';
import { route } from './route';

const path = z.object({ name: QueueNameSchema });

export const listQueuesRoute = route({
  method: 'get',
  path: '/queues',
  operationId: 'listQueues',
  summary:
    "The stage's queues (queues.yml): each one's limit, runs holding a slot, runs waiting and the oldest wait, whether it is paused, and per share counts.",
  tag: 'Queues',
  request: {},
  responses: { '200': { description: 'Every queue.', body: 'QueueList' }, '503': throttled },
});

export const getQueueRoute = route({
  method: 'get',
  path: '/queues/{name}',
  operationId: 'getQueue',
  summary: 'One queue: its limit, runs holding a slot, runs waiting and the oldest wait, whether it is paused.',
  tag: 'Queues',
  request: { path },
  responses: {
    '200': { description: 'The queue now.', body: 'Queue' },
    '400': invalid,
    '404': notFound,
    '503': throttled,
  },
});

export const pauseQueueRoute = route({
  method: 'post',
  path: '/queues/{name}/pause',
  operationId: 'pauseQueue',
  summary:
    'Pauses a queue: it admits no run until it is resumed; runs holding a slot go on. Kept in the queues table, so it outlives deploys and restarts.',
  tag: 'Queues',
  request: { path },
  responses: {
    '200': { description: 'The queue, paused.', body: 'Queue' },
    '400': invalid,
    '404': notFound,
    '503': throttled,
  },
});

export const resumeQueueRoute = route({
  method: 'post',
  path: '/queues/{name}/resume',
  operationId: 'resumeQueue',
  summary: 'Resumes a paused queue: it admits the waiting runs it has slots for at once.',
  tag: 'Queues',
  request: { path },
  responses: {
    '200': { description: 'The queue, resumed.', body: 'Queue' },
    '400': invalid,
    '404': notFound,
    '503': throttled,
  },
});
