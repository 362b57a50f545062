/**
 * What the API shows of queues: GET /queues, GET /queues/{name}, the answers of pause and resume, and the queue
 * block of a QUEUED run's view (its position and what it waits for). Read from the queues table, consistently.
 */
import * as z from 'zod/mini';
import { NotFoundError } from '../errors';
import type { RunQueue } from '../runs/record';
import { shareOf } from './admission';
import { admit, type QueueDeps } from './admit';
import type { Queue } from './config';
import { allWaitingRuns, positionOf, type QueueStore, readQueueState, setPaused } from './store';

export const QueueShareViewSchema = z.object({
  shareIdentifier: z.string(),
  weightFactor: z.number(),
  running: z.int(),
  queued: z.int(),
});

export const QueueViewSchema = z.object({
  name: z.string(),
  description: z.optional(z.string()),
  /** Absent: no limit. */
  maxConcurrentRuns: z.optional(z.int()),
  maxQueuedSeconds: z.optional(z.int()),
  cluster: z.optional(z.string()),
  paused: z.boolean(),
  /** Runs holding a slot. */
  running: z.int(),
  /** Runs waiting for one (at least this many when `queuedIsLowerBound`). */
  queued: z.int(),
  queuedIsLowerBound: z.optional(z.boolean()),
  /** When the longest-waiting run entered the queue, and how long ago. */
  oldestQueuedAt: z.optional(z.string()),
  oldestQueuedSeconds: z.optional(z.int()),
  /** With a fair-share policy: each share identifier with runs, and each of the policy's. */
  shares: z.optional(z.array(QueueShareViewSchema)),
});

export const QueueListSchema = z.object({ queues: z.array(QueueViewSchema) });

export type QueueView = z.output<typeof QueueViewSchema>;

function findQueue(queues: readonly Queue[], name: string): Queue {
  const queue = queues.find((q) => q.name === name);
  if (queue === undefined) {
    throw new NotFoundError(
      `Queue ${name} does not exist; this stage's queues are ${queues.map((q) => q.name).join(', ')}.`,
    );
  }
  return queue;
}

export async function queueView(store: QueueStore, queue: Queue, now = new Date()): Promise<QueueView> {
  const [state, waiting] = await Promise.all([readQueueState(store, queue.name), allWaitingRuns(store, queue.name)]);
  const oldest = waiting.entries.map((e) => e.enqueuedAt).sort()[0];
  const view: QueueView = {
    name: queue.name,
    ...(queue.description !== undefined && { description: queue.description }),
    ...(queue.maxConcurrentRuns !== undefined && { maxConcurrentRuns: queue.maxConcurrentRuns }),
    ...(queue.maxQueuedSeconds !== undefined && { maxQueuedSeconds: queue.maxQueuedSeconds }),
    ...(queue.cluster !== undefined && { cluster: queue.cluster }),
    paused: state.paused,
    running: state.running,
    queued: waiting.entries.length,
    ...(!waiting.complete && { queuedIsLowerBound: true }),
    ...(oldest !== undefined && {
      oldestQueuedAt: oldest,
      oldestQueuedSeconds: Math.max(0, Math.floor((now.getTime() - Date.parse(oldest)) / 1000)),
    }),
  };
  if (queue.fairShare !== undefined) {
    const queuedByShare: Record<string, number> = {};
    for (const e of waiting.entries) {
      const share = e.shareIdentifier ?? '';
      queuedByShare[share] = (queuedByShare[share] ?? 0) + 1;
    }
    const configured = queue.fairShare.shareDistribution.map((s) => s.shareIdentifier);
    const seen = [...new Set([...configured, ...Object.keys(state.runningByShare), ...Object.keys(queuedByShare)])];
    view.shares = seen.map((shareIdentifier) => ({
      shareIdentifier,
      weightFactor: shareOf(queue, shareIdentifier)?.weightFactor ?? 1,
      running: state.runningByShare[shareIdentifier] ?? 0,
      queued: queuedByShare[shareIdentifier] ?? 0,
    }));
  }
  return view;
}

export async function listQueues(deps: Pick<QueueDeps, 'store' | 'queues'>): Promise<{ queues: QueueView[] }> {
  return { queues: await Promise.all(deps.queues.map((q) => queueView(deps.store, q))) };
}

export async function getQueue(deps: Pick<QueueDeps, 'store' | 'queues'>, name: string): Promise<QueueView> {
  return queueView(deps.store, findQueue(deps.queues, name));
}

/** POST /queues/{name}/pause and /resume: a paused queue admits nothing (running runs go on); a resumed one admits at once. */
export async function pauseQueue(deps: QueueDeps, name: string, paused: boolean): Promise<QueueView> {
  const queue = findQueue(deps.queues, name);
  await setPaused(deps.store, queue.name, paused);
  if (!paused) await admit(deps, queue.name);
  return queueView(deps.store, queue);
}

/** A QUEUED run's position (1: next in priority and arrival order) and what it waits for, in words. */
export async function waitingView(
  store: QueueStore,
  queues: readonly Queue[],
  place: RunQueue,
  runId: string,
): Promise<{ position?: number; waitingFor: string }> {
  const queue = queues.find((q) => q.name === place.name) ?? { name: place.name };
  const [state, position] = await Promise.all([
    readQueueState(store, place.name),
    positionOf(store, { queue: place.name, runId, ...place }),
  ]);
  const ahead = position === undefined || position <= 1 ? '' : `; ${position - 1} ahead of it`;
  let waitingFor: string;
  if (state.paused) waitingFor = `Queue ${place.name} to be resumed (it is paused)${ahead}.`;
  else if (queue.maxConcurrentRuns !== undefined && state.running >= queue.maxConcurrentRuns) {
    waitingFor = `A slot in queue ${place.name}: ${state.running} of ${queue.maxConcurrentRuns} are held${ahead}.`;
  } else waitingFor = `Its admission to queue ${place.name}${ahead}.`;
  return { ...(position !== undefined && { position }), waitingFor };
}
